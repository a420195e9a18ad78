"""Pages of inspection rounds: the list, planning a round, its page (sample, progress, scores),
an inspector's to-do, the inspection form on a phone, and a point's result with its explanation."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.cases import policy as cases_policy
from wenming.core import access
from wenming.core.errors import ServiceError
from wenming.core.models import Photo
from wenming.core.photos import ProcessedPhoto, process_photo, read_upload
from wenming.core.services_photos import files_removed_on_failure, photo_create
from wenming.org.models import Team, UnitKind, User
from wenming.standards.models import PointType

from . import policy, scores, selectors, services
from .forms import RoundForm
from .models import MAX_MIN_SAMPLE, RoundKind, RoundPoint, RoundStatus

MAX_PHOTOS_PER_ITEM = 3


def _digits(value: str) -> bool:
    """An id or a count as a form sends it: ASCII digits only (``"²".isdigit()`` is true but ``int``
    refuses it), at most 12 of them (a bigger number is no id and overflows the database's integer)."""
    return value.isascii() and value.isdigit() and len(value) <= 12
PAGE_SIZE = 50


@login_required
@require_GET
def round_list(request):
    scope = access.scope_for(request.user)
    if not scope.has("org.view"):
        access.refuse_forbidden(request.user, "inspections.view")
    page = Paginator(selectors.rounds(request.user), 30).get_page(request.GET.get("page"))
    page.object_list = selectors.with_progress(page.object_list)
    return render(request, "inspections/list.html", {"page": page, "may_plan": selectors.may_plan_any(request.user),
                                                     "may_configure": selectors.may_configure(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def round_create(request):
    if not selectors.may_plan_any(request.user):
        access.refuse_forbidden(request.user, "inspections.round_create")
    units = selectors.plannable_units(request.user)
    types = list(PointType.objects.order_by("sort", "code"))
    office_paths = selectors.planning_office_paths(request.user)
    copied = _copy_previous(request, units, office_paths) if request.method == "GET" and "copy" in request.GET else None
    form = RoundForm(request.POST or None, units=units, point_types=types, office_paths=office_paths,
                     min_sample=selectors.inspection_settings().min_sample,
                     groups=selectors.plannable_groups(request.user),
                     initial=copied["initial"] if copied and "initial" in copied else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round_ = services.round_create(
                actor=request.user, title=data["title"], kind=data["kind"], system=data["system"], owner=data["owner"],
                scope_units=list(data["scope"]), period_start=data["period_start"], period_end=data["period_end"],
                sample_mode=data["sample_mode"], sample_sizes=form.sizes("size"), sample_seed=data["sample_seed"],
                weights=form.sizes("weight"), min_sample=data["min_sample"], groups=list(data.get("groups") or []))
        except services.InspectionError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, "轮次已创建。下一步：抽取样本点位并分配测评员。")
            return redirect("inspections:round", pk=round_.pk)
    return render(request, "inspections/new.html", {"form": form, "point_types": types, "copied": copied})


def _copy_previous(request, units, office_paths) -> dict:
    """复制上一轮: the new-round form filled from the latest round of the chosen kind and owner
    (selectors.following_round), or why nothing was filled in. Writes nothing: the office checks
    the form and saves it as any other. Without a kind or owner (a browser without scripts sends
    the page's first choices), the form's first choices."""
    kind = request.GET.get("kind") or (RoundKind.WEEKLY if office_paths else RoundKind.SELF_CHECK)
    owner_id = request.GET.get("owner") or (str(units[0].pk) if units else "")
    if kind not in RoundKind.values:
        return {"error": "请先选择要复制的轮次类型"}
    owner = next((unit for unit in units if str(unit.pk) == owner_id), None)
    if owner is None:
        return {"error": "您不能为所选单位组织测评轮次，无法复制"}
    label = RoundKind(kind).label
    previous = selectors.previous_round(request.user, owner=owner, kind=kind)
    if previous is None and not policy.may_plan(request.user, owner, kind):
        return {"error": f"您不能为“{owner.name}”组织“{label}”轮次，无法复制"}
    if previous is None:
        return {"error": f"“{owner.name}”还没有“{label}”轮次，没有可复制的上一轮，请逐项填写"}
    following = selectors.following_round(previous)
    return {"initial": following.initial(), "previous": previous, "notes": following.notes}


# the levels a round's scores are ranked at, below its organiser (besides 责任单位); within a level
# each kind of unit is ranked among its own kind (scores.ranking: 同类同项)
LEVEL_LABELS = {UnitKind.CITY: ["区县及市直部门", "街道/镇及区直部门"], UnitKind.DISTRICT: ["街道/镇及区直部门", "社区/村"],
                UnitKind.STREET: ["社区/村"]}
UNIT_PAGE_SIZE = 50


def _score_levels(round_, everything: bool) -> list[tuple[str, str, int | None]]:
    """(parameter, label, depth) of the rankings offered: for those who see the whole round, by
    the units one and two levels below its organiser, then by responsible unit; for a unit, its
    own responsible units."""
    levels = [("unit", "责任单位", None)]
    if everything:
        labels = LEVEL_LABELS.get(round_.owner.kind, [])
        levels = [(str(n), label, round_.owner.depth + n) for n, label in enumerate(labels, 1)] + levels
    return levels


@login_required
@require_GET
def round_detail(request, pk: int):
    round_ = selectors.round_for(request.user, pk)
    manages = selectors.manages(request.user, round_)
    everything = selectors.sees_everything(request.user, round_)
    all_rows = selectors.round_points(request.user, round_)
    visible_units = selectors.ranked_units_visible(request.user, round_)
    rows = all_rows.order_by("unit_path", "point__code")
    params: dict[str, str] = {}
    unit_code = (request.GET.get("unit") or "").strip()[:18]
    chosen_unit = None
    if unit_code:  # the sample of one unit (and the units under it): a score's explanation
        from wenming.org.selectors import units_visible_to

        chosen_unit = units_visible_to(request.user).filter(code=unit_code).first()
        rows = rows.filter(unit_path__startswith=chosen_unit.path) if chosen_unit else rows.none()
        params["unit"] = unit_code
    show_scores = selectors.results_visible(request.user, round_)
    levels = _score_levels(round_, everything)
    level = next((entry for entry in levels if entry[0] == request.GET.get("level")), levels[0])
    if request.GET.get("level"):
        params["level"] = level[0]
    # ranked among all peers of the round; a unit that sees only its part gets only its own rows
    ranking = scores.ranking(round_, None, depth=level[2]) if show_scores else []
    unit_page = Paginator(scores.ranking_rows(ranking, visible_units),
                          UNIT_PAGE_SIZE).get_page(request.GET.get("upage"))
    progress_by_inspector = (RoundPoint.objects.filter(round=round_)
                             .values("inspector_id", "inspector__full_name", "inspector__username")
                             .annotate(total=Count("id"), done=Count("id", filter=Q(status=RoundPoint.Status.DONE)),
                                       undone=Count("id", filter=~Q(status=RoundPoint.Status.DONE)))
                             .order_by("inspector__username")) if everything else []
    progress_by_group = (RoundPoint.objects.filter(round=round_, team__isnull=False)
                         .values("team_id", "team__name", "team__unit__name")
                         .annotate(total=Count("id"), done=Count("id", filter=Q(status=RoundPoint.Status.DONE)),
                                   undone=Count("id", filter=~Q(status=RoundPoint.Status.DONE)))
                         .order_by("team__unit__path", "team__sort", "team_id")) if everything else []
    uses_groups = bool(progress_by_group) if everything else \
        RoundPoint.objects.filter(round=round_, team__isnull=False).exists()
    staffing = manages and round_.status in (RoundStatus.DRAFT, RoundStatus.OPEN)
    planned_groups = list(round_.groups.select_related("unit").order_by("unit__path", "sort", "id")) \
        if everything else []
    return render(request, "inspections/round.html", {
        "round": round_, "manages": manages, "everything": everything, "show_scores": show_scores,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")), "params": params,
        "unit_page": unit_page, "levels": levels, "level": level, "chosen_unit": chosen_unit, "unit_code": unit_code,
        "ranking": ranking, "may_change_ranking_rule": selectors.may_change_ranking_rule(request.user, round_),
        "max_min_sample": MAX_MIN_SAMPLE,
        "score_rate": scores.score_rate(round_, visible_units) if show_scores else None,
        "item_rates": scores.item_failure_rates(round_, visible_units) if show_scores else [],
        "progress_by_inspector": progress_by_inspector, "progress_by_group": progress_by_group,
        "uses_groups": uses_groups, "my_teams": selectors.member_team_ids(request.user, round_) if uses_groups else set(),
        "inspectors": services.eligible_inspectors(round_)[:300] if staffing else [],
        "groups": list(services.eligible_groups(round_)[:100]) if staffing else [],
        "reassignable": staffing and round_.total,
        "planned_groups": planned_groups, "planned_group_ids": {team.pk for team in planned_groups},
        "statuses": RoundStatus,
    })


@login_required
@require_POST
def round_action(request, pk: int, action: str):
    round_ = selectors.round_for(request.user, pk)
    actor = request.user
    try:
        if action == "sample":
            seed = request.POST.get("seed", "").strip()
            if seed and not _digits(seed):
                raise services.InspectionError("抽样种子应为正整数")
            count = services.round_sample(actor=actor, round_=round_, seed=int(seed) if seed else None)
            messages.success(request, f"已抽取 {count} 个点位（种子 {round_.sample_seed}，同一种子可重现同一样本）")
        elif action == "assign" and (request.POST.get("by") == "groups" or "teams" in request.POST):  # among 督查组
            ids = [value for value in request.POST.getlist("teams") if _digits(value)]
            groups = list(services.eligible_groups(round_).filter(pk__in=ids))
            if not groups:
                raise services.InspectionError("请选择督查组")
            count = services.round_assign(actor=actor, round_=round_, teams=groups)
            messages.success(request, f"已将 {count} 个点位分配给 {len(groups)} 个督查组："
                                      + "、".join(group.name for group in groups))
        elif action == "assign":
            ids = [value for value in request.POST.getlist("inspectors") if _digits(value)]
            chosen = list(services.eligible_inspectors(round_).filter(pk__in=ids))
            count = services.round_assign(actor=actor, round_=round_, inspectors=chosen)
            messages.success(request, f"已将 {count} 个点位分配给 {len(chosen)} 名测评员")
        elif action == "reassign":
            target, source = request.POST.get("inspector", ""), request.POST.get("from_inspector", "")
            inspector = User.objects.filter(pk=int(target)).first() if _digits(target) else None
            team = _group_choice(round_, target)
            ids = [int(value) for value in request.POST.getlist("round_points") if _digits(value)]
            rows = RoundPoint.objects.filter(round=round_)
            if ids:                      # the points ticked in the sample …
                rows = rows.filter(pk__in=ids)
            elif _digits(source):       # … or all unfinished points of one inspector
                rows = rows.filter(inspector_id=int(source)).exclude(status=RoundPoint.Status.DONE)
            elif source.startswith(GROUP_PREFIX) and _digits(source[len(GROUP_PREFIX):]):   # … or of one group
                rows = rows.filter(team_id=int(source[len(GROUP_PREFIX):])).exclude(status=RoundPoint.Status.DONE)
            else:
                rows = rows.none()
            count = services.round_reassign(actor=actor, round_=round_, round_points=list(rows), inspector=inspector,
                                            team=team)
            notified = "，已通知新旧测评员" if round_.status == RoundStatus.OPEN else ""
            to = f"督查组“{team.name}”" if team is not None else inspector.display_name
            messages.success(request, f"已将 {count} 个点位改派给 {to}{notified}")
        elif action == "min_sample":
            value = request.POST.get("min_sample", "").strip()
            services.round_set_min_sample(actor=actor, round_=round_,
                                          min_sample=int(value) if _digits(value) and len(value) < 6 else None)
            messages.success(request, f"排名最少样本点位数为 {round_.min_sample} 个")
        elif action == "open":
            services.round_open(actor=actor, round_=round_)
            messages.success(request, "轮次已开始，测评员已收到任务通知")
        elif action == "close":
            services.round_close(actor=actor, round_=round_)
            messages.success(request, "轮次已结束")
        elif action == "publish":
            services.round_publish(actor=actor, round_=round_)
            messages.success(request, "结果已发布，各单位可查看本单位点位的得分")
        else:
            access.refuse_not_found(actor, "inspections.round_action", action)
    except services.InspectionError as error:
        messages.error(request, str(error))
    return redirect("inspections:round", pk=round_.pk)


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    """测评设置 (city office): the rules every new round starts from."""
    if not selectors.may_configure(request.user):
        access.refuse_forbidden(request.user, "inspections.configure")
    if request.method == "POST":
        value = request.POST.get("min_sample", "").strip()
        try:
            services.inspection_settings_save(actor=request.user,
                                              min_sample=int(value) if _digits(value) and len(value) < 6 else None)
        except services.InspectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "测评设置已保存，此后新建的轮次按新设置；已有轮次不变")
        return redirect("inspections:settings")
    return render(request, "inspections/settings.html", {"row": selectors.inspection_settings(),
                                                         "max_min_sample": MAX_MIN_SAMPLE})


# the 改派 form names a 督查组 as "group-<id>" beside inspectors' ids
GROUP_PREFIX = "group-"


def _group_choice(round_, value: str) -> Team | None:
    """The 督查组 a "group-<id>" value names, among those the round may use."""
    if not value.startswith(GROUP_PREFIX) or not _digits(value[len(GROUP_PREFIX):]):
        return None
    team = services.eligible_groups(round_).filter(pk=int(value[len(GROUP_PREFIX):])).first()
    if team is None:
        raise services.InspectionError("所选督查组不能参加本轮次")
    return team


@login_required
@require_GET
def mine(request):
    page = Paginator(selectors.assignments(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "inspections/mine.html", {"rows": page, "page": page})


def _round_point_for(request, pk: int) -> RoundPoint:
    row = RoundPoint.objects.select_related("round", "round__owner", "point", "point__point_type", "point__area",
                                            "unit", "inspector", "team").filter(pk=pk).first()
    if row is None or not selectors.rounds(request.user).filter(pk=row.round_id).exists():
        access.refuse_not_found(request.user, "inspections.round_point", f"RoundPoint#{pk}")
    if not selectors.sees_everything(request.user, row.round) and row.inspector_id != request.user.pk \
            and not selectors.round_points(request.user, row.round).filter(pk=row.pk).exists():
        access.refuse_not_found(request.user, "inspections.round_point", f"RoundPoint#{pk}")
    return row


def _decimal(value: str):
    try:
        return Decimal(value) if value not in ("", None) else None
    except InvalidOperation:
        return None


def _answers_from(request, items, draft: dict) -> tuple[dict, dict[int, list[str]], list[tuple[int, ProcessedPhoto]]]:
    """The form's answers per item with the draft's kept photos; and the new photos, validated
    and processed (decoded, cleaned, re-encoded, thumbnailed) but not stored — the image work
    happens here, before any transaction, and writes nothing. Returns (answers, {item id: photo
    errors}, [(item id, processed photo)])."""
    answers, errors, uploads = {}, {}, []
    kept_ids = {int(v) for v in request.POST.getlist("kept_photos") if _digits(v)}
    # the photos of the point's saved draft the form sends back — a 督查组 member continuing a
    # draft another member saved keeps that member's photos too; one query for all items, none
    # when there are none
    previous_ids = {str(item.pk): sorted(pid for pid in (draft.get(str(item.pk)) or {}).get("photos", [])
                                         if pid in kept_ids) for item in items}
    wanted = [pid for ids in previous_ids.values() for pid in ids]
    kept = Photo.objects.in_bulk(wanted) if wanted else {}
    for item in items:
        key = str(item.pk)
        files = request.FILES.getlist(f"photo_{key}")
        previous = [kept[pid] for pid in previous_ids[key] if pid in kept]
        if len(files) + len(previous) > MAX_PHOTOS_PER_ITEM:
            errors.setdefault(item.pk, []).append(f"最多{MAX_PHOTOS_PER_ITEM}张照片")
            files = []
        for upload in files:
            try:
                processed = process_photo(read_upload(upload), filename=upload.name)
            except ServiceError as error:
                errors.setdefault(item.pk, []).append(f"照片：{error}")
                continue
            uploads.append((item.pk, processed))
        ticked = sorted({int(value) for value in request.POST.getlist(f"c_{key}") if _digits(value)})
        given = bool(ticked or request.POST.get(f"m_{key}"))    # some ticked, or 以上条件均不满足
        answers[item.pk] = services.Answer(
            verdict=request.POST.get(f"v_{key}", ""),
            met=len(ticked) if given else None, conditions=ticked if given else None,
            rate=request.POST.get(f"rate_{key}", "").strip(), count=request.POST.get(f"count_{key}", "").strip(),
            note=request.POST.get(f"note_{key}", "").strip(), photos=previous)
    return answers, errors, uploads


def _store_photos(actor, answers: dict, uploads: list[tuple[int, ProcessedPhoto]], unit, stored: list) -> None:
    """Store the processed photos (rows and files) and add them to their answers and to ``stored``."""
    for item_id, processed in uploads:
        photo = photo_create(actor=actor, processed=processed, unit=unit)
        stored.append(photo)
        answers[item_id].photos.append(photo)


RESUBMITTED = "该测评此前已提交，未重复记录"


class _AlreadySubmitted(Exception):
    """Rolls back what a retried upload stored when its first submission finished meanwhile."""

    def __init__(self, inspection):
        super().__init__()
        self.inspection = inspection


def _kept_submit_key(request) -> str:
    """The form's key again (a retry must send the same one), a new one when it had none or a bad one."""
    key = request.POST.get("submit_key", "")
    return key if key and len(key) <= services.SUBMIT_KEY_MAX else uuid.uuid4().hex


def _survey_hints(row, groups) -> None:
    """A 问卷调查 item's rate as the unit's latest closed official survey measured it, beside its input."""
    from wenming.surveys import selectors as surveys

    wanted = [e for g in groups.values() for e in g["entries"]
              if e["item"].method == "survey" and surveys.rate_of_item(e["item"])]
    if not wanted:
        return
    found = surveys.latest_official(row.unit)
    if found is None:
        return
    campaign, figures = found
    for entry in wanted:
        figure = figures.get(surveys.rate_of_item(entry["item"]))
        if figure is not None:
            entry["survey"] = {"campaign": campaign, "figure": figure}


@login_required
@require_http_methods(["GET", "POST"])
def inspect(request, pk: int):
    row = _round_point_for(request, pk)
    if not selectors.inspects(request.user, row):
        access.refuse_forbidden(request.user, "inspections.inspect", f"RoundPoint#{pk}")
    if row.status == RoundPoint.Status.DONE:
        messages.info(request, "该点位已提交测评结果")
        return redirect("inspections:result", pk=row.pk)
    items = services.items_for(row)
    inspection = selectors.inspection_of(row)
    draft = inspection.draft if inspection else {}
    errors, item_errors = [], {}
    if request.method == "POST":
        photo_unit = row.round.owner if row.round.kind == RoundKind.UNANNOUNCED else row.unit
        latitude, longitude = _decimal(request.POST.get("latitude", "")), _decimal(request.POST.get("longitude", ""))
        if request.POST.get("intent") != "draft":
            # a retried upload whose first submission went through: nothing to process or store
            earlier = services.submitted_with(request.user, request.POST.get("submit_key", ""))
            if earlier is not None:
                messages.success(request, RESUBMITTED)
                return redirect("inspections:result", pk=earlier.round_point_id)
        draft = _with_kept_uploads(request, items, draft, photo_unit)
        # the photos are processed before the transaction: on SQLite it takes the database's write
        # lock, which is then held for the writes only, not for the image work
        answers, photo_errors, uploads = _answers_from(request, items, draft)
        stored: list[Photo] = []
        try:
            if photo_errors:
                if request.POST.get("intent") != "draft":   # say at once what else is wrong
                    for item_id, text in services.check_answers(items, answers)[0].items():
                        photo_errors.setdefault(item_id, []).insert(0, text)
                raise services.answers_refused(items, photo_errors)
            # the files of photos stored in a transaction that then rolls back are deleted
            with files_removed_on_failure() as stored, transaction.atomic():
                _store_photos(request.user, answers, uploads, photo_unit, stored)
                if request.POST.get("intent") == "draft":
                    services.inspection_save_draft(actor=request.user, round_point=row, answers=answers,
                                                   note=request.POST.get("note", ""), latitude=latitude,
                                                   longitude=longitude)
                    messages.success(request, "草稿已保存")
                    return redirect("inspections:inspect", pk=row.pk)
                inspection, created = services.inspection_submit(
                    actor=request.user, round_point=row, answers=answers, note=request.POST.get("note", ""),
                    latitude=latitude, longitude=longitude, submit_key=request.POST.get("submit_key", ""),
                    items=items)
                if not created:
                    # submitted meanwhile by the first upload of this form: keep none of these photos
                    raise _AlreadySubmitted(inspection)
        except _AlreadySubmitted as already:
            messages.success(request, RESUBMITTED)
            return redirect("inspections:result", pk=already.inspection.round_point_id)
        except services.InspectionError as error:
            # errors of items are shown at each item (and listed above the form); others on top
            item_errors = {key: texts for key, texts in error.errors.items() if _digits(key)}
            errors = [] if item_errors else [str(error)]
            gone = {photo.pk for photo in stored}  # rolled back with the transaction, files deleted
            for answer in answers.values():
                answer.photos = [photo for photo in answer.photos if photo.pk not in gone]
            # the answers were refused, not the form: its photos wait for the next try — while the
            # round is open (a closed round takes no inspection, so nothing is kept for one)
            if item_errors and row.round.status == RoundStatus.OPEN:
                _keep_for_next_try(request.user, answers, uploads, photo_unit)
            draft = {str(item_id): answer.as_draft() for item_id, answer in answers.items()}
        else:
            done = inspection.round_point  # as inspection_submit scored it
            messages.success(request, f"测评已提交：{done.point.name} 得分 {done.score}")
            return redirect("inspections:result", pk=row.pk)
    # the photos a refused form brought (not in the saved draft) go back with it as kept uploads
    saved_photos = {pid for answer in (inspection.draft if inspection else {}).values()
                    for pid in (answer or {}).get("photos", [])}
    wanted = [pid for answer in draft.values() for pid in (answer or {}).get("photos", [])]
    photos = Photo.objects.select_related("uploaded_by").in_bulk(wanted) if wanted else {}
    groups: dict[int, dict] = {}   # by indicator, in the order of their first item
    filled = fresh = 0
    for item in items:
        saved = draft.get(str(item.pk)) or {}
        entry = {"item": item, "saved": saved, "answered": _answered(saved),
                 "photos": [photos[pid] for pid in saved.get("photos", []) if pid in photos],
                 "fresh": {pid for pid in saved.get("photos", []) if pid not in saved_photos},
                 "errors": item_errors.get(str(item.pk), [])}
        filled += entry["answered"]
        fresh += len(entry["fresh"])
        group = groups.setdefault(item.indicator_id, {"indicator": item.indicator, "entries": [], "filled": 0})
        group["entries"].append(entry)
        group["filled"] += entry["answered"]
    summary = [entry for group in groups.values() for entry in group["entries"] if entry["errors"]]
    _survey_hints(row, groups)
    return render(request, "inspections/inspect.html", {
        "row": row, "groups": list(groups.values()), "errors": errors, "summary": summary,
        "inspection": inspection, "submit_key": _kept_submit_key(request), "item_count": len(items),
        "filled": filled, "fresh_count": fresh, "draft_storage_key": f"wenming-inspect-{row.pk}",
        # a refused form shows the overall note as typed, not the saved draft's older one
        "note": request.POST.get("note", "") if request.method == "POST" else (inspection.note if inspection else ""),
    })


def _answered(saved: dict) -> bool:
    """Whether a draft's answer gives something for its item (as inspection_submit reads "未填写")."""
    return bool(saved.get("verdict") or saved.get("met") is not None or saved.get("rate") not in ("", None)
                or saved.get("count") not in ("", None))


# photos a refused form brought are kept for its next try this long
KEPT_UPLOAD_AGE = timedelta(days=2)


def _keep_for_next_try(actor, answers: dict, uploads: list[tuple[int, ProcessedPhoto]], unit) -> None:
    """The form came back with an error: store the photos it brought (their rows were rolled back
    with its transaction, or never written), each with its item's answer, so the inspector need
    not take them again. They belong to no result until a draft or a submission takes them."""
    for item_id, processed in uploads:
        answers[item_id].photos.append(photo_create(actor=actor, processed=processed, unit=unit))


def _with_kept_uploads(request, items, draft: dict, unit) -> dict:
    """The draft with the photos a refused try of this form kept (``kept_new_<item>``), each for
    the item it was taken for: only the inspector's own, recent, stored for this point's unit and
    part of no result. One query, none when the form kept none."""
    wanted: dict[str, list[int]] = {}
    for item in items:
        key = str(item.pk)
        saved = set((draft.get(key) or {}).get("photos", []))
        ids = [int(value) for value in request.POST.getlist(f"kept_new_{key}")
               if value.isascii() and _digits(value) and len(value) < 12]
        ids = [pid for pid in ids if pid not in saved]
        if ids:
            wanted[key] = ids
    if not wanted:
        return draft
    allowed = set(Photo.objects.filter(pk__in=[pid for ids in wanted.values() for pid in ids], uploaded_by=request.user,
                                       unit=unit, created_at__gte=timezone.now() - KEPT_UPLOAD_AGE,
                                       item_results__isnull=True).values_list("pk", flat=True))
    merged = dict(draft)
    for key, ids in wanted.items():
        entry = dict(merged.get(key) or {})
        entry["photos"] = list(entry.get("photos") or []) + [pid for pid in ids if pid in allowed]
        merged[key] = entry
    return merged


@login_required
@require_GET
def result(request, pk: int):
    row = _round_point_for(request, pk)
    if not selectors.results_visible(request.user, row.round, row):
        access.refuse_not_found(request.user, "inspections.result", f"RoundPoint#{pk}")
    results = list(selectors.results(row)) if row.status == RoundPoint.Status.DONE else []
    for result_row in results:
        result_row.condition_marks = services.condition_marks(result_row)
    problem_visible = set()
    problem_ids = [r.problem_id for r in results if r.problem_id]
    if problem_ids:
        from wenming.cases.models import Problem

        problem_visible = set(Problem.objects.filter(cases_policy.problem_filter(request.user), pk__in=problem_ids)
                              .values_list("pk", flat=True))
    return render(request, "inspections/result.html", {
        "row": row, "results": results, "inspection": selectors.inspection_of(row), "problem_visible": problem_visible,
        "veto_note": services.veto_explanation(results),
    })

"""Pages of inspection rounds: the list, planning a round, its page (sample, progress, scores),
an inspector's to-do, the inspection form on a phone, and a point's result with its explanation."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.cases import policy as cases_policy
from wenming.core import access
from wenming.core.errors import ServiceError
from wenming.core.models import Photo
from wenming.core.photos import ProcessedPhoto, process_photo, read_upload
from wenming.core.services_photos import files_removed_on_failure, photo_create
from wenming.org.models import Team, UnitKind, User
from wenming.standards.models import PointType

from . import scores, selectors, services
from .forms import RoundForm
from .models import RoundKind, RoundPoint, RoundStatus

MAX_PHOTOS_PER_ITEM = 3
PAGE_SIZE = 50


@login_required
@require_GET
def round_list(request):
    scope = access.scope_for(request.user)
    if not scope.has("org.view"):
        access.refuse_forbidden(request.user, "inspections.view")
    page = Paginator(selectors.rounds(request.user), 30).get_page(request.GET.get("page"))
    page.object_list = selectors.with_progress(page.object_list)
    return render(request, "inspections/list.html", {"page": page, "may_plan": selectors.may_plan_any(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def round_create(request):
    if not selectors.may_plan_any(request.user):
        access.refuse_forbidden(request.user, "inspections.round_create")
    units = selectors.plannable_units(request.user)
    types = list(PointType.objects.order_by("sort", "code"))
    office_paths = selectors.planning_office_paths(request.user)
    form = RoundForm(request.POST or None, units=units, point_types=types, office_paths=office_paths)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round_ = services.round_create(
                actor=request.user, title=data["title"], kind=data["kind"], system=data["system"], owner=data["owner"],
                scope_units=list(data["scope"]), period_start=data["period_start"], period_end=data["period_end"],
                sample_mode=data["sample_mode"], sample_sizes=form.sizes("size"), sample_seed=data["sample_seed"],
                weights=form.sizes("weight"))
        except services.InspectionError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, "轮次已创建。下一步：抽取样本点位并分配测评员。")
            return redirect("inspections:round", pk=round_.pk)
    return render(request, "inspections/new.html", {"form": form, "point_types": types})


# the levels a round's scores are ranked at, below its organiser (besides 责任单位)
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
    visible_units = None if everything else set(all_rows.values_list("unit_id", flat=True))
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
    unit_page = Paginator(scores.unit_scores(round_, visible_units, depth=level[2]) if show_scores else [],
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
    return render(request, "inspections/round.html", {
        "round": round_, "manages": manages, "everything": everything, "show_scores": show_scores,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")), "params": params,
        "unit_page": unit_page, "levels": levels, "level": level, "chosen_unit": chosen_unit, "unit_code": unit_code,
        "score_rate": scores.score_rate(round_, visible_units) if show_scores else None,
        "item_rates": scores.item_failure_rates(round_, visible_units) if show_scores else [],
        "progress_by_inspector": progress_by_inspector, "progress_by_group": progress_by_group,
        "uses_groups": uses_groups, "my_teams": selectors.member_team_ids(request.user, round_) if uses_groups else set(),
        "inspectors": services.eligible_inspectors(round_)[:300] if staffing else [],
        "groups": list(services.eligible_groups(round_)[:100]) if staffing else [],
        "reassignable": staffing and round_.total,
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
            if seed and not seed.isdigit():
                raise services.InspectionError("抽样种子应为正整数")
            count = services.round_sample(actor=actor, round_=round_, seed=int(seed) if seed else None)
            messages.success(request, f"已抽取 {count} 个点位（种子 {round_.sample_seed}，同一种子可重现同一样本）")
        elif action == "assign" and (request.POST.get("by") == "groups" or "teams" in request.POST):  # among 督查组
            ids = [value for value in request.POST.getlist("teams") if value.isdigit()]
            groups = list(services.eligible_groups(round_).filter(pk__in=ids))
            if not groups:
                raise services.InspectionError("请选择督查组")
            count = services.round_assign(actor=actor, round_=round_, teams=groups)
            messages.success(request, f"已将 {count} 个点位分配给 {len(groups)} 个督查组："
                                      + "、".join(group.name for group in groups))
        elif action == "assign":
            ids = [value for value in request.POST.getlist("inspectors") if value.isdigit()]
            chosen = list(services.eligible_inspectors(round_).filter(pk__in=ids))
            count = services.round_assign(actor=actor, round_=round_, inspectors=chosen)
            messages.success(request, f"已将 {count} 个点位分配给 {len(chosen)} 名测评员")
        elif action == "reassign":
            target, source = request.POST.get("inspector", ""), request.POST.get("from_inspector", "")
            inspector = User.objects.filter(pk=int(target)).first() if target.isdigit() else None
            team = _group_choice(round_, target)
            ids = [int(value) for value in request.POST.getlist("round_points") if value.isdigit()]
            rows = RoundPoint.objects.filter(round=round_)
            if ids:                      # the points ticked in the sample …
                rows = rows.filter(pk__in=ids)
            elif source.isdigit():       # … or all unfinished points of one inspector
                rows = rows.filter(inspector_id=int(source)).exclude(status=RoundPoint.Status.DONE)
            elif source.startswith(GROUP_PREFIX) and source[len(GROUP_PREFIX):].isdigit():   # … or of one group
                rows = rows.filter(team_id=int(source[len(GROUP_PREFIX):])).exclude(status=RoundPoint.Status.DONE)
            else:
                rows = rows.none()
            count = services.round_reassign(actor=actor, round_=round_, round_points=list(rows), inspector=inspector,
                                            team=team)
            notified = "，已通知新旧测评员" if round_.status == RoundStatus.OPEN else ""
            to = f"督查组“{team.name}”" if team is not None else inspector.display_name
            messages.success(request, f"已将 {count} 个点位改派给 {to}{notified}")
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


# the 改派 form names a 督查组 as "group-<id>" beside inspectors' ids
GROUP_PREFIX = "group-"


def _group_choice(round_, value: str) -> Team | None:
    """The 督查组 a "group-<id>" value names, among those the round may use."""
    if not value.startswith(GROUP_PREFIX) or not value[len(GROUP_PREFIX):].isdigit():
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


def _answers_from(request, items, draft: dict) -> tuple[dict, list[str], list[tuple[int, ProcessedPhoto]]]:
    """The form's answers per item with the draft's kept photos; and the new photos, validated
    and processed (decoded, cleaned, re-encoded, thumbnailed) but not stored — the image work
    happens here, before any transaction, and writes nothing. Returns (answers, errors,
    [(item id, processed photo)])."""
    answers, errors, uploads = {}, [], []
    kept_ids = {int(v) for v in request.POST.getlist("kept_photos") if v.isdigit()}
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
            errors.append(f"{item.code} 最多{MAX_PHOTOS_PER_ITEM}张照片")
            files = []
        for upload in files:
            try:
                processed = process_photo(read_upload(upload), filename=upload.name)
            except ServiceError as error:
                errors.append(f"{item.code} 照片：{error}")
                continue
            uploads.append((item.pk, processed))
        ticked = sorted({int(value) for value in request.POST.getlist(f"c_{key}") if value.isdigit()})
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
    errors = []
    if request.method == "POST":
        photo_unit = row.round.owner if row.round.kind == RoundKind.UNANNOUNCED else row.unit
        latitude, longitude = _decimal(request.POST.get("latitude", "")), _decimal(request.POST.get("longitude", ""))
        if request.POST.get("intent") != "draft":
            # a retried upload whose first submission went through: nothing to process or store
            earlier = services.submitted_with(request.user, request.POST.get("submit_key", ""))
            if earlier is not None:
                messages.success(request, RESUBMITTED)
                return redirect("inspections:result", pk=earlier.round_point_id)
        # the photos are processed before the transaction: on SQLite it takes the database's write
        # lock, which is then held for the writes only, not for the image work
        answers, errors, uploads = _answers_from(request, items, draft)
        stored: list[Photo] = []
        try:
            if errors:
                raise services.InspectionError("；".join(errors))
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
            errors = [str(error)]
            gone = {photo.pk for photo in stored}  # rolled back with the transaction, files deleted
            draft = {}
            for item_id, answer in answers.items():
                saved = answer.as_draft()
                saved["photos"] = [pk for pk in saved["photos"] if pk not in gone]
                draft[str(item_id)] = saved
        else:
            done = inspection.round_point  # as inspection_submit scored it
            messages.success(request, f"测评已提交：{done.point.name} 得分 {done.score}")
            return redirect("inspections:result", pk=row.pk)
    groups: list[tuple] = []
    for item in items:
        saved = draft.get(str(item.pk)) or {}
        entry = {"item": item, "saved": saved, "photos": Photo.objects.filter(pk__in=saved.get("photos", []))
                 .select_related("uploaded_by") if saved.get("photos") else []}
        if groups and groups[-1][0] == item.indicator:
            groups[-1][1].append(entry)
        else:
            groups.append((item.indicator, [entry]))
    return render(request, "inspections/inspect.html", {
        "row": row, "groups": groups, "errors": errors, "inspection": inspection,
        "submit_key": _kept_submit_key(request), "item_count": len(items),
        "draft_storage_key": f"wenming-inspect-{row.pk}",
    })


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

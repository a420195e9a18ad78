"""Pages of assessment: schemes, closing periods, the ranking with 红黄榜, one score's explanation
down to the rounds, problems and notices behind it, 加减分事项 and the 奖惩台账."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, audit
from wenming.core.errors import ServiceError, show_on_form
from wenming.core.photos import process_photo, read_upload
from wenming.core.services_photos import files_removed_on_failure, photo_create
from wenming.core.sheets import workbook_bytes
from wenming.org.models import UnitKind

from . import policy, selectors, services
from .forms import AdjustmentForm, CloseForm, LedgerForm, ReasonForm, SchemeNewForm, SchemeRulesForm
from .metrics import PARAM_FIELDS
from .models import PeriodStatus, SchemeStatus, StepStatus
from .tables import ranking_rows_html

MAX_EVIDENCE_PHOTOS = 3
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_view(request) -> None:
    if not policy.may_view(request.user):
        access.refuse_forbidden(request.user, "scoring.view")


@login_required
@require_GET
def scheme_list(request):
    _require_view(request)
    schemes = list(selectors.schemes(request.user).order_by("status", "root_path", "unit_kind", "-version"))
    for scheme in schemes:
        scheme.manageable = policy.may_manage(request.user, scheme)
    return render(request, "scoring/list.html", {
        "schemes": schemes, "recent": selectors.recent_closed(request.user),
        "pending_steps": selectors.pending_steps(request.user)[:20],
        "may_create": policy.may_create(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def scheme_new(request):
    if not policy.may_create(request.user):
        access.refuse_forbidden(request.user, "scoring.scheme_create")
    form = SchemeNewForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        root = data["root"]
        owner = access.nearest_office_unit(request.user, root.path)
        rules = services.default_rules(data["name"] or f"{root.name}{UnitKind(data['unit_kind']).label}考核方案")
        try:
            scheme = services.scheme_create(actor=request.user, owner=owner or root, root=root,
                                            unit_kind=data["unit_kind"], parent_kind=data.get("parent_kind") or "",
                                            rules=rules)
        except ServiceError as error:
            show_on_form(form, error)
        else:
            messages.success(request, "考核方案草稿已建立，已按默认分值填好。请核对后点击“施行”。")
            return redirect("scoring:scheme", pk=scheme.pk)
    return render(request, "scoring/scheme_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def scheme_detail(request, pk: int):
    scheme = selectors.scheme_for(request.user, pk)
    manage = policy.may_manage(request.user, scheme)
    editable = manage and scheme.status == SchemeStatus.DRAFT
    form = None
    if editable:
        form = SchemeRulesForm(request.POST or None, initial=SchemeRulesForm.initial_for(scheme))
        if request.method == "POST" and form.is_valid():
            try:
                services.scheme_update(actor=request.user, scheme=scheme, rules=form.rules(scheme))
            except ServiceError as error:
                show_on_form(form, error)
            else:
                messages.success(request, "考核方案已保存。")
                return redirect("scoring:scheme", pk=scheme.pk)
    elif request.method == "POST":
        if not manage:
            access.refuse_forbidden(request.user, "scoring.scheme_update", target=scheme)
        messages.error(request, "只能修改草稿状态的考核方案；施行中的方案请先“生成新版本”再修改。")
        return redirect("scoring:scheme", pk=scheme.pk)
    param_rows = [(metric, [(key, label) for key, label, *_ in fields_]) for metric, fields_ in PARAM_FIELDS.items()]
    return render(request, "scoring/scheme.html", {
        "scheme": scheme, "components": list(scheme.components.all()), "manage": manage, "form": form,
        "param_rows": param_rows, "periods": selectors.periods(scheme)[:30],
        "close_form": CloseForm() if manage and scheme.status == SchemeStatus.ACTIVE else None,
        "recent": selectors.recent_periods(scheme, timezone.localdate()) if scheme.status != SchemeStatus.DRAFT
        else []})


@login_required
@require_POST
def scheme_action(request, pk: int, action: str):
    scheme = selectors.scheme_for(request.user, pk)
    if action not in ("activate", "new_version", "close"):
        raise Http404
    if not policy.may_manage(request.user, scheme):
        access.refuse_forbidden(request.user, f"scoring.{'period_close' if action == 'close' else 'scheme_' + action}",
                                target=scheme)
    try:
        if action == "activate":
            services.scheme_activate(actor=request.user, scheme=scheme)
            messages.success(request, "考核方案已施行；此前施行的同类方案已停用。")
        elif action == "new_version":
            draft = services.scheme_new_version(actor=request.user, scheme=scheme)
            messages.success(request, f"已生成第{draft.version}版草稿，修改后点击“施行”。")
            return redirect("scoring:scheme", pk=draft.pk)
        else:
            form = CloseForm(request.POST)
            if not form.is_valid():
                messages.error(request, "请选择考核周期并填写考核期内的日期")
                return redirect("scoring:scheme", pk=scheme.pk)
            period = services.period_close(actor=request.user, scheme=scheme, kind=form.cleaned_data["kind"],
                                           day=form.cleaned_data["day"])
            messages.success(request, f"{period.label}已关闭，排名已生成（第{period.version}版）。")
            return redirect("scoring:period", pk=period.pk)
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("scoring:scheme", pk=scheme.pk)


PAGE_SIZE = 100


def _version(request, period) -> int:
    """The version asked for (``?version=N``, an archived ranking), else the current one."""
    text = (request.GET.get("version") or "").strip()
    if text.isascii() and text.isdigit() and 1 <= int(text) <= period.version:
        return int(text)
    return period.version


@login_required
@require_GET
def period_detail(request, pk: int):
    period = selectors.period_for(request.user, pk)
    manage = policy.may_manage(request.user, period.scheme)
    version = _version(request, period)
    rows = selectors.ranking(request.user, period, version)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    total, ranked = selectors.peers_count(period)
    visible = rows.filter(honour__in=["red", "yellow"])
    page.object_list = list(page.object_list)   # read once: the header, the rows and the pager use it
    rows_html = ranking_rows_html(period, page.object_list,
                                  8 + (len(page.object_list[0].components) if page.object_list else 0))
    return render(request, "scoring/period.html", {
        "period": period, "scheme": period.scheme, "page": page, "rows_html": rows_html, "manage": manage, "total": total, "ranked": ranked,
        "red": [r for r in visible if r.honour == "red"], "yellow": [r for r in visible if r.honour == "yellow"],
        "steps": selectors.steps(request.user, period), "closed": period.status == PeriodStatus.CLOSED,
        "reopen_form": ReasonForm() if manage else None, "proposed": StepStatus.PROPOSED,
        "verify": selectors_verify(request, period, manage), "version": version,
        "versions": range(period.version, 0, -1), "params": {"version": version} if version != period.version else {}})


@login_required
@require_GET
def period_export(request, pk: int):
    """The ranking the viewer sees, as an Excel sheet (audited)."""
    period = selectors.period_for(request.user, pk)
    version = _version(request, period)
    rows = list(selectors.ranking(request.user, period, version))
    labels = [p["label"] for p in rows[0].components] if rows else []
    header = ["名次", "单位", "总分", "项目得分", "较上期"] + labels + ["加减分", "测评点位", "榜单", "未排名原因"]
    data = [[r.rank or "", r.unit_name, float(r.total), float(r.base),
             "" if r.change is None else float(r.change)]
            + [float(p["points"]) if p["points"] is not None else "" for p in r.components]
            + ["；".join(f"{a['title']}{'+' if a['kind'] == 'bonus' else '-'}{a['points']}" for a in r.adjustments),
               r.sample, {"red": "红旗榜", "yellow": "黄牌榜"}.get(r.honour, ""), r.mark] for r in rows]
    title = f"{period.scheme.name}{period.label}排名"
    body = workbook_bytes(re.sub(r"[\[\]:*?/\\]", "", title)[:31] or "排名", header, data)
    audit.download(actor=request.user, what="考核排名", rows=len(data), target=period, unit=period.scheme.owner,
                   version=version)
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{title}（第{version}版）.xlsx")
    response["Cache-Control"] = "private, no-store"
    return response


def selectors_verify(request, period, manage) -> list[str] | None:
    """复算核对 on demand (``?verify=1``, managers only): the differences, [] when none."""
    if not manage or request.GET.get("verify") != "1" or period.status != PeriodStatus.CLOSED:
        return None
    return services.verify_period(period)


@login_required
@require_POST
def period_action(request, pk: int, action: str):
    period = selectors.period_for(request.user, pk)
    if action != "reopen":
        raise Http404
    if not policy.may_manage(request.user, period.scheme):
        access.refuse_forbidden(request.user, "scoring.period_reopen", target=period)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError("请填写重新开启的理由（不超过200字）")
        services.period_reopen(actor=request.user, period=period, reason=form.cleaned_data["reason"])
        messages.success(request, f"{period.label}已重新开启；原排名作为第{period.version}版存档。")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("scoring:period", pk=period.pk)


@login_required
@require_GET
def score_detail(request, pk: int, unit_pk: int):
    period = selectors.period_for(request.user, pk)
    score = selectors.score_for(request.user, period, unit_pk)
    total, ranked = selectors.peers_count(period)
    return render(request, "scoring/score.html", {
        "period": period, "score": score, "total": total, "ranked": ranked,
        "rounds": selectors.rounds_behind(request.user, score),
        "problems": selectors.problems_behind(request.user, period, score),
        "notices": selectors.notices_behind(request.user, period, score),
        "adjustments": selectors.adjustments_behind(request.user, score),
        "trend": selectors.trend(request.user, period, unit_pk)})


@login_required
@require_POST
def step_decide(request, pk: int):
    from .models import WarningStep

    step = WarningStep.objects.filter(pk=pk).select_related("period__scheme", "unit").first()
    if step is None or not selectors.steps(request.user, step.period).filter(pk=pk).exists() or \
            not selectors.schemes(request.user).filter(pk=step.period.scheme_id).exists():
        access.refuse_not_found(request.user, "scoring.step", target=f"step:{pk}")
    if not policy.may_manage(request.user, step.period.scheme):
        access.refuse_forbidden(request.user, "scoring.step_decide", target=step.unit)
    decision = request.POST.get("decision")
    try:
        if decision not in ("accept", "dismiss"):
            raise ServiceError("请选择“采纳”或“不予采纳”")
        services.step_decide(actor=request.user, step=step, accept=decision == "accept",
                             note=request.POST.get("note", "")[:500])
        messages.success(request, f"已记录对{step.unit.name}的决定。")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("scoring:period", pk=step.period_id)


@login_required
@require_http_methods(["GET", "POST"])
def adjustment_list(request):
    _require_view(request)
    may_enter = policy.may_create(request.user)
    form = AdjustmentForm(request.POST or None, user=request.user) if may_enter else None
    if request.method == "POST":
        if not may_enter:
            access.refuse_forbidden(request.user, "scoring.adjustment_add")
        uploads = request.FILES.getlist("photos")
        if form.is_valid():
            try:
                if len(uploads) > MAX_EVIDENCE_PHOTOS:
                    raise ServiceError(f"证据照片最多{MAX_EVIDENCE_PHOTOS}张", field="photos")
                processed = [process_photo(read_upload(f), filename=f.name) for f in uploads]
                data = form.cleaned_data
                with files_removed_on_failure() as stored, transaction.atomic():
                    photos = [photo_create(actor=request.user, processed=p, unit=data["unit"]) for p in processed]
                    stored.extend(photos)
                    services.adjustment_add(
                        actor=request.user, unit=data["unit"], kind=data["kind"], occurred_on=data["occurred_on"],
                        title=data["title"], points=data.get("points"), effect=data.get("effect") or "",
                        cap=data.get("cap"), source=data.get("source") or "", description=data.get("description") or "",
                        photos=photos)
            except ServiceError as error:
                show_on_form(form, error)
            else:
                messages.success(request, "加减分事项已录入，将计入其发生日期所在考核期（关闭时计算）。")
                return redirect("scoring:adjustments")
    page = Paginator(selectors.adjustments(request.user), 50).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.withdrawable = entry.withdrawn_at is None and policy.may_enter_for(request.user, entry.unit)
    return render(request, "scoring/adjustments.html", {"form": form, "page": page,
                                                        "max_photos": MAX_EVIDENCE_PHOTOS})


@login_required
@require_POST
def adjustment_withdraw(request, pk: int):
    entry = selectors.adjustment_for(request.user, pk)
    if not policy.may_enter_for(request.user, entry.unit):
        access.refuse_forbidden(request.user, "scoring.adjustment_withdraw", target=entry, unit=entry.unit)
    try:
        services.adjustment_withdraw(actor=request.user, adjustment=entry, reason=request.POST.get("reason", "")[:500])
        messages.success(request, "已撤销；此后关闭的考核期不再计入。")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("scoring:adjustments")


@login_required
@require_http_methods(["GET", "POST"])
def ledger_list(request):
    _require_view(request)
    may_enter = policy.may_create(request.user)
    form = LedgerForm(request.POST or None, user=request.user) if may_enter else None
    if request.method == "POST":
        if not may_enter:
            access.refuse_forbidden(request.user, "scoring.ledger_add")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.ledger_add(actor=request.user, unit=data["unit"], period=None, kind=data["kind"],
                                    amount=data.get("amount"), note=data["note"])
            except ServiceError as error:
                show_on_form(form, error)
            else:
                messages.success(request, "已记入奖惩台账。")
                return redirect("scoring:ledger")
    page = Paginator(selectors.ledger(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "scoring/ledger.html", {"form": form, "page": page})

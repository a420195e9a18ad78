"""The lists of problems: the ledger (问题台账) with its filters, a unit's problems, those
awaiting verification, the office's to-do list, the user's notifications and the public list of
closed problems (结单公示)."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from wenming.core import access
from wenming.org.models import Unit

from .. import policy
from ..intake import services
from ..models import Category, Severity, Source, State
from . import selectors


def _parse_day(text: str, end: bool = False):
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except (TypeError, ValueError):
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def ledger_filter(request) -> tuple[selectors.LedgerFilter, list[str]]:
    params, errors = request.GET, []
    f = selectors.LedgerFilter(state=params.get("state", ""), source=params.get("source", ""),
                               severity=params.get("severity", ""), overdue=params.get("overdue") == "1",
                               open_only=params.get("open") == "1", text=params.get("q", "").strip())
    if f.state and f.state not in State.values:
        errors.append("状态筛选无效")
        f.state = ""
    if f.source and f.source not in Source.values:
        errors.append("来源筛选无效")
        f.source = ""
    if f.severity and f.severity not in Severity.values:
        errors.append("严重程度筛选无效")
        f.severity = ""
    if params.get("unit"):
        f.unit = Unit.objects.filter(code=params["unit"].strip()).first()
        if f.unit is None or not access.scope_for(request.user).sees_unit(f.unit):
            errors.append("找不到该单位编码，或该单位不在您的范围内")
            f.unit = Unit(path="/-/")  # matches nothing
    if params.get("category"):
        f.category = Category.objects.filter(code=params["category"]).first()
        if f.category is None:
            errors.append("类别筛选无效")
    for name in ("start", "end"):
        if params.get(name):
            value = _parse_day(params[name], end=name == "end")
            if value is None:
                errors.append(("开始" if name == "start" else "结束") + "日期格式应为 年-月-日")
            setattr(f, name, value)
    return f, errors


@login_required
@require_GET
def ledger(request):
    if not policy.may_view_ledger(request.user):
        access.refuse_forbidden(request.user, "cases.ledger")
    f, errors = ledger_filter(request)
    qs = selectors.ledger(request.user, f)
    page = Paginator(selectors.ledger_rows(qs), 50).get_page(request.GET.get("page"))
    categories = Category.objects.filter(parent__isnull=True).prefetch_related("children")
    return render(request, "cases/ledger.html", {
        "page": page, "errors": errors, "params": request.GET, "counts": selectors.state_counts(qs),
        "states": State.choices, "sources": Source.choices, "severities": Severity.choices,
        "categories": categories, "may": {"import": policy.may_import(request.user)},
        "unit_chosen": f.unit if f.unit is not None and f.unit.pk else None,
    })


@login_required
@require_GET
def mine(request):
    if not policy.may_view_unit_list(request.user):
        access.refuse_forbidden(request.user, "cases.mine")
    show = request.GET.get("show", "")
    show = show if show in selectors.MINE_VIEWS else ""
    page = Paginator(selectors.mine_filtered(selectors.my_unit_problems(request.user), show), 50).get_page(
        request.GET.get("page"))
    return render(request, "cases/mine.html", {"problems": page, "page": page, "params": request.GET, "show": show,
                                               "views": selectors.MINE_VIEWS, "now": timezone.now()})


@login_required
@require_GET
def verify_list(request):
    if not policy.may_view_verify_list(request.user):
        access.refuse_forbidden(request.user, "cases.verify")
    page = Paginator(selectors.awaiting_verification(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "cases/verify.html", {"problems": page, "page": page, "params": request.GET})


@login_required
@require_GET
def todo(request):
    if not policy.may_view_office_todo(request.user):
        access.refuse_forbidden(request.user, "cases.todo")
    page = Paginator(selectors.office_inbox(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "cases/todo.html", {"problems": page, "page": page, "params": request.GET})


@login_required
@require_GET
def notifications(request):
    items = Paginator(request.user.notifications.select_related("problem"), 30).get_page(request.GET.get("page"))
    # a message about a problem stays, its link only while the user still sees the problem (one
    # given to another unit since is not his to open)
    visible = policy.visible_problem_ids(request.user, {n.problem_id for n in items})
    links = {n.pk for n in items if n.url and (n.problem_id is None or n.problem_id in visible)}
    return render(request, "cases/notifications.html", {"page": items, "params": request.GET, "may": {"links": links}})


@login_required
@require_POST
def notifications_read(request):
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("cases:notifications")


def public_closed(request):
    """结单公示: closed problems with before/after photos, no personal data. No login."""
    page = Paginator(selectors.public_closed(), 20).get_page(request.GET.get("page"))
    return render(request, "cases/public.html", {"page": page, "params": request.GET})


@login_required
@require_GET
def reported(request):
    """我反映的问题: what the user reported, newest first, with the 查询码 of each."""
    if not policy.may_report(request.user):
        access.refuse_forbidden(request.user, "cases.reported")
    page = Paginator(selectors.reported_by(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "cases/reported.html", {"page": page, "params": request.GET})


@require_GET
def track(request):
    """问题查询 (public, no login): a problem by its 查询码 — its state, the replies and, once
    closed, the photos after rectification. Nothing personal; without the code, nothing."""
    code = services.normal_tracking_code(request.GET.get("code"))
    found = selectors.tracked(code) if code else None
    return render(request, "cases/track.html", {"code": request.GET.get("code", "")[:20], "asked": bool(code),
                                                "found": found})

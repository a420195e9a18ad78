"""Pages of the rectification loop. Views parse input, call a selector or a service, render."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access
from wenming.core.errors import ServiceError
from wenming.core.photos import PhotoError, process_photo, read_upload
from wenming.core.services_photos import delete_files, files_removed_on_failure, photo_create
from wenming.org.models import Unit, User

from . import policy, routing, selectors, selectors_notices, services, sla
from .forms import ActionForm, ReportForm
from .models import Category, Problem, Severity, Source, State
from .workflow import BY_ACTION, accepts

MAX_PHOTOS = 9


def processed_photos(request, field: str) -> list:
    """Validate and process every uploaded photo (ServiceError / PhotoError, Chinese messages) —
    the image work done once and before the transaction, so no lock is held during it."""
    files = request.FILES.getlist(field)
    if len(files) > MAX_PHOTOS:
        raise ServiceError(f"一次最多上传{MAX_PHOTOS}张照片")
    return [process_photo(read_upload(upload), filename=upload.name) for upload in files]


@contextmanager
def photo_transaction():
    """One transaction for the photos and the rows that use them; yields the list that
    :func:`store_photos` fills, whose files are deleted if the transaction fails."""
    with files_removed_on_failure() as stored, transaction.atomic():
        yield stored


def report_with_photos(request, intake, processed: list, key: str | None):
    """``services.problem_report`` with the photos stored in its transaction. A repeated
    idempotency key (a retried upload) answers with the first problem and keeps none of the
    photos sent again: their rows are rolled back and their files deleted."""
    with photo_transaction() as stored:
        photos = store_photos(request, processed, intake.area, stored)
        problem, created = services.problem_report(actor=request.user, intake=intake, photos=photos,
                                                   idempotency_key=key)
        if not created:
            transaction.set_rollback(True)
    if not created:
        delete_files(stored)
    return problem, created


def verifier_named(username: str, problem: Problem) -> User:
    """The account a problem's verification is given to (交办 with a 复核人): an inspector or office
    member over the problem. A missing account and one that may not verify get the same answer,
    so the form does not tell which account names exist; the service checks again against the
    unit the problem is assigned to."""
    verifier = User.objects.filter(policy.verifier_filter(problem), username=str(username).strip()).first()
    if verifier is None:
        raise ServiceError(policy.VERIFIER_REFUSED, field="verifier")
    return verifier


def store_photos(request, processed: list, unit, stored: list) -> list:
    """Store processed photos inside :func:`photo_transaction` (``stored`` is what it yielded)."""
    photos = [photo_create(actor=request.user, processed=photo, unit=unit) for photo in processed]
    stored.extend(photos)
    return photos


def coordinate(text: str | None, bound: int) -> Decimal | None:
    """A latitude (bound 90) or longitude (180) from a query string; None for anything else
    (empty, not a number, NaN, infinite, out of range)."""
    try:
        value = Decimal((text or "").strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or abs(value) > bound:
        return None
    return value.quantize(Decimal("0.000001"))


# --- intake -------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def report(request):
    if not policy.may_report(request.user):
        access.refuse_forbidden(request.user, "cases.report")
    initial = {}
    own = access.scope_for(request.user).own_unit_ids
    if own:
        initial["area"] = Unit.objects.filter(pk__in=own).values_list("code", flat=True).first()
    form = ReportForm(request.POST or None, user=request.user, initial=initial)
    suggestion = duplicates = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        intake = services.Intake(
            title=data["title"], category=data["category"], area=data["area"], description=data["description"],
            severity=data["severity"], source=data["source"], address=data["address"],
            latitude=data["latitude"], longitude=data["longitude"])
        try:
            processed = processed_photos(request, "photos")
            problem, _ = report_with_photos(request, intake, processed, request.POST.get("idempotency_key") or None)
        except PhotoError as error:
            form.add_error(None, f"照片：{error}")
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"已提交问题 {problem.code}")
            return redirect("cases:detail", code=problem.code)
    return render(request, "cases/report.html", {"form": form, "suggestion": suggestion, "duplicates": duplicates,
                                                 "idempotency_key": timezone.now().strftime("%Y%m%d%H%M%S%f")})


@login_required
@require_GET
def nearby(request):
    """The report form asks, as the reporter fills it in, for open problems of the same category
    at the same place (htmx fragment): a duplicate is better followed than reported again."""
    category_id = request.GET.get("category") or ""
    category = Category.objects.filter(pk=int(category_id)).first() if category_id.isascii() and category_id.isdigit() else None
    area = Unit.objects.filter(code=(request.GET.get("area") or "").replace("\x00", "").strip()).first()
    found = []
    if category is not None and area is not None and policy.may_report_in(request.user, area):
        lat, lon = coordinate(request.GET.get("latitude"), 90), coordinate(request.GET.get("longitude"), 180)
        if lat is None or lon is None:
            lat = lon = None
        radius = sla.case_settings().duplicate_radius_m
        found = services.open_problems_near(category=category, area=area, latitude=lat, longitude=lon,
                                            address=request.GET.get("address", ""), radius_m=radius)
    return render(request, "cases/_nearby.html", {"nearby": found})


# --- one problem ------------------------------------------------------------------------------------

@login_required
@require_GET
def detail(request, code: str):
    problem = selectors.problem_get(request.user, code)
    pending = selectors.problem_pending_request(problem)
    available = services.available_actions(request.user, problem, pending)
    context = {
        "problem": problem, "pending": pending, "actions": available,
        "timeline": selectors.problem_timeline(problem), "photos": selectors.problem_photos(problem),
        "notices": selectors_notices.problem_notices(request.user, problem), "form": ActionForm(),
        "accepts": {t.action: accepts(t) for t in available},
        "show_reporter": policy.may_see_reporter(request.user, problem),
        # links the page may show: only where the viewer may follow them
        "may": {"ledger": policy.may_view_ledger(request.user),
                "unit_list": policy.may_view_unit_list(request.user),
                "recurrence_of": policy.may_view_problem(request.user, problem.recurrence_of),
                "merged_into": policy.may_view_problem(request.user, problem.merged_into)},
    }
    if any(t.action == "assign" for t in available):
        context["verifiers"] = selectors.verifier_choices(request.user, problem)
    if any(t.action in {"assign", "reassign"} for t in available):
        context["suggestion"] = routing.suggest(problem.category, problem.area)
        context["duplicates"] = selectors.duplicates_near(
            request.user, category=problem.category, area=problem.area, latitude=problem.latitude,
            longitude=problem.longitude, address=problem.address, exclude_pk=problem.pk)
    return render(request, "cases/detail.html", context)


@login_required
@require_POST
def act(request, code: str, action: str):
    problem = selectors.problem_get(request.user, code)
    if action not in BY_ACTION:
        access.refuse_not_found(request.user, "cases.action", f"{code} {action}")
    services.require_may_act(request.user, problem, action)  # before anything sent is looked at
    form = ActionForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
        return redirect("cases:detail", code=code)
    data = form.cleaned_data
    try:
        processed = processed_photos(request, "photos")
        with photo_transaction() as stored:
            unit = None
            if data["unit"]:
                unit = Unit.objects.filter(code=data["unit"].strip(), is_active=True).first()
                if unit is None or not access.scope_for(request.user).sees_unit(unit):
                    raise ServiceError(f"找不到编码为{data['unit']}的单位，或不在您的范围内")
            keep = None
            if data["keep"]:
                keep = selectors.problems_visible_to(request.user).filter(code=data["keep"].strip()).first()
                if keep is None:
                    raise ServiceError(f"找不到编号为{data['keep']}的问题")
            verifier = verifier_named(data["verifier"], problem) if data["verifier"] else None
            deadline = data["deadline"]
            if deadline is not None and timezone.is_naive(deadline):
                deadline = timezone.make_aware(deadline)
            photos = store_photos(request, processed, problem.unit or problem.area, stored)
            result = services.perform(actor=request.user, problem=problem, action=action, note=data["note"],
                                      reason=data["reason"], unit=unit, deadline=deadline, keep=keep,
                                      verifier=verifier, photos=photos)
    except (ServiceError, PhotoError) as error:
        messages.error(request, getattr(error, "message", str(error)))
        return redirect("cases:detail", code=code)
    messages.success(request, f"{BY_ACTION[action].label}：已完成")
    if action == "recur":
        return redirect("cases:detail", code=result.code)
    if not selectors.problems_visible_to(request.user).filter(pk=problem.pk).exists():
        return redirect("cases:mine")  # returned to the office, no longer ours
    return redirect("cases:detail", code=code)


# --- lists -------------------------------------------------------------------------------------------

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
    })


@login_required
@require_GET
def mine(request):
    if not policy.may_view_unit_list(request.user):
        access.refuse_forbidden(request.user, "cases.mine")
    problems = list(selectors.my_unit_problems(request.user)[:200])
    return render(request, "cases/mine.html", {"problems": problems, "now": timezone.now()})


@login_required
@require_GET
def verify_list(request):
    if not policy.may_view_verify_list(request.user):
        access.refuse_forbidden(request.user, "cases.verify")
    return render(request, "cases/verify.html", {"problems": selectors.awaiting_verification(request.user)[:200]})


@login_required
@require_GET
def todo(request):
    if not policy.may_view_office_todo(request.user):
        access.refuse_forbidden(request.user, "cases.todo")
    return render(request, "cases/todo.html", {"problems": selectors.office_inbox(request.user)[:200]})


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


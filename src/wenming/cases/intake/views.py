"""Pages of intake: the report form (随手拍/报告问题) and its duplicate hint."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from wenming.core import access
from wenming.core.errors import ServiceError
from wenming.core.models import Photo
from wenming.core.photos import PhotoError
from wenming.core.services_photos import delete_files, photo_create
from wenming.org.models import Unit, UnitKind

from .. import policy, selectors
from ..models import Category, ProblemPhoto
from ..uploads import MAX_PHOTOS, photo_transaction, processed_photos, store_photos
from . import locate, services
from .forms import ReportForm


def report_with_photos(request, intake, processed: list, key: str | None, kept=()):
    """``services.problem_report`` with the photos stored in its transaction. A repeated
    idempotency key (a retried upload) answers with the first problem and keeps none of the
    photos sent again: their rows are rolled back and their files deleted."""
    with photo_transaction() as stored:
        photos = list(kept) + store_photos(request, processed, intake.area, stored)
        problem, created = services.problem_report(actor=request.user, intake=intake, photos=photos,
                                                   idempotency_key=key)
        if not created:
            transaction.set_rollback(True)
    if not created:
        delete_files(stored)
    return problem, created


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


MAX_KEPT_AGE = timedelta(days=2)


def kept_photos(request) -> list[Photo]:
    """The photos of an earlier try of this form (stored when it came back with an error) that
    the reporter kept: his own, recent, and not yet part of any problem."""
    ids = [int(v) for v in request.POST.getlist("kept_photo") if v.isascii() and v.isdigit() and len(v) < 12]
    if not ids:
        return []
    used = set(ProblemPhoto.objects.filter(photo_id__in=ids).values_list("photo_id", flat=True))
    found = Photo.objects.filter(pk__in=ids, uploaded_by=request.user,
                                 created_at__gte=timezone.now() - MAX_KEPT_AGE).exclude(pk__in=used)
    return list(found.order_by("pk")[:MAX_PHOTOS])


def keep_for_next_try(request, processed: list, kept: list[Photo]) -> list[Photo]:
    """The form came back with an error: store the photos just sent, so the reporter need not
    choose them again (their rows stay his alone until a report uses them)."""
    room = MAX_PHOTOS - len(kept)
    return kept + [photo_create(actor=request.user, processed=photo) for photo in processed[:max(room, 0)]]


def default_area(user) -> str:
    """A grid worker's grid, a community's own staff's community: where they stand anyway. Others
    (a citizen of the city, an inspector) are located."""
    own = access.scope_for(user).own_unit_ids
    unit = Unit.objects.filter(pk__in=own, kind__in=[UnitKind.GRID, UnitKind.COMMUNITY]).order_by("-depth").first()
    return unit.code if unit is not None and policy.may_report_in(user, unit) else ""


@login_required
@require_http_methods(["GET", "POST"])
def report(request):
    if not policy.may_report(request.user):
        access.refuse_forbidden(request.user, "cases.report")
    initial = {"area": default_area(request.user)}
    if not policy.may_classify_report(request.user) and request.user.phone:
        initial["reporter_phone"] = request.user.phone
    form = ReportForm(request.POST or None, user=request.user, initial=initial)
    kept: list[Photo] = []
    if request.method == "POST":
        kept = kept_photos(request)
        processed = []
        try:
            processed = processed_photos(request, "photos")
            if len(processed) + len(kept) > MAX_PHOTOS:
                raise ServiceError(f"一次最多上传{MAX_PHOTOS}张照片", field="photos")
        except PhotoError as error:
            form.add_error(None, f"照片：{error}")
        except ServiceError as error:
            form.add_error(None, error.message)
        if form.is_valid():
            intake = services.Intake(**form.intake_values())
            try:
                problem, _ = report_with_photos(request, intake, processed, request.POST.get("idempotency_key") or None,
                                                kept=kept)
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, f"已提交问题 {problem.code}，查询码 {problem.tracking_display}"
                                          "（凭查询码可在“问题查询”页查看办理进度）")
                return redirect("cases:detail", code=problem.code)
        kept = keep_for_next_try(request, processed, kept)
    area = form["area"].value()
    place = Unit.objects.filter(code=str(area or "").strip()[:18], is_active=True).first() if area else None
    if place is not None and not policy.may_report_in(request.user, place):
        place = None
    return render(request, "cases/report.html", {
        "form": form, "kept": kept, "place": place, "max_photos": MAX_PHOTOS,
        "idempotency_key": request.POST.get("idempotency_key") or timezone.now().strftime("%Y%m%d%H%M%S%f")})


@login_required
@require_GET
def nearby(request):
    """The report form asks, as the reporter fills it in, for problems of the same category at
    the same place (htmx fragment): an open one — a duplicate is better followed than reported
    again; one closed lately — the report will be its 反弹."""
    category_id = request.GET.get("category") or ""
    category = Category.objects.filter(pk=int(category_id)).first() if category_id.isascii() and category_id.isdigit() else None
    area = Unit.objects.filter(code=(request.GET.get("area") or "").replace("\x00", "").strip()).first()
    found = {}
    if category is not None and area is not None and policy.may_report_in(request.user, area):
        lat, lon = coordinate(request.GET.get("latitude"), 90), coordinate(request.GET.get("longitude"), 180)
        if lat is None or lon is None:
            lat = lon = None
        matches = services.open_problems_near(category=category, area=area, latitude=lat, longitude=lon,
                                              address=(request.GET.get("address") or "")[:200])
        found = selectors.place_problems(request.user, matches)
    return render(request, "cases/_nearby.html", {"nearby": found})


def _may_report(request) -> None:
    if not policy.may_report(request.user):
        access.refuse_forbidden(request.user, "cases.report")


@login_required
@require_GET
def place(request):
    """Where the report stands (htmx fragment for the report form): from ``latitude`` and
    ``longitude`` (the phone, or a point picked on the plan) by ``intake.locate``, or the unit
    picked by name (``area``). Fills the form's hidden place field; never asks for a code."""
    _may_report(request)
    lat, lon = coordinate(request.GET.get("latitude"), 90), coordinate(request.GET.get("longitude"), 180)
    code = (request.GET.get("area") or "").replace("\x00", "").strip()[:18]
    found = locate.Located(None)
    if code:
        unit = Unit.objects.filter(code=code, is_active=True).first()
        if unit is not None and policy.may_report_in(request.user, unit):
            found = locate.Located(unit, "picked")
    elif lat is not None and lon is not None:
        found = locate.locate(request.user, lat, lon)
    response = render(request, "cases/_place.html", {"located": found, "asked": bool(code or lat is not None),
                                                     "latitude": lat, "longitude": lon})
    response["HX-Trigger"] = "placed"  # the duplicate hint looks again
    return response


@login_required
@require_GET
def areas(request):
    """The name-search picker: units the reporter may report in whose name matches."""
    _may_report(request)
    query = (request.GET.get("q") or "")[:50]
    return render(request, "cases/_areas.html", {"units": locate.search_areas(request.user, query), "q": query.strip()})


@login_required
@require_GET
def plan(request):
    """The plan view (示意图): the boundaries under a unit as SVG; a unit with boundaries below it
    opens on a tap, a tap inside the lowest level is the problem's point."""
    _may_report(request)
    code = (request.GET.get("unit") or "").replace("\x00", "").strip()[:18]
    unit = None
    if code:
        unit = Unit.objects.filter(code=code, is_active=True).first()
        if unit is None or not policy.may_report_in(request.user, unit):
            unit = None
            code = ""
    drawing = locate.plan_for(request.user, unit)
    return render(request, "cases/_plan.html", {"plan": drawing})

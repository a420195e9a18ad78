"""Pages of intake: the report form (随手拍/报告问题) and its duplicate hint."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from wenming.core import access
from wenming.core.errors import ServiceError
from wenming.core.photos import PhotoError
from wenming.core.services_photos import delete_files
from wenming.org.models import Unit

from .. import policy
from ..escalation import sla
from ..models import Category
from ..uploads import photo_transaction, processed_photos, store_photos
from . import services
from .forms import ReportForm


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

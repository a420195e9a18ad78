"""Pages of points: the list with its scatter chart, a point's page, the office's forms, import
and export, the QR code that opens a point on a phone and the printable QR sheet. Views only
parse input, call a selector or a service and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, audit
from wenming.core.photos import PhotoError, read_upload
from wenming.core.sheets import SheetError
from wenming.inspections import selectors as inspection_selectors
from wenming.inspections.models import RoundPoint
from wenming.org.models import User
from wenming.standards.selectors import items_for_type

from . import qr, selectors, services, transfer
from .forms import ImportForm, PhotoForm, PointForm

PAGE_SIZE = 50
SHEET_LIMIT = 500
LABELS_PER_PAGE = 12  # 3 × 4 on an A4 sheet


def _require_view(user) -> None:
    if not access.scope_for(user).has("org.view"):
        access.refuse_forbidden(user, "places.view")


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


# --- list, chart, detail ---------------------------------------------------------------------------

@login_required
@require_GET
def point_list(request):
    _require_view(request.user)
    filters = selectors.parse_filters(request.user, request.GET)
    page = Paginator(selectors.for_table(selectors.filtered(request.user, filters)), PAGE_SIZE).get_page(
        request.GET.get("page"))
    params = filters.params()
    type_counts = selectors.type_counts(request.user, filters)
    others = {key: value for key, value in params.items() if key != "type"}
    for row in type_counts:  # a chip selects its type, or clears the selection when it is the one chosen
        chosen = filters.point_type is not None and row["type"].pk == filters.point_type.pk
        row["query"] = _query(others if chosen else {**others, "type": row["type"].code})
    return render(request, "places/list.html", {
        "page": page, "filters": filters, "params": params, "query": _query(params),
        "type_counts": type_counts,
        "unit_options": selectors.unit_options(request.user),
        "may_manage": services.may_manage(request.user),
    })


@login_required
@require_GET
def scatter(request):
    """The filtered points with coordinates, for the chart on the list page."""
    _require_view(request.user)
    filters = selectors.parse_filters(request.user, request.GET)
    return JsonResponse(selectors.scatter(request.user, filters))


@login_required
@require_GET
def point_detail(request, code: str):
    point = selectors.point_for(request.user, code=code)
    system = selectors.active_system()
    items = list(items_for_type(system, point.point_type_id)) if system is not None else []
    open_problems, past_problems = selectors.problems_at(request.user, point)
    return render(request, "places/detail.html", {
        "point": point, "system": system, "items": items, "other_active": selectors.other_active_systems(system),
        "history": inspection_selectors.point_history(request.user, point),
        "open_problems": open_problems, "past_problems": past_problems,
        "assignments": list(inspection_selectors.open_assignments_at(request.user, point)),
        "may_manage": services.may_manage(request.user, point.unit),
        "qr_svg": qr.svg(qr.point_url(request, point)), "qr_url": qr.point_url(request, point),
        "photo_form": PhotoForm(),
    })


# --- the office's forms ------------------------------------------------------------------------------

def _input_from(form: PointForm) -> services.PointInput | None:
    data = form.cleaned_data
    patron = None
    if data["patron"]:
        patron = User.objects.filter(username=data["patron"].strip()).first()
        if patron is None:
            form.add_error("patron", services.patron_error(data["patron"]))
            return None
    return services.PointInput(code=data["code"], name=data["name"], point_type=data["point_type"], unit=data["unit"],
                               area=data["area"], patron=patron, address=data["address"],
                               latitude=data["latitude"], longitude=data["longitude"])


def _form_errors(form: PointForm, error: services.PointInvalid) -> None:
    for field_name, message in error.errors.items():
        form.add_error(field_name if field_name in form.fields else None, message)


@login_required
@require_http_methods(["GET", "POST"])
def point_create(request):
    services.require_manage(request.user)
    form = PointForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = _input_from(form)
        if data is not None:
            try:
                point = services.point_create(actor=request.user, data=data)
            except services.PointInvalid as error:
                _form_errors(form, error)
            else:
                messages.success(request, f"已新建点位：{point.name}")
                return redirect("places:detail", code=point.code)
    return render(request, "places/form.html", {"form": form, "title": "新建点位"})


@login_required
@require_http_methods(["GET", "POST"])
def point_edit(request, code: str):
    point = selectors.point_for(request.user, code=code)
    services.require_manage(request.user, point)
    initial = {"code": point.code, "name": point.name, "point_type": point.point_type, "unit": point.unit.code,
               "area": point.area.code, "patron": point.patron.username if point.patron_id else "",
               "address": point.address, "latitude": point.latitude, "longitude": point.longitude}
    form = PointForm(request.POST if request.method == "POST" else None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = _input_from(form)
        if data is not None:
            try:
                point = services.point_update(actor=request.user, point=point, data=data)
            except services.PointInvalid as error:
                _form_errors(form, error)
            else:
                messages.success(request, "点位信息已保存")
                return redirect("places:detail", code=point.code)
    return render(request, "places/form.html", {"form": form, "point": point, "title": f"修改点位「{point.name}」"})


ACTIONS = {
    "regenerate-qr": (services.point_regenerate_qr, "已重新生成二维码，之前打印的二维码已失效，请重新打印张贴"),
    "deactivate": (services.point_deactivate, "点位已停用"),
    "activate": (services.point_activate, "点位已启用"),
}


@login_required
@require_POST
def point_action(request, code: str, action: str):
    point = selectors.point_for(request.user, code=code)
    if action not in ACTIONS:
        access.refuse_not_found(request.user, "places.action", target=f"Point {code} {action}")
    service, message = ACTIONS[action]
    point = service(actor=request.user, point=point)
    messages.success(request, message)
    return redirect("places:detail", code=point.code)


@login_required
@require_POST
def point_photo(request, code: str):
    point = selectors.point_for(request.user, code=code)
    services.require_manage(request.user, point)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择一张照片")
        return redirect("places:detail", code=point.code)
    upload = form.cleaned_data["photo"]
    try:
        services.point_set_photo(actor=request.user, point=point, data=read_upload(upload), filename=upload.name)
    except PhotoError as error:
        messages.error(request, f"照片：{error.message}")
    else:
        messages.success(request, "点位照片已更新")
    return redirect("places:detail", code=point.code)


# --- QR codes ----------------------------------------------------------------------------------------

@login_required
@require_GET
def qr_resolve(request, token: str):
    """Where a scanned QR code leads: the inspection form when the user has exactly one open
    assignment at the point, else the point's page."""
    point = selectors.points(request.user).filter(qr_token=token).only("pk", "code").first()
    if point is None:
        # an inspector sent to a point outside his usual territory still gets to his form
        rows = list(inspection_selectors.assignments(request.user).filter(point__qr_token=token)
                    .exclude(status=RoundPoint.Status.DONE)[:2])
        if len(rows) == 1:
            return redirect("inspections:inspect", pk=rows[0].pk)
        access.refuse_not_found(request.user, "places.point", target="Point qr")
    rows = list(inspection_selectors.open_assignments_at(request.user, point)[:2])
    if len(rows) == 1:
        return redirect("inspections:inspect", pk=rows[0].pk)
    return redirect("places:detail", code=point.code)


@login_required
@require_GET
def qr_sheet(request):
    """Labelled QR codes of the filtered points, 3 × 4 to an A4 page, for printing."""
    _require_view(request.user)
    filters = selectors.parse_filters(request.user, request.GET)
    qs = selectors.for_table(selectors.filtered(request.user, filters))
    points = list(qs[:SHEET_LIMIT + 1])
    total = len(points) if len(points) <= SHEET_LIMIT else qs.count()
    points = points[:SHEET_LIMIT]
    labels = [{"point": point, "svg": qr.svg(qr.point_url(request, point))} for point in points]
    pages = [labels[i:i + LABELS_PER_PAGE] for i in range(0, len(labels), LABELS_PER_PAGE)]
    params = filters.params()
    return render(request, "places/qr_sheet.html", {
        "pages": pages, "count": len(labels), "total": total, "limit": SHEET_LIMIT, "filters": filters,
        "query": _query(params)})


# --- import and export -------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def point_import(request):
    services.require_manage(request.user)
    post = request.method == "POST"
    form = ImportForm(request.POST if post else None, request.FILES if post else None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = transfer.import_points(actor=request.user, data=upload.read(), filename=upload.name)
        except SheetError as error:
            form.add_error("file", str(error))
        else:
            if report.ok:
                messages.success(request, f"导入成功：新建 {report.created} 个点位，更新 {report.updated} 个点位")
                return redirect("places:list")
    return render(request, "places/import.html", {"form": form, "report": report,
                                                  "point_types": selectors.PointType.objects.order_by("sort", "code")})


@login_required
@require_GET
def point_export(request):
    filters = selectors.parse_filters(request.user, request.GET)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    data, content_type = transfer.export_points(actor=request.user, filters=filters, fmt=fmt)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="points.{fmt}"'
    return response


@login_required
@require_GET
def point_template(request):
    services.require_manage(request.user)
    response = HttpResponse(transfer.template_sheet(), content_type=transfer.XLSX)
    audit.download(actor=request.user, what="点位导入模板", rows=transfer.TEMPLATE_ROWS)
    response["Content-Disposition"] = 'attachment; filename="point-template.xlsx"'
    return response

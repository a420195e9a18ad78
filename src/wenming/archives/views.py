"""Pages of the 创城档案: the archive's front page (the office's overview by requirement; a unit's own
requirements and their state), a requirement with a unit's materials (upload, review, withdraw, the linked
records), the completeness matrix and its Excel export, the review queue, the 迎检 readiness report, the
requirements' editing, 立即归集 and the 网上申报 package."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, audit, uploads
from wenming.core.errors import ServiceError, form_refusals, show_on_form
from wenming.core.parsing import parse_id
from wenming.core.sheets import workbook_bytes, xlsx_response
from wenming.core.uploads import read_all
from wenming.org.models import Unit
from wenming.standards.models import Indicator, PointType

from . import collect, completeness, links, package, policy, readiness, selectors, services
from .forms import RequirementForm, ReviewForm, UploadForm
from .models import MaterialType

MATRIX_COLUMNS = 30      # requirement columns of the matrix on one page
MATRIX_UNITS = 100       # unit rows on one page
NOT_APPLICABLE = mark_safe('<td class="muted" title="不适用">—</td>')




def _year(request) -> int:
    year = parse_id(request.GET.get("year"))
    return year if year and 2000 <= year <= 2100 else timezone.localdate().year




def _back(requirement_id: int, unit_id: int | None):
    url = reverse("archives:requirement", args=[requirement_id])
    return redirect(f"{url}?unit={unit_id}" if unit_id else url)


def _require_view(user) -> None:
    if not policy.may_view(user):
        access.refuse_forbidden(user, "archives.view")


@login_required
@require_GET
def home(request):
    _require_view(request.user)
    year = _year(request)
    system = selectors.system_in_use()
    oversees = policy.may_oversee(request.user)
    matrix = selectors.matrix(request.user, year, system=system) if oversees else None
    own = selectors.own_cells(request.user, year, system=system)
    own_rows = []
    for requirement in own.requirements:
        for unit in own.units:
            cell = own.cell(requirement.pk, unit.pk)
            if cell is not None:
                own_rows.append((requirement, unit, cell))
    rows = [(r, matrix.by_requirement.get(r.pk)) for r in matrix.requirements] if matrix else []
    return render(request, "archives/home.html", {
        "year": year, "system": system, "matrix": matrix, "rows": rows, "own_rows": own_rows,
        "states": list(completeness.STATE_LABELS.items()), "oversees": oversees,
        "totals": [(v, label, matrix.totals[v]) for v, label in completeness.STATE_LABELS.items()] if matrix else [],
        "manages": policy.may_manage(request.user), "reviews": policy.reviews_any(request.user),
        "waiting": selectors.waiting(request.user).count() if policy.reviews_any(request.user) else 0,
        "may_package": policy.may_export_package(request.user)})


@login_required
@require_GET
def requirement_detail(request, pk: int):
    _require_view(request.user)
    requirement = selectors.requirement_for(request.user, pk)
    year = _year(request)
    units = selectors.units_of(request.user, requirement)
    unit_id = parse_id(request.GET.get("unit"))
    unit = next((u for u in units if u.pk == unit_id), units[0] if len(units) == 1 else None)
    if unit_id is not None and unit is None:
        access.refuse_not_found(request.user, "archives.unit", target=f"unit:{unit_id}")
    matrix = completeness.compute([requirement], policy.unit_filter(request.user), year)
    page = Paginator([(u, matrix.cell(requirement.pk, u.pk)) for u in units], MATRIX_UNITS).get_page(
        request.GET.get("page"))
    evidence = list(selectors.evidence_of(request.user, requirement, unit=unit)) if unit else []
    found = links.urls(request.user, evidence)
    for item in evidence:
        item.link_url = found.get(item.pk)
        item.may_review = policy.may_review(request.user, item)
        item.may_withdraw = policy.may_withdraw(request.user, item)
    uploading = unit is not None and requirement.is_active and policy.may_upload(request.user, unit)
    form = UploadForm(units=[unit], initial={"year": year}) if uploading else None
    return render(request, "archives/requirement.html", {
        "requirement": requirement, "year": year, "page": page, "unit": unit, "evidence": evidence,
        "cell": matrix.cell(requirement.pk, unit.pk) if unit else None, "form": form,
        "review_form": ReviewForm(),
        "manages": policy.may_manage_requirement(request.user, requirement),
        "params": {"year": year}, "first_year": requirement.first_year(year)})


@login_required
@require_POST
def upload(request, pk: int):
    _require_view(request.user)
    requirement = selectors.requirement_for(request.user, pk)
    units = [u for u in selectors.units_of(request.user, requirement) if policy.may_upload(request.user, u)]
    if not units:
        access.refuse_forbidden(request.user, "archives.evidence_upload", target=requirement)
    form = UploadForm(request.POST, request.FILES, units=units)
    unit_id = parse_id(request.POST.get("unit"))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.evidence_upload(actor=request.user, requirement=requirement, unit=data["unit"], year=data["year"],
                                     title=data["title"], note=data["note"], happened_on=data["happened_on"],
                                     files=read_all(data["files"], label="材料文件"))
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"已上传“{data['title']}”，等待上级创建办审核。")
    else:
        messages.error(request, form_refusals(form))
    return _back(requirement.pk, unit_id)


@login_required
@require_POST
def review(request, pk: int, action: str):
    evidence = selectors.evidence_for(request.user, pk)
    if action not in ("accept", "return"):
        raise Http404
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "审核意见最多200个字")
    else:
        try:
            services.evidence_review(actor=request.user, evidence=evidence, accept=action == "accept",
                                     note=form.cleaned_data["note"])
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "已审核合格。" if action == "accept" else "已退回，上传单位会收到退回理由。")
    back = request.POST.get("next")
    if back == "waiting":
        return redirect("archives:waiting")
    return _back(evidence.requirement_id, evidence.unit_id)


@login_required
@require_POST
def withdraw(request, pk: int):
    evidence = selectors.evidence_for(request.user, pk)
    try:
        services.evidence_withdraw(actor=request.user, evidence=evidence)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已撤回“{evidence.title}”。")
    return _back(evidence.requirement_id, evidence.unit_id)


@login_required
@require_GET
def evidence_file(request, pk: int):
    stored = selectors.evidence_file_for(request.user, pk)
    return uploads.download(stored, actor=request.user, what="档案材料", unit=stored.evidence.unit)


@login_required
@require_GET
def waiting(request):
    if not policy.reviews_any(request.user):
        access.refuse_forbidden(request.user, "archives.evidence_review")
    page = Paginator(selectors.waiting(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "archives/waiting.html", {"page": page, "params": {}, "review_form": ReviewForm()})


def _matrix(request):
    if not policy.may_oversee(request.user):
        access.refuse_forbidden(request.user, "archives.matrix")
    year = _year(request)
    material_type = request.GET.get("type") or ""
    if material_type not in MaterialType.values:
        material_type = ""
    state = request.GET.get("state") or ""
    if state not in completeness.STATE_LABELS:
        state = ""
    matrix = selectors.matrix(request.user, year, system=selectors.system_in_use(), material_type=material_type)
    units = [u for u in matrix.units if not state or matrix.by_unit.get(u.pk, {}).get(state)]
    return matrix, units, year, material_type, state


@login_required
@require_GET
def matrix_page(request):
    matrix, units, year, material_type, state = _matrix(request)
    columns = Paginator(matrix.requirements, MATRIX_COLUMNS).get_page(request.GET.get("cp"))
    page = Paginator(units, MATRIX_UNITS).get_page(request.GET.get("page"))
    # each row's cells as HTML made here (escaped by format_html): a table of 100 × 30 cells renders quickly
    heads = [(r, reverse("archives:requirement", args=[r.pk])) for r in columns]
    rows = []
    for unit in page:
        cells = []
        for r, href in heads:
            c = matrix.cell(r.pk, unit.pk)
            cells.append(format_html('<td class="cell-{}" title="{} {}"><a href="{}?unit={}&amp;year={}">{}/{}</a></td>',
                                     c.state, r.code, c.label, href, unit.pk, year, c.accepted, c.needed) if c
                         else NOT_APPLICABLE)
        rows.append((unit, mark_safe("".join(cells)), matrix.by_unit.get(unit.pk)))  # noqa: S308 (escaped above)
    params = {k: v for k, v in {"year": year, "type": material_type, "state": state, "cp": columns.number}.items()
              if v}
    return render(request, "archives/matrix.html", {
        "matrix": matrix, "columns": columns, "rows": rows, "page": page, "year": year, "params": params,
        "column_params": {k: v for k, v in params.items() if k != "cp"}, "material_type": material_type,
        "state": state, "types": MaterialType.choices, "states": list(completeness.STATE_LABELS.items())})


@login_required
@require_GET
def matrix_export(request):
    matrix, units, year, _, _ = _matrix(request)
    header = ["单位"] + [f"{r.code} {r.title}" for r in matrix.requirements] + ["齐全", "部分", "退回", "缺失"]
    rows = []
    for unit in units:
        counts = matrix.by_unit.get(unit.pk, {})
        rows.append([unit.name] + [(f"{c.label}（{c.accepted}/{c.needed}）" if (c := matrix.cell(r.pk, unit.pk))
                                    else "—") for r in matrix.requirements]
                    + [counts.get(s, 0) for s in completeness.STATES])
    audit.download(actor=request.user, what="档案完整度矩阵", rows=len(rows), format="xlsx", year=year)
    data = workbook_bytes("档案完整度", header, rows, widths=[20] + [14] * min(len(matrix.requirements) + 4, 40))
    return xlsx_response(data, f"创城档案完整度-{year}.xlsx")




@login_required
@require_GET
def readiness_page(request):
    if not policy.may_oversee(request.user):
        access.refuse_forbidden(request.user, "archives.readiness")
    report = readiness.build(request.user)
    return render(request, "archives/readiness.html", {"report": report, "matrix": report.matrix,
                                                       "states": list(completeness.STATE_LABELS.items())})


def _requirement_form(request, *, requirement=None, system=None, owner=None):
    types = list(PointType.objects.order_by("code"))
    if requirement is None:
        indicators = list(Indicator.objects.filter(system=system).order_by("sort", "code"))
        initial = {"min_count": 1, "years": 1, "is_active": True}
    else:
        indicators = None
        initial = {"title": requirement.title, "material_type": requirement.material_type,
                   "description": requirement.description, "min_count": requirement.min_count,
                   "years": requirement.years, "due_date": requirement.due_date.isoformat()
                   if requirement.due_date else "", "is_active": requirement.is_active,
                   "point_types": [str(t.pk) for t in requirement.point_types.all()],
                   "auto_sources": list(requirement.auto_sources)}
    form = RequirementForm(request.POST or None, point_types=types, indicators=indicators, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        item = services.RequirementInput(
            title=data["title"], material_type=data["material_type"], description=data["description"],
            min_count=data["min_count"], years=data["years"], due_date=data["due_date"],
            point_types=data["point_types"], auto_sources=data["auto_sources"], is_active=data["is_active"],
            code=data.get("code", ""), indicator=data.get("indicator"))
        try:
            if requirement is None:
                saved = services.requirement_create(actor=request.user, system=system, owner=owner, data=item)
            else:
                saved = services.requirement_update(actor=request.user, requirement=requirement, data=item)
        except ServiceError as error:
            show_on_form(form, error)
        else:
            messages.success(request, f"已保存材料要求“{saved.code} {saved.title}”。")
            return form, redirect("archives:requirement", pk=saved.pk)
    return form, None


def _owner(user) -> Unit | None:
    return access.nearest_office_unit(user)


@login_required
@require_http_methods(["GET", "POST"])
def requirement_new(request):
    owner = _owner(request.user)
    system = selectors.system_in_use()
    if owner is None or not policy.may_manage(request.user, owner):
        access.refuse_forbidden(request.user, "archives.requirement_save")
    if system is None:
        messages.error(request, "还没有启用的测评体系，请先在“测评体系”中启用一套。")
        return redirect("archives:home")
    form, done = _requirement_form(request, system=system, owner=owner)
    return done or render(request, "archives/requirement_form.html", {"form": form, "title": "新增材料要求",
                                                                      "owner": owner})


@login_required
@require_http_methods(["GET", "POST"])
def requirement_edit(request, pk: int):
    requirement = selectors.requirement_for(request.user, pk)
    if not policy.may_manage_requirement(request.user, requirement):
        access.refuse_forbidden(request.user, "archives.requirement_save", target=requirement)
    form, done = _requirement_form(request, requirement=requirement)
    return done or render(request, "archives/requirement_form.html", {
        "form": form, "title": f"修改材料要求：{requirement.code}", "requirement": requirement,
        "owner": requirement.owner})


@login_required
@require_POST
def derive(request):
    owner = _owner(request.user)
    if owner is None or not policy.may_manage(request.user, owner):
        access.refuse_forbidden(request.user, "archives.requirements_derive")
    system = selectors.system_in_use()
    if system is None:
        messages.error(request, "还没有启用的测评体系，请先在“测评体系”中启用一套。")
        return redirect("archives:home")
    result = services.requirements_derive(actor=request.user, system=system, owner=owner)
    messages.success(request, f"从{result.items}个材料审核检查项生成材料要求{result.created}项"
                              + (f"，已有的{result.kept}项保持不变" if result.kept else "") + "。")
    return redirect("archives:home")


@login_required
@require_POST
def collect_now(request):
    if not policy.may_export_package(request.user):
        access.refuse_forbidden(request.user, "archives.collect")
    result = collect.collect()
    audit.record("archives.collect", actor=request.user, detail={"added": result.added, "removed": result.removed})
    messages.success(request, f"已归集：新增{result.added}份，移除{result.removed}份已不符合的，"
                              f"共{result.added + result.kept}份平台内材料。")
    return redirect("archives:home")


@login_required
@require_POST
def package_export(request):
    if not policy.may_export_package(request.user):
        access.refuse_forbidden(request.user, "archives.package")
    year = parse_id(request.POST.get("year"))
    if not year or not 2000 <= year <= 2100:
        year = timezone.localdate().year
    job = package.enqueue(actor=request.user, year=year)
    messages.success(request, "申报材料包正在后台生成，完成后可在此页下载。")
    return redirect("job", pk=job.pk)


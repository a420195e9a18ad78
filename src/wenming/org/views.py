"""Pages of the organisation: the tree, units, teams, patronage and account management.
Views only parse input, call a selector or a service and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, audit
from wenming.core.errors import ServiceError
from wenming.core.selectors import locked_usernames
from wenming.core.sheets import SheetError

from . import boundaries, doccodes, selectors, services, transfer
from .forms import (
    AccountEditForm,
    AccountForm,
    BoundaryImportForm,
    GrantForm,
    ImportForm,
    PatronageForm,
    TeamForm,
    TeamMemberForm,
    TeamUnitForm,
    UnitEditForm,
    UnitForm,
)
from .models import (
    Membership,
    Patronage,
    Role,
    TeamMember,
    UnitBoundary,
    UnitKind,
)


def _service_error(form, error: ServiceError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _inline_action(request, form, action, success: str) -> None:
    """Run ``action(cleaned_data)`` for a small form embedded in a page; the outcome, or every
    error, is shown as a message on the page the user returns to."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success)
            return
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


# --- tree and units --------------------------------------------------------------------------------

@login_required
@require_GET
def tree(request):
    access.require(request.user, "org.view")
    text = request.GET.get("q", "").strip()
    incomplete = request.GET.get("incomplete") == "1"
    context = {"q": text, "incomplete": incomplete}
    if text:
        context["results"] = selectors.unit_search(request.user, text)
    elif incomplete:
        context["results"] = selectors.units_visible_to(request.user).filter(
            Q(contact_phone="") | Q(population=0), kind__in=[UnitKind.STREET, UnitKind.COMMUNITY]
        ).select_related("parent").order_by("path")[:200]
    else:
        context["roots"] = selectors.unit_roots_for(request.user)
    return render(request, "org/tree.html", context)


@login_required
@require_GET
def unit_children(request, pk: int):
    unit = selectors.unit_get(request.user, pk)
    return render(request, "org/_children.html", {"children": selectors.unit_children(request.user, unit)})


@login_required
@require_GET
def unit_search(request):
    """Options of a unit picker (org/_unit_picker.html): the user's units matching a name."""
    access.require(request.user, "org.view")
    text = request.GET.get("uq") or request.GET.get("q") or ""
    return render(request, "org/_unit_options.html", {"units": selectors.units_by_name(request.user, text),
                                                      "q": text.strip()[:50]})


@login_required
@require_GET
def person_search(request):
    """Options of a person picker (org/widgets.py PersonPicker): accounts the user sees matching a name."""
    access.require(request.user, "org.pick_people")
    text = request.GET.get("pq") or ""
    return render(request, "org/_person_options.html", {
        "people": selectors.people_by_name(request.user, text, role=request.GET.get("role", ""),
                                           above=request.GET.get("above") == "1"),
        "q": text.replace("\x00", "").strip()[:50]})


@login_required
@require_GET
def unit_detail(request, pk: int):
    unit = selectors.unit_get(request.user, pk)
    access.require(request.user, "org.view", unit)
    teams = list(selectors.unit_teams(unit))
    given = list(selectors.unit_patronages_given(unit))
    return render(request, "org/unit_detail.html", {
        "unit": unit,
        "breadcrumbs": selectors.unit_breadcrumbs(request.user, unit),
        "children": selectors.unit_children(request.user, unit),
        "members": selectors.unit_members(unit),
        "teams": teams,
        "patrons": selectors.unit_patrons(unit),
        "patronages_given": given,
        "boundary": UnitBoundary.objects.filter(unit=unit).only("vertices", "source", "updated_at").first(),
        # the 机关代字 of a unit that signs documents (or has one): the one its next number carries
        "doc_code": (doccodes.effective_doc_code(unit) if unit.doc_code or doccodes.issues_documents(unit)
                     else None),
        "may_set_doc_code": services.may_set_doc_code(request.user),
        "show_contacts": access.scope_for(request.user).has("org.view_contacts", unit),
        # the unit's teams and the units it 包保 may lie outside the viewer's scope (a department's
        # working group, a street of another district): links only where he may open them
        "may": {"units": {p.target_unit_id for p in given if access.may_open_unit(request.user, p.target_unit)},
                "teams": selectors.team_ids_visible_to(request.user, teams)},
    })


@login_required
@require_http_methods(["GET", "POST"])
def unit_create(request, pk: int):
    parent = selectors.unit_get(request.user, pk)
    access.require(request.user, "org.edit_units", parent)
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(actor=request.user, parent=parent, **form.cleaned_data)
        except ServiceError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"已新建单位：{unit.name}")
            return redirect("org:unit", pk=unit.pk)
    return render(request, "org/unit_form.html", {"form": form, "parent": parent, "title": f"在「{parent.name}」下新建单位"})


@login_required
@require_http_methods(["GET", "POST"])
def unit_edit(request, pk: int):
    unit = selectors.unit_get(request.user, pk)
    access.require(request.user, "org.edit_units", unit)
    initial = {f: getattr(unit, f) for f in ["name", "population", "contact_name", "contact_phone", "head_name",
                                             "doc_code", "is_active"]}
    form = UnitEditForm(request.POST or None, initial=initial, doc_code=services.may_set_doc_code(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(actor=request.user, unit=unit, **form.cleaned_data)
        except ServiceError as error:
            _service_error(form, error)
        else:
            messages.success(request, "单位信息已保存")
            return redirect("org:unit", pk=unit.pk)
    return render(request, "org/unit_form.html", {"form": form, "unit": unit, "title": f"修改「{unit.name}」"})


@login_required
@require_http_methods(["GET", "POST"])
def unit_import(request):
    access.require(request.user, "org.edit_units")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = transfer.import_units(actor=request.user, data=upload.read(), filename=upload.name)
        except SheetError as error:
            form.add_error("file", str(error))
        else:
            if report.ok:
                messages.success(request, f"导入成功：新建 {report.created} 个单位，更新 {report.updated} 个单位")
                return redirect("org:tree")
    return render(request, "org/import.html", {"form": form, "report": report})


@login_required
@require_GET
def unit_export(request):
    root = None
    if request.GET.get("root"):
        try:
            root = selectors.unit_get(request.user, int(request.GET["root"]))
        except ValueError:
            return HttpResponse("参数 root 应为单位编号", status=400, content_type="text/plain; charset=utf-8")
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    data, content_type = transfer.export_units(actor=request.user, root=root, fmt=fmt)
    response = HttpResponse(data, content_type=content_type)
    name = f"units-{root.code if root else 'all'}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def boundary_import(request):
    """Units' boundaries from the grid system's GeoJSON export (org.boundaries)."""
    access.require(request.user, "org.edit_units")
    form = BoundaryImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > boundaries.MAX_BYTES:
            form.add_error("file", f"文件不能超过{boundaries.MAX_BYTES // 1024 // 1024}MB")
        else:
            report = boundaries.import_boundaries(actor=request.user, data=upload.read(), filename=upload.name)
            if report.ok:
                messages.success(request, f"导入成功：新增 {report.created} 个单位的边界，更新 {report.updated} 个")
                return redirect("org:tree")
    return render(request, "org/boundary_import.html", {"form": form, "report": report,
                                                        "keys": boundaries.CODE_KEYS[:4]})


@login_required
@require_GET
def boundary_export(request):
    data = boundaries.export_boundaries(actor=request.user)
    response = HttpResponse(data, content_type="application/geo+json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="boundaries.geojson"'
    return response


@login_required
@require_GET
def unit_template(request):
    access.require(request.user, "org.edit_units")
    audit.download(actor=request.user, what="单位导入模板", rows=transfer.TEMPLATE_ROWS)
    response = HttpResponse(transfer.template_sheet(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="unit-template.xlsx"'
    return response


# --- teams -----------------------------------------------------------------------------------------

@login_required
@require_GET
def teams(request):
    access.require(request.user, "org.view")
    return render(request, "org/teams.html", {"teams": selectors.teams_visible_to(request.user)})


@login_required
@require_GET
def team_detail(request, pk: int):
    team = selectors.team_get(request.user, pk)
    detail = selectors.team_detail(team)
    # a team is seen from below its unit (a street sees the city's leading group): its unit and its
    # responsible units are links only where the viewer may open them; the parent and the subteams
    # belong to the same unit as the team (services.team_create), so they are always his to open
    units = [team.unit, *(link.unit for link in detail["units"])]
    return render(request, "org/team_detail.html", {
        "team": team, **detail,
        "member_form": TeamMemberForm(user=request.user), "unit_form": TeamUnitForm(user=request.user),
        "can_manage": access.scope_for(request.user).has("org.manage_teams", team.unit),
        "may": {"units": {unit.pk for unit in units if access.may_open_unit(request.user, unit)}},
    })


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request):
    access.require(request.user, "org.manage_teams")
    form = TeamForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = services.team_create(actor=request.user, unit=data["unit"], name=data["name"],
                                        kind=data["kind"], duties=data["duties"])
        except ServiceError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"已新建：{team.name}")
            return redirect("org:team", pk=team.pk)
    return render(request, "org/simple_form.html", {"form": form, "title": "新建领导小组/工作组"})


@login_required
@require_POST
def team_member_add(request, pk: int):
    team = selectors.team_get(request.user, pk)
    access.require_permission(request.user, "org.manage_teams", team.unit)

    def add(data):
        user = None
        if data["username"]:
            user = selectors.users_visible_to(request.user).filter(username=data["username"]).first()
            if user is None:
                raise ServiceError(f"找不到账号“{data['username']}”，或该账号不在您的范围内")
        services.team_member_add(actor=request.user, team=team, person_name=data["person_name"],
                                 team_post=data["team_post"], post=data["post"], user=user)

    _inline_action(request, TeamMemberForm(request.POST, user=request.user), add, "已添加成员")
    return redirect("org:team", pk=team.pk)


@login_required
@require_POST
def team_member_remove(request, pk: int, member_pk: int):
    team = selectors.team_get(request.user, pk)
    member = get_object_or_404(TeamMember, pk=member_pk, team=team)
    services.team_member_remove(actor=request.user, member=member)
    messages.success(request, f"已移除成员：{member.person_name}")
    return redirect("org:team", pk=team.pk)


@login_required
@require_POST
def team_unit_add(request, pk: int):
    team = selectors.team_get(request.user, pk)
    access.require_permission(request.user, "org.manage_teams", team.unit)
    _inline_action(request, TeamUnitForm(request.POST, user=request.user),
                   lambda data: services.team_unit_add(actor=request.user, team=team, **data), "已添加责任单位")
    return redirect("org:team", pk=team.pk)


# --- patronage -------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def patronage_create(request, pk: int):
    unit = selectors.unit_get(request.user, pk)
    access.require(request.user, "org.manage_patronage", unit)
    form = PatronageForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patron_user = None
        if data["patron_username"]:
            patron_user = selectors.users_visible_to(request.user).filter(
                username=data["patron_username"], is_active=True).first()
            if patron_user is None:
                form.add_error("patron_username", f"找不到账号“{data['patron_username']}”，或该账号不在您的范围内")
        if form.is_valid():
            try:
                services.patronage_create(actor=request.user, target_unit=unit, patron_user=patron_user,
                                          patron_unit=data["patron_unit"], kind=data["kind"], note=data["note"])
            except ServiceError as error:
                _service_error(form, error)
            else:
                messages.success(request, "已建立包保关系")
                return redirect("org:unit", pk=unit.pk)
    return render(request, "org/simple_form.html", {"form": form, "title": f"为「{unit.name}」指定包保领导或单位"})


@login_required
@require_POST
def patronage_end(request, pk: int):
    patronage = Patronage.objects.select_related("target_unit").filter(pk=pk, is_active=True).first()
    access.require_visible(request.user, patronage.target_unit if patronage else None, what="patronage")
    services.patronage_end(actor=request.user, patronage=patronage)
    messages.success(request, "已结束包保关系")
    return redirect("org:unit", pk=patronage.target_unit_id)


# --- accounts --------------------------------------------------------------------------------------

@login_required
@require_GET
def accounts(request):
    access.require(request.user, "org.manage_accounts")
    params = request.GET
    unit = None
    if params.get("unit"):
        unit = selectors.units_visible_to(request.user).filter(code=params["unit"].strip()).first()
    qs = selectors.account_list(request.user, text=params.get("q", "").strip(), role=params.get("role", ""),
                                unit=unit, active=params.get("active", ""))
    if params.get("pending") == "1":
        qs = qs.filter(must_change_password=True, is_active=True)
    if params.get("locked") == "1":
        qs = qs.filter(username__in=locked_usernames(qs.values("username")))
    page = Paginator(qs, 30).get_page(params.get("page"))
    return render(request, "org/accounts.html", {"page": page, "params": params, "roles": Role.choices, "unit": unit,
                                                 "unit_not_found": bool(params.get("unit")) and unit is None})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_create(request):
    access.require(request.user, "org.manage_accounts")
    initial = {}
    if request.GET.get("unit"):
        initial["unit"] = request.GET["unit"]
    form = AccountForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = services.account_create(actor=request.user, **data)
        except ServiceError as error:
            _service_error(form, error)
        else:
            return render(request, "org/account_password.html", {"account": user, "password": password,
                                                                 "created": True})
    return render(request, "org/simple_form.html", {"form": form, "title": "新建账号"})


@login_required
@require_http_methods(["GET", "POST"])
def account_detail(request, pk: int):
    account = selectors.account_get(request.user, pk)
    form = AccountEditForm(request.POST or None, initial={"full_name": account.full_name, "phone": account.phone,
                                                          "post": account.post})
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(actor=request.user, user=account, **form.cleaned_data)
        except ServiceError as error:
            _service_error(form, error)
        else:
            messages.success(request, "账号信息已保存")
            return redirect("org:account", pk=account.pk)
    return render(request, "org/account_detail.html", {
        "account": account, "form": form, "grant_form": GrantForm(user=request.user),
        "memberships": selectors.account_memberships(account), "is_self": account.pk == request.user.pk,
    })


@login_required
@require_POST
def account_toggle(request, pk: int):
    account = selectors.account_get(request.user, pk)
    try:
        services.account_set_active(actor=request.user, user=account, active=not account.is_active)
        messages.success(request, f"账号已{'启用' if not account.is_active else '停用'}")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("org:account", pk=account.pk)


@never_cache
@login_required
@require_POST
def account_reset(request, pk: int):
    account = selectors.account_get(request.user, pk)
    try:
        password = services.account_reset_password(actor=request.user, user=account)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("org:account", pk=account.pk)
    return render(request, "org/account_password.html", {"account": account, "password": password})


@login_required
@require_POST
def account_grant(request, pk: int):
    account = selectors.account_get(request.user, pk)
    _inline_action(request, GrantForm(request.POST, user=request.user),
                   lambda data: services.membership_grant(actor=request.user, user=account, **data), "已授予角色")
    return redirect("org:account", pk=account.pk)


@login_required
@require_POST
def account_revoke(request, pk: int, membership_pk: int):
    account = selectors.account_get(request.user, pk)
    membership = get_object_or_404(Membership.objects.select_related("unit", "user"), pk=membership_pk, user=account)
    try:
        services.membership_revoke(actor=request.user, membership=membership)
        messages.success(request, "已撤销角色")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("org:account", pk=account.pk)

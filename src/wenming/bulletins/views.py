"""Pages of 通报: the archive with search, drafting from a closed period, one bulletin with its
preview (the same content the .docx shows), its flow (生成 → 送审 → 审核 → 印发) and its files."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, audit
from wenming.core.errors import ServiceError, show_on_form

from . import builder, policy, selectors, services
from .forms import BulletinNewForm, BulletinTextForm
from .models import BulletinKind, BulletinStatus

ACTIONS = {"generate", "submit", "approve", "return", "issue"}


@login_required
@require_GET
def bulletin_list(request):
    if not policy.may_view(request.user):
        access.refuse_forbidden(request.user, "bulletins.view")
    q = (request.GET.get("q") or "").strip()[:50].replace("\x00", "")
    kind = request.GET.get("kind") if request.GET.get("kind") in BulletinKind.values else ""
    status = request.GET.get("status") if request.GET.get("status") in BulletinStatus.values else ""
    year_text = (request.GET.get("year") or "").strip()
    year = int(year_text) if year_text.isascii() and year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
    rows = selectors.bulletins(request.user, q=q, kind=kind, status=status, year=year)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    params = {k: v for k, v in {"q": q, "kind": kind, "status": status, "year": year or ""}.items() if v}
    return render(request, "bulletins/list.html", {
        "page": page, "params": params, "q": q, "kind": kind, "status": status, "year": year or "",
        "kinds": BulletinKind.choices, "statuses": BulletinStatus.choices,
        "may_draft": policy.may_draft(request.user), "may_manage_templates": policy.may_manage_templates(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_new(request):
    if not policy.may_draft(request.user):
        access.refuse_forbidden(request.user, "bulletins.create")
    periods = list(selectors.periods_to_publish(request.user))
    form = BulletinNewForm(request.POST or None, periods=periods, initial={"period": request.GET.get("period", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        period = form.periods.get(data.get("period") or "")
        issuer = access.nearest_office_unit(request.user, period.scheme.root_path if period else None)
        try:
            if issuer is None:
                raise ServiceError("所选考核期不在您的创建办范围内", field="period")
            bulletin = services.bulletin_create(actor=request.user, kind=data["kind"], issuer=issuer, period=period,
                                                addressees=data.get("addressees", ""),
                                                requirements=data.get("requirements", ""))
        except ServiceError as error:
            show_on_form(form, error)
        else:
            messages.success(request, "通报草稿已建立。核对内容后点击“生成Word和PDF”，再送领导审核。")
            return redirect("bulletins:detail", pk=bulletin.pk)
    return render(request, "bulletins/new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_detail(request, pk: int):
    bulletin = selectors.bulletin_for(request.user, pk)
    editable = policy.may_edit(request.user, bulletin)
    form = None
    if editable:
        form = BulletinTextForm(request.POST or None, initial={
            "title": bulletin.title, "addressees": bulletin.addressees, "intro": bulletin.intro,
            "requirements": bulletin.requirements, "cc": bulletin.cc, "signature": bulletin.signature})
        if request.method == "POST" and form.is_valid():
            try:
                services.bulletin_update(actor=request.user, bulletin=bulletin, **form.cleaned_data)
            except ServiceError as error:
                show_on_form(form, error)
            else:
                messages.success(request, "已保存。内容已变化，请重新生成Word和PDF文件。")
                return redirect("bulletins:detail", pk=bulletin.pk)
    elif request.method == "POST":
        if not policy.manages(request.user, bulletin):
            access.refuse_forbidden(request.user, "bulletins.update", target=bulletin)
        messages.error(request, "只能修改草稿；已送审的通报请审核人退回后再改。")
        return redirect("bulletins:detail", pk=bulletin.pk)
    return render(request, "bulletins/detail.html", {
        "bulletin": bulletin, "form": form, "content": builder.content(bulletin, photos=False),
        "may_generate": policy.may_generate(request.user, bulletin),
        "may_submit": policy.may_submit(request.user, bulletin),
        "may_review": policy.may_review(request.user, bulletin),
        "may_issue": policy.may_issue(request.user, bulletin),
        "may_see_job": bulletin.job_id and bulletin.job.owner_id == request.user.pk})


@login_required
@require_POST
def bulletin_action(request, pk: int, action: str):
    bulletin = selectors.bulletin_for(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    try:
        if action == "generate":
            job = services.bulletin_generate(actor=request.user, bulletin=bulletin)
            return redirect("job", pk=job.pk)
        if action == "submit":
            services.bulletin_submit(actor=request.user, bulletin=bulletin)
            messages.success(request, "已送领导审核。")
        elif action in ("approve", "return"):
            services.bulletin_review(actor=request.user, bulletin=bulletin, approve=action == "approve",
                                     note=request.POST.get("note", "")[:500])
            messages.success(request, "审核通过，可由创建办印发。" if action == "approve" else "已退回修改。")
        else:
            issued = services.bulletin_issue(actor=request.user, bulletin=bulletin)
            messages.success(request, f"已印发：{issued.number}。正式文件正在后台生成，并已发送给相关单位。")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("bulletins:detail", pk=bulletin.pk)


@login_required
@require_GET
def bulletin_file(request, pk: int, fmt: str):
    bulletin = selectors.bulletin_for(request.user, pk)
    stored = {"docx": bulletin.docx, "pdf": bulletin.pdf}.get(fmt)
    if not stored:
        raise Http404
    from .jobs import DOCX, file_stem

    response = FileResponse(stored.open("rb"), as_attachment=True, filename=f"{file_stem(bulletin)}.{fmt}",
                            content_type=DOCX if fmt == "docx" else "application/pdf")
    response["Cache-Control"] = "private, no-store"
    audit.download(actor=request.user, what="通报", rows=1, target=bulletin, unit=bulletin.issuer, format=fmt,
                   number=bulletin.number)
    return response

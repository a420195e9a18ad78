"""The office's Word 版式 for its 通报: the page showing the template in use and the earlier ones,
upload (checked by a trial render, every problem named), download, take an earlier one into use,
back to the shipped template."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, audit
from wenming.core.errors import ServiceError, show_on_form
from wenming.org.models import Unit

from . import policy, selectors, services
from .documents import FIELDS, default_template
from .errors import TemplateError
from .forms import TemplateUploadForm
from .jobs import DOCX


def _refuse_unless_manager(user) -> None:
    if not policy.may_manage_templates(user):
        access.refuse_forbidden(user, "bulletins.templates")


@login_required
@require_http_methods(["GET", "POST"])
def template_page(request):
    _refuse_unless_manager(request.user)
    issuers = selectors.template_issuers(request.user)
    form = TemplateUploadForm(request.POST or None, request.FILES or None, issuers=issuers)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        issuer = form.cleaned_data["issuer"]
        try:
            data = upload.read(services.MAX_TEMPLATE_BYTES + 1)
            template = services.template_upload(actor=request.user, issuer=issuer, data=data, filename=upload.name,
                                                note=form.cleaned_data["note"])
        except TemplateError as error:
            form.add_error("file", "模板无法使用，未作任何更改：")
            for problem in error.problems:
                form.add_error("file", problem)
        except ServiceError as error:
            show_on_form(form, error)
        else:
            messages.success(request, f"已启用模板“{template.filename}”：{issuer.name}此后生成的通报都使用这一版式。"
                                      "已生成的草稿请重新生成。")
            return redirect("bulletins:templates")
    return render(request, "bulletins/templates.html", {
        "form": form, "fields": FIELDS,
        "issuers": [(unit, rows, next((t for t in rows if t.is_active), None))
                    for unit, rows in ((unit, list(selectors.templates(request.user, unit))) for unit in issuers)]})


@login_required
@require_GET
def template_default(request):
    _refuse_unless_manager(request.user)
    from io import BytesIO

    audit.download(actor=request.user, what="通报默认模板", rows=0)
    response = FileResponse(BytesIO(default_template()), as_attachment=True, filename="通报默认模板.docx",
                            content_type=DOCX)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def template_file(request, pk: int):
    template = selectors.template_for(request.user, pk)
    try:
        handle = template.file.open("rb")
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise Http404("模板文件不存在。") from exc
    audit.download(actor=request.user, what="通报模板", rows=0, target=template, unit=template.issuer,
                   filename=template.filename)
    response = FileResponse(handle, as_attachment=True, filename=template.filename, content_type=DOCX)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def template_activate(request, pk: int):
    template = selectors.template_for(request.user, pk)
    try:
        services.template_activate(actor=request.user, template=template)
    except TemplateError as error:
        messages.error(request, f"“{template.filename}”{error.message}")
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已重新启用模板“{template.filename}”。")
    return redirect("bulletins:templates")


@login_required
@require_POST
def template_reset(request):
    _refuse_unless_manager(request.user)
    text = request.POST.get("issuer", "")
    issuer = Unit.objects.filter(pk=int(text)).first() if text.isascii() and text.isdigit() and len(text) < 12 else None
    if issuer is None or issuer.path not in policy.office_paths(request.user):
        raise Http404("未找到该发文单位。")
    if services.template_reset(actor=request.user, issuer=issuer):
        messages.success(request, f"{issuer.name}已恢复使用系统默认模板；上传过的模板仍保留，可随时重新启用。")
    else:
        messages.info(request, f"{issuer.name}本来就在使用系统默认模板。")
    return redirect("bulletins:templates")

"""Pages for the problem ledger's Excel export (queued as a job, core.jobs) and the bulk import of problems."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, audit
from wenming.core.sheets import MAX_IMPORT_BYTES, SheetError

from .. import policy
from . import jobs, transfer
from .views import ledger_filter


class ProblemImportForm(forms.Form):
    file = forms.FileField(label="问题清单（.xlsx 或 .csv）")


@login_required
@require_POST
def export(request):
    """Queue the ledger's .xlsx export for the same filters as the ledger page (they come in the
    query string) and send the user to the job's page, which shows progress and the download."""
    if not policy.may_export_ledger(request.user):
        access.refuse_forbidden(request.user, "cases.ledger_export")
    f, errors = ledger_filter(request)
    if errors:
        messages.error(request, "筛选条件有误，未导出：" + "；".join(errors))
        query = request.GET.urlencode()
        return redirect(reverse("cases:ledger") + (f"?{query}" if query else ""))
    job = jobs.request_export(actor=request.user, f=f, params=jobs.filter_params(request.GET))
    return redirect("job", job.pk)


def _require_office(request, permission: str) -> None:
    if not policy.may_import(request.user):
        access.refuse_forbidden(request.user, permission)


@login_required
@require_http_methods(["GET", "POST"])
def problem_import(request):
    _require_office(request, "cases.problem_import")
    form = ProblemImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error("file", "文件超过20MB，请拆分后分批导入")
        else:
            try:
                report = transfer.import_problems(actor=request.user, data=upload.read(), filename=upload.name)
            except SheetError as error:
                form.add_error("file", str(error))
            else:
                if report.ok:
                    text = f"导入成功：新建 {report.created} 个问题"
                    if report.assigned:
                        text += f"，其中 {report.assigned} 个已交办责任单位"
                    messages.success(request, text)
                    return redirect("cases:ledger")
    return render(request, "cases/import.html", {
        "form": form, "report": report, "max_rows": transfer.MAX_ROWS,
        "severities": transfer.SEVERITY_LABELS.values(), "sources": transfer.SOURCE_LABELS.values(),
    })


@login_required
@require_GET
def import_template(request):
    _require_office(request, "cases.problem_import")
    response = HttpResponse(transfer.import_template(), content_type=transfer.XLSX_CONTENT_TYPE)
    audit.download(actor=request.user, what="问题导入模板", rows=len(transfer.TEMPLATE_EXAMPLES))
    response["Content-Disposition"] = content_disposition_header(True, "问题导入模板.xlsx")
    return response

"""The user's background jobs: the job page (progress by htmx polling), its download, and 我的导出.
Only the owner sees a job; anyone else gets 404, written to the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import jobs, selectors

POLL_SECONDS = 1


@login_required
@require_GET
def job_list(request):
    return render(request, "core/jobs.html", {"jobs": selectors.my_jobs(request.user)})


@login_required
@require_GET
def job(request, pk: int):
    return render(request, "core/job.html", {"job": selectors.my_job(request.user, pk), "poll": POLL_SECONDS})


@login_required
@require_GET
def job_status(request, pk: int):
    """The status fragment the job page polls; it stops polling once the job has finished."""
    return render(request, "core/_job_status.html", {"job": selectors.my_job(request.user, pk), "poll": POLL_SECONDS})


@login_required
@require_GET
def job_download(request, pk: int):
    found = selectors.my_job(request.user, pk)
    if not found.downloadable:
        messages.error(request, "文件已过期删除，请重新导出。" if found.status == "expired" else "文件尚未生成。")
        return redirect("job", found.pk)
    try:
        handle = found.result_file.open("rb")
    except (FileNotFoundError, ValueError):
        messages.error(request, "文件已不存在，请重新导出。")
        return redirect("job", found.pk)
    jobs.download_opened(actor=request.user, job=found)
    response = FileResponse(handle, as_attachment=True, filename=found.result_name,
                            content_type=found.result_content_type or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    return response

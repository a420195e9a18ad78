"""Generating a bulletin's .docx and PDF in the background (core.jobs): the click returns at once,
the job page shows progress, and the files are stored with the bulletin for good (the job's own copy
expires like any export)."""

from __future__ import annotations

import tempfile

from django.core.files.base import ContentFile
from django.utils import timezone

from wenming.core import jobs
from wenming.core.errors import ServiceError
from wenming.core.jobs import task

from . import builder, policy, selectors, services
from .documents import bulletin_docx, bulletin_pdf
from .errors import PdfFailed, PdfUnavailable
from .models import Bulletin, BulletinStatus

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@task()
def bulletin_files(job_id: int) -> dict:
    return jobs.run(job_id, _generate)


def file_stem(bulletin: Bulletin) -> str:
    return bulletin.number or f"通报草稿-{bulletin.pk}"


def _generate(job, progress) -> jobs.Output:
    bulletin = Bulletin.objects.select_related("issuer", "period", "period__scheme").filter(
        pk=job.params.get("bulletin")).first()
    if bulletin is None or not policy.manages(job.owner, bulletin):
        raise jobs.JobFailed("找不到该通报，或您已无权生成。")
    revision = bulletin.revision
    progress.start(3)
    template = selectors.active_template(bulletin.issuer)  # the office's own 版式, if it has one in use
    try:
        docx = bulletin_docx(builder.content(bulletin), services.template_data(template))
    except ServiceError as error:  # the template's file is gone, or it cannot make this bulletin
        raise jobs.JobFailed(f"{error.message}（可在“通报模板”页重新上传或恢复默认模板）") from None
    progress(1)
    message = "已生成Word和PDF文件"
    try:
        pdf = bulletin_pdf(docx)
    except (PdfUnavailable, PdfFailed) as error:
        pdf, message = None, f"已生成Word文件；{error.message}"
    progress(2)
    stem = file_stem(bulletin)
    fresh = Bulletin.objects.get(pk=bulletin.pk)
    if fresh.revision != revision or (fresh.status == BulletinStatus.ISSUED and fresh.number != bulletin.number):
        raise jobs.JobFailed("通报内容在生成期间已被修改，请重新生成。")
    fresh.docx.save(f"{stem}.docx", ContentFile(docx), save=False)
    if pdf is not None:
        fresh.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
    else:
        fresh.pdf = ""
    fresh.generated_at, fresh.generated_revision, fresh.template = timezone.now(), revision, template
    fresh.save(update_fields=["docx", "pdf", "generated_at", "generated_revision", "template", "updated_at"])
    progress(3)
    out = tempfile.TemporaryFile()
    out.write(pdf if pdf is not None else docx)
    return jobs.Output(file=out, name=f"{stem}.{'pdf' if pdf is not None else 'docx'}",
                       content_type="application/pdf" if pdf is not None else DOCX, message=message)

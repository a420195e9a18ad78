"""A large 任务分解表 imported as a background job (core.jobs), with its progress shown while the rows are
checked and written.

A sheet of up to :data:`AT_ONCE_BYTES` imports in the request (the office sees the result at once); a
larger one — thousands of rows — is kept as the job's upload and imported by the worker through the very
same :func:`transfer.import_tasks` (all or nothing, every bad row and column named). The job's result is
the plan's 任务分解表 as imported, or, when rows were refused, the error list (行, 列, 问题) to download
beside the first errors in the job's message."""

from __future__ import annotations

import tempfile

from django.urls import reverse

from wenming.core import access, jobs
from wenming.core.errors import ServiceError
from wenming.core.sheets import XLSX, SheetError, workbook_bytes

from . import policy, selectors, transfer

KIND = "plans.tasks_import"
AT_ONCE_BYTES = 64 * 1024   # about 600 rows of an office's sheet: imported in the request
SHOWN_ERRORS = 5            # errors quoted in the job's message (all of them are in the error list)


@jobs.task()
def tasks_import(job_id: int) -> dict:
    return jobs.run(job_id, _import)


def in_background(data: bytes) -> bool:
    return len(data) > AT_ONCE_BYTES


def enqueue(*, actor, plan, data: bytes, filename: str):
    if not policy.may_manage(actor, plan):
        access.refuse_forbidden(actor, "plans.tasks_import", target=plan, unit=plan.owner)
    return jobs.enqueue(actor=actor, kind=KIND, title=f"导入任务分解表：{plan.title}", params={"plan": plan.pk},
                        task=tasks_import, upload=(data, filename),
                        back=(reverse("plans:detail", args=[plan.pk]), "返回工作方案"))


def _output(data: bytes, name: str, message: str, *, refused: bool = False) -> jobs.Output:
    handle = tempfile.TemporaryFile()
    handle.write(data)
    return jobs.Output(file=handle, name=name, content_type=XLSX, message=message, refused=refused)


def _import(job, progress) -> jobs.Output:
    plan = selectors.plan_for(job.owner, job.params["plan"])  # the owner's scope as it is now
    data, filename = jobs.read_upload(job)
    try:
        report = transfer.import_tasks(actor=job.owner, plan=plan, data=data, filename=filename, progress=progress)
    except SheetError as error:
        raise jobs.JobFailed(f"未导入：{error}") from None
    except ServiceError as error:
        raise jobs.JobFailed(f"未导入：{error.message}") from None
    if not report.ok:
        shown = "；".join(str(e) for e in report.errors[:SHOWN_ERRORS])
        more = f"等共 {len(report.errors):,} 处" if len(report.errors) > SHOWN_ERRORS else ""
        rows = [[e.row or "", e.column, e.message] for e in report.errors]
        return _output(workbook_bytes("错误清单", ["行", "列", "问题"], rows, widths=[8, 16, 80]),
                       f"{plan.title}-导入错误清单.xlsx",
                       f"未导入任何任务：{shown}{more}。请下载错误清单，改正后重新上传。", refused=True)
    return _output(transfer.export_tasks(actor=job.owner, plan=plan), f"{plan.title}-任务分解表.xlsx",
                   f"导入成功：新增 {report.created:,} 项任务，更新 {report.updated:,} 项任务。")

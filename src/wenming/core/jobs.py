"""Background jobs a user waits for (DESIGN.md §3): exports now, bulletins and recomputations later.

A :class:`~wenming.core.models.Job` row is what the user sees: its status, its progress, its
file. The work itself runs in the task queue (``TASKS`` in settings; by default a table in the
same database, worked by ``wenming worker``). An app defines one task per kind of job whose body
is ``jobs.run(job_id, work)``::

    @task()
    def ledger_export(job_id: int) -> dict:
        return jobs.run(job_id, _write_ledger)

and starts it with :func:`enqueue`, which checks the permission before its transaction, writes
the job and its audit line together, and hands the task to the queue once that has committed.

``work(job, progress)`` re-checks what it needs (the owner's scope may have changed since the
click), reports progress through ``progress.start(total)`` / ``progress(done)`` (written at most
every 2 % or every 2 seconds), and returns an :class:`Output` whose temporary file is stored
under ``exports/`` in the default storage. It raises :class:`JobFailed` with a Chinese message for
an expected failure; any other error fails the job with a generic message (the traceback goes to
the worker's log and the task result, never to the user).

:func:`cleanup` (run by ``wenming sweep``) deletes files past their ``expires_at``, fails jobs whose
worker died, and prunes old rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from . import access, audit
from .models import AuditResult, Job, JobStatus

try:  # Django 6 ships the tasks framework; on 5.2 the django-tasks backport provides it
    from django.tasks import task  # type: ignore[import-not-found]  # noqa: F401
except ImportError:  # pragma: no cover - depends on the Django version
    from django_tasks import task  # noqa: F401

logger = logging.getLogger(__name__)

PROGRESS_STEP = 0.02      # write progress when another 2 % is done …
PROGRESS_INTERVAL = 2.0   # … or 2 seconds have passed since the last write
STALE_RUNNING = timedelta(minutes=30)   # a running job that reported nothing for this long has died
STALE_QUEUED = timedelta(hours=24)      # a job no worker took within this long is given up
KEEP_ROWS = timedelta(days=30)          # job rows are deleted this long after their file expired

GENERIC_FAILURE = "任务执行出错，请稍后重试；如仍失败，请联系系统管理员。"
NO_PERMISSION = "您的权限或管辖范围已变更，任务未完成。"
QUEUE_DOWN = "后台任务队列暂不可用，请稍后重试；如仍失败，请联系系统管理员。"


class JobFailed(Exception):
    """An expected failure: ``str(error)`` is the Chinese message the owner reads."""


@dataclass
class Output:
    file: IO[bytes]          # a temporary file holding the result, positioned anywhere
    name: str                # the file name the owner downloads (问题台账-20261122.xlsx)
    content_type: str
    message: str = ""        # e.g. 共导出 1,234 行
    refused: bool = False    # the work ran but what was asked was refused (an import with bad rows): the job
                             # shows 失败 with ``message``, and ``file`` (the error list) stays downloadable


def retention() -> timedelta:
    return timedelta(hours=settings.JOB_RETENTION_HOURS)


# --- starting a job ------------------------------------------------------------------------------

def enqueue(*, actor, kind: str, title: str, params: dict, task, permission: str | None = None,
            upload: tuple[bytes, str] | None = None, back: tuple[str, str] | None = None) -> Job:
    """Record a job for ``actor`` and queue ``task(job.pk)``. ``permission`` (from core.access) is
    checked first; the task re-checks what it needs when it runs.

    ``upload`` — (bytes, file name) of a file the work reads (an import's sheet): kept under
    ``imports/`` until the job ends (:func:`read_upload`), then deleted. ``back`` — (URL, label) of
    the page the job was started from, linked from the job page (返回工作方案)."""
    if permission is not None and not access.scope_for(actor).has(permission):
        access.refuse_forbidden(actor, permission)
    params = dict(params)
    if back is not None:
        params["back"] = {"url": back[0], "label": back[1]}
    if upload is not None:  # written before the transaction, and deleted again if it rolls back
        data, filename = upload
        params["upload"] = {"name": filename[-200:],
                            "path": default_storage.save(upload_path(filename), ContentFile(data))}
    try:
        with transaction.atomic():
            job = Job.objects.create(owner=actor, kind=kind, title=title[:200], params=params)
            audit.record("job.enqueue", actor=actor, target=job,
                         detail={"kind": kind, "params": {k: v for k, v in params.items() if k != "back"}})
            transaction.on_commit(lambda: _submit(job, task))
    except Exception:
        if upload is not None:
            default_storage.delete(params["upload"]["path"])
        raise
    return job


def upload_path(filename: str) -> str:
    from pathlib import PurePath
    from uuid import uuid4

    return f"{timezone.localtime():imports/%Y/%m/}{uuid4().hex}{PurePath(filename).suffix.lower()[:6]}"


def read_upload(job: Job) -> tuple[bytes, str]:
    """(bytes, file name) of the file the job was started with."""
    found = job.params.get("upload") or {}
    try:
        with default_storage.open(found["path"], "rb") as handle:
            return handle.read(), found["name"]
    except (KeyError, OSError):
        raise JobFailed("上传的文件已不存在（可能已被清理），请重新上传。") from None


def _drop_upload(job: Job) -> None:
    found = job.params.get("upload") or {}
    if found.get("path"):
        try:
            default_storage.delete(found["path"])
        except OSError:
            logger.exception("could not delete %s", found["path"])


def _submit(job: Job, task) -> None:
    try:
        result = task.enqueue(job.pk)
    except Exception:
        logger.exception("could not queue job %s", job.pk)
        _fail(job, QUEUE_DOWN)
        return
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.task_id = str(result.id)[:64]


# --- running a job (inside the task) -------------------------------------------------------------

class Progress:
    """Throttled progress reports of a running job: ``start(total)`` once, then ``progress(done)``
    as often as is convenient; a row is written only every ``step`` of the total or every
    ``interval`` seconds (and by ``flush``)."""

    def __init__(self, job: Job, *, step: float = PROGRESS_STEP, interval: float = PROGRESS_INTERVAL,
                 clock: Callable[[], float] = time.monotonic):
        self.job, self.step, self.interval, self.clock = job, step, interval, clock
        self.total: int | None = None
        self.done = 0
        self.writes = 0
        self._written_done = 0
        self._written_at = clock()

    def start(self, total: int | None) -> None:
        self.total = total
        self.flush()

    def __call__(self, done: int) -> None:
        self.done = done
        threshold = max(1, int(self.total * self.step)) if self.total else None
        if ((threshold is not None and done - self._written_done >= threshold)
                or self.clock() - self._written_at >= self.interval):
            self.flush()

    def flush(self) -> None:
        now = timezone.now()
        Job.objects.filter(pk=self.job.pk).update(progress_done=self.done, progress_total=self.total, updated_at=now)
        self.job.progress_done, self.job.progress_total, self.job.updated_at = self.done, self.total, now
        self._written_done, self._written_at = self.done, self.clock()
        self.writes += 1


def run(job_id: int, work: Callable[[Job, Progress], Output]) -> dict:
    """The body of a job's task: claim the queued job, run ``work``, store its file or the reason it
    failed. A job that is not queued (already run, or given up) is left alone."""
    now = timezone.now()
    if not Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=now, updated_at=now):
        logger.warning("job %s is not queued; nothing to do", job_id)
        return {"job": job_id, "status": "skipped"}
    job = Job.objects.select_related("owner").get(pk=job_id)
    progress = Progress(job)
    try:
        if not job.owner.is_active:
            raise JobFailed("账号已停用，任务未执行。")
        access.forget_scope(job.owner)
        output = work(job, progress)
    except JobFailed as error:
        _fail(job, str(error))
        return {"job": job_id, "status": JobStatus.FAILED}
    except (PermissionDenied, Http404):  # the refusal itself is already in the audit log
        _fail(job, NO_PERMISSION)
        return {"job": job_id, "status": JobStatus.FAILED}
    except Exception:
        logger.exception("job %s (%s) failed", job_id, job.kind)
        _fail(job, GENERIC_FAILURE)
        raise  # the task result keeps the traceback for the operator
    try:
        _finish(job, output, progress)
    finally:
        output.file.close()
        _drop_upload(job)
    return {"job": job_id, "status": JobStatus.FAILED if output.refused else JobStatus.DONE}


def _finish(job: Job, output: Output, progress: Progress) -> None:
    output.file.seek(0)
    job.result_file.save(output.name, File(output.file), save=False)
    now = timezone.now()
    done = progress.done
    job.status = JobStatus.FAILED if output.refused else JobStatus.DONE
    job.progress_done = done
    job.progress_total = max(done, progress.total or 0) if progress.total is not None else done
    job.result_name, job.result_content_type = output.name[:200], output.content_type[:100]
    job.message = output.message[:500]
    job.finished_at, job.expires_at = now, now + retention()
    job.save(update_fields=["status", "progress_done", "progress_total", "result_file", "result_name",
                            "result_content_type", "message", "finished_at", "expires_at", "updated_at"])


def _fail(job: Job, message: str) -> None:
    _drop_upload(job)
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, message=message[:500], finished_at=now,
                                         expires_at=now + retention(), updated_at=now)
    job.status, job.message, job.finished_at = JobStatus.FAILED, message, now
    audit.record("job.fail", actor=job.owner, target=job, result=AuditResult.FAILURE,
                 detail={"kind": job.kind, "message": message})


# --- the owner reading and downloading it ------------------------------------------------------

def download_opened(*, actor, job: Job) -> None:
    """Audit a download (the file may hold personal data, masked or not)."""
    audit.download(actor=actor, what=job.title, rows=job.progress_done, target=job, kind=job.kind)


# --- housekeeping (wenming sweep) --------------------------------------------------------------

@dataclass
class CleanupReport:
    files_deleted: int = 0
    stale_failed: int = 0
    rows_deleted: int = 0
    task_results_deleted: int = 0


def cleanup(now=None) -> CleanupReport:
    """Delete result files past ``expires_at`` (the job shows 已过期), fail jobs whose worker died
    or that no worker took, delete job rows a month after they expired, and prune finished task
    results of the database backend."""
    now = now or timezone.now()
    report = CleanupReport()
    for job in (Job.objects.filter(expires_at__lt=now, status__in=[JobStatus.DONE, JobStatus.FAILED])
                .exclude(result_file="").only("pk", "status", "result_file")):
        if job.result_file:
            try:
                job.result_file.delete(save=False)
            except OSError:
                logger.exception("could not delete %s", job.result_file.name)
                continue
        status = JobStatus.EXPIRED if job.status == JobStatus.DONE else job.status  # a refused job stays 失败
        Job.objects.filter(pk=job.pk).update(status=status, result_file="", updated_at=now)
        report.files_deleted += 1
    for job in (Job.objects.filter(status=JobStatus.RUNNING, updated_at__lt=now - STALE_RUNNING)
                | Job.objects.filter(status=JobStatus.QUEUED, created_at__lt=now - STALE_QUEUED)).select_related("owner"):
        _fail(job, "后台任务中断或长时间未执行，请重新发起。" if job.status == JobStatus.RUNNING
              else "后台任务长时间未执行（任务进程可能未运行），请联系系统管理员。")
        report.stale_failed += 1
    report.rows_deleted, _ = Job.objects.filter(expires_at__lt=now - KEEP_ROWS).exclude(
        status__in=[JobStatus.DONE, JobStatus.QUEUED, JobStatus.RUNNING]).delete()
    report.task_results_deleted = _prune_task_results(now)
    return report


def _prune_task_results(now) -> int:
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return 0
    from django_tasks_db.models import DBTaskResult

    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=now - KEEP_ROWS).delete()
    return deleted

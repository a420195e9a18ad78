"""The problem ledger's Excel export as a background job (core.jobs).

The 导出Excel button validates the ledger filters in the request and queues ``ledger_export``;
the task re-reads the owner's scope and re-validates the filters when it runs (a unit may have
left his scope in between), then writes the sheet with :func:`transfer.export_ledger`, reporting
progress as it goes."""

from __future__ import annotations

import tempfile
from types import SimpleNamespace

from django.utils import timezone

from wenming.core import jobs
from wenming.core.jobs import task

from ..models import Severity, Source, State
from . import selectors, transfer

KIND = "cases.ledger_export"
# the ledger page's filter parameters; anything else in the query string (page) is not kept
FILTER_KEYS = ("unit", "state", "category", "source", "severity", "overdue", "open", "start", "end", "q")


def filter_params(query) -> dict[str, str]:
    return {key: query.get(key, "").strip() for key in FILTER_KEYS if query.get(key, "").strip()}


def describe(f: selectors.LedgerFilter, params: dict[str, str]) -> str:
    """The filters in words, for the job's title: 状态：已交办；关键词：井盖."""
    parts = []
    if f.unit is not None:
        parts.append(f"单位：{f.unit.name}")
    if f.state:
        parts.append(f"状态：{State(f.state).label}")
    if f.category is not None:
        parts.append(f"类别：{f.category.name}")
    if f.source:
        parts.append(f"来源：{Source(f.source).label}")
    if f.severity:
        parts.append(f"严重程度：{Severity(f.severity).label}")
    if f.overdue:
        parts.append("只看逾期")
    if f.open_only:
        parts.append("只看未办结")
    if params.get("start") or params.get("end"):
        parts.append(f"发现时间：{params.get('start', '')}～{params.get('end', '')}")
    if f.text:
        parts.append(f"关键词：{f.text}")
    return "；".join(parts)


def request_export(*, actor, f: selectors.LedgerFilter, params: dict[str, str]):
    """Queue an export of the ledger for ``actor`` with the (already validated) filters."""
    summary = describe(f, params)
    title = "问题台账导出" + (f"（{summary}）" if summary else "（全部）")
    return jobs.enqueue(actor=actor, kind=KIND, title=title, params=params, task=ledger_export,
                        permission="org.view")


def _parse(user, params: dict[str, str]):
    from .views import ledger_filter

    return ledger_filter(SimpleNamespace(GET=params, user=user))


def write_ledger(job, progress: jobs.Progress) -> jobs.Output:
    user = job.owner
    f, errors = _parse(user, job.params)
    if errors:
        raise jobs.JobFailed("筛选条件已失效，未导出：" + "；".join(errors))
    qs = selectors.ledger(user, f)  # scoped to the owner as he is now
    progress.start(qs.count())
    handle = tempfile.TemporaryFile()
    try:
        rows = transfer.export_ledger(actor=user, qs=qs, fileobj=handle, filters=job.params, progress=progress)
    except BaseException:
        handle.close()
        raise
    progress.done = rows
    return jobs.Output(file=handle, name=f"问题台账-{timezone.localdate():%Y%m%d}.xlsx",
                       content_type=transfer.XLSX_CONTENT_TYPE, message=f"共导出 {rows:,} 行")


@task()
def ledger_export(job_id: int) -> dict:
    return jobs.run(job_id, write_ledger)

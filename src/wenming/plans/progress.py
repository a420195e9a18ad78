"""How far a plan is (DESIGN.md §7): a responsible unit's progress is its latest accepted report; a
task's the mean of its responsible units'; a stage's and the plan's the mean of their tasks' by the
tasks' weights. A task is 滞后 when its progress trails the share of its time already used (from its
stage's start, or its 下发, to its deadline) by more than the plan's margin (20 points unless set).

All figures of a plan come from two queries however many tasks and units it has."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from .models import AssignmentRole, Cadence, ProgressReport, ReportStatus, Stage, Task, TaskStatus

HUNDRED = Decimal(100)


def period_for(stage: Stage | None, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The report period holding ``day``: that day while the stage asks for daily reports, else its
    week (Monday to Sunday)."""
    if stage is not None and stage.cadence == Cadence.DAILY and stage.start <= day <= stage.end:
        return day, day
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


def task_start(task: Task) -> datetime.date:
    if task.stage_id is not None and task.stage is not None:
        return task.stage.start
    moment = task.issued_at or task.created_at
    return timezone.localtime(moment).date() if moment else timezone.localdate()


def time_share(task: Task, today: datetime.date) -> Decimal | None:
    """The share (0–100) of the task's time used by ``today``; None without a deadline."""
    if task.deadline is None:
        return None
    start = task_start(task)
    if today <= start:
        return Decimal(0)
    if today >= task.deadline or task.deadline <= start:
        return HUNDRED
    return (Decimal((today - start).days) * HUNDRED / Decimal((task.deadline - start).days)).quantize(Decimal("0.1"))


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class TaskProgress:
    task: Task
    percent: Decimal                              # the mean of its responsible units' accepted progress
    units: dict[int, int] = field(default_factory=dict)   # assignment id → its accepted percent (0: none yet)
    measured: Decimal | None = None               # the latest accepted measured value of any unit
    expected: Decimal | None = None               # the share of its time used
    lagging: bool = False
    overdue: bool = False                         # past its deadline, not at 100 %
    pending: int = 0                              # reports waiting for review


@dataclass
class PlanProgress:
    percent: Decimal
    stages: dict[int | None, Decimal]             # stage id (None: no stage) → its progress
    tasks: dict[int, TaskProgress]
    lagging: int = 0
    overdue: int = 0


def weighted(items: list[tuple[Decimal, Decimal]]) -> Decimal:
    """The mean of (value, weight) pairs by weight; 0 for none."""
    total = sum((weight for _, weight in items), Decimal(0))
    if not total:
        return Decimal(0)
    return _round(sum((value * weight for value, weight in items), Decimal(0)) / total)


def of_tasks(tasks: list[Task], margin: int, today: datetime.date | None = None) -> PlanProgress:
    """The figures of ``tasks`` (their assignments prefetched, as selectors.tasks_of gives them)."""
    today = today or timezone.localdate()
    ids = [task.pk for task in tasks]
    latest: dict[int, ProgressReport] = {}
    pending: dict[int, int] = {}
    for report in (ProgressReport.objects.filter(task_id__in=ids).only(
            "id", "assignment_id", "task_id", "status", "percent", "measured", "period_start")
            .order_by("assignment_id", "-period_start", "-id")):
        if report.status == ReportStatus.ACCEPTED:
            latest.setdefault(report.assignment_id, report)
        elif report.status == ReportStatus.SUBMITTED:
            pending[report.task_id] = pending.get(report.task_id, 0) + 1
    figures: dict[int, TaskProgress] = {}
    for task in tasks:
        responsible = [a for a in task.assignments.all() if a.role == AssignmentRole.RESPONSIBLE]
        units = {a.pk: (latest[a.pk].percent if a.pk in latest else 0) for a in responsible}
        percent = _round(Decimal(sum(units.values())) / len(units)) if units else Decimal(0)
        reports = sorted((latest[a.pk] for a in responsible if a.pk in latest and latest[a.pk].measured is not None),
                         key=lambda r: (r.period_start, r.pk))
        expected = time_share(task, today) if task.status == TaskStatus.ISSUED else None
        figure = TaskProgress(task=task, percent=percent, units=units, expected=expected,
                              measured=reports[-1].measured if reports else None, pending=pending.get(task.pk, 0))
        if expected is not None and percent < HUNDRED:
            figure.lagging = percent < expected - margin
            figure.overdue = today > task.deadline
        figures[task.pk] = figure
    stages: dict[int | None, list[tuple[Decimal, Decimal]]] = {}
    for figure in figures.values():
        stages.setdefault(figure.task.stage_id, []).append((figure.percent, figure.task.weight))
    return PlanProgress(
        percent=weighted([(f.percent, f.task.weight) for f in figures.values()]),
        stages={stage: weighted(items) for stage, items in stages.items()}, tasks=figures,
        lagging=sum(1 for f in figures.values() if f.lagging), overdue=sum(1 for f in figures.values() if f.overdue))

"""How far a plan is (DESIGN.md §7): a responsible unit's progress is its latest accepted report; a
task's the mean of its responsible units'; a stage's and the plan's the mean of their tasks' by the
tasks' weights. A task is 滞后 when its progress trails the share of its time already used (from its
stage's start, or its 下发, to its deadline) by more than the plan's margin (20 points unless set).

All figures of a plan come from three queries however many tasks and units it has, reading plain values."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone

from .models import Assignment, AssignmentRole, Cadence, ProgressReport, ReportStatus, Stage, Task, TaskStatus

HUNDRED = Decimal(100)


def period_for(stage: Stage | None, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The report period holding ``day``: that day while the stage asks for daily reports, else its
    week (Monday to Sunday)."""
    if stage is not None and stage.cadence == Cadence.DAILY and stage.start <= day <= stage.end:
        return day, day
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


def task_start(task) -> datetime.date:
    """The day the task's time starts: its stage's first day, else the day it was 下发 (or made)."""
    if isinstance(task, _Task):
        if task.stage_start is not None:
            return task.stage_start
    elif task.stage_id is not None and task.stage is not None:
        return task.stage.start
    moment = task.issued_at or task.created_at
    return timezone.localtime(moment).date() if moment else timezone.localdate()


def time_share(task, today: datetime.date) -> Decimal | None:
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
    task_id: int
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


@dataclass
class _Task:
    """What the figures need of a task (read as plain values: a plan of thousands of tasks stays cheap)."""

    pk: int
    stage_id: int | None
    stage_start: datetime.date | None
    weight: Decimal
    deadline: datetime.date | None
    issued_at: datetime.datetime | None
    created_at: datetime.datetime | None
    status: str


def of_tasks(tasks, margin: int, today: datetime.date | None = None) -> PlanProgress:
    """The figures of ``tasks`` — a queryset of tasks, or a list of them — in four queries however many."""
    today = today or timezone.localdate()
    if isinstance(tasks, QuerySet):
        rows = tasks
    else:
        rows = Task.objects.filter(pk__in=[task.pk for task in tasks])
    light = [_Task(pk=r["pk"], stage_id=r["stage_id"], stage_start=r["stage__start"], weight=r["weight"],
                   deadline=r["deadline"], issued_at=r["issued_at"], created_at=r["created_at"], status=r["status"])
             for r in rows.order_by().values("pk", "stage_id", "stage__start", "weight", "deadline", "issued_at",
                                             "created_at", "status")]
    ids = Task.objects.filter(pk__in=rows.order_by().values("pk"))
    parts: dict[int, list[int]] = {}
    for assignment_id, task_id in (Assignment.objects.filter(task__in=ids, role=AssignmentRole.RESPONSIBLE)
                                   .order_by("task_id", "sort", "id").values_list("id", "task_id")):
        parts.setdefault(task_id, []).append(assignment_id)
    latest: dict[int, tuple] = {}
    pending: dict[int, int] = {}
    for assignment_id, task_id, status, percent, measured, period_start, report_id in (
            ProgressReport.objects.filter(task__in=ids).order_by("assignment_id", "-period_start", "-id")
            .values_list("assignment_id", "task_id", "status", "percent", "measured", "period_start", "id")):
        if status == ReportStatus.ACCEPTED:
            latest.setdefault(assignment_id, (percent, measured, period_start, report_id))
        elif status == ReportStatus.SUBMITTED:
            pending[task_id] = pending.get(task_id, 0) + 1
    figures: dict[int, TaskProgress] = {}
    for task in light:
        responsible = parts.get(task.pk, [])
        units = {a: (latest[a][0] if a in latest else 0) for a in responsible}
        percent = _round(Decimal(sum(units.values())) / len(units)) if units else Decimal(0)
        measured = sorted((latest[a] for a in responsible if a in latest and latest[a][1] is not None),
                          key=lambda r: (r[2], r[3]))
        expected = time_share(task, today) if task.status == TaskStatus.ISSUED else None
        figure = TaskProgress(task_id=task.pk, percent=percent, units=units, expected=expected,
                              measured=measured[-1][1] if measured else None, pending=pending.get(task.pk, 0))
        if expected is not None and percent < HUNDRED:
            figure.lagging = percent < expected - margin
            figure.overdue = today > task.deadline
        figures[task.pk] = figure
    stages: dict[int | None, list[tuple[Decimal, Decimal]]] = {}
    for task in light:
        stages.setdefault(task.stage_id, []).append((figures[task.pk].percent, task.weight))
    return PlanProgress(
        percent=weighted([(figures[t.pk].percent, t.weight) for t in light]),
        stages={stage: weighted(items) for stage, items in stages.items()}, tasks=figures,
        lagging=sum(1 for f in figures.values() if f.lagging), overdue=sum(1 for f in figures.values() if f.overdue))


def own_figure(figure: TaskProgress, parts: set[int], margin: int, today: datetime.date | None = None) -> TaskProgress:
    """The task's figures as a unit that is not the plan's overseer may see them: over its own parts only."""
    today = today or timezone.localdate()
    units = {a: p for a, p in figure.units.items() if a in parts}
    percent = _round(Decimal(sum(units.values())) / len(units)) if units else Decimal(0)
    own = TaskProgress(task_id=figure.task_id, percent=percent, units=units, expected=figure.expected)
    if figure.expected is not None and units and percent < HUNDRED:
        own.lagging = percent < figure.expected - margin
        own.overdue = figure.overdue
    return own

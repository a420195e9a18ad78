"""Reads of work plans and tasks, scoped by plans.policy: the plan list, one plan with its stages and
tasks (a fixed number of queries however many tasks), one task, and a unit's tasks (我的任务)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from wenming.core import access

from . import policy
from .models import Assignment, AssignmentRole, ProgressReport, ReportFile, Task, TaskStatus, WorkPlan


def plans(user, *, q: str = "", year: int | None = None) -> QuerySet[WorkPlan]:
    rows = WorkPlan.objects.filter(pk__in=WorkPlan.objects.filter(policy.plan_filter(user)).values("pk"))
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(doc_number__icontains=q))
    if year:  # a multi-year plan is found under each of its years
        rows = rows.filter(Q(year=year) | Q(year__lt=year, end_year__gte=year))
    visible = Task.objects.filter(policy.task_filter(user)).values("pk")
    return (rows.select_related("owner")
            .annotate(task_count=Count("tasks", filter=Q(tasks__pk__in=visible), distinct=True))
            .order_by("-year", "-created_at", "-id"))


def plan_for(user, pk: int) -> WorkPlan:
    plan = plans(user).filter(pk=pk).select_related("system", "created_by").first()
    if plan is None:
        access.refuse_not_found(user, "plans.plan", target=f"work_plan:{pk}")
    return plan


def _with_units(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.select_related("stage").prefetch_related(
        Prefetch("assignments", queryset=Assignment.objects.select_related("unit").order_by("role", "sort", "id")),
        "indicators")


def tasks_of(user, plan: WorkPlan) -> QuerySet[Task]:
    """The plan's tasks the user sees, in 序号 order, with their units and indicators."""
    rows = Task.objects.filter(plan=plan)
    if not policy.oversees(user, plan):
        rows = rows.filter(pk__in=Task.objects.filter(policy.task_filter(user), plan=plan).values("pk"))
    return _with_units(rows.order_by("seq", "id"))


def task_for(user, pk: int) -> Task:
    task = (_with_units(Task.objects.filter(pk__in=Task.objects.filter(policy.task_filter(user), pk=pk).values("pk")))
            .select_related("plan", "plan__owner").first())
    if task is None:
        access.refuse_not_found(user, "plans.task", target=f"task:{pk}")
    return task


def my_assignments(user, *, pending_only: bool = False) -> QuerySet[Assignment]:
    """The issued tasks of the units the user works at (an office: its unit and those below)."""
    rows = Assignment.objects.filter(policy.assignment_filter(user), task__status=TaskStatus.ISSUED)
    if pending_only:
        rows = rows.filter(signed_at__isnull=True)
    return (rows.select_related("task", "task__plan", "unit", "signed_by")
            .order_by("signed_at", "task__deadline", "task__plan_id", "task__seq", "role", "id"))


def assignment_for(user, pk: int) -> Assignment:
    found = my_assignments(user).filter(pk=pk).first()
    if found is None:
        access.refuse_not_found(user, "plans.assignment", target=f"assignment:{pk}")
    return found



def owner_choices(user) -> list:
    from wenming.org.models import Unit

    return list(Unit.objects.filter(path__in=policy.office_paths(user), is_active=True).order_by("path"))


def system_choices() -> list:
    from wenming.standards.models import IndexSystem, SystemStatus

    return list(IndexSystem.objects.exclude(status=SystemStatus.DRAFT).order_by("-created_at", "-id")[:20])


def reports_of(user, task: Task) -> QuerySet[ProgressReport]:
    """The task's reports the user sees: all of them for those who see the whole task (its plan's overseers
    and its reviewers), else those of the units in his scope."""
    rows = ProgressReport.objects.filter(task=task)
    if not (policy.oversees(user, task.plan) or policy.reviews(user, task)):
        rows = rows.filter(policy.report_filter(user))
    return (rows.select_related("unit", "submitted_by", "reviewed_by").prefetch_related("files")
            .order_by("-period_start", "-created_at", "-id"))


def report_for(user, pk: int) -> ProgressReport:
    report = ProgressReport.objects.filter(pk=pk).select_related("task", "task__plan", "unit").first()
    if report is None or not reports_of(user, task_for(user, report.task_id)).filter(pk=pk).exists():
        access.refuse_not_found(user, "plans.report", target=f"progress_report:{pk}")
    return report


def report_file_for(user, pk: int) -> ReportFile:
    stored = ReportFile.objects.filter(pk=pk).select_related("report", "report__unit").first()
    if stored is None:
        access.refuse_not_found(user, "plans.report_file", target=f"report_file:{pk}")
    report_for(user, stored.report_id)
    return stored


def meetings(user, *, q: str = "", kind: str = "", year: int | None = None) -> QuerySet:
    from .models import Meeting

    rows = Meeting.objects.filter(policy.meeting_filter(user))
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(minutes__icontains=q) | Q(chair__icontains=q))
    if kind:
        rows = rows.filter(kind=kind)
    if year:
        rows = rows.filter(held_on__year=year)
    return (rows.select_related("owner").annotate(decision_count=Count("decisions", distinct=True),
                                                  file_count=Count("files", distinct=True))
            .order_by("-held_on", "-id"))


def meeting_for(user, pk: int):
    found = meetings(user).filter(pk=pk).first()
    if found is None:
        access.refuse_not_found(user, "plans.meeting", target=f"meeting:{pk}")
    return found


def meeting_file_for(user, pk: int):
    from .models import MeetingFile

    stored = MeetingFile.objects.filter(pk=pk).select_related("meeting").first()
    if stored is None:
        access.refuse_not_found(user, "plans.meeting_file", target=f"meeting_file:{pk}")
    meeting_for(user, stored.meeting_id)
    return stored


def plans_to_add_to(user, meeting) -> list:
    """The plans a decision of ``meeting`` may go into: those the user manages whose owner is the meeting's
    unit or lies above it (a decision of the city's 调度会 goes into a city plan)."""
    rows = [p for p in WorkPlan.objects.filter(owner_path__in=_prefixes(meeting.owner_path)).select_related("owner")
            .order_by("-year", "-id") if policy.may_manage(user, p)]
    return rows


def _prefixes(path: str) -> list[str]:
    pieces = path.strip("/").split("/")
    return ["/" + "/".join(pieces[:n]) + "/" for n in range(1, len(pieces) + 1)]


def decisions_of(user, meeting) -> QuerySet[Task]:
    """The tasks made of the meeting's decisions that the user sees."""
    rows = Task.objects.filter(meeting=meeting).filter(
        pk__in=Task.objects.filter(policy.task_filter(user), meeting=meeting).values("pk"))
    return _with_units(rows).select_related("plan").order_by("plan_id", "seq")


# a cell of the matrix: its state (the colour) and its label
CELL_DONE, CELL_OVERDUE, CELL_LAGGING, CELL_PENDING, CELL_UNSIGNED, CELL_RUNNING = (
    "done", "overdue", "lagging", "pending", "unsigned", "running")
CELL_LABELS = {CELL_DONE: "已完成", CELL_OVERDUE: "逾期", CELL_LAGGING: "滞后", CELL_PENDING: "报告待审核",
               CELL_UNSIGNED: "未签收", CELL_RUNNING: "推进中"}


def matrix_tasks(user, plan: WorkPlan, *, stage_id: int | None = None) -> QuerySet[Task]:
    """The columns of the matrix: the plan's issued tasks the user sees (of one stage), in 序号 order."""
    rows = tasks_of(user, plan).filter(status=TaskStatus.ISSUED)
    return rows.filter(stage_id=stage_id) if stage_id is not None else rows


def matrix(user, plan: WorkPlan, *, tasks, status: str = "") -> dict:
    """The unit × task matrix over ``tasks`` (matrix_tasks, or a page of them): one row per responsible unit,
    one column per task, each cell the unit's state on it (signed, latest report, its progress, 逾期/滞后).
    A fixed number of queries however many units and tasks."""
    from . import progress as progress_module
    from .models import ReportStatus

    tasks = list(tasks)
    today = timezone.localdate()
    figures = progress_module.of_tasks(tasks, plan.lag_margin, today)
    pending = set(ProgressReport.objects.filter(task__in=tasks, status=ReportStatus.SUBMITTED)
                  .values_list("assignment_id", flat=True))
    units: dict[int, object] = {}
    cells: dict[tuple[int, int], dict] = {}
    for task in tasks:
        figure = figures.tasks[task.pk]
        for a in task.assignments.all():
            if a.role != AssignmentRole.RESPONSIBLE:
                continue
            units.setdefault(a.unit_id, a.unit)
            percent = figure.units.get(a.pk, 0)
            late = task.deadline is not None and today > task.deadline
            behind = figure.expected is not None and percent < figure.expected - plan.lag_margin
            state = (CELL_DONE if percent >= 100 else CELL_OVERDUE if late else CELL_LAGGING if behind
                     else CELL_PENDING if a.pk in pending else CELL_UNSIGNED if a.signed_at is None else CELL_RUNNING)
            cells[(a.unit_id, task.pk)] = {"percent": percent, "state": state, "assignment": a}
    rows = sorted(units.values(), key=lambda u: u.path)
    if not policy.oversees(user, plan):  # another unit's figures are not for a unit to see
        scope = access.scope_for(user)
        rows = [u for u in rows if scope.sees_unit(u)]
    if status:
        rows = [u for u in rows if any(cells.get((u.pk, t.pk), {}).get("state") == status for t in tasks)]
    return {"tasks": tasks, "units": rows, "cells": cells, "figures": figures}


def waiting_assignments(task: Task) -> set[int]:
    """The task's assignments whose latest report waits for review."""
    from .models import ReportStatus

    return set(ProgressReport.objects.filter(task=task, status=ReportStatus.SUBMITTED)
               .values_list("assignment_id", flat=True))


def draft_counts(tasks: QuerySet[Task]) -> tuple[int, int]:
    """(draft tasks, drafts lacking any of the 四明确) among ``tasks`` — counted in the database (the services
    store the texts stripped, so an empty text is a missing one)."""
    drafts = tasks.filter(status=TaskStatus.DRAFT).order_by()
    lacking = (Q(metric="") | Q(comparator="") | Q(target_value__isnull=True) | Q(standard="") | Q(person="")
               | Q(deadline__isnull=True))
    return drafts.count(), drafts.filter(lacking).count()


def plan_file_for(user, pk: int):
    from .models import PlanFile

    stored = PlanFile.objects.filter(pk=pk).select_related("plan", "plan__owner").first()
    if stored is None:
        access.refuse_not_found(user, "plans.plan_file", target=f"plan_file:{pk}")
    plan_for(user, stored.plan_id)
    return stored


def own_parts(user, task: Task) -> set[int]:
    """The task's responsible parts (assignment ids) of units in the user's scope."""
    scope = access.scope_for(user)
    return {a.pk for a in task.assignments.all() if a.role == AssignmentRole.RESPONSIBLE and scope.sees_unit(a.unit)}

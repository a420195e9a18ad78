"""迎检 readiness, "if the assessment were today", over the units the viewer oversees:

* materials — the completeness matrix's cells that are not 齐全, by requirement, with the units lacking them;
* tasks — issued tasks of the year's plans he oversees that are 滞后 or overdue;
* open problems at the sampled points — the points of the latest inspection round he may read (his own
  offices' rounds, or published ones: a 暗访 stays secret until published), with the problems raised there
  still open;
* the weakest check items — the lowest pass rates of the results he may read over the last 90 days
  (items with at least :data:`MIN_RESULTS` results).

Every figure comes from a fixed number of queries (one set per plan for the tasks)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Count, Q
from django.utils import timezone

from wenming.cases.models import OPEN_STATES, Problem
from wenming.cases.policy import visible_problem_ids
from wenming.core import access
from wenming.inspections.models import Inspection, InspectionRound, ItemResult, RoundPoint, RoundStatus
from wenming.plans import policy as plan_policy
from wenming.plans import progress
from wenming.plans.models import PlanStatus, Task, TaskStatus, WorkPlan
from wenming.standards.models import CheckItem

from . import completeness, policy, selectors

WINDOW_DAYS = 90
MIN_RESULTS = 3
WEAKEST = 10
LIST_LIMIT = 50


@dataclass
class Gap:
    requirement: object
    counts: dict[str, int]
    units: list                      # (unit, cell) of the cells not complete, first LIST_LIMIT


@dataclass
class LaggingTask:
    task: Task
    percent: object
    expected: object
    overdue: bool


@dataclass
class WeakItem:
    item: CheckItem
    results: int
    failed: int

    @property
    def pass_rate(self) -> float:
        return round((self.results - self.failed) * 100 / self.results, 1) if self.results else 0.0


@dataclass
class Report:
    day: datetime.date
    matrix: completeness.Matrix
    gaps: list[Gap] = field(default_factory=list)
    tasks: list[LaggingTask] = field(default_factory=list)
    round: InspectionRound | None = None
    sampled_points: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    openable: set[int] = field(default_factory=set)     # the listed problems the viewer may open
    weakest: list[WeakItem] = field(default_factory=list)


def _overseen(user) -> list[str]:
    return [path for path, _, role in access.scope_for(user).grants if role in policy.OVERSEERS]


def build(user, *, day: datetime.date | None = None) -> Report:
    day = day or timezone.localdate()
    matrix = selectors.matrix(user, day.year, system=selectors.system_in_use())
    report = Report(day=day, matrix=matrix)
    units = {unit.pk: unit for unit in matrix.units}
    for requirement in matrix.requirements:
        counts = matrix.by_requirement.get(requirement.pk)
        if not counts or counts[completeness.COMPLETE] == sum(counts.values()):
            continue
        cells = ((units[u], matrix.cell(requirement.pk, u)) for u in sorted(
            matrix.applies[requirement.pk], key=lambda u: units[u].path))
        lacking = [(unit, cell) for unit, cell in cells if cell.state != completeness.COMPLETE]
        report.gaps.append(Gap(requirement, counts, lacking[:LIST_LIMIT]))

    paths = _overseen(user)
    if not paths:
        return report
    in_paths = reduce(or_, [Q(owner_path__startswith=p) for p in paths])
    plans = WorkPlan.objects.filter(in_paths, status=PlanStatus.ISSUED).filter(
        Q(year=day.year) | Q(year__lt=day.year, end_year__gte=day.year)).order_by("year", "pk")
    for plan in plans:
        if not plan_policy.oversees(user, plan):
            continue
        tasks = Task.objects.filter(plan=plan, status=TaskStatus.ISSUED)
        figures = progress.of_tasks(tasks, plan.lag_margin, today=day)
        late = [pk for pk, f in figures.tasks.items() if f.lagging or f.overdue]
        for task in Task.objects.filter(pk__in=late).select_related("plan").order_by("deadline", "seq"):
            f = figures.tasks[task.pk]
            report.tasks.append(LaggingTask(task=task, percent=f.percent, expected=f.expected, overdue=f.overdue))

    readable = in_paths | Q(status=RoundStatus.PUBLISHED)
    point_scope = reduce(or_, [Q(unit_path__startswith=p) for p in paths])
    latest = (InspectionRound.objects.filter(readable).exclude(status=RoundStatus.DRAFT)
              .filter(pk__in=RoundPoint.objects.filter(point_scope).values("round_id"))
              .order_by("-period_end", "-id").first())
    if latest is not None:
        report.round = latest
        points = RoundPoint.objects.filter(point_scope, round=latest).values("point_id")
        report.sampled_points = RoundPoint.objects.filter(point_scope, round=latest).count()
        raised = ItemResult.objects.filter(inspection__round_point__point_id__in=points,
                                           problem__isnull=False).values("problem_id")
        problems = Problem.objects.filter(pk__in=raised, state__in=OPEN_STATES).select_related("unit")
        report.problem_count = problems.count()
        report.problems = list(problems.order_by("deadline", "id")[:LIST_LIMIT])
        report.openable = visible_problem_ids(user, [p.pk for p in report.problems])

    since = timezone.now() - datetime.timedelta(days=WINDOW_DAYS)
    rounds = InspectionRound.objects.filter(readable).values("pk")
    rows = (ItemResult.objects.filter(applicable=True, inspection__status=Inspection.Status.SUBMITTED,
                                      inspection__submitted_at__gte=since, inspection__round_point__round__in=rounds)
            .filter(reduce(or_, [Q(inspection__round_point__unit_path__startswith=p) for p in paths]))
            .order_by().values("item_id").annotate(n=Count("id"), failed=Count("id", filter=Q(failed=True)))
            .filter(n__gte=MIN_RESULTS))
    # the lowest pass rate first; of equal rates, the item measured more often; then by id
    figures = sorted(((-row["failed"] / row["n"], -row["n"], row["item_id"], row["n"], row["failed"]) for row in rows
                      if row["failed"]))[:WEAKEST]
    items = CheckItem.objects.in_bulk([f[2] for f in figures])
    report.weakest = [WeakItem(item=items[f[2]], results=f[3], failed=f[4]) for f in figures]
    return report

"""Measured values the platform computes itself (DESIGN.md §7): a task whose target is a figure the
platform already holds — 按期办结率 and 办结率 of the problems (cases.metrics, this year to now), the
share of 达标 points (places, latest scores) — gets each responsible unit's value from that source,
labelled as computed with where it came from, instead of a number the unit types."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from wenming.cases.metrics import figures
from wenming.places.models import PASS_SCORE, Point

from .models import Comparator, Source, Task

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Computed:
    value: Decimal | None         # in percent; None when there is nothing to count yet
    basis: str                    # where it came from, in Chinese: “2026-01-01至今，到期问题12个”


def _year_start(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def compute(task: Task, units: list, now: datetime.datetime | None = None) -> dict[int, Computed]:
    """unit id → its computed value for ``task`` (empty when the task is reported by the units)."""
    now = now or timezone.now()
    if task.source in (Source.ON_TIME_RATE, Source.CLOSURE_RATE):
        start = _year_start(now)
        out = {}
        for unit in units:
            metrics = figures.unit_metrics(unit, start, now)
            if task.source == Source.ON_TIME_RATE:
                rate, count = metrics.on_time_rate, f"到期问题{metrics.due}个，按期办结{metrics.closed_on_time}个"
            else:
                rate, count = metrics.closure_rate, f"交办问题{metrics.assigned}个，已办结{metrics.assigned_closed}个"
            out[unit.pk] = Computed(None if rate is None else (rate * HUNDRED).quantize(Decimal("0.01")),
                                    f"{start:%Y-%m-%d}至今，{count}")
        return out
    if task.source == Source.POINT_PASS_RATE:
        out = {}
        for unit in units:
            counted = Point.objects.filter(unit_path__startswith=unit.path, is_active=True,
                                           latest_score__isnull=False).aggregate(
                scored=Count("pk"), passed=Count("pk", filter=Q(latest_score__gte=PASS_SCORE)))
            value = (Decimal(counted["passed"]) * HUNDRED / counted["scored"]).quantize(Decimal("0.01")) \
                if counted["scored"] else None
            out[unit.pk] = Computed(value, f"最近测评的点位{counted['scored']}个，达标（≥{PASS_SCORE}分）"
                                           f"{counted['passed']}个")
        return out
    return {}


def meets(task: Task, value: Decimal | None) -> bool | None:
    """Whether ``value`` meets the task's target (None: no target or no value)."""
    if value is None or not task.has_target:
        return None
    target = task.target_value
    return {Comparator.GE: value >= target, Comparator.GT: value > target, Comparator.EQ: value == target,
            Comparator.LE: value <= target, Comparator.LT: value < target}[task.comparator]

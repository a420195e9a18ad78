"""Problems reported per day, area and category, pre-aggregated (DESIGN.md §10): the dashboard's
heat reads a few hundred ``AreaDayCount`` rows instead of a month of problems.

* **Rows.** For each local day, each category and each level of the problems' area paths ("/1/",
  "/1/5/", "/1/5/42/" …): the problems reported that day whose area lies there, rejected and merged
  ones left out (as every figure, ``figures.EXCLUDED_STATES``).
* **Filling** (:func:`refresh`, run by the sweeper each loop): only what changed — the past days of
  the window (:data:`KEEP_DAYS`) not yet computed, and the computed days a later change made stale
  (:func:`mark`, called in the same transaction as the change: a problem reported on an earlier day
  rejected, merged or re-opened; ``invalidate`` after bulk writes such as the demo's). Today is never
  stored: it is read from the problems, an index range of one day.
* **Reading** (:func:`counts`): stored rows for the computed, unmarked days, and the problems
  themselves for today and for any day the sweeper has not caught up with, so a figure is never
  stale or short, only slower while the sweeper lags.
* **Two sweepers** computing the same day take the ``AreaDay`` row's lock first; the second waits,
  then computes again from the same problems: same rows, never twice.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import suppress
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..models import AreaDay, AreaDayCount, AreaDayMark, Problem
from .figures import EXCLUDED_STATES, TZ, _child_segment

KEEP_DAYS = 90   # the days kept computed, counting back from yesterday


def local_day(at: datetime) -> date:
    return at.astimezone(TZ).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=TZ)
    return start, start + timedelta(days=1)


def depth(path: str) -> int:
    return path.strip("/").count("/") + 1 if path.strip("/") else 0


def below(path: str) -> Q:
    """Paths at or under ``path`` as an index range (paths end in "/", and "0" follows "/")."""
    return Q(path__gte=path, path__lt=path[:-1] + "0")


# --- writing -------------------------------------------------------------------------------------------

def mark(created_at: datetime) -> None:
    """The counts of the day ``created_at`` falls on must be recomputed (call inside the change's
    transaction). Today's are never stored, so nothing to do for them."""
    day = local_day(created_at)
    if day < local_day(timezone.now()):
        AreaDayMark.objects.create(day=day)


def invalidate(days=None) -> None:
    """Forget the stored counts of ``days`` (every day when None) after writes that bypass the
    services (the demo's generators, a reset): they are read from the problems until recomputed."""
    if days is None:
        AreaDay.objects.all().delete()
        AreaDayCount.objects.all().delete()
        AreaDayMark.objects.all().delete()
    else:
        days = sorted(set(days))
        AreaDay.objects.filter(day__in=days).delete()
        AreaDayCount.objects.filter(day__in=days).delete()


def _rows_of(day: date) -> list[AreaDayCount]:
    start, end = day_bounds(day)
    totals: dict[tuple[str, int], int] = defaultdict(int)
    for area_path, category_id, n in (Problem.objects.filter(created_at__gte=start, created_at__lt=end)
                                      .exclude(state__in=EXCLUDED_STATES).values_list("area_path", "category_id")
                                      .annotate(n=Count("pk")).order_by()):
        segments = area_path.strip("/").split("/") if area_path.strip("/") else []
        for level in range(1, len(segments) + 1):
            totals["/" + "/".join(segments[:level]) + "/", category_id] += n
    return [AreaDayCount(day=day, depth=depth(path), path=path, category_id=category_id, n=n)
            for (path, category_id), n in sorted(totals.items())]


def compute_day(day: date, now: datetime | None = None) -> int:
    """Recompute one day's rows from the problems, under the day's lock: the number of rows."""
    now = now or timezone.now()
    with transaction.atomic():
        # another sweeper creating the row at the same moment is no error: its lock decides below
        with suppress(IntegrityError), transaction.atomic():
            AreaDay.objects.get_or_create(day=day, defaults={"computed_at": now})
        AreaDay.objects.select_for_update().get(day=day)
        AreaDayCount.objects.filter(day=day).delete()
        rows = _rows_of(day)
        AreaDayCount.objects.bulk_create(rows, batch_size=2000)
        AreaDay.objects.filter(day=day).update(computed_at=now)
    return len(rows)


def refresh(now: datetime | None = None, keep_days: int = KEEP_DAYS) -> list[date]:
    """Compute the window's past days that are missing or marked stale; the days computed."""
    now = now or timezone.now()
    today = local_day(now)
    first = today - timedelta(days=keep_days)
    marks = list(AreaDayMark.objects.filter(day__lt=today).values_list("pk", "day"))  # read before the problems
    computed = set(AreaDay.objects.filter(day__gte=first, day__lt=today).values_list("day", flat=True))
    todo = {first + timedelta(days=n) for n in range(keep_days)} - computed
    todo |= {day for _, day in marks if first <= day < today}
    for day in sorted(todo):
        compute_day(day, now)
    if marks:
        AreaDayMark.objects.filter(pk__in=[pk for pk, _ in marks]).delete()
    return sorted(todo)


# --- reading -------------------------------------------------------------------------------------------

def counts(top_path: str, first: date, last: date, now: datetime | None = None) -> dict[tuple[str, int], int]:
    """Problems reported from ``first`` to ``last`` (local days, inclusive) in ``top_path``'s area, by
    child segment ("" for the top itself) and category id: 3 queries whatever the number of problems
    (the days stored, the stored rows, the problems of the days not stored)."""
    now = now or timezone.now()
    today = local_day(now)
    stored = set(AreaDay.objects.filter(day__gte=first, day__lte=min(last, today - timedelta(days=1)))
                 .exclude(day__in=AreaDayMark.objects.values("day")).values_list("day", flat=True))
    out: dict[tuple[str, int], int] = defaultdict(int)
    top_depth = depth(top_path)
    if stored:
        children: dict[int, int] = defaultdict(int)
        for path, level, category_id, n in (
                AreaDayCount.objects.filter(below(top_path), depth__in=[top_depth, top_depth + 1], day__in=stored)
                .values_list("path", "depth", "category_id").annotate(n=Sum("n")).order_by()):
            if level == top_depth:
                out["", category_id] += n     # the whole area; its children are taken off below
            else:
                child = path[len(top_path):].strip("/")
                out[child, category_id] += n
                children[category_id] += n
        for category_id, n in children.items():
            out["", category_id] -= n
    ranges = Q()
    day = first
    while day <= last:
        if day not in stored:
            end = day
            while end + timedelta(days=1) <= last and end + timedelta(days=1) not in stored:
                end += timedelta(days=1)
            start, stop = day_bounds(day)[0], min(day_bounds(end)[1], now + timedelta(microseconds=1))
            ranges |= Q(created_at__gte=start, created_at__lt=stop)
            day = end
        day += timedelta(days=1)
    if ranges:
        for row in (Problem.objects.filter(ranges, area_path__startswith=top_path).exclude(state__in=EXCLUDED_STATES)
                    .annotate(child=_child_segment("area_path", top_path)).values("child", "category_id")
                    .annotate(n=Count("pk")).order_by()):
            out[row["child"] or "", row["category_id"]] += row["n"]
    return {key: n for key, n in out.items() if n}

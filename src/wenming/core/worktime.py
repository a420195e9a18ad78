"""Working-time arithmetic for problem deadlines (DESIGN.md §5, "Deadlines").

Pure Python, no Django models: the caller builds a :class:`Schedule` from the office's configuration
(office hours, local day overrides) and passes it to every function.

Working days follow the Chinese official calendar (statutory holidays and make-up working days 调休) via
``chinese_calendar``. Days the office marks in ``Schedule.overrides`` win over the library. For years the
library does not cover (:func:`calendar_covers` is False) the fallback is plain Monday–Friday.

Conventions used throughout:

* Office periods are half-open ``[start, end)`` intervals of wall-clock time on a working day.
* All datetimes must be timezone-aware (naive ones raise ``ValueError``); they are converted to the schedule's
  zone first and every returned datetime is in the schedule's zone.
* Working time is wall-clock time inside office periods; periods never span midnight.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "Schedule",
    "add_working_days",
    "add_working_hours",
    "calendar_covers",
    "is_working_day",
    "next_office_moment",
    "office_periods",
    "working_hours_between",
]

ONE_DAY = timedelta(days=1)
ONE_HOUR = timedelta(hours=1)

# Years for which chinese_calendar has official data (it raises NotImplementedError outside this range).
_CALENDAR_FIRST_YEAR = min(chinese_calendar.holidays).year
_CALENDAR_LAST_YEAR = max(chinese_calendar.holidays).year


def _as_time(value: time | str) -> time:
    """Accept a ``time`` or an ``"HH:MM"`` string (handy when the configuration comes from a form or JSON)."""
    if isinstance(value, str):
        value = time.fromisoformat(value)
    if not isinstance(value, time):
        raise TypeError(f"office period bounds must be datetime.time or 'HH:MM', got {value!r}")
    if value.tzinfo is not None:
        raise ValueError("office period bounds are wall-clock times and must not carry a tzinfo")
    return value


@dataclass(frozen=True)
class Schedule:
    """Office hours, time zone and local day overrides.

    ``periods``   ordered, non-overlapping (start, end) office periods of a working day, start < end
                  (default 08:30–12:00 and 14:00–17:30, i.e. 7 working hours).
    ``tz``        the office's time zone (a ``ZoneInfo`` or its key, default Asia/Shanghai).
    ``overrides`` {date: True/False}: days the office declares working / non-working; they win over the
                  official calendar (years not yet in the library, local arrangements). Stored as a read-only
                  copy; not part of the hash.
    """

    periods: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    overrides: Mapping[date, bool] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        periods = tuple((_as_time(start), _as_time(end)) for start, end in self.periods)
        if not periods:
            raise ValueError("a schedule needs at least one office period")
        for start, end in periods:
            if not start < end:
                raise ValueError(f"office period {start}–{end} must start before it ends (no overnight periods)")
        for (_, previous_end), (next_start, _) in zip(periods, periods[1:]):
            if next_start < previous_end:
                raise ValueError("office periods must be in order and must not overlap")

        overrides = {}
        for day, working in dict(self.overrides).items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"override keys must be datetime.date, got {day!r}")
            overrides[day] = bool(working)

        # Frozen dataclass: normalise through object.__setattr__.
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "tz", ZoneInfo(self.tz) if isinstance(self.tz, str) else self.tz)
        object.__setattr__(self, "overrides", MappingProxyType(overrides))

    @property
    def daily_hours(self) -> float:
        """Office hours in one working day (7.0 for the default schedule)."""
        return sum((_wall_span(start, end) for start, end in self.periods), timedelta()) / ONE_HOUR


def _wall_span(start: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


# --------------------------------------------------------------------------------------------- calendar


def calendar_covers(year: int) -> bool:
    """True if the official holiday calendar for ``year`` is loaded (chinese_calendar has its data).

    When False, :func:`is_working_day` falls back to Monday–Friday plus the schedule's overrides, and the UI
    should warn: "{year}年节假日安排尚未载入，请在节假日设置中补充".
    """
    return _CALENDAR_FIRST_YEAR <= year <= _CALENDAR_LAST_YEAR


def is_working_day(day: date, schedule: Schedule) -> bool:
    """Is ``day`` a working day? Override first, then the official calendar, else Monday–Friday.

    Never raises for years outside the library's range. A ``datetime`` is accepted and reduced to its date in
    the schedule's zone (naive datetimes: their own date).
    """
    if isinstance(day, datetime):
        day = day.astimezone(schedule.tz).date() if day.tzinfo is not None else day.date()
    if day in schedule.overrides:
        return schedule.overrides[day]
    if calendar_covers(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5  # fallback: Monday–Friday


# --------------------------------------------------------------------------------------------- helpers


def _localize(moment: datetime, schedule: Schedule) -> datetime:
    """Convert an aware datetime to the schedule's zone; reject naive ones (ambiguous)."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("working-time functions need timezone-aware datetimes")
    return moment.astimezone(schedule.tz)


def office_periods(day: date, schedule: Schedule) -> list[tuple[datetime, datetime]]:
    """The office periods of ``day`` as aware (start, end) datetimes; empty if it is not a working day."""
    if not is_working_day(day, schedule):
        return []
    tz = schedule.tz
    return [(datetime.combine(day, start, tzinfo=tz), datetime.combine(day, end, tzinfo=tz))
            for start, end in schedule.periods]


def _periods_from(moment: datetime, schedule: Schedule) -> Iterator[tuple[datetime, datetime]]:
    """Office periods that end after ``moment`` (localized), in order, forever."""
    day = moment.date()
    while True:
        for start, end in office_periods(day, schedule):
            if end > moment:
                yield start, end
        day += ONE_DAY


def _next_working_day(day: date, schedule: Schedule) -> date:
    """The first working day strictly after ``day``."""
    day += ONE_DAY
    while not is_working_day(day, schedule):
        day += ONE_DAY
    return day


def _end_of_office_day(day: date, schedule: Schedule) -> datetime:
    """End of the last office period of ``day`` (e.g. 17:30) in the schedule's zone."""
    return datetime.combine(day, schedule.periods[-1][1], tzinfo=schedule.tz)


def _hours_to_timedelta(hours: float | Decimal) -> timedelta:
    """Exact for Decimal/int (rounded to the microsecond); rejects negative, NaN and infinite values."""
    if isinstance(hours, Decimal):
        if not hours.is_finite():
            raise ValueError(f"hours must be finite, got {hours!r}")
        micros = int((hours * 3_600_000_000).to_integral_value())
        result = timedelta(microseconds=micros)
    elif isinstance(hours, numbers.Real):
        if not math.isfinite(hours):
            raise ValueError(f"hours must be finite, got {hours!r}")
        result = timedelta(hours=hours if isinstance(hours, int) else float(hours))
    else:
        raise TypeError(f"hours must be a number, got {hours!r}")
    if result < timedelta():
        raise ValueError(f"hours must not be negative, got {hours!r}")
    return result


# --------------------------------------------------------------------------------------------- arithmetic


def next_office_moment(dt: datetime, schedule: Schedule) -> datetime:
    """``dt`` itself if it falls inside an office period (start inclusive, end exclusive) of a working day,
    else the start of the next office period. E.g. 20:00 → next working day 08:30, 12:00 → 14:00,
    17:30 → next working day 08:30. Result in the schedule's zone."""
    moment = _localize(dt, schedule)
    start, _ = next(_periods_from(moment, schedule))
    return max(moment, start)


def add_working_hours(start: datetime, hours: float | Decimal, schedule: Schedule) -> datetime:
    """The moment at which ``hours`` of office time have elapsed after ``start``.

    * Counting begins at :func:`next_office_moment` (a start at night, at lunch, on a holiday or exactly at a
      period's end begins at the next period's start).
    * A deadline that lands exactly on the end of a period is that end (14:00 + 3.5 h → 17:30 the same day,
      not 08:30 the next morning).
    * ``hours == 0`` returns ``next_office_moment(start)``: the clock "starts" but nothing has elapsed.
    * ``hours`` may be int, float or Decimal; negative, NaN or infinite → ``ValueError``. Precision is one
      microsecond. Naive ``start`` → ``ValueError``. Result is aware, in the schedule's zone.
    Inverse of :func:`working_hours_between`: ``working_hours_between(s, add_working_hours(s, h)) == h``.
    """
    remaining = _hours_to_timedelta(hours)
    moment = _localize(start, schedule)
    for period_start, period_end in _periods_from(moment, schedule):
        begin = max(moment, period_start)
        available = period_end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: _periods_from never ends")


def add_working_days(start: datetime, days: int, schedule: Schedule) -> datetime:
    """Deadline = end of the last office period (17:30) of the ``days``-th working day after ``start``'s day.

    * ``days >= 1``: the start's own day never counts, whatever the time (开始当日不计入): 3 working days from
      Friday 16:00 (or Friday 20:00, or Saturday) before a normal weekend = Wednesday 17:30.
    * ``days == 0`` (立行立改, same day): end of today's office hours if today is a working day and ``start`` is
      before that end; otherwise (non-working day, or at/after 17:30) the end of the next working day — so the
      deadline is never before the start.
    * ``days`` must be an integer >= 0 (``TypeError`` for floats, ``ValueError`` if negative).
    The start's day is its date in the schedule's zone; the result is aware, in the schedule's zone.
    """
    days = operator.index(days)
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    moment = _localize(start, schedule)
    day = moment.date()
    if days == 0:
        if is_working_day(day, schedule) and moment < _end_of_office_day(day, schedule):
            return _end_of_office_day(day, schedule)
        return _end_of_office_day(_next_working_day(day, schedule), schedule)
    for _ in range(days):
        day = _next_working_day(day, schedule)
    return _end_of_office_day(day, schedule)


def working_hours_between(a: datetime, b: datetime, schedule: Schedule) -> float:
    """Office hours elapsed between ``a`` and ``b`` (float hours); 0.0 if ``b <= a``.

    Iterates over calendar days (a few hundred steps for a span of months), not minutes.
    """
    a, b = _localize(a, schedule), _localize(b, schedule)
    if b <= a:
        return 0.0
    total = timedelta()
    day, last_day = a.date(), b.date()
    while day <= last_day:
        for period_start, period_end in office_periods(day, schedule):
            overlap = min(b, period_end) - max(a, period_start)
            if overlap > timedelta():
                total += overlap
        day += ONE_DAY
    return total / ONE_HOUR

"""Working-time arithmetic for problem deadlines (DESIGN.md §5, "Deadlines").

Pure Python, no Django models: the caller builds a :class:`Schedule` from the office's configuration
(office hours, local day overrides) and passes it to every function.

Working days follow the Chinese official calendar (statutory holidays and make-up working days 调休) via
``chinese_calendar``. Days the office marks in ``Schedule.overrides`` win over the library. For years the
library does not cover yet (:func:`calendar_covers` is False, after its last year) the working days are
Monday–Friday less the statutory public holidays of the national regulation (:func:`statutory_holidays`, computed on the lunar
calendar with ``lunar_python``); that year's 调休 (make-up working days, bridge days off, 补假) are known
only once the office enters them as overrides, so deadlines in such a year are estimates (the cases layer
warns, ``cases.escalation.sla.calendar_warning``).

Conventions used throughout:

* Office periods are half-open ``[start, end)`` intervals of wall-clock time on a working day.
* All datetimes must be timezone-aware (naive ones raise ``ValueError``); they are converted to the schedule's
  zone first and every returned datetime is in the schedule's zone.
* Working time is wall-clock time inside office periods; periods never span midnight.

One implementation: :class:`WorkIndex` precomputes a schedule's working time over a range of days
(the office time before each day, the working days in order), so that "working time between" is
two lookups, "N working hours later" a bisection and "N working days later" an index. The
functions below answer through an index of their schedule kept per process (built at the first
call, grown when a call leaves its range, rebuilt when the schedule changes); the city demo
builds its own over its years and calls the same methods.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
from lunar_python import Lunar, Solar

__all__ = [
    "OutOfRange",
    "Schedule",
    "WorkIndex",
    "add_working_days",
    "add_working_hours",
    "calendar_covers",
    "holidays_computed",
    "is_working_day",
    "next_office_moment",
    "office_day_end",
    "office_periods",
    "statutory_holidays",
    "working_hours_between",
]

ONE_DAY = timedelta(days=1)
ONE_HOUR = timedelta(hours=1)
HOUR_US = 3_600_000_000  # microseconds in an hour: the index counts office time in integer microseconds

# Years for which chinese_calendar has official data (it raises NotImplementedError outside this range).
_CALENDAR_FIRST_YEAR = min(chinese_calendar.holidays).year
_CALENDAR_LAST_YEAR = max(chinese_calendar.holidays).year
# the library's own tables: ``chinese_calendar.is_workday`` reads these after checking the year range
# with a scan of every holiday on each call (about 0.1 ms), which building an index would pay per day
_LIBRARY_WORKDAYS = chinese_calendar.workdays
_LIBRARY_HOLIDAYS = chinese_calendar.holidays


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

    When False for a year after the library's last, :func:`is_working_day` counts Monday–Friday less
    :func:`statutory_holidays`, plus the schedule's overrides; the 调休 days of such a year are unknown
    until the office enters them.
    """
    return _CALENDAR_FIRST_YEAR <= year <= _CALENDAR_LAST_YEAR


def holidays_computed(year: int) -> bool:
    """True for a year after the library's data: its working days are Monday–Friday less the
    computed :func:`statutory_holidays`, and its 调休 are unknown until the office enters them."""
    return year > _CALENDAR_LAST_YEAR


def _solar_date(solar: Solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar_date(year: int, month: int, day: int) -> date:
    """The Gregorian date of the ``day``-th day of the (non-leap) ``month``-th lunar month of lunar year ``year``."""
    return _solar_date(Lunar.fromYmd(year, month, day).getSolar())


@functools.lru_cache(maxsize=512)
def statutory_holidays(year: int) -> Mapping[date, str]:
    """The public holidays of ``year`` fixed by 《全国年节及纪念日放假办法》 (as amended in 2024, in force
    from 2025), {date: name}: 元旦 1月1日; 春节 农历除夕、正月初一至初三; 清明节 the day of the 清明 solar
    term; 劳动节 5月1日、2日; 端午节 农历五月初五; 中秋节 农历八月十五; 国庆节 10月1日至3日 — 13 days, fewer
    when two coincide (中秋 on 10月1日–3日).

    Only these days: the State Council's yearly arrangement adds the make-up working days and bridge
    days off (调休) and the 补假 for a holiday on a weekend, which no rule predicts. Used for the years
    after the last one :func:`calendar_covers`; for the years it covers, the library's data (which has
    the arrangement) is used instead. Lunar dates and the solar term come from ``lunar_python``.
    """
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    new_year = _lunar_date(year, 1, 1)  # 正月初一 of the lunar year beginning in ``year``
    for offset in range(-1, 3):  # 除夕 (the last day of the twelfth month, 29th or 30th) .. 初三
        days[new_year + timedelta(days=offset)] = "春节"
    qingming = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    days[_solar_date(qingming)] = "清明节"
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = "劳动节"
    days[_lunar_date(year, 5, 5)] = "端午节"
    days[_lunar_date(year, 8, 15)] = "中秋节"
    for day in (1, 2, 3):
        day_ = date(year, 10, day)
        days[day_] = "中秋节、国庆节" if days.get(day_) == "中秋节" else "国庆节"
    return MappingProxyType(dict(sorted(days.items())))


def is_working_day(day: date, schedule: Schedule) -> bool:
    """Is ``day`` a working day? Override first, then the official calendar; for a later year, which
    the library does not have yet, Monday–Friday less the statutory holidays (:func:`statutory_holidays`);
    for a year before its data, Monday–Friday.

    Never raises for years outside the library's range. A ``datetime`` is accepted and reduced to its date in
    the schedule's zone (naive datetimes: their own date).
    """
    if isinstance(day, datetime):
        day = day.astimezone(schedule.tz).date() if day.tzinfo is not None else day.date()
    if day in schedule.overrides:
        return schedule.overrides[day]
    if calendar_covers(day.year):  # chinese_calendar.is_workday, without its per-call range scan
        return day in _LIBRARY_WORKDAYS or (day.weekday() < 5 and day not in _LIBRARY_HOLIDAYS)
    if holidays_computed(day.year):  # a year the library does not have yet: 调休 unknown
        return day.weekday() < 5 and day not in statutory_holidays(day.year)
    return day.weekday() < 5  # before the library's years (and the regulation in force): Monday–Friday


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


def office_day_end(day: date, schedule: Schedule) -> datetime:
    """The end of the office day ``day`` (the end of its last office period, 17:30), aware in the
    schedule's zone: what a deadline given as a date alone means. Whether ``day`` is a working day
    does not matter: the date is the one the person gave."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, got {day!r}")
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


def _micros(value: time | timedelta) -> int:
    """A wall-clock time of day, or a duration, in microseconds."""
    if isinstance(value, timedelta):
        return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def _check_days(days: int) -> int:
    days = operator.index(days)
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    return days


# --------------------------------------------------------------------------------------------- the index


class OutOfRange(ValueError):
    """A :class:`WorkIndex` was asked about a day outside the range it was built for."""


class WorkIndex:
    """The working calendar of ``schedule`` over the days ``first``..``last`` (inclusive), precomputed.

    Positions are *offsets*: office time, in integer microseconds, from the start of ``first`` — so
    working time between two moments is a difference of offsets and the moment N working hours later
    is found by bisection over the office time before each day. The methods without a leading
    underscore answer exactly as the module's functions of the same name (same conventions,
    validation and results); a question that leaves the range raises :class:`OutOfRange`.
    """

    __slots__ = ("schedule", "first", "last", "_tz", "_epoch", "_first_ordinal", "_bounds", "_close",
                 "_work", "_before", "_workdays")

    def __init__(self, schedule: Schedule, first: date, last: date):
        if last < first:
            raise ValueError("a work index needs last >= first")
        self.schedule, self.first, self.last = schedule, first, last
        self._tz = schedule.tz
        self._epoch = datetime.combine(first, time(), tzinfo=schedule.tz)  # wall-clock arithmetic from here
        self._first_ordinal = first.toordinal()
        self._bounds = tuple((_micros(start), _micros(end)) for start, end in schedule.periods)
        self._close = self._bounds[-1][1]  # the end of office hours (17:30)
        daily = sum(end - start for start, end in self._bounds)
        n = (last - first).days + 1
        self._work = [is_working_day(first + timedelta(days=i), schedule) for i in range(n)]
        # office time before each day (n + 1 entries: the last is the total)
        before = [0] * (n + 1)
        for i, working in enumerate(self._work):
            before[i + 1] = before[i] + daily if working else before[i]
        self._before = before
        self._workdays = [i for i, working in enumerate(self._work) if working]

    def covers(self, first: date, last: date | None = None) -> bool:
        return self.first <= first and (last or first) <= self.last

    # -- positions ------------------------------------------------------------------------------------------------

    def _day(self, local: datetime) -> int:
        i = local.toordinal() - self._first_ordinal
        if not 0 <= i < len(self._work):
            raise OutOfRange(f"{local:%Y-%m-%d} 超出工作日历索引范围（{self.first}至{self.last}）")
        return i

    def _offset(self, local: datetime) -> int:
        i = self._day(local)
        if not self._work[i]:
            return self._before[i]
        now = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
        within = 0
        for start, end in self._bounds:
            if now > start:
                within += (now if now < end else end) - start
        return self._before[i] + within

    def offset(self, moment: datetime) -> int:
        """Office time (microseconds) from the start of ``first`` to ``moment`` (aware)."""
        return self._offset(_localize(moment, self.schedule))

    def moment(self, offset: int, *, at_end: bool = False) -> datetime:
        """The moment at which ``offset`` of office time has elapsed. Where that is both the end of
        one period and the start of the next (12:00 and 14:00, Friday 17:30 and Monday 08:30), the
        start of the next — or, with ``at_end``, the end of the one before (a deadline)."""
        before = self._before
        j = (bisect_left(before, offset) if at_end else bisect_right(before, offset)) - 1
        if not 0 <= j < len(self._work):
            raise OutOfRange(f"超出工作日历索引范围（{self.first}至{self.last}）")
        within = offset - before[j]
        for start, end in self._bounds:
            length = end - start
            if within < length or (at_end and within == length):
                return self._epoch + timedelta(days=j, microseconds=start + within)
            within -= length
        raise AssertionError("unreachable: the day's office time holds the offset")

    def _end_of_day(self, i: int) -> datetime:
        return self._epoch + timedelta(days=i, microseconds=self._close)

    def _working_day_after(self, i: int, n: int) -> int:
        """The ``n``-th working day after day ``i`` (n >= 1)."""
        k = bisect_right(self._workdays, i) + n - 1
        if k >= len(self._workdays):
            raise OutOfRange(f"超出工作日历索引范围（{self.first}至{self.last}）")
        return self._workdays[k]

    # -- the calendar (as the module's functions) ----------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        i = day.toordinal() - self._first_ordinal
        if not 0 <= i < len(self._work):
            raise OutOfRange(f"{day} 超出工作日历索引范围（{self.first}至{self.last}）")
        return self._work[i]

    def next_office_moment(self, dt: datetime) -> datetime:
        return self._next_office_moment(_localize(dt, self.schedule))

    def _next_office_moment(self, local: datetime) -> datetime:
        found = self.moment(self._offset(local))
        return local if found <= local else found  # inside a period: the moment itself

    def add_working_hours(self, start: datetime, hours: float | Decimal) -> datetime:
        return self._add_hours(_localize(start, self.schedule), _micros(_hours_to_timedelta(hours)))

    def _add_hours(self, local: datetime, micros: int) -> datetime:
        if micros == 0:
            return self._next_office_moment(local)
        return self.moment(self._offset(local) + micros, at_end=True)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        return self._add_days(_localize(start, self.schedule), _check_days(days))

    def _add_days(self, local: datetime, days: int) -> datetime:
        i = self._day(local)
        if days == 0:
            now = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
            if self._work[i] and now < self._close:
                return self._end_of_day(i)
            return self._end_of_day(self._working_day_after(i, 1))
        return self._end_of_day(self._working_day_after(i, days))

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        a, b = _localize(a, self.schedule), _localize(b, self.schedule)
        if b <= a:
            return 0.0
        return (self._offset(b) - self._offset(a)) / HOUR_US


# the index each schedule's functions answer through (one per schedule in use, a few at most)
_INDEXES: dict[Schedule, WorkIndex] = {}
_INDEXES_LOCK = threading.Lock()
_MARGIN = timedelta(days=400)        # built around the days asked about: a year back, a year ahead
_MAX_CACHED_DAYS = 40 * 366          # a wider index (absurd spans) serves its call only
_MAX_SCHEDULES = 16


def _widen(first: date, last: date) -> tuple[date, date]:
    """``first``..``last`` with a margin on both sides, within the calendar."""
    lo = date.min if first - date.min < _MARGIN else first - _MARGIN
    hi = date.max if date.max - last < _MARGIN else last + _MARGIN
    return lo, hi


def index_for(schedule: Schedule, first: date, last: date | None = None) -> WorkIndex:
    """The process's index of ``schedule``, covering at least ``first``..``last``."""
    last = last or first
    index = _INDEXES.get(schedule)
    if index is not None and index.first <= first and last <= index.last:
        return index
    lo, hi = _widen(first, last)
    if index is not None:
        lo, hi = min(lo, index.first), max(hi, index.last)
    index = WorkIndex(schedule, lo, hi)
    if (hi - lo).days <= _MAX_CACHED_DAYS:
        with _INDEXES_LOCK:
            if schedule not in _INDEXES and len(_INDEXES) >= _MAX_SCHEDULES:
                _INDEXES.pop(next(iter(_INDEXES)))  # the oldest: the office changed its calendar since
            _INDEXES[schedule] = index
    return index


def _answer(schedule: Schedule, first: date, last: date, ask: Callable[[WorkIndex], object]):
    """``ask`` the schedule's index covering ``first``..``last``; one that runs past its end is
    asked again on an index reaching twice as far."""
    index = index_for(schedule, first, last)
    while True:
        try:
            return ask(index)
        except OutOfRange:
            if index.last == date.max:
                raise OverflowError("date value out of range") from None
            step = max(_MARGIN, index.last - index.first)
            index = index_for(schedule, index.first, date.max if date.max - index.last <= step else index.last + step)


# --------------------------------------------------------------------------------------------- arithmetic


def next_office_moment(dt: datetime, schedule: Schedule) -> datetime:
    """``dt`` itself if it falls inside an office period (start inclusive, end exclusive) of a working day,
    else the start of the next office period. E.g. 20:00 → next working day 08:30, 12:00 → 14:00,
    17:30 → next working day 08:30. Result in the schedule's zone."""
    moment = _localize(dt, schedule)
    day = moment.date()
    return _answer(schedule, day, day, lambda index: index._next_office_moment(moment))


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
    micros = _micros(_hours_to_timedelta(hours))
    moment = _localize(start, schedule)
    day = moment.date()
    return _answer(schedule, day, day, lambda index: index._add_hours(moment, micros))


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
    days = _check_days(days)
    moment = _localize(start, schedule)
    day = moment.date()
    return _answer(schedule, day, day, lambda index: index._add_days(moment, days))


def working_hours_between(a: datetime, b: datetime, schedule: Schedule) -> float:
    """Office hours elapsed between ``a`` and ``b`` (float hours); 0.0 if ``b <= a``."""
    a, b = _localize(a, schedule), _localize(b, schedule)
    if b <= a:
        return 0.0
    return _answer(schedule, a.date(), b.date(),
                   lambda index: (index._offset(b) - index._offset(a)) / HOUR_US)

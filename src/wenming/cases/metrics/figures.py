"""Rectification metrics (DESIGN.md §5 "Metrics", §8): defined ONCE here and used by every page,
score and bulletin. Nobody else counts problems for a metric.

Scope and period
----------------
A metric is computed for a unit's subtree and a half-open period ``[start, end)``.

* A problem belongs to a unit through its **responsible unit** (``Problem.unit_path``, the copy of
  ``unit.path``): a unit's figures include the problems of every unit below it. Problems not (or no
  longer) assigned to anyone (``unit_path == ""``) count nowhere; rejected (不予受理) and merged
  (已合并) problems never count.
* Figures are read either from the problem's current fields (the live pages: reassigning a problem
  (改派/提级) moves it, with its new ``assigned_at``, to the new unit; an extension (延期) moves its
  ``deadline``) or, with ``as_of=True``, from the problem as it stood at the period's end
  (``ProblemVersion``, written with every timeline event): a deadline extended or a problem reassigned
  after the end does not move the period. Period scores (scoring) read ``as_of`` and store what they
  publish.
* Periods are calendar weeks (Monday first), months, quarters and years in Asia/Shanghai
  (:func:`period_bounds`).

The definitions (also in :data:`DEFINITIONS`, which the pages show)
-------------------------------------------------------------------
交办数 ``assigned``
    problems whose ``assigned_at`` lies in the period.
办结数 ``closed``
    problems whose ``closed_at`` (销号, verification passed) lies in the period.
办结率 ``closure_rate`` = ``assigned_closed`` / ``assigned``
    of the problems assigned in the period, the share closed before the period's end.
按期办结率 ``on_time_rate`` = ``closed_on_time`` / ``due``
    ``due``: problems whose ``deadline`` lies in the period; ``closed_on_time``: those of them closed
    on time (``Problem.closed_on_time``: the accepted rectification was submitted on or before the
    deadline). A problem due in the period that was closed late, or is still open, counts only in the
    denominator. On-time is judged by the submission, so a problem submitted on time and verified
    after the period's end counts as on time once it is verified (verification delay is not the
    unit's fault); until then it counts only in the denominator.
平均办理时长 ``avg_handling_hours``
    mean ``handling_hours`` (working hours on the official calendar, from assignment to the accepted
    submission) of the problems closed in the period; two decimals.
退回率 ``rework_rate`` = ``reworked`` / ``closed``
    of the problems closed in the period, the share that had been sent back at least once by the
    verifier (复核不通过、退回重改: ``rework_count > 0``). Returns of an assignment to the office
    (申请退回, ``returned_count``) are not rework and do not count.
反弹率 ``recurrence_rate`` = ``recurrences`` / ``closed``
    ``recurrences``: problems reported in the period (``created_at``) that are recurrences
    (``recurrence_of`` set) of a problem whose responsible unit is in the subtree — the unit whose
    fix did not hold, whoever handles the new problem; ``closed``: as 办结数. A rate of work that
    did not hold against the period's closures; it may exceed 100%.
逾期数 ``overdue``
    problems overdue at the period's end: they became overdue (``overdue_at``, set by the sweeper at
    the deadline) before the end and were not closed before the end (for the running period: the
    problems overdue and open now).
督办数 ``supervisions``
    督办单 and 督办函 (``SupervisionNotice``) issued in the period (``issued_at``) to units in the
    subtree; ``supervision_letters`` counts the 督办函 among them.

Rates are ``Decimal`` fractions rounded half-up to 4 places (0.6667), or ``None`` when the
denominator is 0. Every call runs a fixed number of aggregate queries, whatever the number of problems
or children: :func:`unit_metrics` 3, :func:`metrics_by_child` / :func:`metrics_breakdown` 4.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Greatest, StrIndex, Substr

from wenming.org.models import Unit

from ..models import NoticeKind, Problem, ProblemVersion, State, SupervisionNotice

TZ = ZoneInfo("Asia/Shanghai")
PERIOD_KINDS = [("week", "周"), ("month", "月"), ("quarter", "季度"), ("year", "年")]
EXCLUDED_STATES = [State.REJECTED, State.MERGED]
RATE_PLACES = Decimal("0.0001")
HOURS_PLACES = Decimal("0.01")


# --- periods -----------------------------------------------------------------------------------------

def _local_date(day: date | datetime) -> date:
    if isinstance(day, datetime):
        return day.astimezone(TZ).date() if day.tzinfo is not None else day.date()
    return day


def period_bounds(kind: str, day: date | datetime) -> tuple[datetime, datetime]:
    """The period of ``kind`` (week, month, quarter, year) containing ``day``, as aware datetimes
    ``[start, end)`` at local midnight in Asia/Shanghai. Weeks start on Monday. An aware datetime is
    first converted to its local date."""
    day = _local_date(day)
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
    elif kind == "month":
        first = day.replace(day=1)
        after = _add_months(first, 1)
    elif kind == "quarter":
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        after = _add_months(first, 3)
    elif kind == "year":
        first, after = date(day.year, 1, 1), date(day.year + 1, 1, 1)
    else:
        raise ValueError(f"unknown period kind: {kind!r}")
    return datetime.combine(first, time.min, tzinfo=TZ), datetime.combine(after, time.min, tzinfo=TZ)


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_label(kind: str, day: date | datetime) -> str:
    """「2026年11月」「2026年第4季度」「2026年」「2026年11月16日—11月22日」."""
    start, end = period_bounds(kind, day)
    first, last = start.date(), end.date() - timedelta(days=1)
    if kind == "month":
        return f"{first.year}年{first.month}月"
    if kind == "quarter":
        return f"{first.year}年第{(first.month - 1) // 3 + 1}季度"
    if kind == "year":
        return f"{first.year}年"
    tail = f"{last.month}月{last.day}日" if last.year == first.year else f"{last.year}年{last.month}月{last.day}日"
    return f"{first.year}年{first.month}月{first.day}日—{tail}"


# --- the figures ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    """The raw sums the metrics are made of; they add up across units."""

    assigned: int = 0
    assigned_closed: int = 0
    closed: int = 0
    reworked: int = 0
    handling_hours_sum: float = 0.0
    handling_n: int = 0
    due: int = 0
    closed_on_time: int = 0
    overdue: int = 0
    recurrences: int = 0
    supervisions: int = 0
    supervision_letters: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @classmethod
    def from_row(cls, row: dict) -> Counts:
        names = {f.name for f in fields(cls)}
        return cls(**{key: value or 0 for key, value in row.items() if key in names})


def rate(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Metrics:
    """The metrics of one unit's subtree for one period (see the module docstring)."""

    assigned: int                       # 交办数
    assigned_closed: int                # of those, closed before the end
    closure_rate: Decimal | None        # 办结率
    closed: int                         # 办结数
    due: int                            # 到期数
    closed_on_time: int                 # 按期办结数
    on_time_rate: Decimal | None        # 按期办结率
    avg_handling_hours: Decimal | None  # 平均办理时长（工作小时）
    reworked: int                       # 办结中曾退回重改的
    rework_rate: Decimal | None         # 退回率
    recurrences: int                    # 反弹数
    recurrence_rate: Decimal | None     # 反弹率
    overdue: int                        # 逾期数
    supervisions: int                   # 督办数（督办单 + 督办函）
    supervision_letters: int            # 其中督办函

    @classmethod
    def from_counts(cls, c: Counts) -> Metrics:
        avg = None
        if c.handling_n:
            avg = (Decimal(repr(float(c.handling_hours_sum))) / c.handling_n).quantize(HOURS_PLACES, ROUND_HALF_UP)
        return cls(
            assigned=c.assigned, assigned_closed=c.assigned_closed, closure_rate=rate(c.assigned_closed, c.assigned),
            closed=c.closed, due=c.due, closed_on_time=c.closed_on_time, on_time_rate=rate(c.closed_on_time, c.due),
            avg_handling_hours=avg, reworked=c.reworked, rework_rate=rate(c.reworked, c.closed),
            recurrences=c.recurrences, recurrence_rate=rate(c.recurrences, c.closed), overdue=c.overdue,
            supervisions=c.supervisions, supervision_letters=c.supervision_letters,
        )

    @property
    def is_empty(self) -> bool:
        return not (self.assigned or self.closed or self.due or self.overdue or self.recurrences
                    or self.supervisions)


@dataclass(frozen=True)
class Definition:
    key: str            # attribute of Metrics
    label: str
    kind: str           # "count", "rate" or "hours"
    text: str           # the definition, in Chinese, as the pages show it
    numerator: str = ""
    denominator: str = ""


DEFINITIONS: list[Definition] = [
    Definition("assigned", "交办数", "count", "统计期内交办（以最近一次交办时间为准）的问题数。"),
    Definition("closed", "办结数", "count", "统计期内复核通过、销号的问题数。"),
    Definition("closure_rate", "办结率", "rate",
               "统计期内交办的问题中，在统计期结束前已销号的比例"
               " = 期内交办且期末前销号数 ÷ 期内交办数。",
               "assigned_closed", "assigned"),
    Definition("on_time_rate", "按期办结率", "rate",
               "整改期限在统计期内的问题中，按期办结的比例 = 按期办结数 ÷ 期内到期数。"
               "按期办结指复核通过的整改在期限前（含期限）提交；逾期办结或尚未办结的只计入分母。"
               "期限前提交、期末后才复核通过的，复核通过后计为按期。",
               "closed_on_time", "due"),
    Definition("avg_handling_hours", "平均办理时长", "hours",
               "统计期内销号问题的平均办理时长，单位为工作小时（按法定节假日和调休安排的工作时间），"
               "自交办起算至通过复核的那次整改提交为止。"),
    Definition("rework_rate", "退回率", "rate",
               "统计期内销号的问题中，曾被复核退回重改（复核不通过）至少一次的比例"
               " = 曾退回重改的销号数 ÷ 办结数。责任单位申请退回交办不计入。",
               "reworked", "closed"),
    Definition("recurrence_rate", "反弹率", "rate",
               "统计期内新发现的反弹问题数 ÷ 统计期内办结数。反弹问题计入原问题的责任单位；"
               "不予受理、已合并的不计。该比例可能超过100%。",
               "recurrences", "closed"),
    Definition("overdue", "逾期数", "count",
               "统计期结束时处于逾期状态的问题数：期末前已超过整改期限（逾期）且期末前尚未销号。"
               "当前统计期即现有逾期未办结数。"),
    Definition("supervisions", "督办数", "count", "统计期内向本单位及下级单位下发的督办单和督办函份数。"),
]


def display(metrics: Metrics, definition: Definition) -> str:
    """The value as the pages and bulletins print it: 66.67%, 19.25, 3, or — for no data."""
    value = getattr(metrics, definition.key)
    if value is None:
        return "—"
    if definition.kind == "rate":
        return f"{(value * 100).quantize(HOURS_PLACES, ROUND_HALF_UP)}%"
    return str(value)


def fraction(metrics: Metrics, definition: Definition) -> str:
    """「3/5」 behind a rate, so every rate can be explained."""
    if definition.kind != "rate":
        return ""
    return f"{getattr(metrics, definition.numerator)}/{getattr(metrics, definition.denominator)}"


# --- queries --------------------------------------------------------------------------------------------

def _in(field: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _problem_aggregates(start: datetime, end: datetime) -> tuple[Q, dict]:
    assigned, closed, due = _in("assigned_at", start, end), _in("closed_at", start, end), _in("deadline", start, end)
    overdue = Q(overdue_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=end))
    timed = closed & Q(handling_hours__isnull=False)
    aggregates = {
        "assigned": Count("pk", filter=assigned),
        "assigned_closed": Count("pk", filter=assigned & Q(closed_at__lt=end)),
        "closed": Count("pk", filter=closed),
        "reworked": Count("pk", filter=closed & Q(rework_count__gt=0)),
        "handling_hours_sum": Sum("handling_hours", filter=timed),
        "handling_n": Count("pk", filter=timed),
        "due": Count("pk", filter=due),
        "closed_on_time": Count("pk", filter=due & Q(closed_on_time=True)),
        "overdue": Count("pk", filter=overdue),
    }
    return assigned | closed | due | overdue, aggregates


def _problems(path: str, start: datetime, end: datetime, as_of: bool = False) -> tuple[QuerySet, dict]:
    where, aggregates = _problem_aggregates(start, end)
    if as_of:  # the version in force at the end: begun before it, not ended before it
        source = ProblemVersion.objects.filter(Q(valid_from__lt=end), Q(valid_to__isnull=True) | Q(valid_to__gte=end))
    else:
        source = Problem.objects.all()
    qs = source.filter(where, unit_path__startswith=path).exclude(state__in=EXCLUDED_STATES).order_by()
    return qs, aggregates


def _recurrences(path: str, start: datetime, end: datetime) -> QuerySet:
    return (Problem.objects.filter(_in("created_at", start, end), recurrence_of__unit_path__startswith=path)
            .exclude(state__in=EXCLUDED_STATES).order_by())


def _notices(path: str, start: datetime, end: datetime) -> QuerySet:
    return SupervisionNotice.objects.filter(_in("issued_at", start, end), unit__path__startswith=path).order_by()


NOTICE_AGGREGATES = {"supervisions": Count("pk"),
                     "supervision_letters": Count("pk", filter=Q(kind=NoticeKind.LETTER))}


def _check_period(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("period bounds must be timezone-aware")
    if end <= start:
        raise ValueError("the period must end after it starts")


def unit_counts(unit: Unit, start: datetime, end: datetime, *, as_of: bool = False) -> Counts:
    """The raw sums for ``unit``'s subtree in ``[start, end)``: 3 queries."""
    _check_period(start, end)
    qs, aggregates = _problems(unit.path, start, end, as_of)
    row = qs.aggregate(**aggregates)
    row["recurrences"] = _recurrences(unit.path, start, end).count()
    row.update(_notices(unit.path, start, end).aggregate(**NOTICE_AGGREGATES))
    return Counts.from_row(row)


def unit_metrics(unit: Unit, start: datetime, end: datetime, *, as_of: bool = False) -> Metrics:
    """The metrics of ``unit`` and every unit below it for ``[start, end)``: 3 queries."""
    return Metrics.from_counts(unit_counts(unit, start, end, as_of=as_of))


def _child_segment(field: str, parent_path: str):
    """SQL for the id of the child of ``parent_path`` that a descendant path lies under: the text
    between the parent's path and the next "/" ("/1/7/42/9/" under "/1/7/" → "42"); "" for the
    parent itself. Portable (SUBSTR/INSTR on SQLite, SUBSTRING/STRPOS on PostgreSQL)."""
    offset = len(parent_path) + 1
    rest = Substr(field, offset)
    length = Greatest(StrIndex(rest, Value("/")) - Value(1), Value(0), output_field=IntegerField())
    return Substr(F(field), offset, length)


def _grouped_counts(parent: Unit, start: datetime, end: datetime) -> dict[str, Counts]:
    """Raw sums of ``parent``'s subtree per child segment ("" = the parent itself): 3 queries."""
    _check_period(start, end)
    rows: dict[str, dict] = {}

    def collect(qs: QuerySet, field: str, aggregates: dict) -> None:
        grouped = qs.annotate(child=_child_segment(field, parent.path)).values("child").annotate(**aggregates)
        for row in grouped:
            rows.setdefault(row.pop("child") or "", {}).update(row)

    qs, aggregates = _problems(parent.path, start, end)
    collect(qs, "unit_path", aggregates)
    collect(_recurrences(parent.path, start, end), "recurrence_of__unit_path", {"recurrences": Count("pk")})
    collect(_notices(parent.path, start, end), "unit__path", NOTICE_AGGREGATES)
    return {key: Counts.from_row(row) for key, row in rows.items()}


@dataclass(frozen=True)
class Breakdown:
    """``own``: problems whose responsible unit is the parent itself (本级直接承办); ``children``:
    each child's subtree. ``own`` plus the children's figures is the parent's total."""

    own: Metrics
    children: list[tuple[Unit, Metrics]]


def metrics_breakdown(parent: Unit, start: datetime, end: datetime) -> Breakdown:
    """The parent's own level and every child's subtree: 4 queries whatever the number of children.
    Active children are always listed; a deactivated child only when it has figures."""
    children = list(Unit.objects.filter(parent=parent).order_by("code"))
    counts = _grouped_counts(parent, start, end)
    empty = Counts()
    rows = []
    for child in children:
        child_counts = counts.get(str(child.pk), empty)
        if child.is_active or child_counts != empty:
            rows.append((child, Metrics.from_counts(child_counts)))
    return Breakdown(own=Metrics.from_counts(counts.get("", empty)), children=rows)


def metrics_by_child(parent_unit: Unit, start: datetime, end: datetime) -> list[tuple[Unit, Metrics]]:
    """The metrics of each child of ``parent_unit`` (its whole subtree) for ``[start, end)``: 4 queries."""
    return metrics_breakdown(parent_unit, start, end).children


def counts_by_path(start: datetime, end: datetime, *, within: str = "/", as_of: bool = True) -> dict[str, Counts]:
    """Raw sums per responsible unit (the unit's own problems, keyed by its path) under ``within``,
    as the problems stood at ``end`` unless ``as_of`` is False: 3 grouped queries whatever the number of
    units. :func:`subtree_counts` adds them up for any set of units (peers of different parents too)."""
    _check_period(start, end)
    rows: dict[str, dict] = {}

    def collect(qs: QuerySet, field: str, aggregates: dict) -> None:
        for row in qs.values(field).annotate(**aggregates):
            rows.setdefault(row.pop(field) or "", {}).update(row)

    qs, aggregates = _problems(within, start, end, as_of)
    collect(qs, "unit_path", aggregates)
    collect(_recurrences(within, start, end), "recurrence_of__unit_path", {"recurrences": Count("pk")})
    collect(_notices(within, start, end), "unit__path", NOTICE_AGGREGATES)
    return {path: Counts.from_row(row) for path, row in rows.items() if path}


def subtree_counts(by_path: dict[str, Counts], paths) -> dict[str, Counts]:
    """Each of ``paths`` with the sums of its whole subtree, from :func:`counts_by_path`'s rows."""
    wanted = {path: Counts() for path in paths}
    for path, counts in by_path.items():
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/" + "/".join(parts[:depth]) + "/"
            if prefix in wanted:
                wanted[prefix] = wanted[prefix] + counts
    return wanted

"""Reads of the 领导驾驶舱, over the units the viewer's dashboard covers (dashboard.policy): a fixed
number of grouped queries whatever the number of units, problems or points (DESIGN.md §10).

* **Today** (今日): problems reported today in the area (所在区域), open problems due before the end of
  the next working day (on the office's working calendar, cases.escalation.sla) and overdue now (by
  responsible unit), and the 督办单/督办函 issued this month — by child unit of the top unit and by
  category. The problem figures read only today's and the open problems, through the indexes on
  (state, created_at), is_overdue and the unit path; never the whole table.
* **This period** (本期): for each active assessment scheme whose units lie in the scope, the latest
  closed period's stored ranking (scoring.PeriodScore, written at the close: the pre-aggregated
  figures), with 红旗榜/黄牌榜 and the change against the previous period.
* **Points** (点位): pass rates (latest score ≥ :data:`PASS_SCORE`) by child unit and over the map
  (cells of the points' own bounding box), and the check items failed most in the recently
  published rounds (inspections.scores, cached: a published round's results do not change).
* **Heat** (问题热度): problems reported today and the days before (:data:`HEAT_DAYS` in all) by area
  and category, from the per-day counts the sweeper keeps (cases.metrics.daily).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import Floor
from django.utils import timezone

from wenming.cases.escalation import sla
from wenming.cases.metrics import daily
from wenming.cases.metrics.figures import EXCLUDED_STATES, TZ
from wenming.cases.metrics.figures import _child_segment as child_segment
from wenming.cases.models import OPEN_STATES, RUNNING_STATES, Category, Problem, SupervisionNotice
from wenming.core import access, worktime
from wenming.inspections import scores as inspection_scores
from wenming.inspections.models import InspectionRound, RoundPoint, RoundStatus
from wenming.org.models import Unit
from wenming.places.models import PASS_SCORE, Point
from wenming.scoring import selectors as scoring_selectors
from wenming.scoring.models import Period, PeriodScore, PeriodStatus, Scheme, SchemeStatus

from . import policy

HEAT_DAYS = 30
RECENT_ROUNDS = 4          # the worst items: over the last published rounds that hold the scope's points
RANKING_ROWS = 10          # a long ranking shows its first and last rows (the whole one is scoring's page)
MAP_CELLS = 40             # the map's cells along its longer side
WORST_ITEMS = 10


# --- the scope -------------------------------------------------------------------------------------------

@dataclass
class View:
    top: Unit
    children: list[Unit]
    patrons: list[Unit]         # the leader's 包保 units (highlighted)
    tops: list[Unit]            # every unit whose dashboard the viewer may open
    screen: bool

    def child_of(self, segment: str) -> Unit | None:
        return self._by_id.get(segment)

    def __post_init__(self):
        self._by_id = {str(u.pk): u for u in self.children}

    def highlighted(self, path: str) -> bool:
        """The unit at ``path`` is one of the leader's 包保 units, or holds one, or lies in one."""
        return any(path.startswith(p) or p.startswith(path) for p in (u.path for u in self.patrons))


def view_for(user, unit_id: str | None = None) -> View:
    """The dashboard the user asked for (``?unit=``, one of his top units; else the highest): one query."""
    tops = policy.top_paths(user)
    if not tops:
        access.refuse_forbidden(user, "dashboard.view")
    patrons = policy.patron_paths(user)
    units = list(Unit.objects.filter(Q(path__in=tops + patrons) | Q(parent__path__in=tops, is_active=True))
                 .order_by("path"))
    top_units = [u for u in units if u.path in tops]
    top_units.sort(key=lambda u: tops.index(u.path))
    top = top_units[0]
    if unit_id:
        chosen = next((u for u in top_units if str(u.pk) == str(unit_id)), None)
        if chosen is None:
            access.refuse_not_found(user, "dashboard.view", target=f"unit:{unit_id}")
        top = chosen
    children = sorted((u for u in units if u.parent_id == top.pk and u.path != top.path), key=lambda u: u.code)
    return View(top=top, children=children, patrons=[u for u in units if u.path in patrons], tops=top_units,
                screen=policy.is_screen(user))


# --- today -------------------------------------------------------------------------------------------

FIGURES = [("new", "今日新发现"), ("soon", "即将到期"), ("overdue", "逾期未办结"), ("notices", "本月督办")]


@dataclass
class Line:
    """One row of a figures table: a unit (or a category) and its counts."""

    label: str
    counts: dict[str, int] = field(default_factory=dict)
    unit: Unit | None = None
    highlight: bool = False

    def add(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + (n or 0)

    def get(self, key: str) -> int:
        return self.counts.get(key, 0)

    @property
    def values(self) -> list[int]:
        return [self.get(key) for key, _ in FIGURES]


@dataclass
class Today:
    now: datetime
    soon_until: datetime
    month_start: datetime
    total: Line
    by_unit: list[Line]
    by_category: list[Line]
    patrons: list[Line]


def soon_limit(now: datetime) -> datetime:
    """“即将到期”: before the end of the next working day (17:30 of it, on the office's calendar)."""
    return worktime.add_working_days(now, 1, sla.work_schedule())


def today(view: View, now: datetime | None = None) -> Today:
    """Today's figures of the top unit by child and by category, and of the 包保 units: 4 queries
    (4 with 包保 units), plus the calendar's."""
    now = now or timezone.now()
    local = now.astimezone(TZ)
    day_start = datetime.combine(local.date(), time.min, tzinfo=TZ)
    month_start = day_start.replace(day=1)
    until = soon_limit(now)
    top = view.top.path
    # both bounds: a closed range is what makes SQLite's planner take the created_at index
    is_new = Q(created_at__gte=day_start, created_at__lte=now)
    # the states as SQL literals: the partial indexes' conditions, which SQLite's planner must see
    is_soon = Q(state__literal_in=RUNNING_STATES, deadline__gte=now, deadline__lt=until)
    is_overdue = Q(state__literal_in=OPEN_STATES, is_overdue=True)
    # three index ranges (problem_created, problem_running_deadline, is_overdue), never one scan of
    # the whole table for an OR of them
    def grouped(where: Q, path_field: str, any_state: bool = False):
        # rejected/merged are left out only where ``where`` does not name the states: the open ranges
        # keep the same terms as the partial indexes' conditions, which lets SQLite's planner take them
        qs = Problem.objects.filter(where, **{f"{path_field}__startswith": top})
        if any_state:
            qs = qs.exclude(state__in=EXCLUDED_STATES)
        return (qs.annotate(child=child_segment(path_field, top))
                .values("child", "category_id").annotate(n=Count("pk")).order_by())

    parts = (("new", grouped(is_new, "area_path", any_state=True)), ("soon", grouped(is_soon, "unit_path")),
             ("overdue", grouped(is_overdue, "unit_path")))
    notices = (SupervisionNotice.objects.filter(issued_at__gte=month_start, issued_at__lt=now + timedelta(seconds=1),
                                                unit__path__startswith=top)
               .annotate(child=child_segment("unit__path", top))
               .values("child", "problem__category_id").annotate(n=Count("pk")).order_by())
    categories = {c.pk: c for c in Category.objects.all()}
    units = {str(u.pk): Line(u.name, unit=u, highlight=view.highlighted(u.path)) for u in view.children}
    own = Line(f"{view.top.name}（本级）", unit=view.top)
    cats: dict[int, Line] = {}
    total = Line(f"{view.top.name}合计", unit=view.top)

    def category_line(category_id) -> Line:
        if category_id not in cats:
            category = categories.get(category_id)
            # a notice without a problem is one for a work-plan task (plans.escalation)
            cats[category_id] = Line(category.name if category else "工作任务")
        return cats[category_id]

    for key, rows in parts:
        for row in rows:
            n = row["n"]
            units.get(row["child"] or "", own).add(key, n)
            category_line(row["category_id"]).add(key, n)
            total.add(key, n)
    for row in notices:
        units.get(row["child"] or "", own).add("notices", row["n"])
        category_line(row["problem__category_id"]).add("notices", row["n"])
        total.add("notices", row["n"])
    by_unit = list(units.values()) + ([own] if own.counts and any(own.counts.values()) else [])
    by_category = sorted(cats.values(), key=lambda line: (-sum(line.values), line.label))
    return Today(now=now, soon_until=until, month_start=month_start, total=total, by_unit=by_unit,
                 by_category=by_category, patrons=_patron_lines(view, is_new, is_soon, is_overdue, month_start, now))


def _patron_lines(view: View, is_new: Q, is_soon: Q, is_overdue: Q, month_start, now) -> list[Line]:
    """The 包保 units' own figures: one query for the problems, one for the notices."""
    if not view.patrons:
        return []
    aggregates, notice_aggregates = {}, {}
    anywhere = Q()
    for n, unit in enumerate(view.patrons):
        aggregates[f"new_{n}"] = Count("pk", filter=is_new & Q(area_path__startswith=unit.path))
        aggregates[f"soon_{n}"] = Count("pk", filter=is_soon & Q(unit_path__startswith=unit.path))
        aggregates[f"overdue_{n}"] = Count("pk", filter=is_overdue & Q(unit_path__startswith=unit.path))
        notice_aggregates[f"notices_{n}"] = Count("pk", filter=Q(unit__path__startswith=unit.path))
        anywhere |= Q(area_path__startswith=unit.path) | Q(unit_path__startswith=unit.path)
    row = Problem.objects.filter(anywhere).filter(is_new | is_soon | is_overdue).exclude(
        state__in=EXCLUDED_STATES).aggregate(**aggregates)
    row.update(SupervisionNotice.objects.filter(issued_at__gte=month_start, issued_at__lt=now + timedelta(seconds=1))
               .aggregate(**notice_aggregates))
    lines = []
    for n, unit in enumerate(view.patrons):
        line = Line(unit.name, unit=unit, highlight=True)
        for key, _ in FIGURES:
            line.add(key, row[f"{key}_{n}"])
        lines.append(line)
    return lines


# --- this period: the rankings ------------------------------------------------------------------------

@dataclass
class RankRow:
    unit_id: int
    unit_name: str
    unit_path: str
    rank: int | None
    total: Decimal
    change: Decimal | None
    previous_rank: int | None
    honour: str
    mark: str
    highlight: bool = False
    link: bool = False       # the viewer may open the score's explanation (scoring:score)

    @property
    def trend(self) -> str:
        if self.change is None:
            return ""
        return "up" if self.change > 0 else "down" if self.change < 0 else "flat"


@dataclass
class Ranking:
    scheme: Scheme
    period: Period
    rows: list[RankRow]          # what the dashboard shows (first and last rows of a long one)
    count: int                   # rows the viewer sees in all
    red: list[RankRow]
    yellow: list[RankRow]
    link: bool                   # the viewer may open the period's page

    @property
    def cut(self) -> bool:
        return self.count > len(self.rows)


def rankings(user, view: View) -> list[Ranking]:
    """The latest closed period of every active scheme assessing units in the scope, with the rows of
    the units in it: 3 queries (4 with links) whatever the number of schemes, periods and units."""
    top = view.top.path
    prefixes = ["/" + "/".join(top.strip("/").split("/")[:n]) + "/" for n in range(1, top.count("/"))]
    schemes = Scheme.objects.filter(Q(root_path__startswith=top) | Q(root_path__in=prefixes),
                                    status=SchemeStatus.ACTIVE)
    periods: dict[int, Period] = {}
    for period in (Period.objects.filter(scheme__in=schemes, status=PeriodStatus.CLOSED).select_related("scheme")
                   .order_by("scheme__root_path", "scheme__unit_kind", "scheme_id", "-end", "kind")):
        periods.setdefault(period.scheme_id, period)
    if not periods:
        return []
    wanted = Q()
    for period in periods.values():
        wanted |= Q(period_id=period.pk, version=period.version)
    paths = Q(unit_path__startswith=top)
    for unit in view.patrons:
        paths |= Q(unit_path__startswith=unit.path)
    scores = (PeriodScore.objects.filter(wanted).filter(paths)
              .order_by(F("rank").asc(nulls_last=True), "-total", "unit_name")
              .values_list("period_id", "unit_id", "unit_name", "unit_path", "rank", "total", "previous_total",
                           "previous_rank", "honour", "mark"))
    readable = set()
    if not view.screen:
        readable = set(scoring_selectors.schemes(user).filter(pk__in=list(periods)).values_list("pk", flat=True))
    by_period: dict[int, list[RankRow]] = {}
    for period_id, unit_id, name, path, rank, total, previous, previous_rank, honour, mark in scores:
        by_period.setdefault(period_id, []).append(RankRow(
            unit_id, name, path, rank, total, None if previous is None else total - previous, previous_rank, honour,
            mark, highlight=view.highlighted(path)))
    out = []
    for period in periods.values():
        rows = by_period.get(period.pk, [])
        if not rows:
            continue
        shown = rows if len(rows) <= 3 * RANKING_ROWS else rows[:RANKING_ROWS] + rows[-RANKING_ROWS:]
        red, yellow = [r for r in rows if r.honour == "red"], [r for r in rows if r.honour == "yellow"]
        if period.scheme_id in readable:   # links only on the rows the page shows
            for row in {id(r): r for r in (*shown, *red, *yellow)}.values():
                row.link = policy.may_open_score(user, row.unit_id, row.unit_path)
        out.append(Ranking(period.scheme, period, shown, len(rows), red, yellow, period.scheme_id in readable))
    return out


# --- points: pass rates over the map, the worst items ---------------------------------------------------

@dataclass
class PointLine:
    label: str
    unit: Unit | None
    points: int
    scored: int
    passed: int
    average: Decimal | None
    highlight: bool = False

    @property
    def pass_rate(self) -> Decimal | None:
        return (Decimal(self.passed) * 100 / self.scored).quantize(Decimal("0.1")) if self.scored else None


@dataclass
class Cell:
    longitude: float
    latitude: float
    points: int
    scored: int
    passed: int

    @property
    def pass_rate(self) -> float | None:
        return round(self.passed * 100 / self.scored, 1) if self.scored else None


@dataclass
class PointFigures:
    by_unit: list[PointLine]
    total: PointLine
    cells: list[Cell]
    step: float


POINTS_SECONDS = 600   # the points' figures are kept at most this long, and never past a change to a point


def points_stamp() -> str:
    """What the points' figures depend on: the newest change to any point (``updated_at``, moved by
    every save and by a published score) and their number (a point deleted): one query on an index."""
    row = Point.objects.aggregate(changed=Max("updated_at"), n=Count("pk"))
    return f"{row['changed'].timestamp() if row['changed'] else 0:.6f}-{row['n']}"


def _point_rows(top: str) -> tuple[list[tuple], list[tuple], float]:
    """The grouped figures of the active points under ``top``: by child segment, and by cell of the
    map's frame (:data:`MAP_CELLS` along the longer side of their bounding box) — 3 queries."""
    base = Point.objects.filter(is_active=True, area_path__startswith=top)
    figures = {"points": Count("pk"), "scored": Count("pk", filter=Q(latest_score__isnull=False)),
               "passed": Count("pk", filter=Q(latest_score__gte=PASS_SCORE)), "score_sum": Sum("latest_score")}
    children = [(row["child"] or "", row["points"], row["scored"], row["passed"],
                 Decimal(str(row["score_sum"] or 0)))
                for row in base.annotate(child=child_segment("area_path", top)).values("child").annotate(**figures)
                .order_by()]
    located = base.filter(latitude__isnull=False, longitude__isnull=False)
    box = located.aggregate(lat0=Min("latitude"), lat1=Max("latitude"), lng0=Min("longitude"), lng1=Max("longitude"))
    if box["lat0"] is None:
        return children, [], 0.0
    lat0, lng0 = Decimal(str(box["lat0"])), Decimal(str(box["lng0"]))
    span = max(Decimal(str(box["lat1"])) - lat0, Decimal(str(box["lng1"])) - lng0, Decimal("0.0001"))
    size = max((span / MAP_CELLS).quantize(Decimal("0.000001")), Decimal("0.000001"))
    cells = [(round(float(lng0 + (int(x) + Decimal("0.5")) * size), 6),
              round(float(lat0 + (int(y) + Decimal("0.5")) * size), 6), n, scored, passed)
             for x, y, n, scored, passed in
             located.annotate(y=Floor((F("latitude") - lat0) / size), x=Floor((F("longitude") - lng0) / size))
             .values_list("x", "y").annotate(points=figures["points"], scored=figures["scored"],
                                             passed=figures["passed"]).order_by("y", "x")]
    return children, cells, float(size)


def points(view: View) -> PointFigures:
    """Active points in the top unit's area by child area and over the map's cells. Pre-aggregated:
    the grouped figures are kept per area under the points' stamp (:func:`points_stamp`), so a
    request reads one index entry and groups the points only after a point changed (a round
    published, a point added, moved or retired) or every :data:`POINTS_SECONDS`."""
    top = view.top.path
    key = f"dashboard:points:{top}:{points_stamp()}"
    rows = cache.get(key)
    if rows is None:
        rows = _point_rows(top)
        cache.set(key, rows, POINTS_SECONDS)
    children, cells, step = rows
    lines = {str(u.pk): PointLine(u.name, u, 0, 0, 0, None, view.highlighted(u.path)) for u in view.children}
    total = PointLine(f"{view.top.name}合计", view.top, 0, 0, 0, None)
    score_sum = Decimal(0)
    for child, n, scored, passed, summed in children:
        line = lines.get(child)
        if line is None:
            line = lines.setdefault("", PointLine(f"{view.top.name}（本级）", view.top, 0, 0, 0, None))
        line.points, line.scored, line.passed = n, scored, passed
        if scored:
            line.average = (summed / scored).quantize(Decimal("0.01"))
            score_sum += summed
        total.points += n
        total.scored += scored
        total.passed += passed
    total.average = (score_sum / total.scored).quantize(Decimal("0.01")) if total.scored else None
    return PointFigures(list(lines.values()), total, [Cell(*cell) for cell in cells], step)


@dataclass
class Items:
    rounds: list[InspectionRound]
    rates: list


def worst_items(view: View, now: datetime | None = None) -> Items:
    """The check items failed most (failure rate, then count) in the last :data:`RECENT_ROUNDS`
    published rounds that hold points of the top unit, for those points: 2 queries, the second
    cached (a published round's results never change)."""
    top = view.top.path
    rounds = list(InspectionRound.objects.filter(
        status=RoundStatus.PUBLISHED, pk__in=RoundPoint.objects.filter(unit_path__startswith=top).values("round_id"))
        .order_by("-published_at", "-id")[:RECENT_ROUNDS])
    if not rounds:
        return Items([], [])
    key = "dashboard:items:" + ",".join(str(r.pk) for r in rounds) + ":" + top
    rates = cache.get(key)
    if rates is None:
        rates = inspection_scores.failure_rates_over([r.pk for r in rounds], within=top, limit=WORST_ITEMS)
        cache.set(key, rates, 600)
    return Items(rounds, rates)


# --- heat ------------------------------------------------------------------------------------------------

@dataclass
class Heat:
    days: int
    areas: list[str]
    categories: list[str]
    cells: list[tuple[int, int, int]]   # (area index, category index, problems)
    by_area: list[Line]
    by_category: list[Line]


def heat(view: View, now: datetime | None = None) -> Heat:
    """Problems reported today and the :data:`HEAT_DAYS` - 1 days before in the top unit's area, by
    child area and category, from the pre-aggregated day counts (cases.metrics.daily: today and any
    day not yet aggregated are read from the problems): 4 queries whatever the number of problems."""
    now = now or timezone.now()
    top = view.top.path
    last = daily.local_day(now)
    counted = daily.counts(top, last - timedelta(days=HEAT_DAYS - 1), last, now)
    names = dict(Category.objects.filter(pk__in={category_id for _, category_id in counted})
                 .values_list("pk", "name"))
    areas = {str(u.pk): Line(u.name, unit=u, highlight=view.highlighted(u.path)) for u in view.children}
    own = Line(f"{view.top.name}（本级）", unit=view.top)
    cats: dict[str, Line] = {}
    for (child, category_id), n in sorted(counted.items(), key=lambda item: (item[0][0], item[0][1])):
        name = names.get(category_id, "未分类")
        area = areas.get(child, own)
        area.add("n", n)
        cats.setdefault(name, Line(name)).add("n", n)
        area.add("c:" + name, n)
    area_lines = [a for a in areas.values()] + ([own] if own.get("n") else [])
    cat_lines = sorted(cats.values(), key=lambda c: (-c.get("n"), c.label))
    cells = [(ai, ci, a.get("c:" + c.label)) for ai, a in enumerate(area_lines) for ci, c in enumerate(cat_lines)
             if a.get("c:" + c.label)]
    return Heat(HEAT_DAYS, [a.label for a in area_lines], [c.label for c in cat_lines], cells, area_lines, cat_lines)

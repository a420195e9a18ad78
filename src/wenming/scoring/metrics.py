"""The components of a period score (DESIGN.md §8), each a named metric over the period for every
assessed unit at once — a fixed number of grouped queries whatever the number of units:

实地测评 ``inspection``
    the weighted mean of the point scores of the unit's points (its own and its subtree's) inspected
    in the rounds of ``params["round_kinds"]`` (default 周测评, 月考核, 暗访, 第三方测评; not 自查 or
    复查) that end within the period and were published by the time the period was closed, each
    point weighing its round's weight for its type (inspections.scores); the sample is the number
    of points inspected. A unit with none has no value: the other components are scaled to 100.
问题整改 ``rectification``
    from the rectification metrics as the problems stood at the period's end (cases.metrics.figures,
    ``as_of``): ``on_time`` × 按期办结率 + ``rework`` × (1 − 退回率) + ``recurrence`` × (1 − 反弹率,
    at most 1) − ``per_overdue`` per problem overdue at the end, between 0 and 100. A rate without
    a denominator (no problem due, none closed) counts as full marks: nothing was handled late.
督办 ``supervision``
    100 − ``per_notice`` per 督办单 − ``per_letter`` per 督办函 issued in the period to the unit's
    subtree − ``per_bulletin`` per problem put on the 通报批评 list in the period, at least 0.
任务完成 ``tasks``
    the unit's parts (its own and its subtree's) as 责任单位 in issued tasks whose 完成时限 falls in the
    year up to the period's last day (年度累计), each done on time when an accepted report of 100 % was submitted by
    its 完成时限, done late when that report came after it (counting ``late`` % of a task, default 50),
    not done otherwise — all as accepted by the moment of closing: 100 × (on time + late × late %) /
    due. A unit with nothing due has no value this period.
问卷调查 ``survey``
    the mean of the rates (知晓率, 支持率, 参与率, 满意度 — those the questionnaire measures) of the unit's
    communities over the official survey campaigns (not 模拟) that end within the period and are closed,
    counting only responses counted after review (surveys.selectors.official_counts). A unit without
    such responses has no value this period.
志愿服务
    no data source yet (the volunteers app): the component is shown as absent and the others are
    scaled to 100 (按实有项目折算).

Scores are out of 100; a component's points are ``weight × score / 100``. Decimals are rounded
half-up to 2 places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from wenming.cases.metrics.figures import TZ, Counts, Metrics, counts_by_path, subtree_counts
from wenming.cases.models import ProblemEvent
from wenming.inspections.models import InspectionRound, RoundKind, RoundPoint, RoundStatus

from .models import Metric

TWO = Decimal("0.01")
HUNDRED = Decimal(100)

DEFAULT_PARAMS: dict[str, dict] = {
    Metric.INSPECTION: {"round_kinds": [RoundKind.WEEKLY, RoundKind.MONTHLY, RoundKind.UNANNOUNCED,
                                        RoundKind.THIRD_PARTY]},
    Metric.RECTIFICATION: {"on_time": 60, "rework": 20, "recurrence": 20, "per_overdue": 2},
    Metric.SUPERVISION: {"per_notice": 5, "per_letter": 10, "per_bulletin": 20},
    Metric.TASKS: {"late": 50},
}
# metrics whose data exists; the others wait for their apps
AVAILABLE = {Metric.INSPECTION, Metric.RECTIFICATION, Metric.SUPERVISION, Metric.TASKS, Metric.SURVEY}
# the default scheme's weights, after the seeds' practice (实地测评 50, 问题整改 20, 督办 10, 任务 10, 问卷 10)
DEFAULT_WEIGHTS = [(Metric.INSPECTION, 50), (Metric.RECTIFICATION, 20), (Metric.SUPERVISION, 10),
                   (Metric.TASKS, 10), (Metric.SURVEY, 10)]

# the bounds of each parameter a form may set: (label, minimum, maximum)
PARAM_FIELDS: dict[str, list[tuple[str, str, int, int]]] = {
    Metric.RECTIFICATION: [("on_time", "按期办结率占（分）", 0, 100), ("rework", "退回率占（分）", 0, 100),
                           ("recurrence", "反弹率占（分）", 0, 100), ("per_overdue", "每件逾期扣（分）", 0, 100)],
    Metric.SUPERVISION: [("per_notice", "每份督办单扣（分）", 0, 100), ("per_letter", "每份督办函扣（分）", 0, 100),
                         ("per_bulletin", "每件列入通报批评扣（分）", 0, 100)],
}


def q2(value) -> Decimal:
    return Decimal(value).quantize(TWO, ROUND_HALF_UP)


def params_of(metric: str, params: dict | None) -> dict:
    merged = dict(DEFAULT_PARAMS.get(metric, {}))
    merged.update(params or {})
    return merged


@dataclass
class Value:
    """One component's value for one unit: ``score`` out of 100 (None: no value this period),
    ``detail`` the numbers behind it, ``text`` the sentence the explanation shows."""

    score: Decimal | None
    text: str
    detail: dict = field(default_factory=dict)
    sample: int = 0


@dataclass
class Window:
    """The period's dates and what the computation may read: rounds published and entries made up to
    ``until`` (the moment of closing)."""

    first: date
    last: date
    until: datetime

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=TZ)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=TZ)


def _owner_of(path: str, wanted: dict[str, int]) -> int | None:
    """The assessed unit ``path`` lies under (the unit itself or its nearest assessed ancestor)."""
    parts = path.strip("/").split("/")
    for depth in range(len(parts), 0, -1):
        unit_id = wanted.get("/" + "/".join(parts[:depth]) + "/")
        if unit_id is not None:
            return unit_id
    return None


def rounds_of(window: Window, root_path: str, params: dict) -> list[InspectionRound]:
    """The rounds the period's 实地测评 reads: published by ``until``, ending within the period, of the
    configured kinds, planned at, above or below the assessed units' root."""
    kinds = params.get("round_kinds") or []
    return list(InspectionRound.objects.filter(
        status=RoundStatus.PUBLISHED, published_at__lte=window.until, kind__in=kinds,
        period_end__gte=window.first, period_end__lte=window.last)
        .filter(Q(owner_path__startswith=root_path) | Q(pk__in=RoundPoint.objects.filter(
            unit_path__startswith=root_path).values("round_id")))
        .order_by("period_end", "id"))


def inspection(units: dict[str, int], window: Window, root_path: str, params: dict) -> dict[int, Value]:
    rounds = rounds_of(window, root_path, params)
    weights = {r.pk: {code: Decimal(str(w)) for code, w in (r.weights or {}).items()} for r in rounds}
    sums: dict[int, dict] = {}
    rows = (RoundPoint.objects.filter(round_id__in=list(weights), status=RoundPoint.Status.DONE,
                                      score__isnull=False, unit_path__startswith=root_path)
            .values_list("round_id", "unit_path", "point__point_type__code", "score"))
    for round_id, path, type_code, score in rows.iterator(chunk_size=5000):
        unit_id = _owner_of(path, units)
        if unit_id is None:
            continue
        entry = sums.setdefault(unit_id, {"weighted": Decimal(0), "weight": Decimal(0), "n": 0, "rounds": {}})
        weight = weights[round_id].get(type_code, Decimal(1))
        entry["weighted"] += score * weight
        entry["weight"] += weight
        entry["n"] += 1
        entry["rounds"][round_id] = entry["rounds"].get(round_id, 0) + 1
    titles = {r.pk: r.title for r in rounds}
    values = {}
    for unit_id in units.values():
        entry = sums.get(unit_id)
        if not entry or not entry["weight"]:
            values[unit_id] = Value(None, f"本期{len(rounds)}轮测评中没有本单位测评完成的点位。",
                                    {"rounds": []}, 0)
            continue
        score = q2(entry["weighted"] / entry["weight"])
        used = [{"id": rid, "title": titles[rid], "points": n} for rid, n in sorted(entry["rounds"].items())]
        values[unit_id] = Value(score, f"{len(used)}轮测评、{entry['n']}个点位按点位类型加权平均得{score}分。",
                                {"rounds": used}, entry["n"])
    return values


def _share(rate: Decimal | None, invert: bool = False) -> Decimal:
    if rate is None:
        return Decimal(1)
    rate = min(rate, Decimal(1))
    return Decimal(1) - rate if invert else rate


def _pct(rate: Decimal | None) -> str:
    return "无" if rate is None else f"{q2(rate * 100)}%"


def rectification_value(metrics: Metrics, params: dict) -> Value:
    on_time, rework, recurrence = (Decimal(str(params.get(k, 0))) for k in ("on_time", "rework", "recurrence"))
    per_overdue = Decimal(str(params.get("per_overdue", 0)))
    raw = (on_time * _share(metrics.on_time_rate) + rework * _share(metrics.rework_rate, True)
           + recurrence * _share(metrics.recurrence_rate, True) - per_overdue * metrics.overdue)
    score = q2(min(max(raw, Decimal(0)), HUNDRED))
    text = (f"按期办结率{_pct(metrics.on_time_rate)}（{metrics.closed_on_time}/{metrics.due}）、"
            f"退回率{_pct(metrics.rework_rate)}（{metrics.reworked}/{metrics.closed}）、"
            f"反弹率{_pct(metrics.recurrence_rate)}（{metrics.recurrences}/{metrics.closed}）、"
            f"期末逾期{metrics.overdue}件，得{score}分。")
    detail = {"due": metrics.due, "closed_on_time": metrics.closed_on_time, "closed": metrics.closed,
              "reworked": metrics.reworked, "recurrences": metrics.recurrences, "overdue": metrics.overdue,
              "assigned": metrics.assigned}
    return Value(score, text, detail)


def supervision_value(counts: Counts, bulletins: int, params: dict) -> Value:
    notices = counts.supervisions - counts.supervision_letters
    letters = counts.supervision_letters
    cost = (Decimal(str(params.get("per_notice", 0))) * notices + Decimal(str(params.get("per_letter", 0))) * letters
            + Decimal(str(params.get("per_bulletin", 0))) * bulletins)
    score = q2(max(HUNDRED - cost, Decimal(0)))
    text = f"督办单{notices}份、督办函{letters}份、列入通报批评{bulletins}件，得{score}分。"
    return Value(score, text, {"notices": notices, "letters": letters, "bulletins": bulletins})


def problem_components(units: dict[str, int], window: Window, root_path: str,
                       params: dict[str, dict]) -> tuple[dict[int, Value], dict[int, Value]]:
    """问题整改 and 督办 for every unit: 3 grouped queries for the metrics and 1 for the 通报批评."""
    by_path = counts_by_path(window.start, window.end, within=root_path, as_of=True)
    per_unit = subtree_counts(by_path, units)
    bulletin_rows = (ProblemEvent.objects.filter(action="bulletin", at__gte=window.start, at__lt=window.end,
                                                 problem__unit_path__startswith=root_path)
                     .values("problem__unit_path").annotate(n=Count("pk")).order_by())
    bulletins: dict[int, int] = {}
    for row in bulletin_rows:
        unit_id = _owner_of(row["problem__unit_path"], units)
        if unit_id is not None:
            bulletins[unit_id] = bulletins.get(unit_id, 0) + row["n"]
    rect, sup = {}, {}
    for path, unit_id in units.items():
        counts = per_unit[path]
        rect[unit_id] = rectification_value(Metrics.from_counts(counts), params.get(Metric.RECTIFICATION, {}))
        sup[unit_id] = supervision_value(counts, bulletins.get(unit_id, 0), params.get(Metric.SUPERVISION, {}))
    return rect, sup


def tasks(units: dict[str, int], window: Window, root_path: str, params: dict) -> dict[int, Value]:
    """任务完成 for every unit: one query for the parts due, one for their first accepted report of 100 %."""
    from django.db.models import Min

    from wenming.plans.models import Assignment, AssignmentRole, ProgressReport, ReportStatus, TaskStatus

    late_share = Decimal(params.get("late", 50)) / HUNDRED
    due = list(Assignment.objects.filter(
        role=AssignmentRole.RESPONSIBLE, unit_path__startswith=root_path, task__status=TaskStatus.ISSUED,
        task__issued_at__lte=window.until, task__deadline__gte=date(window.last.year, 1, 1),
        task__deadline__lte=window.last)
        .values_list("pk", "unit_path", "task__deadline"))
    finished = dict(ProgressReport.objects.filter(
        assignment_id__in=[pk for pk, _, _ in due], status=ReportStatus.ACCEPTED, percent=100,
        reviewed_at__lte=window.until, created_at__lte=window.until)
        .values("assignment_id").annotate(first=Min("created_at")).values_list("assignment_id", "first").order_by())
    counts: dict[int, list[int]] = {}
    for pk, path, deadline in due:
        unit_id = _owner_of(path, units)
        if unit_id is None:
            continue
        entry = counts.setdefault(unit_id, [0, 0, 0])   # on time, late, not done
        done_at = finished.get(pk)
        if done_at is None:
            entry[2] += 1
        elif done_at.astimezone(TZ).date() <= deadline:
            entry[0] += 1
        else:
            entry[1] += 1
    values: dict[int, Value] = {}
    for unit_id in units.values():
        on_time, late, missed = counts.get(unit_id, (0, 0, 0))
        total = on_time + late + missed
        if not total:
            values[unit_id] = Value(None, "本期没有到完成时限的任务，不计。")
            continue
        score = q2((on_time + late * late_share) * HUNDRED / total)
        text = (f"本年度截至期末到完成时限的任务{total}项：按时完成{on_time}项、逾期完成{late}项"
                f"（按{q2(late_share * HUNDRED).normalize():f}%计）、未完成{missed}项，得{score}分。")
        values[unit_id] = Value(score, text, {"due": total, "on_time": on_time, "late": late, "missed": missed},
                                sample=total)
    return values


def survey(units: dict[str, int], window: Window, root_path: str) -> dict[int, Value]:
    """问卷调查 for every unit: one query over the closed official campaigns' tallies."""
    from wenming.surveys.models import Rate
    from wenming.surveys.selectors import official_counts

    sums: dict[int, dict] = {}
    for path, responses, counts in official_counts(root_path, window.first, window.last):
        unit_id = _owner_of(path, units)
        if unit_id is None:
            continue
        entry = sums.setdefault(unit_id, {"responses": 0, "rates": {rate: [0, 0] for rate in Rate.values}})
        entry["responses"] += responses
        for rate, (positive, answered) in counts.items():
            entry["rates"][rate][0] += positive
            entry["rates"][rate][1] += answered
    values: dict[int, Value] = {}
    for unit_id in units.values():
        entry = sums.get(unit_id)
        measured = [(rate, p, n) for rate, (p, n) in (entry["rates"].items() if entry else []) if n]
        if not measured:
            values[unit_id] = Value(None, "本期没有结束的正式问卷调查，不计。")
            continue
        shares = [Decimal(p) * HUNDRED / n for _, p, n in measured]
        score = q2(sum(shares) / len(shares))
        parts = "、".join(f"{Rate(rate).label}{q2(share)}%（{p}/{n}）" for (rate, p, n), share in zip(measured, shares))
        values[unit_id] = Value(score, f"{parts}，平均得{score}分。",
                                {"responses": entry["responses"],
                                 "rates": {rate: [p, n] for rate, p, n in measured}}, sample=entry["responses"])
    return values

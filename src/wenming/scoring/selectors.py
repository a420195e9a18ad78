"""Reads of assessment, scoped to the user by scoring.policy: schemes, periods, the rows of a
ranking, one score's explanation (its rounds, problems and notices, each linked only where the
viewer may follow it) and a unit's trend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F, Q, QuerySet

from wenming.cases.metrics.figures import EXCLUDED_STATES
from wenming.cases.models import ProblemVersion, SupervisionNotice
from wenming.cases.notices.selectors import notices_visible_to
from wenming.cases.selectors import problems_visible_to
from wenming.core import access
from wenming.inspections import selectors as inspection_selectors

from . import policy
from .metrics import Window
from .models import (
    Adjustment,
    LedgerEntry,
    Period,
    PeriodScore,
    PeriodStatus,
    Scheme,
    StepStatus,
    WarningStep,
    lineage_q,
)


def schemes(user) -> QuerySet[Scheme]:
    return Scheme.objects.filter(policy.scheme_filter(user)).select_related("root", "owner")


def scheme_for(user, pk: int) -> Scheme:
    scheme = schemes(user).filter(pk=pk).first()
    if scheme is None:
        access.refuse_not_found(user, "scoring.scheme", target=f"scheme:{pk}")
    return scheme


def periods(scheme: Scheme) -> QuerySet[Period]:
    return Period.objects.filter(scheme=scheme).order_by("-start", "kind")


def recent_closed(user, limit: int = 12) -> list[Period]:
    return list(Period.objects.filter(scheme__in=schemes(user), status=PeriodStatus.CLOSED)
                .select_related("scheme").order_by("-closed_at")[:limit])


def period_for(user, pk: int) -> Period:
    period = Period.objects.filter(pk=pk, scheme__in=schemes(user)).select_related("scheme", "scheme__root").first()
    if period is None:
        access.refuse_not_found(user, "scoring.period", target=f"period:{pk}")
    return period


def ranking(user, period: Period, version: int | None = None) -> QuerySet[PeriodScore]:
    """The rows of a version (default: the current one) the user may see, in ranking order (unranked last)."""
    return (PeriodScore.objects.filter(policy.score_filter(user), period=period, version=version or period.version)
            .order_by(F("rank").asc(nulls_last=True), "-total", "unit_name"))


def peers_count(period: Period) -> tuple[int, int]:
    """(units assessed, units ranked) in the period's current version: shown with a unit's own rank."""
    rows = PeriodScore.objects.filter(period=period, version=period.version)
    return rows.count(), rows.filter(rank__isnull=False).count()


def score_for(user, period: Period, unit_id: int) -> PeriodScore:
    row = ranking(user, period).filter(unit_id=unit_id).select_related("unit").first()
    if row is None:
        access.refuse_not_found(user, "scoring.score", target=f"period:{period.pk}:unit:{unit_id}")
    return row


def steps(user, period: Period) -> QuerySet[WarningStep]:
    return (WarningStep.objects.filter(_unit_q(user), period=period)
            .select_related("unit", "decided_by").order_by("status", "unit__path"))


def _unit_q(user, prefix: str = "unit__") -> Q:
    return access.scope_for(user).unit_filter(prefix)


def pending_steps(user) -> QuerySet[WarningStep]:
    return (WarningStep.objects.filter(_unit_q(user), status=StepStatus.PROPOSED,
                                       period__scheme__in=schemes(user))
            .select_related("unit", "period").order_by("-proposed_at"))


@dataclass
class TrendPoint:
    period: Period
    score: PeriodScore


def trend(user, period: Period, unit_id: int, limit: int = 12) -> list[TrendPoint]:
    """The unit's totals and ranks in the last ``limit`` closed periods of the same kind and peers
    (oldest first), the period itself included."""
    closed = list(Period.objects.filter(lineage_q(period.scheme), kind=period.kind, status=PeriodStatus.CLOSED,
                                        start__lte=period.start).order_by("-start")[:limit])
    rows = {s.period_id: s for s in PeriodScore.objects.filter(
        policy.score_filter(user), unit_id=unit_id, period__in=closed).filter(version=F("period__version"))}
    return [TrendPoint(p, rows[p.pk]) for p in reversed(closed) if p.pk in rows]


# --- the evidence of one score -------------------------------------------------------------------------

@dataclass
class ProblemLine:
    code: str
    title: str
    unit_path: str
    deadline: object
    closed_at: object
    closed_on_time: bool | None
    overdue_at: object
    rework_count: int
    visible: bool


def problems_behind(user, period: Period, score: PeriodScore) -> list[ProblemLine]:
    """The problems behind 问题整改, as they stood at the period's end: due, closed or overdue then."""
    window = Window(period.start, period.end, period.inputs_until)
    start, end = window.start, window.end
    rows = (ProblemVersion.objects.filter(Q(valid_from__lt=end), Q(valid_to__isnull=True) | Q(valid_to__gte=end),
                                          unit_path__startswith=score.unit_path)
            .filter(Q(deadline__gte=start, deadline__lt=end) | Q(closed_at__gte=start, closed_at__lt=end)
                    | (Q(overdue_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=end))))
            .exclude(state__in=EXCLUDED_STATES).select_related("problem").order_by("deadline", "problem__code")[:500])
    rows = list(rows)
    visible = set(problems_visible_to(user).filter(pk__in=[r.problem_id for r in rows]).values_list("pk", flat=True))
    return [ProblemLine(r.problem.code, r.problem.title, r.unit_path, r.deadline, r.closed_at, r.closed_on_time,
                        r.overdue_at if r.overdue_at and r.overdue_at < end and (r.closed_at is None or
                                                                                 r.closed_at >= end) else None,
                        r.rework_count, r.problem_id in visible) for r in rows]


def notices_behind(user, period: Period, score: PeriodScore) -> list[tuple[SupervisionNotice, bool]]:
    window = Window(period.start, period.end, period.inputs_until)
    rows = list(SupervisionNotice.objects.filter(unit__path__startswith=score.unit_path, issued_at__gte=window.start,
                                                 issued_at__lt=window.end).select_related("unit", "problem", "task", "task__plan")
                .order_by("issued_at"))
    visible = set(notices_visible_to(user).filter(pk__in=[n.pk for n in rows]).values_list("pk", flat=True))
    return [(n, n.pk in visible) for n in rows]


def rounds_behind(user, score: PeriodScore) -> list[dict]:
    """The rounds of 实地测评 with the number of the unit's points in each; ``visible``: the viewer may
    open the round (and so the unit's sample and each point's result)."""
    used = next((p["detail"].get("rounds", []) for p in score.components if p["metric"] == "inspection"), [])
    visible = set(inspection_selectors.rounds(user).filter(pk__in=[r["id"] for r in used])
                  .values_list("pk", flat=True))
    return [dict(r, visible=r["id"] in visible) for r in used]


def adjustments(user) -> QuerySet[Adjustment]:
    return Adjustment.objects.filter(_unit_q(user)).select_related("unit", "created_by", "withdrawn_by") \
        .prefetch_related("photos")


def adjustment_for(user, pk: int) -> Adjustment:
    entry = adjustments(user).filter(pk=pk).first()
    if entry is None:
        access.refuse_not_found(user, "scoring.adjustment", target=f"adjustment:{pk}")
    return entry


def adjustments_behind(user, score: PeriodScore) -> list[Adjustment]:
    ids = [a["id"] for a in score.adjustments]
    return list(adjustments(user).filter(pk__in=ids).order_by("occurred_on", "id"))


def ledger(user) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(_unit_q(user)).select_related("unit", "period", "created_by")


def days_of(period: Period) -> int:
    return (period.end - period.start + timedelta(days=1)).days


@dataclass
class Closable:
    kind: str
    first: object
    last: object
    label: str
    period: Period | None


def recent_periods(scheme: Scheme, today, per_kind: int = 4) -> list[Closable]:
    """The last ``per_kind`` ended periods of each of the scheme's kinds, with their state: what the
    office closes next (each with a one-click button)."""
    from .services import period_dates

    found = []
    for kind in scheme.period_kinds:
        day = today
        ended = []
        while len(ended) < per_kind:
            first, last, label = period_dates(kind, day)
            if last < today:
                ended.append((first, last, label))
            day = first - timedelta(days=1)
        existing = {p.start: p for p in Period.objects.filter(scheme=scheme, kind=kind,
                                                                start__in=[e[0] for e in ended])}
        found += [Closable(kind, first, last, label, existing.get(first)) for first, last, label in ended]
    return found

"""Reads of rounds, inspections and results, scoped to the user.

Who sees a round and its results:

* its **managers** — an office at or above the round's owner unit (for a 自查, also the owning
  unit's own staff) — see everything at every stage;
* its **inspectors** see the round and the points assigned to them — the inspector of a point, and
  every member of the point's 督查组 (``RoundPoint.team``) whose account may inspect the round
  (:func:`may_inspect`);
* everyone else whose scope holds points of the round sees the round once it is open and its
  results for those points **once it is published**; a **暗访** is not shown to them at all
  before it is published.
"""

from __future__ import annotations

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from wenming.core import access
from wenming.org.models import Unit

from .models import Inspection, InspectionRound, InspectionSettings, ItemResult, RoundPoint, RoundStatus
from .policy import (  # noqa: F401  (the access rules, re-exported for the selectors' callers)
    INSPECTOR_ROLES,
    SELF_CHECK_ROLES,
    _member_teams,
    _points_qs,
    group_points,
    inspects,
    manages,
    may_change_ranking_rule,
    may_configure,
    may_inspect,
    may_plan_any,
    member_team_ids,
    plannable_unit_filter,
    planning_office_paths,
    results_visible,
    round_filter,
    sees_everything,
)


def inspection_settings() -> InspectionSettings:
    """The office's inspection rules: the one row, or (unsaved) the defaults until the office sets them."""
    return InspectionSettings.objects.order_by("pk").first() or InspectionSettings()


def rounds(user) -> QuerySet[InspectionRound]:
    """The rounds the user may see, newest first (without their progress: see with_progress)."""
    return (InspectionRound.objects.filter(round_filter(user)).select_related("system", "owner")
            .order_by("-period_start", "-id"))


def with_progress(rounds_: list[InspectionRound]) -> list[InspectionRound]:
    """Set ``total`` and ``done`` (points in the sample, points inspected) on these rounds, in one
    query over their round points only — not a join over every round's samples."""
    rounds_ = list(rounds_)
    counts = {row["round_id"]: row for row in RoundPoint.objects.filter(round__in=[r.pk for r in rounds_])
              .values("round_id").annotate(total=Count("id"), done=Count("id", filter=Q(status=RoundPoint.Status.DONE)))
              .order_by()}
    for round_ in rounds_:
        row = counts.get(round_.pk, {})
        round_.total, round_.done = row.get("total", 0), row.get("done", 0)
    return rounds_


def plannable_units(user) -> list:
    """Units the user may own a round for (policy.plannable_unit_filter), in tree order, all of them."""
    return list(Unit.objects.filter(plannable_unit_filter(user), is_active=True).order_by("path"))


def round_for(user, pk: int) -> InspectionRound:
    round_ = rounds(user).filter(pk=pk).first()
    if round_ is None:
        access.refuse_not_found(user, "inspections.round", target=f"InspectionRound#{pk}")
    return with_progress([round_])[0]


def round_points(user, round_: InspectionRound) -> QuerySet[RoundPoint]:
    """The sample as this user may see it: all of it for those who see everything; an
    inspector's own assignments; the points in the user's scope otherwise."""
    qs = RoundPoint.objects.filter(round=round_).select_related("point", "point__point_type", "unit", "inspector", "team")
    if sees_everything(user, round_):
        return qs
    from wenming.places.selectors import point_filter

    scope = access.scope_for(user)
    mine = Q(inspector_id=scope.user_id) | group_points(user)
    return qs.filter(mine | Q(point__in=_points_qs(point_filter(user))))


def assignments(user) -> QuerySet[RoundPoint]:
    """An inspector's to-do: his points in open rounds, and those of his 督查组 — those begun
    (测评中) first, then those still to do (待测评), each by the round's period (earliest deadline
    first); then those done, the most recently done first."""
    stage = Case(When(status=RoundPoint.Status.DRAFT, then=Value(0)),
                 When(status=RoundPoint.Status.PENDING, then=Value(1)), default=Value(2), output_field=IntegerField())
    user_id = access.scope_for(user).user_id
    if user_id is None:
        return RoundPoint.objects.none()
    mine = Q(inspector_id=user_id) | group_points(user)
    return (RoundPoint.objects.filter(mine, round__status=RoundStatus.OPEN)
            .select_related("round", "point", "point__point_type", "unit", "team")
            .annotate(stage=stage)
            .order_by("stage", F("done_at").desc(nulls_last=True), "round__period_end", "round__period_start",
                      "point__code"))


def open_assignments_at(user, point) -> QuerySet[RoundPoint]:
    return assignments(user).filter(point=point).exclude(status=RoundPoint.Status.DONE)


def point_history(user, point) -> list[RoundPoint]:
    """Done round points of this point whose results the user may see, newest first."""
    rows = list(RoundPoint.objects.filter(point=point, status=RoundPoint.Status.DONE)
                .select_related("round", "inspector", "inspection__inspector").order_by("-done_at", "-id")[:50])
    user_id = access.scope_for(user).user_id
    teams = set(_member_teams(user_id).values_list("team_id", flat=True)) if user_id and any(
        row.team_id for row in rows) else set()
    return [row for row in rows if results_visible(user, row.round, row, teams)]


def results(round_point: RoundPoint) -> QuerySet[ItemResult]:
    return (ItemResult.objects.filter(inspection__round_point=round_point)
            .select_related("item", "item__indicator", "problem").prefetch_related("photos").order_by("item__sort", "item_id"))


def inspection_of(round_point: RoundPoint) -> Inspection | None:
    return Inspection.objects.filter(round_point=round_point).select_related("inspector").first()

"""Reads of rounds, inspections and results, scoped to the user.

Who sees a round and its results:

* its **managers** — an office at or above the round's owner unit (for a 自查, also the owning
  unit's own staff) — see everything at every stage;
* its **inspectors** see the round and the points assigned to them;
* everyone else whose scope holds points of the round sees the round once it is open and its
  results for those points **once it is published**; a **暗访** is not shown to them at all
  before it is published.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from wenming.core import access
from wenming.org.models import Role

from .models import Inspection, InspectionRound, ItemResult, RoundKind, RoundPoint, RoundStatus


def _office_paths(user) -> list[str]:
    scope = access.scope_for(user)
    return [path for path, _, role in scope.grants if role in (Role.OFFICE, Role.ADMIN)]


def manages(user, round_: InspectionRound) -> bool:
    """May plan, open, close and publish the round and see all of it."""
    scope = access.scope_for(user)
    if any(round_.owner_path.startswith(path) for path, _, role in scope.grants if role == Role.OFFICE):
        return True
    if round_.kind == RoundKind.SELF_CHECK:
        return any(unit_id == round_.owner_id and role in (Role.HANDLER, Role.OFFICE)
                   for _, unit_id, role in scope.grants)
    return False


def sees_everything(user, round_: InspectionRound) -> bool:
    """Managers, and admins/leaders above the owner, see results before publication."""
    if manages(user, round_):
        return True
    scope = access.scope_for(user)
    return any(round_.owner_path.startswith(path) for path, _, role in scope.grants
               if role in (Role.ADMIN, Role.LEADER))


def round_filter(user) -> Q:
    scope = access.scope_for(user)
    if scope.user_id is None:
        return Q(pk__in=[])
    parts = [Q(round_points__inspector_id=scope.user_id)]
    for path, unit_id, role in scope.grants:
        if role in (Role.OFFICE, Role.ADMIN, Role.LEADER):
            parts.append(Q(owner_path__startswith=path))
        if role in (Role.HANDLER, Role.OFFICE):
            parts.append(Q(kind=RoundKind.SELF_CHECK, owner_id=unit_id))
    # the inspected side: rounds holding points in the user's scope — open ones, 暗访 only once published
    from wenming.places.selectors import point_filter

    in_scope = RoundPoint.objects.filter(round_id=OuterRef("pk"), point__in=_points_qs(point_filter(user)))
    visible_states = Q(status__in=[RoundStatus.OPEN, RoundStatus.CLOSED]) & ~Q(kind=RoundKind.UNANNOUNCED)
    parts.append((visible_states | Q(status=RoundStatus.PUBLISHED)) & Q(Exists(in_scope)))
    return reduce(or_, parts)


def _points_qs(condition: Q):
    from wenming.places.models import Point

    return Point.objects.filter(condition).values("pk")


def rounds(user) -> QuerySet[InspectionRound]:
    """The rounds the user may see, newest first (without their progress: see with_progress)."""
    ids = InspectionRound.objects.filter(round_filter(user)).values("pk")
    return (InspectionRound.objects.filter(pk__in=ids).select_related("system", "owner")
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
    mine = Q(inspector_id=scope.user_id)
    return qs.filter(mine | Q(point__in=_points_qs(point_filter(user))))


def results_visible(user, round_: InspectionRound, round_point: RoundPoint | None = None) -> bool:
    if sees_everything(user, round_) or round_.status == RoundStatus.PUBLISHED:
        return True
    return round_point is not None and round_point.inspector_id == access.scope_for(user).user_id


def assignments(user) -> QuerySet[RoundPoint]:
    """An inspector's to-do: his points in open rounds — those begun (测评中) first, then those
    still to do (待测评), each by the round's period (earliest deadline first); then those done,
    the most recently done first."""
    stage = Case(When(status=RoundPoint.Status.DRAFT, then=Value(0)),
                 When(status=RoundPoint.Status.PENDING, then=Value(1)), default=Value(2), output_field=IntegerField())
    return (RoundPoint.objects.filter(inspector=user, round__status=RoundStatus.OPEN)
            .select_related("round", "point", "point__point_type", "unit")
            .annotate(stage=stage)
            .order_by("stage", F("done_at").desc(nulls_last=True), "round__period_end", "round__period_start",
                      "point__code"))


def open_assignments_at(user, point) -> QuerySet[RoundPoint]:
    return assignments(user).filter(point=point).exclude(status=RoundPoint.Status.DONE)


def point_history(user, point) -> list[RoundPoint]:
    """Done round points of this point whose results the user may see, newest first."""
    rows = (RoundPoint.objects.filter(point=point, status=RoundPoint.Status.DONE)
            .select_related("round", "inspector").order_by("-done_at", "-id")[:50])
    return [row for row in rows if results_visible(user, row.round, row)]


def results(round_point: RoundPoint) -> QuerySet[ItemResult]:
    return (ItemResult.objects.filter(inspection__round_point=round_point)
            .select_related("item", "item__indicator", "problem").prefetch_related("photos").order_by("item__sort", "item_id"))


def inspection_of(round_point: RoundPoint) -> Inspection | None:
    return Inspection.objects.filter(round_point=round_point).first()

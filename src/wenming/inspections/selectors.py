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

from functools import reduce
from operator import or_

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from wenming.core import access
from wenming.org.models import Role, TeamKind, TeamMember

from .models import Inspection, InspectionRound, ItemResult, RoundKind, RoundPoint, RoundStatus


# who may be given points of a round (services.round_assign), and so inspect a 督查组's points
INSPECTOR_ROLES = {Role.INSPECTOR}
SELF_CHECK_ROLES = {Role.HANDLER, Role.GRID_WORKER, Role.INSPECTOR, Role.OFFICE}


def may_inspect(user, round_: InspectionRound) -> bool:
    """May be given points of the round: an active account with an inspector's or an office role
    — for a 自查, a staff role (经办人, 网格员, 督查员, 创建办) at the owning unit or below."""
    grants = access.scope_for(user).grants
    if round_.kind == RoundKind.SELF_CHECK:
        return any(role in SELF_CHECK_ROLES and path.startswith(round_.owner_path) for path, _, role in grants)
    return any(role in INSPECTOR_ROLES | {Role.OFFICE} for _, _, role in grants)


def _may_inspect_rounds(user, prefix: str = "") -> Q:
    """The rounds (reached through ``prefix``) the user may inspect, as :func:`may_inspect` says
    one by one: a 自查 is inspected from its owner unit's subtree, so its owner path is one of the
    prefixes of the paths where the user holds a staff role."""
    grants = access.scope_for(user).grants
    owners = set()
    for path, _, role in grants:
        if role in SELF_CHECK_ROLES:
            parts = path.strip("/").split("/")
            owners.update("/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1))
    q = Q(**{f"{prefix}kind": RoundKind.SELF_CHECK, f"{prefix}owner_path__in": sorted(owners)}) if owners else None
    if any(role in INSPECTOR_ROLES | {Role.OFFICE} for _, _, role in grants):
        others = ~Q(**{f"{prefix}kind": RoundKind.SELF_CHECK})
        q = others if q is None else q | others
    return q


def _member_teams(user_id: int):
    """The 督查组 the user is a member of (a subquery of team ids)."""
    return TeamMember.objects.filter(user_id=user_id, team__kind=TeamKind.INSPECTION_GROUP).values("team_id")


def group_points(user) -> Q:
    """Round points of the 督查组 the user is a member of, in rounds he may inspect; nothing for
    a user who may inspect no round."""
    scope = access.scope_for(user)
    rounds_ok = _may_inspect_rounds(user, "round__") if scope.user_id is not None else None
    if rounds_ok is None:
        return Q(pk__in=[])
    return Q(team_id__in=_member_teams(scope.user_id)) & rounds_ok


def member_team_ids(user, round_: InspectionRound) -> set[int]:
    """Ids of the 督查组 whose points of this round the user may inspect."""
    scope = access.scope_for(user)
    if scope.user_id is None or not may_inspect(user, round_):
        return set()
    return set(_member_teams(scope.user_id).values_list("team_id", flat=True))


def inspects(user, round_point: RoundPoint, teams: set[int] | None = None) -> bool:
    """May open and record the point's inspection: its inspector, or a member of its 督查组 whose
    account may inspect the round. ``teams``: the user's 督查组 ids when already known."""
    user_id = access.scope_for(user).user_id
    if user_id is None:
        return False
    if round_point.inspector_id == user_id:
        return True
    if not round_point.team_id or not may_inspect(user, round_point.round):
        return False
    if teams is not None:
        return round_point.team_id in teams
    return TeamMember.objects.filter(team_id=round_point.team_id, team__kind=TeamKind.INSPECTION_GROUP,
                                     user_id=user_id).exists()


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
    parts = []
    for path, unit_id, role in scope.grants:  # the owning side first: cheap tests on the round's own row
        if role in (Role.OFFICE, Role.ADMIN, Role.LEADER):
            parts.append(Q(owner_path__startswith=path))
        if role in (Role.HANDLER, Role.OFFICE):
            parts.append(Q(kind=RoundKind.SELF_CHECK, owner_id=unit_id))
    # the inspecting side: rounds with points assigned to the user or to his 督查组 — an index probe
    # into each round's sample, (round, inspector) and (round, team), not a join over every sample
    mine = RoundPoint.objects.filter(round_id=OuterRef("pk"), inspector_id=scope.user_id)
    parts.append(Q(Exists(mine)))
    rounds_ok = _may_inspect_rounds(user)
    if rounds_ok is not None:
        # (team = ANY(ARRAY(…)) on PostgreSQL, so that the (round, team) index is used, not a scan of the sample)
        groups = RoundPoint.objects.filter(access.InSubquery("team_id", _member_teams(scope.user_id)),
                                           round_id=OuterRef("pk"))
        parts.append(rounds_ok & Q(Exists(groups)))
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


def results_visible(user, round_: InspectionRound, round_point: RoundPoint | None = None,
                    teams: set[int] | None = None) -> bool:
    if sees_everything(user, round_) or round_.status == RoundStatus.PUBLISHED:
        return True
    return round_point is not None and inspects(user, round_point, teams)


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

"""Access policy of inspections — who sees a round and its results, who inspects and who manages
(DESIGN.md §3: ``<thing>_filter(user) -> Q`` for reads, ``may_<verb>``/predicates for acts; the
selectors, services, views and templates ask these).

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

from django.db.models import Exists, OuterRef, Q

from wenming.core import access
from wenming.org.models import Role, TeamKind, TeamMember

from .models import InspectionRound, RoundKind, RoundPoint, RoundStatus

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


def may_plan(user, owner, kind: str) -> bool:
    """May create a round of ``kind`` owned by ``owner``: an office at or above the owner; for a
    自查, also the owning unit's handler."""
    scope = access.scope_for(user)
    if any(owner.path.startswith(path) for path, _, role in scope.grants if role == Role.OFFICE):
        return True
    return kind == RoundKind.SELF_CHECK and any(unit_id == owner.pk and role == Role.HANDLER
                                                for _, unit_id, role in scope.grants)


def may_plan_any(user) -> bool:
    """May plan some round: an office (any kind, at or below it) or a handler (his unit's 自查)."""
    return bool(access.scope_for(user).roles & {Role.OFFICE, Role.HANDLER})


def planning_office_paths(user) -> list[str]:
    """Paths of the units whose office the user is: he may plan rounds owned at or below them."""
    return [path for path, _, role in access.scope_for(user).grants if role == Role.OFFICE]


def plannable_unit_filter(user) -> Q:
    """Units the user may own a round for: his office units and two levels below them, or, for a
    handler, his own unit (自查)."""
    scope = access.scope_for(user)
    q = Q(pk__in=[unit_id for _, unit_id, role in scope.grants if role == Role.HANDLER])
    for path in planning_office_paths(user):
        q |= Q(path__startswith=path, depth__lte=path.count("/") - 2 + 2)
    return q


def may_auto_assign(organiser, unit) -> bool:
    """May a round's organiser 交办 the problems its inspections raise to ``unit`` (an office whose
    scope sees the unit); otherwise they wait 待受理 for the office."""
    scope = access.scope_for(organiser)
    return Role.OFFICE in scope.roles and scope.sees_unit(unit)


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


def results_visible(user, round_: InspectionRound, round_point: RoundPoint | None = None,
                    teams: set[int] | None = None) -> bool:
    if sees_everything(user, round_) or round_.status == RoundStatus.PUBLISHED:
        return True
    return round_point is not None and inspects(user, round_point, teams)


def may_configure(user) -> bool:
    """May set the inspection rules every round starts from (测评设置): the city's office, as for
    the loop's settings."""
    return access.scope_for(user).is_root_office


def may_change_ranking_rule(user, round_: InspectionRound) -> bool:
    """May change the round's minimum sample: its managers, until the results are published."""
    return manages(user, round_) and round_.status != RoundStatus.PUBLISHED


def may_view_rounds(user) -> bool:
    """The round list (督查测评) is for the organisation's staff."""
    return access.scope_for(user).has("org.view")


def may_view_assignments(user) -> bool:
    """“我的测评”: inspectors, and the staff a 自查 may assign points to."""
    return bool(access.scope_for(user).roles & SELF_CHECK_ROLES)

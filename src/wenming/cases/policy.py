"""Access policy of the rectification loop — the one place that says who sees and may do what
with problems and supervision notices (DESIGN.md §3, §4).

``<thing>_filter(user) -> Q`` is what a user may read; ``may_<verb>(user, …) -> bool`` is what he
may do. Selectors, services, views, the API and templates ask these; none repeats a role test.
The generic parts (a user's scope, the 404/403 refusals) are in ``core.access``.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from wenming.core import access
from wenming.org.models import Membership, Role, Unit

REPORT_ROLES = frozenset({Role.OFFICE, Role.LEADER, Role.INSPECTOR, Role.HANDLER, Role.GRID_WORKER,
                          Role.CITIZEN, Role.VOLUNTEER})
UNIT_STAFF_ROLES = frozenset({Role.HANDLER, Role.GRID_WORKER})
VERIFIER_ROLES = frozenset({Role.OFFICE, Role.INSPECTOR})
# supervision documents (督办单/督办函) are internal: offices, leaders, admins over the unit, and the
# handlers of the unit named (DESIGN.md §4) — never citizens, volunteers, grid workers or inspectors
NOTICE_SUBTREE_ROLES = frozenset({Role.OFFICE, Role.LEADER, Role.ADMIN})
NOTICE_UNIT_ROLES = frozenset({Role.HANDLER})

# the same answer whether the account exists or not: an office user must not learn account names
VERIFIER_REFUSED = "复核人须是负责该问题所在区域的督查员或创建办人员，请核对复核人账号"


# --- problems ----------------------------------------------------------------------------------------

def problem_filter(user) -> Q:
    """Problems the user sees: in the subtree of his office/leader/admin units (by responsible
    unit or by area), those of his own unit (handler) or area (grid worker), those he is to
    verify, and those he reported or follows."""
    scope = access.scope_for(user)
    if scope.user_id is None:
        return Q(pk__in=[])
    from .models import Problem

    # an IN (subquery) rather than EXISTS: inside the OR it lets the database use each index
    # instead of scanning every problem (see InSubquery and docs/performance.md)
    follows = Problem.followers.through.objects.filter(user_id=scope.user_id).values("problem_id")
    parts = [Q(reporter_id=scope.user_id), Q(access.InSubquery("pk", follows))]
    for path in scope.subtree_paths:
        parts += [Q(unit_path__startswith=path), Q(area_path__startswith=path)]
    handler_units = {unit_id for _, unit_id, role in scope.grants if role == Role.HANDLER}
    grid_units = {unit_id for _, unit_id, role in scope.grants if role == Role.GRID_WORKER}
    if handler_units | grid_units:
        parts.append(Q(unit_id__in=handler_units | grid_units))
    if grid_units:
        parts.append(Q(area_id__in=grid_units))
    if Role.INSPECTOR in scope.roles:
        parts.append(Q(verifier_id=scope.user_id))
    return reduce(or_, parts)


def may_view_problem(user, problem) -> bool:
    """Whether a link to ``problem``'s page may be shown to the user."""
    if problem is None:
        return False
    from .models import Problem

    return Problem.objects.filter(problem_filter(user), pk=problem.pk).exists()


def visible_problem_ids(user, ids) -> set[int]:
    """Which of the problems ``ids`` the user sees: the links a list may show (one query, none
    for no ids)."""
    ids = {pk for pk in ids if pk}
    if not ids:
        return set()
    from .models import Problem

    return set(Problem.objects.filter(problem_filter(user), pk__in=ids).values_list("pk", flat=True))


def problem_reach(user, problem) -> set[str]:
    """Where the user stands toward a problem: "office" (an office role covers its unit or area),
    "unit" (he is staff of the responsible unit), "verifier" (its verifier, or an office)."""
    scope = access.scope_for(user)
    reach: set[str] = set()
    for path in (problem.unit_path, problem.area_path):
        if path and any(path.startswith(p) for p, _, role in scope.grants if role == Role.OFFICE):
            reach.add("office")
    if problem.unit_id and any(unit_id == problem.unit_id and role in UNIT_STAFF_ROLES
                               for _, unit_id, role in scope.grants):
        reach.add("unit")
    if "office" in reach or (problem.verifier_id == scope.user_id and Role.INSPECTOR in scope.roles):
        reach.add("verifier")
    return reach


def may_see_reporter(user, problem) -> bool:
    """The reporter's name and phone are for the offices over the problem only."""
    return "office" in problem_reach(user, problem)


def may_see_tracking_code(user, problem) -> bool:
    """The 查询码 opens the public look-up: for the reporter himself and the offices over it."""
    return bool(problem.reporter_id and problem.reporter_id == user.pk) or may_see_reporter(user, problem)


def may_report(user) -> bool:
    return bool(access.scope_for(user).roles & REPORT_ROLES)


def may_report_in(user, area: Unit) -> str | None:
    """The role under which the user may report a problem located in ``area`` (anywhere under
    one of his units), or None."""
    scope = access.scope_for(user)
    order = [Role.OFFICE, Role.INSPECTOR, Role.GRID_WORKER, Role.HANDLER, Role.LEADER, Role.CITIZEN, Role.VOLUNTEER]
    held = {role for path, _, role in scope.grants if area.path.startswith(path) and role in REPORT_ROLES}
    return next((role for role in order if role in held), None)


def report_area_filter(user) -> Q:
    """The units a user may name as the place of a report (``may_report_in`` for a queryset of
    ``Unit``): everything under one of his units where he holds a role that reports."""
    paths = {path for path, _, role in access.scope_for(user).grants if role in REPORT_ROLES}
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, [Q(path__startswith=path) for path in sorted(paths)])


CITIZEN_ROLES = frozenset({Role.CITIZEN, Role.VOLUNTEER})


def may_classify_report(user) -> bool:
    """Whether the report form offers 来源 and 严重程度: to the organisation's staff; a citizen or
    volunteer reports as 市民随手拍 with the normal severity and sees neither field."""
    return bool(access.scope_for(user).roles & (REPORT_ROLES - CITIZEN_ROLES))


def may_view_reported(user) -> bool:
    """“我反映的问题” in the menu: for citizens and volunteers (the staff follow their problems in
    their own lists; the page itself is open to whoever may report)."""
    return bool(access.scope_for(user).roles & CITIZEN_ROLES)


def may_view_ledger(user) -> bool:
    """The ledger (问题台账) is for the organisation's staff, not for citizens or volunteers."""
    return access.scope_for(user).has("org.view")


def may_view_unit_list(user) -> bool:
    """“本单位问题”: the handler's and grid worker's list."""
    return bool(access.scope_for(user).roles & UNIT_STAFF_ROLES)


def may_view_verify_list(user) -> bool:
    return bool(access.scope_for(user).roles & VERIFIER_ROLES)


def may_view_office_todo(user) -> bool:
    return Role.OFFICE in access.scope_for(user).roles


def may_import(user) -> bool:
    """Importing a problem list (Excel) is an office's act."""
    return Role.OFFICE in access.scope_for(user).roles


def may_export_ledger(user) -> bool:
    return may_view_ledger(user)


METRICS_ROLES = frozenset({Role.OFFICE, Role.LEADER, Role.ADMIN})


def may_view_metrics(user) -> bool:
    return bool(access.scope_for(user).roles & METRICS_ROLES)


def may_edit_settings(user) -> bool:
    """整改设置 (SLA table, calendar, 督办 ladder, routing) belong to the city office."""
    return access.scope_for(user).is_root_office


# --- verifiers (复核人) ------------------------------------------------------------------------------

def _ancestor_paths(*paths: str) -> set[str]:
    """``/1/7/42/`` → ``/1/``, ``/1/7/``, ``/1/7/42/``: the units whose subtree holds the path."""
    found = set()
    for path in paths:
        parts = [p for p in (path or "").split("/") if p]
        for n in range(1, len(parts) + 1):
            found.add("/" + "/".join(parts[:n]) + "/")
    return found


def verifier_filter(problem) -> Q:
    """A ``Q`` over users: who may be named 复核人 of ``problem`` — an active inspector or office
    member of a unit at or above the problem's responsible unit or its area."""
    paths = _ancestor_paths(problem.unit_path, problem.area_path)
    members = Membership.objects.filter(role__in=VERIFIER_ROLES, is_active=True, unit__is_active=True,
                                        unit__path__in=paths).values("user_id")
    return Q(is_active=True, pk__in=members, api_token__isnull=True)  # a person, never a token's account


def may_verify(candidate, problem) -> bool:
    """Whether ``candidate`` may be named the problem's 复核人."""
    if candidate is None or not candidate.is_active:
        return False
    from wenming.org.models import User

    return User.objects.filter(verifier_filter(problem), pk=candidate.pk).exists()


# --- supervision notices (督办单/督办函) ---------------------------------------------------------

def notice_filter(user) -> Q:
    """A ``Q`` over ``SupervisionNotice``: offices, leaders (also as patrons) and admins see the
    notices of problems, and of units, in their subtree; a handler sees those naming his unit."""
    scope = access.scope_for(user)
    parts = []
    for path, _, role in scope.grants:
        if role in NOTICE_SUBTREE_ROLES:
            parts += [Q(problem__unit_path__startswith=path), Q(problem__area_path__startswith=path),
                      Q(unit__path__startswith=path)]
    for path in scope.patron_paths:
        parts += [Q(problem__unit_path__startswith=path), Q(problem__area_path__startswith=path),
                  Q(unit__path__startswith=path)]
    units = {unit_id for _, unit_id, role in scope.grants if role in NOTICE_UNIT_ROLES}
    if units:
        parts.append(Q(unit_id__in=units))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def may_view_notices(user) -> bool:
    """Whether the user has a list of supervision notices at all (menu entry, list page)."""
    return bool(access.scope_for(user).roles & (NOTICE_SUBTREE_ROLES | NOTICE_UNIT_ROLES))

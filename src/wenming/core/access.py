"""Access scope — the one place that says who sees and may do what (DESIGN.md §4).

* office, leader and admin memberships see their unit's whole subtree; a leader also sees
  the subtrees of the units he is patron of (包保);
* handlers, grid workers and inspectors see their own unit;
* volunteers and citizens see no part of the organisation.

Outside the scope an object answers 404 (its existence is not revealed); inside the scope an
action the user's roles do not allow answers 403. Both refusals are written to the audit log.
Selectors and services call :func:`scope_for`, :func:`require_visible` and :func:`require`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import BooleanField, Expression, F, Q, Subquery

from wenming.org.models import SUBTREE_ROLES, Membership, Patronage, Role, Unit

from . import audit
from .errors import Forbidden, NotFound  # also Django's Http404 and PermissionDenied
from .models import AuditResult

# permission -> roles that hold it (at the unit of their membership, or below for subtree roles)
PERMISSIONS: dict[str, set[str]] = {
    "org.view": {Role.OFFICE, Role.LEADER, Role.ADMIN, Role.HANDLER, Role.GRID_WORKER, Role.INSPECTOR},
    "org.edit_units": {Role.OFFICE},
    # held at a root unit (the city office): the offices' 机关代字 must not collide (org.doccodes)
    "org.set_doc_code": {Role.OFFICE},
    "org.manage_teams": {Role.OFFICE},
    # the person pickers of the office's forms (team members, 包保领导, a point's patron): names,
    # posts and usernames of accounts in scope — not for staff who fill in no such form
    "org.pick_people": {Role.OFFICE},
    "org.manage_patronage": {Role.OFFICE},
    "org.manage_accounts": {Role.OFFICE},
    "org.view_contacts": {Role.OFFICE, Role.LEADER, Role.ADMIN},
    "audit.view": {Role.OFFICE, Role.ADMIN},
    # held at a root unit (the city): the SMS/e-mail delivery failures, records tied to no unit
    "outbound.view": {Role.OFFICE, Role.ADMIN},
}


@dataclass
class Scope:
    user_id: int | None
    # (unit path, role) for every active membership
    grants: list[tuple[str, int, str]] = field(default_factory=list)
    patron_paths: list[str] = field(default_factory=list)

    @property
    def roles(self) -> set[str]:
        return {role for _, _, role in self.grants}

    @property
    def subtree_paths(self) -> list[str]:
        paths = [path for path, _, role in self.grants if role in SUBTREE_ROLES]
        return _minimal(paths + self.patron_paths)

    @property
    def own_unit_ids(self) -> set[int]:
        """Units seen through a non-subtree staff role (handler, grid worker, inspector)."""
        staff = PERMISSIONS["org.view"]
        return {unit_id for _, unit_id, role in self.grants if role in staff and role not in SUBTREE_ROLES}

    @property
    def screen_paths(self) -> list[str]:
        """Units whose 领导驾驶舱 a 大屏展示账号 shows (its screen memberships)."""
        return _minimal([path for path, _, role in self.grants if role == Role.SCREEN])

    @property
    def is_screen_only(self) -> bool:
        """A 大屏展示账号: every grant is a screen role (it reads the dashboard and nothing else)."""
        return bool(self.grants) and all(role == Role.SCREEN for _, _, role in self.grants) \
            and not self.patron_paths

    def unit_filter(self, prefix: str = "") -> Q:
        """A Q over a model whose unit is reached through ``prefix`` ("" for Unit itself)."""
        path_field = f"{prefix}path__startswith"
        id_field = f"{prefix}id__in" if prefix else "id__in"
        parts = [Q(**{path_field: path}) for path in self.subtree_paths]
        own = self.own_unit_ids
        if own:
            parts.append(Q(**{id_field: own}))
        if not parts:
            return Q(pk__in=[])
        return reduce(or_, parts)

    def sees_unit(self, unit: Unit) -> bool:
        if any(unit.path.startswith(path) for path in self.subtree_paths):
            return True
        return unit.pk in self.own_unit_ids

    def roles_at(self, unit: Unit) -> set[str]:
        """The roles that apply at ``unit``: subtree roles held at it or above, others held at it."""
        roles = set()
        for path, unit_id, role in self.grants:
            if role in SUBTREE_ROLES and unit.path.startswith(path):
                roles.add(role)
            elif unit_id == unit.pk:
                roles.add(role)
        if any(unit.path.startswith(path) for path in self.patron_paths):
            roles.add(Role.LEADER)
        return roles

    def has(self, permission: str, unit: Unit | None = None) -> bool:
        allowed = PERMISSIONS[permission]
        if unit is None:
            return bool(self.roles & allowed)
        return bool(self.roles_at(unit) & allowed)

    @property
    def is_root_office(self) -> bool:
        return any(role == Role.OFFICE and path.count("/") == 2 for path, _, role in self.grants)

    def has_at_root(self, permission: str) -> bool:
        """Whether a membership at a root unit (the city) holds ``permission``."""
        allowed = PERMISSIONS[permission]
        return any(role in allowed and path.count("/") == 2 for path, _, role in self.grants)


def nearest_office_unit(user, path: str | None = None) -> Unit | None:
    """The unit of the user's office that covers ``path`` (the nearest one above or at it; with no
    path, the deepest office he holds): the issuing office of what he drafts there."""
    paths = [p for p, _, role in scope_for(user).grants if role == Role.OFFICE and (path is None or path.startswith(p))]
    if not paths:
        return None
    return Unit.objects.filter(path=max(paths, key=len)).first()


def _minimal(paths: list[str]) -> list[str]:
    """Drop paths that lie inside another path of the list."""
    result: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(kept) for kept in result):
            result.append(path)
    return result


def scope_for(user) -> Scope:
    """The user's scope, computed once per request (cached on the user object)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope(user_id=None)
    cached = getattr(user, "_wenming_scope", None)
    if cached is not None:
        return cached
    grants = _grants(user.pk)
    patron_paths: list[str] = []
    if any(role == Role.LEADER for _, _, role in grants):
        patron_paths = list(
            Patronage.objects.filter(patron_user=user, is_active=True).values_list("target_unit__path", flat=True)
        )
    scope = Scope(user_id=user.pk, grants=grants, patron_paths=patron_paths)
    user._wenming_scope = scope
    return scope


def _grants(user_id: int) -> list[tuple[str, int, str]]:
    """``(unit path, unit id, role)`` of the user's active memberships in active units — as
    ``Membership.objects.filter(user=…, is_active=True, unit__is_active=True)
    .values_list("unit__path", "unit_id", "role")``, in plain SQL: this runs on nearly every
    request, and the ORM compiling it again each time cost more than the query itself
    (docs/performance.md)."""
    from django.db import connection

    qn = connection.ops.quote_name
    m = {name: qn(Membership._meta.get_field(name).column) for name in ("user", "unit", "role", "is_active")}
    u = {name: qn(Unit._meta.get_field(name).column) for name in ("id", "path", "is_active")}
    sql = (f"SELECT u.{u['path']}, m.{m['unit']}, m.{m['role']} FROM {qn(Membership._meta.db_table)} m "
           f"INNER JOIN {qn(Unit._meta.db_table)} u ON (m.{m['unit']} = u.{u['id']}) "
           f"WHERE m.{m['user']} = %s AND m.{m['is_active']} = %s AND u.{u['is_active']} = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, True, True])
        return [(path, int(unit_id), role) for path, unit_id, role in cursor.fetchall()]


def forget_scope(user) -> None:
    if hasattr(user, "_wenming_scope"):
        del user._wenming_scope


def refuse_not_found(user, what: str, target=None):
    audit.record("access.refused", actor=user, target=target if target is not None else what,
                 result=AuditResult.DENIED, detail={"status": 404, "what": what})
    raise NotFound("未找到该对象，或您无权查看。")


def refuse_forbidden(user, permission: str, target=None, unit=None):
    audit.record("access.refused", actor=user, target=target if target is not None else permission,
                 unit=unit, result=AuditResult.DENIED, detail={"status": 403, "permission": permission})
    raise Forbidden("您没有执行此操作的权限。")


def may_open_unit(user, unit: Unit | None) -> bool:
    """Whether the unit's page answers the user (what ``org:unit`` requires): the unit lies in his
    scope and he may view the organisation there. Pages link a unit only when this holds."""
    scope = scope_for(user)
    return unit is not None and scope.sees_unit(unit) and scope.has("org.view", unit)


def require_visible(user, unit: Unit | None, what: str = "unit", target=None) -> None:
    """404 unless ``unit`` lies in the user's scope."""
    if unit is None or not scope_for(user).sees_unit(unit):
        refuse_not_found(user, what, target)


def require(user, permission: str, unit: Unit | None = None, target=None) -> None:
    """404 outside the scope, 403 inside it without the permission."""
    scope = scope_for(user)
    if unit is not None:
        require_visible(user, unit, target=target or unit)
    if not scope.has(permission, unit):
        refuse_forbidden(user, permission, target or unit, unit)


def require_at_root(user, permission: str, target=None) -> None:
    """403 unless the user holds ``permission`` at a root unit: for city-wide records that belong
    to no unit (a district office is inside the city, so it is refused, not told "not found")."""
    if not scope_for(user).has_at_root(permission):
        refuse_forbidden(user, permission, target)


def require_permission(user, permission: str, unit: Unit | None = None, target=None) -> None:
    """403 without the permission at ``unit``; for objects whose visibility the caller's
    selector has already established (e.g. a city team seen from a street)."""
    if not scope_for(user).has(permission, unit):
        refuse_forbidden(user, permission, target or unit, unit)


# --- query helpers ---------------------------------------------------------------------------------

class InSubquery(Expression):
    """``column IN (subquery)``, written for PostgreSQL as ``column = ANY(ARRAY(subquery))``.

    Inside an ``OR`` PostgreSQL runs an ``IN (subquery)`` as a hashed subplan tested on every
    row, which rules out combining the other branches' indexes: the whole table is scanned. The
    ``ARRAY(…)`` form is computed once (an InitPlan) and ``= ANY`` of it is an index condition
    that joins the others in a ``BitmapOr``. SQLite plans the plain ``IN`` that way already."""

    output_field = BooleanField()

    def __init__(self, column: str, queryset):
        super().__init__()
        self.column, self.subquery = F(column), Subquery(queryset)

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs):
        self.column, self.subquery = exprs

    def _parts(self, compiler):
        lhs, lhs_params = compiler.compile(self.column)
        rhs, rhs_params = compiler.compile(self.subquery)  # "(SELECT …)"
        return lhs, rhs, (*lhs_params, *rhs_params)

    def as_sql(self, compiler, connection):
        lhs, rhs, params = self._parts(compiler)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler, connection):
        lhs, rhs, params = self._parts(compiler)
        return f"{lhs} = ANY(ARRAY{rhs})", params

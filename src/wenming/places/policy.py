"""Access policy of points (点位): who sees a point and who manages it (DESIGN.md §3). Selectors,
services, views and templates ask these; none repeats a role test."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from wenming.core import access
from wenming.org.models import Role, Unit


def point_filter(user) -> Q:
    scope = access.scope_for(user)
    parts = []
    for path in scope.subtree_paths:
        parts += [Q(unit_path__startswith=path), Q(area_path__startswith=path)]
    for path, unit_id, role in scope.grants:
        if role == Role.INSPECTOR:
            parts += [Q(unit_path__startswith=path), Q(area_path__startswith=path)]
        elif role in (Role.HANDLER, Role.GRID_WORKER):
            parts.append(Q(unit_id=unit_id))
            if role == Role.GRID_WORKER:
                parts.append(Q(area_id=unit_id))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def may_manage(user, unit: Unit | None = None) -> bool:
    """An office role at or above ``unit`` (any office role when ``unit`` is None)."""
    scope = access.scope_for(user)
    if unit is None:
        return Role.OFFICE in scope.roles
    return Role.OFFICE in scope.roles_at(unit)


def may_view(user) -> bool:
    """The point list is for the organisation's staff."""
    return access.scope_for(user).has("org.view")

"""Reads of points, scoped to the user: offices, leaders and admins see the points in their subtree
(by responsible unit or by area); inspectors the points on their unit's territory; handlers the
points their unit answers for; grid workers those too and the points in their grid."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from wenming.core import access
from wenming.org.models import Role

from .models import Point


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


def points(user) -> QuerySet[Point]:
    return Point.objects.filter(point_filter(user))


def point_for(user, *, code: str | None = None, token: str | None = None) -> Point:
    """One point the user may see, or an audited 404."""
    lookup = {"code": code} if code is not None else {"qr_token": token}
    point = (points(user).select_related("point_type", "unit", "area", "patron", "photo")
             .filter(**lookup).first())
    if point is None:
        access.refuse_not_found(user, "places.point", target=f"Point {code or 'qr'}")
    return point

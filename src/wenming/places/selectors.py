"""Reads of points, scoped to the user: offices, leaders and admins see the points in their subtree
(by responsible unit or by area); inspectors the points on their unit's territory; handlers the
points their unit answers for; grid workers those too and the points in their grid."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Count, FloatField, Q, QuerySet
from django.db.models.functions import Cast

from wenming.cases import policy as cases_policy
from wenming.core import access
from wenming.core.geo import distance_m
from wenming.org.models import Unit
from wenming.standards.models import PointType

from .models import Point
from .policy import point_filter  # noqa: F401  (re-exported for the selectors' callers)


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


# --- the points pages ------------------------------------------------------------------------------

SCATTER_LIMIT = 20_000
UNIT_OPTION_KINDS = ("city", "district", "street", "department")


@dataclass
class PointFilters:
    """What the list, the scatter, the QR sheet and the export are filtered by (query string)."""

    point_type: PointType | None = None
    unit: Unit | None = None
    unit_code: str = ""
    q: str = ""
    coords: str = ""        # "1": with coordinates, "0": without, "": all
    inactive: bool = False  # include deactivated points
    code: str = ""          # one point (the QR sheet of a single point)
    unknown_unit: bool = False

    def params(self) -> dict[str, str]:
        """The filters as query parameters, for links (pager, scatter, QR sheet, export)."""
        values = {"type": self.point_type.code if self.point_type else "", "unit": self.unit_code, "q": self.q,
                  "coords": self.coords, "inactive": "1" if self.inactive else "", "code": self.code}
        return {key: value for key, value in values.items() if value}


def parse_filters(user, params) -> PointFilters:
    filters = PointFilters(q=(params.get("q") or "").strip()[:50], code=(params.get("code") or "").strip()[:30])
    type_code = (params.get("type") or "").strip()
    if type_code:
        filters.point_type = PointType.objects.filter(code=type_code).first()
    unit_code = (params.get("unit") or "").strip()[:18]
    if unit_code:
        filters.unit_code = unit_code
        from wenming.org.selectors import units_visible_to

        filters.unit = units_visible_to(user).filter(code=unit_code).first()
        filters.unknown_unit = filters.unit is None
    if params.get("coords") in ("0", "1"):
        filters.coords = params["coords"]
    filters.inactive = params.get("inactive") == "1"
    return filters


def filtered(user, filters: PointFilters, *, by_type: bool = True) -> QuerySet[Point]:
    """The user's points under ``filters`` (``by_type=False`` ignores the type, for the counts)."""
    qs = points(user)
    if not filters.inactive:
        qs = qs.filter(is_active=True)
    if by_type and filters.point_type is not None:
        qs = qs.filter(point_type=filters.point_type)
    if filters.unknown_unit:
        return qs.none()
    if filters.unit is not None:
        path = filters.unit.path
        qs = qs.filter(Q(unit_path__startswith=path) | Q(area_path__startswith=path))
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(code__icontains=filters.q) | Q(address__icontains=filters.q))
    if filters.coords == "1":
        qs = qs.filter(latitude__isnull=False, longitude__isnull=False)
    elif filters.coords == "0":
        qs = qs.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))
    if filters.code:
        qs = qs.filter(code=filters.code)
    return qs


def for_table(qs: QuerySet[Point]) -> QuerySet[Point]:
    return qs.select_related("point_type", "unit", "area", "patron").order_by("code")


def type_counts(user, filters: PointFilters) -> list[dict]:
    """Every point type with the number of filtered points of that type (the type filter aside)."""
    rows = filtered(user, filters, by_type=False).order_by().values("point_type").annotate(n=Count("pk"))
    counts = {row["point_type"]: row["n"] for row in rows}
    return [{"type": t, "count": counts.get(t.pk, 0)} for t in PointType.objects.order_by("sort", "code")]


def scatter(user, filters: PointFilters) -> dict:
    """The filtered points that have coordinates, as compact rows for the chart:
    ``[code, longitude, latitude, latest score or None, name]``; at most SCATTER_LIMIT of them."""
    qs = filtered(user, filters).filter(latitude__isnull=False, longitude__isnull=False).order_by("code")
    # read as floats by the database: converting 20,000 × 3 decimals in Python took most of the time
    qs = qs.annotate(chart_lng=Cast("longitude", FloatField()), chart_lat=Cast("latitude", FloatField()),
                     chart_score=Cast("latest_score", FloatField()))
    rows = list(qs.values_list("code", "chart_lng", "chart_lat", "chart_score", "name")[:SCATTER_LIMIT + 1])
    truncated = len(rows) > SCATTER_LIMIT
    rows = rows[:SCATTER_LIMIT]
    return {
        "fields": ["code", "lng", "lat", "score", "name"],
        "points": [list(row) for row in rows],
        "truncated": truncated,
        "limit": SCATTER_LIMIT,
    }


def unit_options(user) -> list[Unit]:
    """Units to filter by: cities, districts, streets and departments the user sees, and his own units."""
    from wenming.org.selectors import units_visible_to

    scope = access.scope_for(user)
    return list(units_visible_to(user).filter(Q(kind__in=UNIT_OPTION_KINDS) | Q(pk__in=scope.own_unit_ids))
                .filter(is_active=True).order_by("path")[:400])


def active_system():
    """The evaluation system in use: the newest active one."""
    from wenming.standards.models import IndexSystem, SystemStatus

    return IndexSystem.objects.filter(status=SystemStatus.ACTIVE).order_by("-created_at", "-id").first()


def other_active_systems(system) -> int:
    """How many other systems are 在用 beside ``system`` (rounds may use any of them)."""
    from wenming.standards.models import IndexSystem, SystemStatus

    if system is None:
        return 0
    return IndexSystem.objects.filter(status=SystemStatus.ACTIVE).exclude(pk=system.pk).count()


def problems_at(user, point: Point) -> tuple[list, list]:
    """Problems raised by inspections at this point that the user may see: (open, past 20)."""
    from wenming.cases.models import OPEN_STATES, Problem

    raised_here = Problem.objects.filter(item_results__inspection__round_point__point=point).values("pk")
    qs = (Problem.objects.filter(cases_policy.problem_filter(user), pk__in=raised_here)
          .select_related("category", "unit"))
    open_ = list(qs.filter(state__in=OPEN_STATES).order_by("deadline", "id")[:100])
    past = list(qs.exclude(state__in=OPEN_STATES).order_by("-closed_at", "-id")[:20])
    return open_, past


def photo_visible(user, photo) -> bool:
    """A point's photo, to whoever sees the point (by its area as well as its unit)."""
    return Point.objects.filter(point_filter(user), photo=photo).exists()


NEAREST_POINT_M = 300  # a point further than this says nothing about where the reporter stands


def nearest_point_area(latitude, longitude, within_m: float = NEAREST_POINT_M) -> Unit | None:
    """The area (grid or community) of the surveyed point nearest to the location, within
    ``within_m`` — where a report stands when no imported boundary contains it (a
    ``core.extensions`` place finder). Only the area is used: nothing of the point is shown."""
    lat, lon = float(latitude), float(longitude)
    dlat = within_m / 111_320
    dlon = within_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    near = (Point.objects.filter(latitude__range=(lat - dlat, lat + dlat), longitude__range=(lon - dlon, lon + dlon),
                                 area__is_active=True)
            .values_list("latitude", "longitude", "area_id")[:500])
    best = min(((distance_m(lat, lon, p_lat, p_lon), area_id) for p_lat, p_lon, area_id in near), default=None)
    if best is None or best[0] > within_m:
        return None
    return Unit.objects.filter(pk=best[1]).first()

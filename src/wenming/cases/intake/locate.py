"""Where a report stands, without anybody typing a unit code (随手拍): the phone's location (or a
point picked on the plan view) → the grid or community whose imported boundary contains it
(``org.boundaries``); else the area of the nearest surveyed point (a ``core.extensions`` place
finder); else the reporter picks the place by name. Only units the reporter may report in are
ever offered."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Q
from shapely.geometry import shape

from wenming.core import extensions
from wenming.org.boundaries import units_at
from wenming.org.models import Unit, UnitBoundary, UnitKind

from .. import policy

METHODS = {"boundary": "按网格边界定位", "point": "按附近点位定位", "picked": "按名称选择"}
# the kinds a report names as its place, most precise first
PLACE_KINDS = (UnitKind.GRID, UnitKind.COMMUNITY, UnitKind.STREET, UnitKind.DISTRICT, UnitKind.CITY)


@dataclass
class Located:
    unit: Unit | None
    method: str = ""

    @property
    def method_label(self) -> str:
        return METHODS.get(self.method, "")


def locate(user, latitude, longitude) -> Located:
    """The most precise unit at the point that the user may report in."""
    for unit in units_at(latitude, longitude, among=policy.report_area_filter(user)):
        if policy.may_report_in(user, unit):
            return Located(unit, "boundary")
    for find in extensions.place_finders:
        unit = find(latitude, longitude)
        if unit is not None and unit.is_active and policy.may_report_in(user, unit):
            return Located(unit, "point")
    return Located(None)


def search_areas(user, text: str, limit: int = 20) -> list[Unit]:
    """Units the user may report in whose name (or 'parent name + name') contains ``text``:
    the name-search picker, grids and communities first."""
    text = (text or "").replace("\x00", "").strip()[:50]
    if not text:
        return []
    qs = (Unit.objects.filter(policy.report_area_filter(user), is_active=True, kind__in=PLACE_KINDS)
          .filter(Q(name__icontains=text) | Q(parent__name__icontains=text)).select_related("parent"))
    rank = {kind: i for i, kind in enumerate(PLACE_KINDS)}
    return sorted(qs[:200], key=lambda u: (rank.get(u.kind, 9), u.path))[:limit]


@dataclass
class PlanShape:
    unit: Unit
    path: str  # the SVG path, in the plan's own coordinates
    has_children: bool
    label_x: float
    label_y: float


@dataclass
class Plan:
    """A plan view (示意图) of a unit: its children's boundaries drawn as SVG, with the numbers to
    turn a click back into longitude and latitude. No map tiles: the drawing is the boundaries."""
    unit: Unit | None
    shapes: list[PlanShape]
    outline: str  # the unit's own boundary when its children have none
    min_lon: float
    max_lat: float
    scale: float  # plan units per degree of longitude (latitude is scaled by the same number / cos)
    lat_scale: float
    width: float
    height: float
    breadcrumbs: list[Unit]

    @property
    def view_box(self) -> str:
        return f"-10 -10 {self.width + 20:.1f} {self.height + 20:.1f}"


PLAN_SIZE = 1000.0


def plan_for(user, unit: Unit | None) -> Plan | None:
    """The plan of ``unit`` (None: the highest units the user may report in): the boundaries of
    its children that he may report in, or its own when they have none. None when there is
    nothing to draw."""
    allowed = policy.report_area_filter(user)
    if unit is None:
        tops = list(Unit.objects.filter(allowed, is_active=True, boundary__isnull=False).order_by("depth", "path")[:1])
        if not tops:
            return None
        depth = tops[0].depth
        children = list(Unit.objects.filter(allowed, is_active=True, depth=depth, boundary__isnull=False)
                        .select_related("boundary").order_by("path")[:400])
        own = None
    else:
        children = list(Unit.objects.filter(allowed, parent=unit, is_active=True, boundary__isnull=False)
                        .select_related("boundary").order_by("path")[:400])
        own = UnitBoundary.objects.filter(unit=unit).first()
    if not children and own is None:
        return None
    geometries = [c.boundary.geometry for c in children] or [own.geometry]
    rings = [ring for g in geometries for ring in _outer_rings(g)]
    lons = [p[0] for ring in rings for p in ring]
    lats = [p[1] for ring in rings for p in ring]
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    lat_factor = math.cos(math.radians((min_lat + max_lat) / 2))
    span = max((max_lon - min_lon) * lat_factor, max_lat - min_lat, 1e-9)
    scale = PLAN_SIZE / span * lat_factor  # plan units per degree of longitude
    lat_scale = PLAN_SIZE / span
    width = (max_lon - min_lon) * scale
    height = (max_lat - min_lat) * lat_scale

    def svg_path(geometry) -> str:
        parts = []
        for ring in _outer_rings(geometry) + _inner_rings(geometry):
            points = " L".join(f"{(p[0] - min_lon) * scale:.1f},{(max_lat - p[1]) * lat_scale:.1f}" for p in ring)
            parts.append(f"M{points} Z")
        return " ".join(parts)

    with_children = set(Unit.objects.filter(parent__in=children, is_active=True, boundary__isnull=False)
                        .values_list("parent_id", flat=True))
    def label_at(geometry) -> tuple[float, float]:
        point = shape(geometry).representative_point()
        return round((point.x - min_lon) * scale, 1), round((max_lat - point.y) * lat_scale, 1)

    shapes = [PlanShape(c, svg_path(c.boundary.geometry), c.pk in with_children, *label_at(c.boundary.geometry))
              for c in children]
    outline = svg_path(own.geometry) if own is not None and not children else ""
    crumbs = []
    if unit is not None:
        ids = unit.ancestor_ids() + [unit.pk]
        crumbs = [u for u in Unit.objects.filter(allowed, pk__in=ids).order_by("depth")]
    return Plan(unit, shapes, outline, min_lon, max_lat, scale, lat_scale, width, height, crumbs)


def _outer_rings(geometry: dict) -> list:
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    return [polygon[0] for polygon in geometry.get("coordinates", [])]


def _inner_rings(geometry: dict) -> list:
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"][1:])
    return [ring for polygon in geometry.get("coordinates", []) for ring in polygon[1:]]

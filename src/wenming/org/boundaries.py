"""Units' boundaries (网格、社区边界) from the city's grid system, and finding the units at a point.

The grid system exports GeoJSON: a ``FeatureCollection`` whose features each carry a unit's code
in their properties and its area as a ``Polygon`` or ``MultiPolygon`` in WGS-84 longitude and
latitude. :func:`import_boundaries` takes such a file whole or not at all: every feature is
checked first (the unit exists, is active and is the importer's to edit; the geometry is a valid
polygon in range, not too large) and each problem is reported with the feature's number and the
field; only a clean file is written, in one transaction. :func:`export_boundaries` writes the
same format back, for the units the user sees.

:func:`units_at` answers "which units contain this point": the bounding boxes narrow the rows
to a handful, shapely decides. Geometry is plain GeoJSON in a JSON column — no PostGIS needed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Q
from shapely import GEOSException
from shapely.geometry import Point, shape
from shapely.validation import explain_validity

from wenming.core import access, audit

from .models import Unit, UnitBoundary

MAX_BYTES = 20 * 1024 * 1024
MAX_FEATURES = 10_000
MAX_VERTICES = 50_000  # per feature
CODE_KEYS = ("code", "编码", "unit_code", "单位编码", "网格编码", "社区编码", "CODE", "Code")
KINDS = {"Polygon", "MultiPolygon"}


@dataclass
class BoundaryError:
    feature: int  # 1-based; 0: the file as a whole
    column: str
    message: str

    @property
    def where(self) -> str:
        return "文件" if self.feature == 0 else f"第{self.feature}个要素"


@dataclass
class BoundaryReport:
    errors: list[BoundaryError] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Geometry:
    data: dict
    bbox: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat
    vertices: int


def read_geometry(data) -> Geometry:
    """A GeoJSON geometry checked the way a person can fix it: ``ValueError`` with a Chinese
    message when it is not a valid polygon of longitude/latitude pairs."""
    if not isinstance(data, dict):
        raise ValueError("缺少边界（geometry），或格式不对")
    kind = data.get("type")
    if kind not in KINDS:
        raise ValueError(f"边界类型应为 Polygon 或 MultiPolygon，而不是“{str(kind)[:30]}”")
    coordinates = data.get("coordinates")
    rings = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(rings, list) or not rings:
        raise ValueError("边界没有坐标")
    vertices = 0
    for polygon in rings:
        if not isinstance(polygon, list) or not polygon:
            raise ValueError("边界的坐标格式不对")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValueError("每个环至少要有4个坐标点（首尾相同）")
            for point in ring:
                if (not isinstance(point, list) or len(point) < 2
                        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point[:2])):
                    raise ValueError("坐标应为 [经度, 纬度] 数对")
                lon, lat = point[0], point[1]
                if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError(f"坐标超出范围：[{lon}, {lat}]（应为 [经度, 纬度]）")
            vertices += len(ring)
            if vertices > MAX_VERTICES:
                raise ValueError(f"一个单位的边界最多{MAX_VERTICES}个坐标点")
    try:
        geometry = shape({"type": kind, "coordinates": coordinates})
    except (ValueError, TypeError, IndexError, GEOSException):
        raise ValueError("边界的坐标格式不对") from None
    if not geometry.is_valid:
        raise ValueError(f"边界不是有效的多边形（{_validity(geometry)}），请在网格系统中修正后再导出")
    if geometry.is_empty or geometry.area <= 0:
        raise ValueError("边界的面积为零")
    clean = {"type": kind, "coordinates": coordinates}
    return Geometry(data=clean, bbox=tuple(geometry.bounds), vertices=vertices)


def _validity(geometry) -> str:
    reason = explain_validity(geometry)
    if "Self-intersection" in reason:
        return "边界线自相交"
    if "Ring Self-intersection" in reason or "Too few points" in reason:
        return "环的坐标点不足或自相交"
    if "Hole lies outside shell" in reason:
        return "内环在外环之外"
    return "形状不合法"


def _code_of(feature: dict) -> str:
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        return ""
    for key in CODE_KEYS:
        value = properties.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def parse_file(data: bytes) -> tuple[list[tuple[int, str, Geometry]], list[BoundaryError]]:
    """The features of a GeoJSON file as ``(number, unit code, geometry)``, and what is wrong."""
    if len(data) > MAX_BYTES:
        return [], [BoundaryError(0, "文件", f"文件不能超过{MAX_BYTES // 1024 // 1024}MB")]
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return [], [BoundaryError(0, "文件", "不是有效的 GeoJSON 文件（应为 UTF-8 编码的 JSON）")]
    if isinstance(document, dict) and document.get("type") == "Feature":
        features = [document]
    elif isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            return [], [BoundaryError(0, "features", "FeatureCollection 缺少 features 列表")]
    else:
        return [], [BoundaryError(0, "type", "应为 GeoJSON 的 FeatureCollection（要素集合）")]
    if not features:
        return [], [BoundaryError(0, "features", "文件中没有要素")]
    if len(features) > MAX_FEATURES:
        return [], [BoundaryError(0, "features", f"一次最多导入{MAX_FEATURES}个要素，本文件有{len(features)}个")]
    parsed, errors, seen = [], [], {}
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            errors.append(BoundaryError(number, "要素", "不是 GeoJSON 要素（Feature）"))
            continue
        code = _code_of(feature)
        if not code:
            errors.append(BoundaryError(number, "编码", f"属性中缺少单位编码（{'、'.join(CODE_KEYS[:4])}之一）"))
        elif code in seen:
            errors.append(BoundaryError(number, "编码", f"单位编码{code}与第{seen[code]}个要素重复"))
        else:
            seen[code] = number
        try:
            geometry = read_geometry(feature.get("geometry"))
        except ValueError as error:
            errors.append(BoundaryError(number, "边界", str(error)))
            continue
        if code:
            parsed.append((number, code, geometry))
    return parsed, errors


def import_boundaries(*, actor, data: bytes, filename: str) -> BoundaryReport:
    """Replace the boundaries of the units named in the file — all of them or none."""
    access.require(actor, "org.edit_units")
    report = BoundaryReport()
    parsed, report.errors = parse_file(data)
    units = {u.code: u for u in Unit.objects.filter(code__in=[code for _, code, _ in parsed])}
    scope = access.scope_for(actor)
    for number, code, _ in parsed:
        unit = units.get(code)
        if unit is None or not scope.sees_unit(unit):
            report.errors.append(BoundaryError(number, "编码", f"找不到编码为{code}的单位，或不在您的管理范围内"))
        elif not unit.is_active:
            report.errors.append(BoundaryError(number, "编码", f"单位“{unit.name}”已停用"))
        elif not scope.has("org.edit_units", unit):
            report.errors.append(BoundaryError(number, "编码", f"您不能修改单位“{unit.name}”"))
    report.errors.sort(key=lambda e: (e.feature, e.column))
    if not report.ok:
        return report
    with transaction.atomic():
        existing = set(UnitBoundary.objects.filter(unit__in=[units[c] for _, c, _ in parsed])
                       .values_list("unit_id", flat=True))
        for _, code, geometry in parsed:
            UnitBoundary.objects.update_or_create(unit=units[code], defaults=boundary_values(geometry, source=filename))
        report.updated = len(existing)
        report.created = len(parsed) - report.updated
        audit.record("org.boundaries_import", actor=actor, target=filename[:200],
                     detail={"created": report.created, "updated": report.updated,
                             "units": sorted(code for _, code, _ in parsed)[:50]})
    return report


def boundary_values(geometry: Geometry, *, source: str) -> dict:
    """The columns of a unit's boundary row for a geometry :func:`read_geometry` checked: the
    GeoJSON, its bounding box (rounded outwards, so that the box never cuts the shape), the number
    of vertices and where it came from. The import writes these; so does anything else that stores
    a boundary (the demo city)."""
    min_lon, min_lat, max_lon, max_lat = geometry.bbox
    return {"geometry": geometry.data, "min_lat": _deg(min_lat, down=True), "max_lat": _deg(max_lat),
            "min_lon": _deg(min_lon, down=True), "max_lon": _deg(max_lon), "vertices": geometry.vertices,
            "source": source[:200]}


def _deg(value: float, down: bool = False):
    """A bounding-box edge rounded outwards to the column's 6 decimals (after the float noise
    below a nanodegree: 30.245 + 0.01 is 30.255000000000003)."""
    return Decimal(repr(round(value, 9))).quantize(Decimal("0.000001"), rounding=ROUND_FLOOR if down else ROUND_CEILING)


def boundaries_visible_to(user):
    scope = access.scope_for(user)
    return (UnitBoundary.objects.filter(unit__in=Unit.objects.filter(scope.unit_filter()))
            .select_related("unit").order_by("unit__path"))


def export_boundaries(*, actor) -> bytes:
    """The boundaries of the units the user sees, as the GeoJSON the import takes."""
    access.require(actor, "org.view")
    rows = list(boundaries_visible_to(actor))
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": b.unit.code, "name": b.unit.name, "kind": b.unit.kind},
         "geometry": b.geometry} for b in rows]}
    audit.download(actor=actor, what="单位边界", rows=len(rows), format="geojson")
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def units_at(latitude, longitude, among: Q | None = None) -> list[Unit]:
    """The active units whose boundary contains the point, the deepest (a grid before its
    community) first; ``among`` narrows the units looked at."""
    lat, lon = float(latitude), float(longitude)
    rows = (UnitBoundary.objects.filter(min_lat__lte=lat, max_lat__gte=lat, min_lon__lte=lon, max_lon__gte=lon,
                                        unit__is_active=True).select_related("unit"))
    if among is not None:
        rows = rows.filter(unit__in=Unit.objects.filter(among))
    here = Point(lon, lat)
    found = []
    for row in rows[:200]:
        try:
            if shape(row.geometry).covers(here):
                found.append(row.unit)
        except (ValueError, TypeError, GEOSException):  # a row written around the import: skip it
            continue
    return sorted(found, key=lambda unit: (-unit.depth, unit.path))

"""The demo city's map: a boundary for every district, street, community and grid, so that locating
a report by the phone's position (``cases.intake.locate``) and the plan view work out of the box.

The map is a lattice of rectangles around the invented 江城市's centre. The city's rectangle is cut
among its districts in proportion to the grids each holds, each district's among its streets, each
street's among its communities and each community's among its grids: children tile their parent
exactly, siblings share edges and never overlap, and every grid is about the same size (some
600 m × 550 m). Cuts are binary (the children, in code order, split into two halves of nearly the
same weight, along the longer side) with a little seeded jitter, so neighbours in the code are
neighbours on the map. Everything is computed in whole micro-degrees, so that shared edges are
exactly equal and a coordinate rounded to the database's 6 decimals stays where it was drawn.

Departments, schools, enterprises and the city itself get no boundary: they are not areas.

The rows are written as the GeoJSON import writes them (``org.boundaries.read_geometry`` and
``boundary_values``), in bulk. Points and problems take their coordinates inside their area's
rectangle (:func:`random_point`), so each lies in its own grid, community and street.
"""

from __future__ import annotations

import math
import random
from collections import deque
from decimal import Decimal

from wenming.org.boundaries import boundary_values, read_geometry
from wenming.org.models import Unit, UnitBoundary, UnitKind

# (min_lon, min_lat, max_lon, max_lat) in micro-degrees (1e-6°)
Rect = tuple[int, int, int, int]

TERRITORIAL = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)
CENTRE = (115_980_000, 28_420_000)  # lon, lat of the invented 江城市 (in 江西, with no real city there)
GRID_SIZE = (6_000, 5_000)  # an average grid: 0.006° of longitude × 0.005° of latitude, about 590 m × 555 m
LON_FACTOR = math.cos(math.radians(CENTRE[1] / 1e6))  # a degree of longitude is this much of one of latitude
JITTER = 0.08  # a cut lies within ±8 % of where the weights put it
MARGIN = 0.1  # coordinates keep this share of the rectangle's width off its edges
SOURCE = "演示数据"
BATCH = 1000


def lay_out(city: Unit, children: dict[int, list[Unit]], *, seed: int) -> dict[int, Rect]:
    """The rectangle of every district, street, community and grid under ``city`` (unit id ->
    rectangle); ``children`` maps a unit's id to its child units in code order."""
    rng = random.Random(f"{seed}:boundaries")

    def kids(unit: Unit) -> list[Unit]:
        return [child for child in children.get(unit.pk, []) if child.kind in TERRITORIAL]

    weights: dict[int, int] = {}

    def weigh(unit: Unit) -> int:
        below = kids(unit)
        weights[unit.pk] = sum(weigh(child) for child in below) if below else 1
        return weights[unit.pk]

    total = weigh(city)
    area = total * GRID_SIZE[0] * GRID_SIZE[1]
    width = round(math.sqrt(area * 1.2 / LON_FACTOR))  # a little wider than high on the ground
    height = round(area / width)
    lon, lat = CENTRE
    bounds: dict[int, Rect] = {}
    todo = deque([(city, (lon - width // 2, lat - height // 2, lon - width // 2 + width, lat - height // 2 + height))])
    while todo:
        unit, rect = todo.popleft()
        below = kids(unit)
        for child, part in zip(below, _split(rect, [weights[c.pk] for c in below], rng), strict=True):
            bounds[child.pk] = part
            todo.append((child, part))
    return bounds


def _split(rect: Rect, weights: list[int], rng: random.Random) -> list[Rect]:
    """``rect`` cut into one rectangle per weight, each about in proportion to its weight, in order."""
    if len(weights) <= 1:
        return [rect] * len(weights)
    total = sum(weights)
    running, cut, share, best = 0, 1, 0.5, None
    for k, weight in enumerate(weights[:-1], start=1):
        running += weight
        gap = abs(2 * running - total)
        if best is None or gap < best:
            best, cut, share = gap, k, running / total
    share = min(0.95, max(0.05, share * rng.uniform(1 - JITTER, 1 + JITTER)))
    x0, y0, x1, y1 = rect
    if (x1 - x0) * LON_FACTOR >= y1 - y0:  # wider than high on the ground: a north–south cut
        x = min(x1 - 1, max(x0 + 1, x0 + round((x1 - x0) * share)))
        first, second = (x0, y0, x, y1), (x, y0, x1, y1)
    else:
        y = min(y1 - 1, max(y0 + 1, y0 + round((y1 - y0) * share)))
        first, second = (x0, y0, x1, y), (x0, y, x1, y1)
    return _split(first, weights[:cut], rng) + _split(second, weights[cut:], rng)


def polygon(rect: Rect) -> dict:
    """The rectangle as a GeoJSON Polygon (longitude, latitude; counter-clockwise, closed)."""
    x0, y0, x1, y1 = (v / 1_000_000 for v in rect)
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def random_point(rng: random.Random, rect: Rect) -> tuple[Decimal, Decimal]:
    """(latitude, longitude) drawn inside ``rect``, off its edges, to the database's 6 decimals."""
    x0, y0, x1, y1 = rect
    inner = 1 - 2 * MARGIN
    lat = y0 + round((y1 - y0) * (MARGIN + inner * rng.random()))
    lon = x0 + round((x1 - x0) * (MARGIN + inner * rng.random()))
    return Decimal(lat).scaleb(-6), Decimal(lon).scaleb(-6)


def write_boundaries(bounds: dict[int, Rect], *, bar=None) -> int:
    """Store the rectangles as the units' boundaries, the way the GeoJSON import stores them."""
    rows = [UnitBoundary(unit_id=unit_id, **boundary_values(read_geometry(polygon(rect)), source=SOURCE))
            for unit_id, rect in bounds.items()]
    for start in range(0, len(rows), BATCH):
        UnitBoundary.objects.bulk_create(rows[start:start + BATCH])
        if bar is not None:
            bar.update(len(rows[start:start + BATCH]))
    return len(rows)

"""The demo city's map: every district, street, community and grid has a boundary, children tile
their parent, and every demo point and problem lies inside its own area — so locating a report by
the phone's position works on the demo out of the box."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from shapely.geometry import shape
from shapely.ops import unary_union

from wenming.cases.intake import locate
from wenming.cases.models import Problem
from wenming.demo.build import build_demo
from wenming.demo.city import build_city_cases
from wenming.demo.geo import SOURCE
from wenming.demo.org import SCALES, build_org
from wenming.demo.places import build_points
from wenming.org import boundaries
from wenming.org.models import Unit, UnitBoundary, UnitKind
from wenming.places.models import Point

pytestmark = pytest.mark.django_db

TERRITORIAL = {UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID}
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def assert_map_is_complete_and_tiles() -> dict[int, object]:
    """Every territorial unit has a boundary and nothing else has; each unit's children tile it
    without overlapping. The shapes by unit id."""
    units = {u.pk: u for u in Unit.objects.all()}
    rows = {b.unit_id: b for b in UnitBoundary.objects.all()}
    assert {pk for pk, u in units.items() if u.kind in TERRITORIAL} == set(rows), "territorial units ⇔ boundaries"
    assert not any(units[pk].kind not in TERRITORIAL for pk in rows)
    shapes = {}
    for pk, row in rows.items():
        # stored exactly as the GeoJSON import stores it
        expected = boundaries.boundary_values(boundaries.read_geometry(row.geometry), source=SOURCE)
        assert {name: getattr(row, name) for name in expected} == expected, units[pk].name
        shapes[pk] = shape(row.geometry)
    children: dict[int, list[int]] = {}
    for pk in rows:
        children.setdefault(units[pk].parent_id, []).append(pk)
    for parent_id, kids in children.items():
        if units[parent_id].kind == UnitKind.CITY:
            continue
        parent = shapes[parent_id]
        assert sum(shapes[k].area for k in kids) == pytest.approx(parent.area, rel=1e-9), units[parent_id].name
        for i, a in enumerate(kids):
            assert parent.covers(shapes[a]), (units[a].name, units[parent_id].name)
            for b in kids[i + 1:]:
                assert shapes[a].intersection(shapes[b]).area == 0, (units[a].name, units[b].name)
    # the districts, side by side, tile one rectangle: the city has no holes
    districts = [shapes[pk] for pk in children[next(u.pk for u in units.values() if u.kind == UnitKind.CITY)]]
    outline = unary_union(districts)
    assert outline.area == pytest.approx(outline.envelope.area, rel=1e-9)
    return shapes


def assert_inside(what: str, latitude, longitude, area: Unit, unit: Unit | None = None) -> None:
    """The point lies in ``area`` (and in ``unit`` when that is an area too); the smallest unit
    there is a grid of ``area`` (or ``area`` itself)."""
    found = boundaries.units_at(latitude, longitude)
    assert area in found, (what, area.name, [u.name for u in found])
    if unit is not None and unit.kind in TERRITORIAL:
        assert unit in found, (what, unit.name)
    deepest = found[0]
    assert deepest.kind == UnitKind.GRID and deepest.path.startswith(area.path), (what, deepest.name, area.name)
    assert [u.kind for u in found] == [UnitKind.GRID, UnitKind.COMMUNITY, UnitKind.STREET, UnitKind.DISTRICT], what


def assert_points_and_problems_inside() -> tuple[int, int]:
    points = list(Point.objects.filter(latitude__isnull=False).select_related("area", "unit"))
    for point in points:
        assert_inside(point.code, point.latitude, point.longitude, point.area, point.unit)
    problems = list(Problem.objects.filter(latitude__isnull=False).select_related("area"))
    for problem in problems:
        assert_inside(problem.code or problem.title, problem.latitude, problem.longitude, problem.area)
    return len(points), len(problems)


def test_small_demo_has_a_map_and_everything_lies_in_its_area():
    result = build_demo(scale="small", seed=2026, scoring=False, plans=False)
    org = result.org
    assert UnitBoundary.objects.count() == 2 + 6 + 21 + 63
    assert not UnitBoundary.objects.filter(unit=org.city).exists()
    shapes = assert_map_is_complete_and_tiles()
    points, problems = assert_points_and_problems_inside()
    assert points > 130 and problems > 100  # the demo's points and problems all have coordinates but a few points

    # a citizen's phone at a grid's centre is placed in that grid by its boundary
    citizen = org.personas["citizen"].user
    for grid in org.grids:
        centre = shapes[grid.pk].centroid
        found = locate.locate(citizen, centre.y, centre.x)
        assert (found.unit, found.method) == (grid, "boundary"), grid.name
    # the plan view starts with the districts
    plan = locate.plan_for(citizen, None)
    assert [s.unit for s in plan.shapes] == org.districts

    # the export is what the import takes: the office can round-trip the demo's map
    data = boundaries.export_boundaries(actor=org.personas["office_city"].user)
    report = boundaries.import_boundaries(actor=org.personas["office_city"].user, data=data, filename="demo.geojson")
    assert report.ok and (report.created, report.updated) == (0, 92)


def test_the_same_seed_draws_the_same_map():
    build_org(scale="small", seed=5)
    first = sorted((row.unit.code, str(row.geometry)) for row in UnitBoundary.objects.select_related("unit"))
    from wenming.demo.build import reset_demo_data

    reset_demo_data()
    assert not UnitBoundary.objects.exists()
    build_org(scale="small", seed=5)
    again = sorted((row.unit.code, str(row.geometry)) for row in UnitBoundary.objects.select_related("unit"))
    assert again == first


def test_city_scale_generator_maps_its_units_points_and_problems():
    sizes = replace_sizes(districts=2, streets=4, communities=12, grids=30, staff=200, outer_districts=1,
                          baolian_city_departments=4, baolian_per_department=2)
    org = build_org(scale="city", seed=7, sizes=sizes)
    build_points(org, seed=7, count=300)
    build_city_cases(org, count=200, seed=7, now=NOW, batch_size=100)
    assert UnitBoundary.objects.count() == 2 + 4 + 12 + 30 == len(org.bounds)
    assert_map_is_complete_and_tiles()
    points, problems = assert_points_and_problems_inside()
    assert points > 280 and problems > 150
    # the problems placed in a community (not one of its grids) lie in it too
    assert Problem.objects.filter(area__kind=UnitKind.COMMUNITY, latitude__isnull=False).exists()
    grid = org.grids[-1]
    centre = shape(UnitBoundary.objects.get(unit=grid).geometry).centroid
    assert locate.locate(org.personas["citizen"].user, centre.y, centre.x).unit == grid


def replace_sizes(**changes):
    from dataclasses import replace

    return replace(SCALES["city"], **changes)

"""Units' boundaries: the GeoJSON import lands whole or not at all and names each bad feature; the
export gives back what was imported; the units at a point are found deepest first."""

import json
from decimal import Decimal

import pytest

from wenming.core.errors import Forbidden
from wenming.core.models import AuditEvent
from wenming.org import boundaries
from wenming.org.models import UnitBoundary


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                [lon, lat + size], [lon, lat]]]}


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geometry} for props, geometry in features]},
        ensure_ascii=False).encode("utf-8")


@pytest.fixture
def city_file(org) -> bytes:
    return collection(({"code": org["community_a1"].code, "name": "甲一社区"}, square(120.15, 30.24, 0.02)),
                      ({"编码": org["grid_a1"].code}, square(120.155, 30.245, 0.01)))


@pytest.mark.django_db
def test_a_good_file_lands_whole_and_is_exported_back(personas, org, city_file):
    report = boundaries.import_boundaries(actor=personas["office_district_a"], data=city_file, filename="网格.geojson")
    assert report.ok and (report.created, report.updated) == (2, 0)
    grid = UnitBoundary.objects.get(unit=org["grid_a1"])
    assert (grid.min_lat, grid.max_lat, grid.min_lon, grid.max_lon, grid.vertices) == (
        Decimal("30.245000"), Decimal("30.255000"), Decimal("120.155000"), Decimal("120.165000"), 5)
    again = boundaries.import_boundaries(actor=personas["office_district_a"], data=city_file, filename="网格.geojson")
    assert (again.created, again.updated) == (0, 2)
    exported = json.loads(boundaries.export_boundaries(actor=personas["office_district_a"]))
    assert [f["properties"]["code"] for f in exported["features"]] == [org["community_a1"].code, org["grid_a1"].code]
    assert exported["features"][1]["geometry"] == square(120.155, 30.245, 0.01)
    assert boundaries.import_boundaries(actor=personas["office_district_a"], data=json.dumps(exported).encode(),
                                        filename="back.geojson").ok
    actions = list(AuditEvent.objects.filter(action__in=["org.boundaries_import", "export.download"])
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["org.boundaries_import", "org.boundaries_import", "export.download", "org.boundaries_import"]


@pytest.mark.django_db
def test_a_bad_file_changes_nothing_and_names_each_feature(personas, org):
    bow_tie = {"type": "Polygon", "coordinates": [[[120, 30], [120.01, 30.01], [120.01, 30], [120, 30.01], [120, 30]]]}
    data = collection(
        ({"code": org["grid_a1"].code}, square(120.155, 30.245)),          # 1: fine on its own
        ({"code": "999999999"}, square(120, 30)),                          # 2: no such unit
        ({"name": "没有编码"}, square(120, 30)),                            # 3: no code
        ({"code": org["community_a1"].code}, bow_tie),                     # 4: self-intersecting
        ({"code": org["street_a1"].code}, {"type": "Point", "coordinates": [120, 30]}),  # 5: not an area
        ({"code": org["street_a2"].code}, square(30.24, 120.15)),          # 6: latitude and longitude swapped
        ({"code": org["grid_a1"].code}, square(120, 30)),                  # 7: the same unit again
        ({"code": org["street_b1"].code}, square(120, 30)),                # 8: another district's street
    )
    report = boundaries.import_boundaries(actor=personas["office_district_a"], data=data, filename="bad.geojson")
    assert [(e.feature, e.column, e.message) for e in report.errors] == [
        (2, "编码", "找不到编码为999999999的单位，或不在您的管理范围内"),
        (3, "编码", "属性中缺少单位编码（code、编码、unit_code、单位编码之一）"),
        (4, "边界", "边界不是有效的多边形（边界线自相交），请在网格系统中修正后再导出"),
        (5, "边界", "边界类型应为 Polygon 或 MultiPolygon，而不是“Point”"),
        (6, "边界", "坐标超出范围：[30.24, 120.15]（应为 [经度, 纬度]）"),
        (7, "编码", f"单位编码{org['grid_a1'].code}与第1个要素重复"),
        (8, "编码", f"找不到编码为{org['street_b1'].code}的单位，或不在您的管理范围内"),
    ]
    assert not UnitBoundary.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("data, message", [
    (b"\xff\xfe not json", "不是有效的 GeoJSON 文件（应为 UTF-8 编码的 JSON）"),
    (b"[1, 2]", "应为 GeoJSON 的 FeatureCollection（要素集合）"),
    (b'{"type": "FeatureCollection", "features": []}', "文件中没有要素"),
    (b'{"type": "FeatureCollection", "features": {}}', "FeatureCollection 缺少 features 列表"),
    (b"[" * 100000 + b"]" * 100000, "不是有效的 GeoJSON 文件（应为 UTF-8 编码的 JSON）"),
])
def test_files_that_are_no_feature_collection_are_refused(personas, data, message):
    report = boundaries.import_boundaries(actor=personas["office_district_a"], data=data, filename="x.geojson")
    assert [(e.feature, e.message) for e in report.errors] == [(0, message)]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["handler_street_a1", "grid_worker", "inspector", "citizen", "leader"])
def test_only_offices_import_boundaries(personas, city_file, who):
    with pytest.raises(Forbidden):
        boundaries.import_boundaries(actor=personas[who], data=city_file, filename="x.geojson")
    assert not UnitBoundary.objects.exists()


@pytest.mark.django_db
def test_the_units_at_a_point_deepest_first(personas, org, city_file):
    boundaries.import_boundaries(actor=personas["office_district_a"], data=city_file, filename="x.geojson")
    assert boundaries.units_at(Decimal("30.25"), Decimal("120.16")) == [org["grid_a1"], org["community_a1"]]
    assert boundaries.units_at(30.242, 120.152) == [org["community_a1"]]  # in the community, outside the grid
    assert boundaries.units_at(30.30, 120.16) == []
    org["grid_a1"].is_active = False
    org["grid_a1"].save()
    assert boundaries.units_at(30.25, 120.16) == [org["community_a1"]]


@pytest.mark.django_db
def test_the_pages_import_and_export(login, org, city_file):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client = login("office_district_a")
    assert "导入边界" in client.get(reverse("org:tree")).content.decode()
    bad = client.post(reverse("org:boundary_import"),
                      {"file": SimpleUploadedFile("bad.geojson", b'{"type": "FeatureCollection", "features": []}')})
    assert "文件中没有要素" in bad.content.decode() and not UnitBoundary.objects.exists()
    good = client.post(reverse("org:boundary_import"), {"file": SimpleUploadedFile("网格.geojson", city_file)})
    assert good.status_code == 302 and UnitBoundary.objects.count() == 2
    page = client.get(reverse("org:unit", args=[org["grid_a1"].pk])).content.decode()
    assert "已导入（5个坐标点，来自 网格.geojson" in page
    exported = client.get(reverse("org:boundary_export"))
    assert exported["Content-Type"].startswith("application/geo+json")
    assert len(json.loads(exported.content)["features"]) == 2
    assert "导入边界" not in login("grid_worker").get(reverse("org:tree")).content.decode()

"""Point services: who may manage which point, the field rules, QR tokens, photos; all audited."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from wenming.cases.tests.conftest import jpeg_bytes
from wenming.core.models import AuditEvent, AuditResult
from wenming.core.photos import PhotoError
from wenming.org.models import Membership, Role, User
from wenming.places import services
from wenming.places.models import Point
from wenming.places.services import PointInput, PointInvalid
from wenming.standards.models import PointType

D = Decimal


def data(org, **overrides):
    values = dict(code="GD-A1-01", name="甲一街道建筑工地", point_type=PointType.objects.get(code="GD"),
                  unit=org["street_a1"], area=org["grid_a1"], address="幸福路1号", latitude=D("28.6812345"),
                  longitude=D("115.8598765"))
    values.update(overrides)
    return PointInput(**values)


@pytest.mark.django_db
def test_district_office_creates_a_point_in_its_district(personas, org):
    point = services.point_create(actor=personas["office_district_a"], data=data(org, patron=personas["leader"]))
    point.refresh_from_db()
    assert (point.unit, point.area, point.patron) == (org["street_a1"], org["grid_a1"], personas["leader"])
    assert point.unit_path == org["street_a1"].path and point.area_path == org["grid_a1"].path
    assert (point.latitude, point.longitude) == (D("28.681235"), D("115.859877"))  # six places
    assert len(point.qr_token) >= 16
    event = AuditEvent.objects.get(action="places.point_create")
    assert event.actor_username == "office_district_a" and event.unit_id == org["street_a1"].pk
    assert event.detail["code"] == "GD-A1-01"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["handler_street_a1", "leader", "inspector", "grid_worker", "admin", "citizen"])
def test_only_offices_create_points(personas, org, persona):
    with pytest.raises(PermissionDenied):
        services.point_create(actor=personas[persona], data=data(org))
    assert not Point.objects.exists()
    refusal = AuditEvent.objects.get(action="access.refused")
    assert refusal.result == AuditResult.DENIED and refusal.detail["permission"] == "places.manage"


@pytest.mark.django_db
@pytest.mark.parametrize("overrides,field,fragment", [
    ({"code": ""}, "code", "不能为空"),
    ({"code": "new"}, "code", "保留字"),
    ({"code": "点位1"}, "code", "只能由字母"),
    ({"name": " "}, "name", "名称不能为空"),
    ({"point_type": None}, "point_type", "点位类型"),
    ({"unit": "street_b1"}, "unit", "不在您的管理范围内"),              # another district
    ({"unit": "department"}, "unit", "不在您的管理范围内"),             # a city department
    ({"area": "street_b1"}, "area", "不在您的范围内"),
    ({"area": "district_a"}, "area", "应为网格、社区/村或街道/镇，甲区是区县"),
    ({"unit": "street_a2"}, "area", "不在责任单位甲二街道的辖区内"),     # grid A1 lies in street A1
    ({"latitude": D("115.86"), "longitude": D("28.68")}, "latitude", "是否与经度填反了"),
    ({"longitude": None}, "longitude", "同时填写"),
    ({"latitude": D("1e30")}, "latitude", "纬度1E+30超出范围"),          # too big to round: refused, not crashed on
    ({"patron": "handler_street_a1"}, "patron", "找不到领导账号"),      # not a leader
])
def test_field_rules(personas, org, overrides, field, fragment):
    for key in ("unit", "area"):
        if isinstance(overrides.get(key), str):
            overrides[key] = org[overrides[key]]
    if isinstance(overrides.get("patron"), str):
        overrides["patron"] = personas[overrides["patron"]]
    with pytest.raises(PointInvalid) as caught:
        services.point_create(actor=personas["office_district_a"], data=data(org, **overrides))
    assert fragment in caught.value.errors[field], caught.value.errors
    assert not Point.objects.exists()


@pytest.mark.django_db
def test_a_department_answers_for_points_anywhere_under_its_parent(personas, org):
    # 市城管局 hangs under the city: a road in a grid of district A is in its territory
    point = services.point_create(actor=personas["office_city"],
                                  data=data(org, code="ZGD-01", unit=org["department"], area=org["grid_a1"]))
    assert point.unit == org["department"]
    assert services.territory_path(org["department"]) == org["city"].path


@pytest.mark.django_db
def test_patron_must_lead_at_or_above_the_point_or_in_the_actors_scope(personas, org):
    city_leader = User.objects.create(username="city_leader", full_name="市领导")
    Membership.objects.create(user=city_leader, unit=org["city"], role=Role.LEADER)
    b_leader = User.objects.create(username="b_leader", full_name="乙区领导")
    Membership.objects.create(user=b_leader, unit=org["district_b"], role=Role.LEADER)
    office = personas["office_district_a"]
    assert services.point_create(actor=office, data=data(org, code="P1", patron=city_leader)).patron == city_leader
    with pytest.raises(PointInvalid) as caught:
        services.point_create(actor=office, data=data(org, code="P2", patron=b_leader))
    assert "patron" in caught.value.errors
    # the city office sees district B: its leader may look after a point in district A
    assert services.point_create(actor=personas["office_city"], data=data(org, code="P3", patron=b_leader)).patron == b_leader


@pytest.mark.django_db
def test_duplicate_code_is_refused(personas, org):
    services.point_create(actor=personas["office_city"], data=data(org))
    with pytest.raises(PointInvalid) as caught:
        services.point_create(actor=personas["office_city"], data=data(org, name="另一个"))
    assert "已被其他点位使用" in caught.value.errors["code"]


@pytest.mark.django_db
def test_update_by_the_office_above_the_unit_only(personas, org, pts):
    road = Point.objects.select_related("unit", "area").get(code="ZGD-C")  # answered for by a city department
    with pytest.raises(PermissionDenied):
        services.point_update(actor=personas["office_district_a"], point=road,
                              data=data(org, code="ZGD-C", unit=org["street_a1"]))
    station = Point.objects.select_related("unit", "area").get(code="WHZ-A1")
    token = station.qr_token
    updated = services.point_update(actor=personas["office_district_a"], point=station,
                                    data=data(org, code="WHZ-A1", name="甲一街道综合文化站",
                                              point_type=station.point_type, area=org["community_a1"]))
    assert updated.name == "甲一街道综合文化站" and updated.qr_token == token
    event = AuditEvent.objects.get(action="places.point_update")
    assert event.detail["changes"]["name"] == ["甲一街道文化站", "甲一街道综合文化站"]


@pytest.mark.django_db
def test_regenerate_qr_and_deactivate(personas, org, pts):
    station = Point.objects.select_related("unit", "area").get(code="WHZ-A1")
    old = station.qr_token
    with pytest.raises(PermissionDenied):
        services.point_regenerate_qr(actor=personas["handler_street_a1"], point=station)
    fresh = services.point_regenerate_qr(actor=personas["office_district_a"], point=station)
    assert fresh.qr_token != old and not Point.objects.filter(qr_token=old).exists()
    services.point_deactivate(actor=personas["office_city"], point=station)
    assert not Point.objects.get(pk=station.pk).is_active
    services.point_activate(actor=personas["office_city"], point=station)
    assert Point.objects.get(pk=station.pk).is_active
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="places.").order_by("id")] == [
        "places.point_regenerate_qr", "places.point_deactivate", "places.point_activate"]


@pytest.mark.django_db
def test_photo_is_checked_by_content(personas, org, pts):
    station = Point.objects.select_related("unit", "area").get(code="WHZ-A1")
    with pytest.raises(PhotoError):
        services.point_set_photo(actor=personas["office_city"], point=station, data=b"GIF89a not really",
                                 filename="a.jpg")
    assert Point.objects.get(pk=station.pk).photo is None
    with pytest.raises(PermissionDenied):
        services.point_set_photo(actor=personas["handler_street_a1"], point=station, data=jpeg_bytes())
    updated = services.point_set_photo(actor=personas["office_city"], point=station, data=jpeg_bytes(),
                                       filename="x.jpg")
    assert updated.photo.unit == org["street_a1"] and updated.photo.width == 64
    assert AuditEvent.objects.filter(action="places.point_photo").count() == 1

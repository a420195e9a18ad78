"""随手拍 without codes: the place of a report comes from the phone's location (the units' imported
boundaries, else the nearest surveyed point), a point picked on the plan view, or a name search;
a citizen sees only the fields he can set; a form that comes back with an error keeps its photos."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from wenming.cases.intake import locate
from wenming.cases.models import Problem, ProblemPhoto
from wenming.core.models import Photo
from wenming.org import boundaries

from .conftest import jpeg_bytes


def square(lon: float, lat: float, size: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                [lon, lat + size], [lon, lat]]]}


@pytest.fixture
def mapped(personas, org):
    """Street A1 ⊃ community A1 ⊃ grid A1, as the grid system draws them."""
    features = [(org["street_a1"], square(120.10, 30.20, 0.10)), (org["community_a1"], square(120.15, 30.24, 0.02)),
                (org["grid_a1"], square(120.155, 30.245, 0.01)), (org["street_a2"], square(120.20, 30.20, 0.10))]
    data = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": unit.code}, "geometry": geometry} for unit, geometry in features]})
    assert boundaries.import_boundaries(actor=personas["office_city"], data=data.encode(), filename="g.geojson").ok
    return org


@pytest.mark.django_db
def test_a_location_finds_the_deepest_unit_the_reporter_may_report_in(personas, mapped):
    org = mapped
    assert locate.locate(personas["citizen"], 30.25, 120.16).unit == org["grid_a1"]
    assert locate.locate(personas["citizen"], 30.242, 120.152).unit == org["community_a1"]
    assert locate.locate(personas["citizen"], 30.21, 120.11).unit == org["street_a1"]
    assert locate.locate(personas["citizen"], 30.25, 120.16).method == "boundary"
    # a handler of street A2 reports only in his street: the grid of street A1 is not his
    assert locate.locate(personas["handler_street_a2"], 30.25, 120.16).unit is None
    assert locate.locate(personas["handler_street_a2"], 30.25, 120.25).unit == org["street_a2"]
    assert locate.locate(personas["citizen"], 31.5, 121.5).unit is None


@pytest.mark.django_db
def test_without_a_boundary_the_nearest_surveyed_point_tells_the_place(personas, org):
    from wenming.places.models import Point
    from wenming.standards.models import PointType

    Point.objects.create(code="SQ-1", name="甲一社区服务中心", point_type=PointType.objects.get(code="SQ"),
                         unit=org["community_a1"], area=org["grid_a1"], latitude="30.250000", longitude="120.160000")
    found = locate.locate(personas["citizen"], 30.2510, 120.1600)  # about 110 m away
    assert (found.unit, found.method) == (org["grid_a1"], "point")
    assert locate.locate(personas["citizen"], 30.2550, 120.1600).unit is None  # about 560 m: too far to say


@pytest.mark.django_db
def test_the_place_fragment_fills_the_hidden_field_and_never_asks_for_a_code(login, mapped):
    client = login("citizen")
    page = client.get(reverse("cases:place"), {"latitude": "30.25", "longitude": "120.16"})
    body = page.content.decode()
    assert page["HX-Trigger"] == "placed"
    assert f'id="id_area" value="{mapped["grid_a1"].code}" hx-swap-oob="true"' in body
    assert "甲一社区第1网格" in body and "按网格边界定位" in body
    missing = client.get(reverse("cases:place"), {"latitude": "31.5", "longitude": "121.5"}).content.decode()
    assert "未能按位置确定所在网格或社区" in missing and 'value=""' in missing
    picked = client.get(reverse("cases:place"), {"area": mapped["community_a1"].code}).content.decode()
    assert "按名称选择" in picked and mapped["community_a1"].code in picked
    for bad in ({"latitude": "NaN", "longitude": "1e999999"}, {"area": "x" * 500}, {"latitude": "91", "longitude": "0"}):
        assert client.get(reverse("cases:place"), bad).status_code == 200
    other = login("handler_street_a2").get(reverse("cases:place"), {"area": mapped["grid_a1"].code}).content.decode()
    assert "未能按位置确定" in other and mapped["grid_a1"].code not in other


@pytest.mark.django_db
def test_the_name_search_offers_only_places_the_reporter_may_report_in(login, org):
    found = login("citizen").get(reverse("cases:areas"), {"q": "甲一"}).content.decode()
    assert re.findall(r'data-area="(\d+)"', found) == [org["grid_a1"].code, org["community_a1"].code,
                                                        org["street_a1"].code]
    mine = login("grid_worker").get(reverse("cases:areas"), {"q": "甲"}).content.decode()
    assert re.findall(r'data-area="(\d+)"', mine) == [org["grid_a1"].code]
    assert "没有找到" in login("citizen").get(reverse("cases:areas"), {"q": "火星"}).content.decode()


@pytest.mark.django_db
def test_the_plan_view_draws_the_children_and_drills_down(login, mapped):
    client = login("citizen")
    top = client.get(reverse("cases:plan")).content.decode()
    assert top.count("<path") == 2 and 'data-drill="1"' in top  # street A1 has boundaries below it
    street = client.get(reverse("cases:plan"), {"unit": mapped["street_a1"].code}).content.decode()
    assert mapped["community_a1"].code in street and "甲一社区" in street
    grid = client.get(reverse("cases:plan"), {"unit": mapped["grid_a1"].code}).content.decode()
    assert 'class="plan-leaf"' in grid  # the lowest level: its own outline, tap for the point
    # a unit outside the reporter's places is not drawn: he gets his own instead
    theirs = login("handler_street_a2").get(reverse("cases:plan"), {"unit": mapped["grid_a1"].code}).content.decode()
    assert mapped["grid_a1"].code not in theirs and mapped["street_a2"].code in theirs


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["cases:place", "cases:areas", "cases:plan"])
def test_the_place_helpers_are_for_reporters(login, name):
    assert login("outsider").get(reverse(name)).status_code == 403
    assert Client().get(reverse(name)).status_code == 302


@pytest.mark.django_db
def test_a_citizen_sees_only_the_fields_he_can_set(login, mapped):
    citizen = login("citizen").get(reverse("cases:report")).content.decode()
    assert 'name="severity"' not in citizen and 'name="source"' not in citizen
    assert 'name="reporter_phone"' in citizen and 'type="hidden" name="area"' in citizen
    assert "所在区域（社区/网格编码）" not in citizen
    office = login("office_district_a").get(reverse("cases:report")).content.decode()
    assert 'name="severity"' in office and 'name="source"' in office and 'name="reporter_phone"' not in office
    worker = login("grid_worker").get(reverse("cases:report")).content.decode()
    assert f'value="{mapped["grid_a1"].code}"' in worker and "甲一社区第1网格" in worker


@pytest.mark.django_db
def test_a_citizen_reports_by_location_and_an_error_keeps_his_photo(login, personas, mapped, category, settings,
                                                                     tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login("citizen")
    url = reverse("cases:report")
    base = {"category": category.pk, "area": mapped["grid_a1"].code, "latitude": "30.250000",
            "longitude": "120.160000", "idempotency_key": "k1", "reporter_phone": "139 1234 5678"}
    first = client.post(url, {**base, "title": "", "photos": SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")})
    page = first.content.decode()
    assert first.status_code == 200 and "这个字段是必填项" in page
    kept = re.findall(r'name="kept_photo" value="(\d+)" checked', page)
    assert len(kept) == 1 and Problem.objects.count() == 0
    assert f'value="{mapped["grid_a1"].code}"' in page  # the place is kept too
    done = client.post(url, {**base, "title": "路边垃圾堆放", "kept_photo": kept})
    problem = Problem.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("cases:detail", args=[problem.code])
    assert (problem.area, problem.source, problem.severity, problem.reporter_phone) == (
        mapped["grid_a1"], "citizen", "normal", "13912345678")
    assert list(ProblemPhoto.objects.filter(problem=problem).values_list("photo_id", flat=True)) == [int(kept[0])]
    # another user cannot use that photo id, nor can it be used twice
    again = login("grid_worker").post(url, {**base, "idempotency_key": "k2", "title": "别人的照片", "severity": "normal",
                                            "area": mapped["grid_a1"].code, "kept_photo": kept})
    other = Problem.objects.exclude(pk=problem.pk).get()
    assert again.status_code == 302 and not ProblemPhoto.objects.filter(problem=other).exists()
    assert Photo.objects.count() == 1


@pytest.mark.django_db
def test_a_report_without_a_place_is_refused_at_the_place(login, category):
    page = login("citizen").post(reverse("cases:report"), {"category": category.pk, "title": "垃圾"}).content.decode()
    assert 'data-testid="area-error"' in page and "请确定问题所在位置" in page
    half = login("citizen").post(reverse("cases:report"), {"category": category.pk, "title": "垃圾",
                                                           "latitude": "30.25"}).content.decode()
    assert "请确定问题所在位置" in half
    assert Problem.objects.count() == 0


@pytest.mark.django_db
def test_my_reports_and_the_public_look_up_by_tracking_code(login, personas, org, intake):
    from wenming.cases.intake import services as intake_services
    from wenming.cases.workflow import services as workflow

    problem, _ = intake_services.problem_report(
        actor=personas["citizen"], intake=intake(area=org["community_a1"], reporter_phone="13912345678",
                                                 description="郑市民家门口"))
    other, _ = intake_services.problem_report(actor=personas["grid_worker"], intake=intake(area=org["grid_a1"]))
    mine = login("citizen").get(reverse("cases:reported")).content.decode()
    assert problem.code in mine and problem.tracking_display in mine and other.code not in mine
    assert '我反映的问题' in login("citizen").get(reverse("home")).content.decode()  # in the citizen's menu
    assert "我反映的问题" not in login("office_district_a").get(reverse("home")).content.decode()
    assert login("outsider").get(reverse("cases:reported")).status_code == 403

    workflow.problem_reject(actor=personas["office_district_a"], problem=problem, reason="不属于城市管理范围")
    public = Client()
    for typed in (problem.tracking_display, problem.tracking_code.lower(), f" {problem.tracking_display} "):
        page = public.get(reverse("public_track"), {"code": typed}).content.decode()
        assert problem.code in page and "不予受理" in page and "答复：不属于城市管理范围" in page
    assert "郑市民" not in page and "13912345678" not in page and "139****5678" not in page
    assert "没有找到该查询码" in public.get(reverse("public_track"), {"code": "AAAA-AAAA"}).content.decode()
    assert "没有找到该查询码" in public.get(reverse("public_track"), {"code": problem.code}).content.decode()
    assert public.get(reverse("public_track")).status_code == 200
    assert "问题查询" in public.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_the_api_locates_a_point_for_an_integration(login, mapped):
    client = login("citizen")
    found = client.get("/api/problems/locate/", {"latitude": "30.25", "longitude": "120.16"}).json()
    assert found == {"area": mapped["grid_a1"].code, "name": "甲一社区第1网格", "parent_name": "甲一社区",
                     "method": "boundary"}
    nowhere = client.get("/api/problems/locate/", {"latitude": "31.5", "longitude": "121.5"}).json()
    assert nowhere == {"area": None, "name": None, "parent_name": None, "method": None}
    bad = client.get("/api/problems/locate/", {"latitude": "NaN", "longitude": "120"})
    assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"
    assert login("outsider").get("/api/problems/locate/", {"latitude": "30.25", "longitude": "120.16"}).status_code == 403

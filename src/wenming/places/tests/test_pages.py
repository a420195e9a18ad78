"""The points pages through the Django client: who reaches which page, what the list, the chart
data, a point's page, the forms, the QR codes and the exports show, and that the list and the QR
sheet run a fixed number of queries whatever the number of points."""

import csv
import io
import itertools
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from wenming.cases.models import Problem
from wenming.cases.tests.conftest import jpeg_bytes
from wenming.core.models import AuditEvent, Photo
from wenming.inspections import services as inspection_services
from wenming.inspections.models import RoundPoint
from wenming.inspections.tests.test_services import STATION_ANSWERS, opened, submit
from wenming.org.models import Membership, Role, User
from wenming.org.tests.test_access import ALL, expect
from wenming.places import transfer
from wenming.places.models import Point

from .conftest import SEES, make_point

STAFF = expect(_=200, citizen=403, outsider=403)
OFFICES = expect(_=403, office_city=200, office_district_a=200)


def sees(key, status=200, **others):
    """200 (or ``status``) for the personas who see point ``key``, 404 for the rest, with
    exceptions in ``others``."""
    codes = {name: status for name in SEES[key]}
    codes.update(others)
    return expect(_=404, **codes)


def codes_in(page: str) -> list[str]:
    """The codes of the points in the list's table, in order."""
    return re.findall(r'<td><a href="/points/([^/"]+)/">', page)


def add_points(org, start: int, count: int, **extra) -> None:
    for index in range(start, start + count):
        make_point(f"DW-{index:03d}", f"测试点位{index}", "XQ", org["street_a1"], org["grid_a1"], **extra)


# --- who reaches what ------------------------------------------------------------------------------

PAGES = [
    ("list", lambda p: "/points/", STAFF),
    ("list filtered", lambda p: "/points/?type=WHZ&unit=330102001&coords=1&q=文化", STAFF),
    ("scatter", lambda p: "/points/scatter.json", STAFF),
    ("qr sheet", lambda p: "/points/qr-sheet/", STAFF),
    ("export xlsx", lambda p: "/points/export/", STAFF),
    ("export csv", lambda p: "/points/export/?format=csv", STAFF),
    ("create", lambda p: "/points/new/", OFFICES),
    ("import", lambda p: "/points/import/", OFFICES),
    ("import template", lambda p: "/points/import/template.xlsx", OFFICES),
    ("detail community", lambda p: "/points/SQ-A1/", sees("community")),
    ("detail station", lambda p: "/points/WHZ-A1/", sees("station")),
    ("detail square", lambda p: "/points/GY-A2/", sees("square")),
    ("detail market", lambda p: "/points/NM-B1/", sees("market")),
    ("detail road", lambda p: "/points/ZGD-C/", sees("road")),
    ("detail unknown", lambda p: "/points/NOPE-1/", expect(_=404)),
    # edit: 404 outside the point's visibility, 403 inside it without an office role above its unit
    ("edit station", lambda p: "/points/WHZ-A1/edit/",
     sees("station", 403, office_city=200, office_district_a=200)),
    ("edit market", lambda p: "/points/NM-B1/edit/", sees("market", 403, office_city=200)),
    ("edit road (city department)", lambda p: "/points/ZGD-C/edit/", sees("road", 403, office_city=200)),
    # a scanned code: the point's page for whoever sees the point (no assignment here)
    ("qr station", lambda p: f"/points/q/{p['station'].qr_token}/", sees("station", 302)),
    ("qr market", lambda p: f"/points/q/{p['market'].qr_token}/", sees("market", 302)),
    ("qr unknown", lambda p: "/points/q/not-a-token/", expect(_=404)),
]


@pytest.mark.django_db
@pytest.mark.parametrize("label,url,expected", PAGES, ids=[p[0] for p in PAGES])
def test_page_access(login, pts, label, url, expected):
    for persona in ALL:
        status = login(persona).get(url(pts)).status_code
        assert status == expected[persona], f"{label}: {persona} got {status}"


SERIAL = itertools.count(1)


def _state():
    return list(Point.objects.values_list("code", "name", "qr_token", "is_active", "photo_id").order_by("code"))


WRITES = [
    # (label, url, data builder, personas that succeed)
    ("regenerate qr station", "/points/WHZ-A1/regenerate-qr/", dict, {"office_city", "office_district_a"}),
    ("deactivate station", "/points/WHZ-A1/deactivate/", dict, {"office_city", "office_district_a"}),
    ("deactivate market", "/points/NM-B1/deactivate/", dict, {"office_city"}),
    ("deactivate road", "/points/ZGD-C/deactivate/", dict, {"office_city"}),
    ("photo station", "/points/WHZ-A1/photo/",
     lambda: {"photo": SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg")},
     {"office_city", "office_district_a"}),
    ("edit station", "/points/WHZ-A1/edit/",
     lambda: {"code": "WHZ-A1", "name": "改名", "point_type": Point.objects.get(code="WHZ-A1").point_type_id,
              "unit": "330102001", "area": "330102001001"}, {"office_city", "office_district_a"}),
    ("create", "/points/new/",
     lambda: {"code": f"GD-{next(SERIAL)}", "name": "工地", "point_type": Point.objects.get(code="WHZ-A1").point_type_id,
              "unit": "330102001", "area": "330102001001001"}, {"office_city", "office_district_a"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("label,url,data,allowed", WRITES, ids=[w[0] for w in WRITES])
def test_writes_refused_to_every_wrong_persona(login, pts, label, url, data, allowed):
    point_key = {"WHZ-A1": "station", "NM-B1": "market", "ZGD-C": "road"}.get(url.split("/")[2])
    before = _state()
    for persona in ALL:
        if persona in allowed:
            continue
        status = login(persona).post(url, data()).status_code
        expected = 404 if point_key and persona not in SEES[point_key] else 403
        assert status == expected, f"{label}: {persona} got {status}"
    assert _state() == before
    assert Photo.objects.count() == 0
    refusals = AuditEvent.objects.filter(action="access.refused")
    assert refusals.count() == len(ALL) - len(allowed)
    for persona in sorted(allowed):
        response = login(persona).post(url, data())
        assert response.status_code == 302, f"{label}: {persona} got {response.status_code}"
    assert _state() != before, label


@pytest.mark.django_db
def test_actions_answer_post_only_and_unknown_actions_404(login, pts):
    client = login("office_city")
    assert client.get("/points/WHZ-A1/deactivate/").status_code == 405
    assert client.post("/points/WHZ-A1/explode/").status_code == 404
    assert client.post("/points/NOPE-1/deactivate/").status_code == 404
    assert Point.objects.filter(is_active=False).count() == 0


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, pts):
    for url in ["/points/", "/points/scatter.json", "/points/WHZ-A1/", f"/points/q/{pts['station'].qr_token}/",
                "/points/qr-sheet/", "/points/export/", "/points/new/", "/points/import/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


# --- the list ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_list_shows_each_persona_the_points_it_sees_with_counts_by_type(login, pts):
    for persona in ["office_city", "office_district_a", "handler_street_a1", "handler_street_a2", "grid_worker",
                    "leader", "inspector", "admin"]:
        page = login(persona).get("/points/").content.decode()
        expected = sorted(pts[key].code for key, who in SEES.items() if persona in who)
        assert codes_in(page) == expected, persona
        assert f"共 {len(expected)} 个点位" in page, persona
    page = login("office_district_a").get("/points/").content.decode()
    chips = re.findall(r'<a href="\?type=(\w+)"[^>]*>([^<]+)</a>', page)
    assert chips == [("SQ", "社区 1"), ("WHZ", "综合文化站 1"), ("GY", "公园广场 1"), ("ZGD", "主次干道 1")]
    assert "新建点位" in page and 'href="/points/import/"' in page
    handler = login("handler_street_a1").get("/points/").content.decode()
    assert "新建点位" not in handler and 'href="/points/import/"' not in handler
    assert re.findall(r'<a href="\?type=(\w+)"[^>]*>([^<]+)</a>', handler) == [("WHZ", "综合文化站 1")]


@pytest.mark.django_db
@pytest.mark.parametrize("query,codes", [
    ("type=WHZ", ["WHZ-A1"]),
    ("type=ZGD", ["ZGD-C"]),
    ("unit=330102001", ["SQ-A1", "WHZ-A1", "ZGD-C"]),       # street A1: by responsible unit or by area
    ("unit=330102002", ["GY-A2"]),
    ("unit=330102001001001", ["SQ-A1", "ZGD-C"]),          # the grid: points lying in it
    ("unit=330103001", ["NM-B1"]),
    ("q=广场", ["GY-A2"]),
    ("q=wHz", ["WHZ-A1"]),                                  # code, any case
    ("q=文化站门口", ["WHZ-A1"]),                           # address
    ("coords=0", ["GY-A2"]),
    ("coords=1", ["NM-B1", "SQ-A1", "WHZ-A1", "ZGD-C"]),
    ("type=SQ&unit=330102001", ["SQ-A1"]),
    ("coords=2", ["GY-A2", "NM-B1", "SQ-A1", "WHZ-A1", "ZGD-C"]),  # an unknown value filters nothing
])
def test_list_filters(login, pts, query, codes):
    page = login("office_city").get(f"/points/?{query}").content.decode()
    assert codes_in(page) == codes


@pytest.mark.django_db
def test_type_filter_keeps_the_counts_of_the_other_types_and_the_chip_clears_it(login, pts):
    page = login("office_city").get("/points/?type=WHZ&unit=330102001").content.decode()
    assert codes_in(page) == ["WHZ-A1"]
    # the counts ignore the chosen type but follow the other filters
    chips = dict(re.findall(r'<a href="\?([^"]+)"[^>]*>([^<]+)</a>', page.split('class="type-counts"')[1]))
    assert chips == {"unit=330102001&amp;type=SQ": "社区 1", "unit=330102001": "综合文化站 1",
                     "unit=330102001&amp;type=ZGD": "主次干道 1"}
    # the chart, export and QR sheet links carry the filters
    assert 'data-url="/points/scatter.json?type=WHZ&amp;unit=330102001"' in page
    assert 'href="/points/qr-sheet/?type=WHZ&amp;unit=330102001"' in page
    assert 'href="/points/export/?type=WHZ&amp;unit=330102001&amp;format=csv"' in page


@pytest.mark.django_db
def test_unit_outside_scope_shows_nothing_and_says_so(login, pts):
    page = login("office_district_a").get("/points/?unit=330103001").content.decode()
    assert codes_in(page) == [] and "找不到编码为330103001的单位，或该单位不在您的范围内" in page
    assert "没有符合条件的点位" in page
    data = login("office_district_a").get("/points/scatter.json?unit=330103001").json()
    assert data["points"] == []


@pytest.mark.django_db
def test_deactivated_points_leave_the_list_unless_asked_for(login, pts):
    Point.objects.filter(code="WHZ-A1").update(is_active=False)
    client = login("office_district_a")
    assert "WHZ-A1" not in codes_in(client.get("/points/").content.decode())
    page = client.get("/points/?inactive=1").content.decode()
    assert codes_in(page) == ["GY-A2", "SQ-A1", "WHZ-A1", "ZGD-C"] and "已停用" in page
    assert "WHZ-A1" not in [row[0] for row in client.get("/points/scatter.json").json()["points"]]


@pytest.mark.django_db
def test_list_pages_by_fifty_keeping_the_filters(login, org, pts):
    add_points(org, 1, 55)
    client = login("office_district_a")
    first = client.get("/points/?unit=330102001").content.decode()
    assert codes_in(first) == [f"DW-{n:03d}" for n in range(1, 51)]
    assert "共 58 个点位" in first and "第 1 / 2 页" in first
    assert 'href="?unit=330102001&page=2"' in first
    second = client.get("/points/?unit=330102001&page=2").content.decode()
    assert codes_in(second) == ["DW-051", "DW-052", "DW-053", "DW-054", "DW-055", "SQ-A1", "WHZ-A1", "ZGD-C"]
    assert "第 2 / 2 页" in second and 'href="?unit=330102001&page=1"' in second
    assert codes_in(client.get("/points/?unit=330102001&page=99").content.decode()) == codes_in(second)


# --- the scatter chart's data ------------------------------------------------------------------------

@pytest.mark.django_db
def test_scatter_gives_the_points_with_coordinates_in_scope(login, pts):
    data = login("office_district_a").get("/points/scatter.json").json()
    assert data["fields"] == ["code", "lng", "lat", "score", "name"]
    assert data["points"] == [
        ["SQ-A1", 115.86, 28.68, 92.5, "甲一社区"],
        ["WHZ-A1", 115.86, 28.68, 55.0, "甲一街道文化站"],
        ["ZGD-C", 115.86, 28.68, 70.0, "人民路"],
    ]                                                    # GY-A2 has no coordinates, NM-B1 is elsewhere
    assert (data["truncated"], data["limit"]) == (False, 20_000)
    assert login("handler_street_a2").get("/points/scatter.json").json()["points"] == []
    assert [row[0] for row in login("handler_street_a1").get("/points/scatter.json").json()["points"]] == ["WHZ-A1"]
    filtered = login("office_city").get("/points/scatter.json?type=NM").json()
    assert filtered["points"] == [["NM-B1", 115.86, 28.68, 81.0, "乙一农贸市场"]]
    Point.objects.filter(code="SQ-A1").update(latest_score=None)
    assert login("grid_worker").get("/points/scatter.json").json()["points"][0] == [
        "SQ-A1", 115.86, 28.68, None, "甲一社区"]


# --- a point's page ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_detail_shows_the_facts(login, personas, pts):
    Point.objects.filter(code="WHZ-A1").update(patron=personas["leader"])
    page = login("handler_street_a1").get("/points/WHZ-A1/").content.decode()
    for text in ("<dt>点位编码</dt><dd>WHZ-A1</dd>", "<dt>点位类型</dt><dd>综合文化站</dd>",
                 "<dt>责任单位</dt><dd>甲一街道</dd>", "<dt>所在区域</dt><dd>甲一社区</dd>",
                 "周海涛（测试职务）", "<dd>甲一街道文化站门口</dd>", "纬度 28.680000，经度 115.860000",
                 'class="score score-red">55.00', "<svg", "暂无点位照片", "尚无在用的测评体系",
                 "暂无您可查看的测评记录", "本点位没有未办结的测评问题"):
        assert text in page, text
    # a handler neither edits nor uploads
    for text in ("/points/WHZ-A1/edit/", "regenerate-qr", "deactivate", 'name="photo"'):
        assert text not in page, text
    page = login("office_district_a").get("/points/WHZ-A1/").content.decode()
    for text in ("/points/WHZ-A1/edit/", "/points/WHZ-A1/regenerate-qr/", "/points/WHZ-A1/deactivate/",
                 "/points/WHZ-A1/photo/", 'href="/points/qr-sheet/?code=WHZ-A1"'):
        assert text in page, text
    square = login("office_district_a").get("/points/GY-A2/").content.decode()
    assert "<dt>坐标</dt><dd>未填写</dd>" in square and "暂无" in square
    # the road answers to a city department: district A sees it but may not change it
    road = login("office_district_a").get("/points/ZGD-C/").content.decode()
    assert "/points/ZGD-C/edit/" not in road and "deactivate" not in road


@pytest.mark.django_db
def test_detail_lists_the_check_items_of_the_active_system(login, pts, system):
    page = login("handler_street_a1").get("/points/WHZ-A1/").content.decode()
    assert f'按<a href="/standards/{system.pk}/">{system}</a>，「综合文化站」类点位适用 3 项。</p>' in page
    for code in ("WHZ05", "WHZ01", "WHZ09"):
        assert f"<td>{code}</td>" in page
    assert "ZGD01" not in page
    square = login("office_city").get("/points/GY-A2/").content.decode()   # 公园广场: nothing in the system
    assert "适用 0 项" in square and "在用测评体系中没有适用于该类型的检查项" in square


@pytest.mark.django_db
def test_detail_names_the_system_it_lists_when_several_are_in_use(login, personas, pts, system):
    from wenming.standards import services as standards_services
    from wenming.standards.models import SystemStatus
    from wenming.standards.tests.test_formats import import_yaml

    _, newer = import_yaml(personas["office_city"], version="2027版")
    standards_services.system_set_status(actor=personas["office_city"], system=newer, status=SystemStatus.ACTIVE)
    page = login("handler_street_a1").get("/points/WHZ-A1/").content.decode()
    assert f'按<a href="/standards/{newer.pk}/">{newer}</a>，「综合文化站」类点位适用 3 项。' in page
    assert "另有 1 个在用的测评体系，这里按其中最新的一个列出" in page


@pytest.fixture
def inspected(personas, org, pts, make_round):
    """A weekly round over the city, opened; the station inspected with one failed item (a problem)."""
    round_ = opened(make_round(), personas)
    failing = dict(STATION_ANSWERS, WHZ05={"verdict": "fail", "note": "会议室发现烟头"})
    submit(round_, pts["station"], personas, failing)
    return round_


@pytest.mark.django_db
def test_detail_shows_history_and_problems_to_those_who_may_see_them(login, inspected, pts):
    row = RoundPoint.objects.get(round=inspected, point=pts["station"])
    problem = Problem.objects.get(item_results__inspection__round_point=row)
    page = login("office_city").get("/points/WHZ-A1/").content.decode()
    assert "第47周测评" in page and f'href="/inspections/result/{row.pk}/"' in page and str(row.score) in page
    assert f'href="/problems/{problem.code}/"' in page and problem.title in page
    assert "本点位没有未办结的测评问题" not in page
    # results are not published: the street's handler sees the problem routed to it, not the score
    handler = login("handler_street_a1").get("/points/WHZ-A1/").content.decode()
    assert "暂无您可查看的测评记录" in handler and f'href="/problems/{problem.code}/"' in handler


@pytest.mark.django_db
def test_start_button_for_the_inspector_with_an_open_assignment(login, personas, pts, make_round):
    round_ = opened(make_round(), personas)
    row = RoundPoint.objects.get(round=round_, point=pts["station"])
    page = login("inspector").get("/points/WHZ-A1/").content.decode()
    assert f'href="/inspections/do/{row.pk}/">开始测评 · 第47周测评' in page
    assert "开始测评" not in login("office_city").get("/points/WHZ-A1/").content.decode()
    submit(round_, pts["station"], personas, STATION_ANSWERS)
    assert "开始测评" not in login("inspector").get("/points/WHZ-A1/").content.decode()


# --- forms -------------------------------------------------------------------------------------------

def _form(site_type, **overrides):
    data = {"code": "GD-A1-01", "name": "甲一街道建筑工地", "point_type": site_type.pk, "unit": "330102001",
            "area": "330102001001001", "patron": "leader", "address": "幸福路1号", "latitude": "28.6812345",
            "longitude": "115.8598765"}
    data.update(overrides)
    return data


@pytest.fixture
def building_site():
    from wenming.standards.models import PointType

    return PointType.objects.get(code="GD")


@pytest.mark.django_db
def test_create_form(login, personas, org, pts, building_site):
    client = login("office_district_a")
    page = client.get("/points/new/").content.decode()
    # units and the 包保领导 are chosen by name: search boxes that ask org's pickers, leaders only
    assert "新建点位" in page and 'data-testid="picker-unit"' in page and 'data-testid="picker-area"' in page
    assert '/org/people/search/' in page and '{&quot;role&quot;: &quot;leader&quot;, &quot;above&quot;: &quot;1&quot;}' in page
    response = client.post("/points/new/", _form(building_site))
    assert response.status_code == 302 and response["Location"] == "/points/GD-A1-01/"
    point = Point.objects.get(code="GD-A1-01")
    assert (point.name, point.point_type, point.unit, point.area, point.patron, str(point.latitude),
            str(point.longitude)) == ("甲一街道建筑工地", building_site, org["street_a1"], org["grid_a1"],
                                      personas["leader"], "28.681235", "115.859877")
    assert "已新建点位：甲一街道建筑工地" in client.get(response["Location"]).content.decode()
    # an empty submission is a submission: every required field says so
    page = client.post("/points/new/", {}).content.decode()
    assert page.count("这个字段是必填项") == 5 and Point.objects.count() == 6


@pytest.mark.django_db
@pytest.mark.parametrize("overrides,message", [
    ({"code": "new"}, "“new”是系统保留字，不能用作点位编码"),
    ({"code": "点位1"}, "点位编码“点位1”无效"),
    ({"code": "WHZ-A1"}, "点位编码WHZ-A1已被其他点位使用"),
    ({"name": ""}, "这个字段是必填项"),
    ({"point_type": ""}, "这个字段是必填项"),
    ({"unit": "999999"}, "找不到编码为999999的单位，或该单位不在您的范围内"),
    ({"unit": "330103001"}, "找不到编码为330103001的单位，或该单位不在您的范围内"),      # district B
    ({"area": "330102002"}, "所在区域甲二街道（330102002）不在责任单位甲一街道的辖区内"),
    ({"area": "330102"}, "所在区域应为网格、社区/村或街道/镇，甲区是区县"),
    ({"latitude": "115.86", "longitude": "28.68"}, "是否与经度填反了"),
    ({"longitude": ""}, "经度和纬度应同时填写或同时留空"),
    ({"latitude": "北纬28度"}, "输入一个数字"),
    ({"patron": "nobody"}, "找不到领导账号“nobody”"),
    ({"patron": "handler_street_a1"}, "找不到领导账号“handler_street_a1”"),
])
def test_create_form_refuses_bad_input_in_chinese(login, pts, building_site, overrides, message):
    before = _state()
    response = login("office_district_a").post("/points/new/", _form(building_site, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _state() == before
    assert not AuditEvent.objects.filter(action__startswith="places.").exists()


@pytest.mark.django_db
def test_a_unit_seen_but_not_managed_is_refused(login, org, pts, building_site):
    # the district A leader's office sees street A1 as a leader only: not an office there
    leader_office = User.objects.create(username="leader_office", full_name="兼职")
    Membership.objects.create(user=leader_office, unit=org["street_a2"], role=Role.OFFICE)
    Membership.objects.create(user=leader_office, unit=org["district_a"], role=Role.LEADER)
    client = Client()
    client.force_login(leader_office)
    page = client.post("/points/new/", _form(building_site, patron="")).content.decode()
    assert "找不到编码为330102001的单位，或该单位不在您的管理范围内" in page
    assert client.post("/points/new/", _form(building_site, patron="", unit="330102002",
                                             area="330102002")).status_code == 302
    assert list(Point.objects.filter(code="GD-A1-01").values_list("unit__code", flat=True)) == ["330102002"]


@pytest.mark.django_db
def test_department_point_needs_the_city_office(login, org, pts, building_site):
    data = _form(building_site, code="ZGD-02", unit=org["department"].code, patron="")
    page = login("office_district_a").post("/points/new/", data).content.decode()
    assert f"找不到编码为{org['department'].code}的单位，或该单位不在您的范围内" in page
    assert not Point.objects.filter(code="ZGD-02").exists()
    assert login("office_city").post("/points/new/", data).status_code == 302
    assert Point.objects.get(code="ZGD-02").unit == org["department"]


@pytest.mark.django_db
def test_edit_form(login, personas, org, pts):
    station = pts["station"]
    client = login("office_district_a")
    page = client.get("/points/WHZ-A1/edit/").content.decode()
    assert 'value="甲一街道文化站"' in page and 'value="330102001001"' in page and "修改点位「甲一街道文化站」" in page
    data = {"code": "WHZ-A1-X", "name": "甲一街道综合文化站", "point_type": station.point_type_id, "unit": "330102001",
            "area": "330102001001001", "patron": "", "address": "新地址", "latitude": "", "longitude": ""}
    response = client.post("/points/WHZ-A1/edit/", data)
    assert response.status_code == 302 and response["Location"] == "/points/WHZ-A1-X/"
    station.refresh_from_db()
    assert (station.code, station.name, station.area, station.address, station.latitude, station.longitude) == (
        "WHZ-A1-X", "甲一街道综合文化站", org["grid_a1"], "新地址", None, None)
    assert station.qr_token == pts["station"].qr_token       # the printed code still works
    assert client.get("/points/WHZ-A1/").status_code == 404
    event = AuditEvent.objects.get(action="places.point_update")
    assert event.detail["changes"]["code"] == ["WHZ-A1", "WHZ-A1-X"]


@pytest.mark.django_db
@pytest.mark.parametrize("overrides,message", [
    ({"code": "SQ-A1"}, "点位编码SQ-A1已被其他点位使用"),
    ({"unit": "330102002"}, "所在区域甲一社区（330102001001）不在责任单位甲二街道的辖区内"),
    ({"latitude": "28.68", "longitude": "200"}, "经度200.000000超出范围"),
    ({"name": "  "}, "这个字段是必填项"),
])
def test_edit_form_refuses_bad_input_and_changes_nothing(login, pts, overrides, message):
    station = pts["station"]
    data = {"code": "WHZ-A1", "name": "甲一街道文化站", "point_type": station.point_type_id, "unit": "330102001",
            "area": "330102001001", "patron": "", "address": "", "latitude": "28.68", "longitude": "115.86"}
    data.update(overrides)
    before = list(Point.objects.values().order_by("code"))
    response = login("office_district_a").post("/points/WHZ-A1/edit/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert list(Point.objects.values().order_by("code")) == before


# --- actions and the photo ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_regenerate_deactivate_activate(login, pts):
    client = login("office_district_a")
    old = pts["station"].qr_token
    response = client.post("/points/WHZ-A1/regenerate-qr/", follow=True)
    assert "已重新生成二维码，之前打印的二维码已失效" in response.content.decode()
    new = Point.objects.get(code="WHZ-A1").qr_token
    assert new != old
    assert client.get(f"/points/q/{old}/").status_code == 404
    assert client.get(f"/points/q/{new}/")["Location"] == "/points/WHZ-A1/"
    page = client.post("/points/WHZ-A1/deactivate/", follow=True).content.decode()
    assert "点位已停用" in page and "已停用" in page and "/points/WHZ-A1/activate/" in page
    assert not Point.objects.get(code="WHZ-A1").is_active
    assert 'href="/points/qr-sheet/?code=WHZ-A1&amp;inactive=1"' in page
    page = client.post("/points/WHZ-A1/activate/", follow=True).content.decode()
    assert "点位已启用" in page and Point.objects.get(code="WHZ-A1").is_active
    assert list(AuditEvent.objects.filter(action__startswith="places.").order_by("id").values_list("action", flat=True)) == [
        "places.point_regenerate_qr", "places.point_deactivate", "places.point_activate"]


@pytest.mark.django_db
def test_photo_upload(login, pts):
    client = login("office_district_a")
    upload = SimpleUploadedFile("site.jpg", jpeg_bytes(), content_type="image/jpeg")
    page = client.post("/points/SQ-A1/photo/", {"photo": upload}, follow=True).content.decode()
    point = Point.objects.get(code="SQ-A1")
    assert "点位照片已更新" in page and point.photo is not None
    assert f'src="/photos/{point.photo_id}/thumb/"' in page and "更换照片" in page
    # the photo is seen by whoever sees the point: the grid worker through the point's area too
    assert login("grid_worker").get(f"/photos/{point.photo_id}/thumb/").status_code == 200
    assert login("handler_street_a2").get(f"/photos/{point.photo_id}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name,data,message", [
    ("fake.jpg", b"GIF89a not really a photo", "照片：只能上传 JPEG 或 PNG 照片"),
    ("notes.txt", "会议纪要".encode(), "照片：只能上传 JPEG 或 PNG 照片"),
    ("cut.jpg", jpeg_bytes()[:200], "照片："),
])
def test_photo_upload_refuses_a_non_image(login, pts, name, data, message):
    client = login("office_district_a")
    page = client.post("/points/SQ-A1/photo/", {"photo": SimpleUploadedFile(name, data)}, follow=True).content.decode()
    assert message in page and "点位照片已更新" not in page
    assert Point.objects.get(code="SQ-A1").photo is None and Photo.objects.count() == 0
    assert not AuditEvent.objects.filter(action="places.point_photo").exists()


@pytest.mark.django_db
def test_photo_upload_without_a_file(login, pts):
    page = login("office_district_a").post("/points/SQ-A1/photo/", {}, follow=True).content.decode()
    assert "请选择一张照片" in page and Point.objects.get(code="SQ-A1").photo is None


# --- QR codes ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_qr_leads_the_inspector_to_his_form_when_he_has_one_open_assignment(login, personas, org, pts, make_round):
    token = pts["station"].qr_token
    first = opened(make_round(), personas)
    row = RoundPoint.objects.get(round=first, point=pts["station"])
    assert login("inspector").get(f"/points/q/{token}/")["Location"] == f"/inspections/do/{row.pk}/"
    assert login("office_city").get(f"/points/q/{token}/")["Location"] == "/points/WHZ-A1/"
    # a second open round: two assignments there, the point's page lets him choose
    opened(make_round(title="第48周测评"), personas)
    assert login("inspector").get(f"/points/q/{token}/")["Location"] == "/points/WHZ-A1/"


@pytest.mark.django_db
def test_qr_leads_an_inspector_from_elsewhere_to_his_form_only(login, personas, org, pts, make_round):
    # an inspector of street B1 does not see district A's points, but is sent to inspect one
    visitor = User.objects.create(username="inspector_b", full_name="外区督查员")
    Membership.objects.create(user=visitor, unit=org["street_b1"], role=Role.INSPECTOR)
    round_ = make_round()
    inspection_services.round_sample(actor=personas["office_city"], round_=round_)
    inspection_services.round_assign(actor=personas["office_city"], round_=round_, inspectors=[visitor])
    inspection_services.round_open(actor=personas["office_city"], round_=round_)
    row = RoundPoint.objects.get(round=round_, point=pts["station"])
    client = Client()
    client.force_login(visitor)
    assert client.get("/points/WHZ-A1/").status_code == 404
    assert client.get(f"/points/q/{pts['station'].qr_token}/")["Location"] == f"/inspections/do/{row.pk}/"
    assert client.get(f"/points/q/{pts['square'].qr_token}/").status_code == 404   # not in the sample
    # once done, the code no longer opens anything for him
    RoundPoint.objects.filter(pk=row.pk).update(status=RoundPoint.Status.DONE)
    assert client.get(f"/points/q/{pts['station'].qr_token}/").status_code == 404


@pytest.mark.django_db
def test_qr_sheet_lays_out_twelve_labels_to_a_page(login, org, pts):
    add_points(org, 1, 20)
    page = login("office_district_a").get("/points/qr-sheet/").content.decode()
    sheets = page.split('<section class="sheet">')[1:]
    assert [sheet.count('<div class="label">') for sheet in sheets] == [12, 12]
    assert page.count("<svg") == 24 and page.count('<div class="label">') == 24
    assert "共 24 个点位，2 页" in page and "NM-B1" not in page
    assert "DW-001 · 居民小区" in page and "甲一街道" in page
    single = login("office_district_a").get("/points/qr-sheet/?code=WHZ-A1").content.decode()
    assert single.count("<svg") == 1 and "甲一街道文化站" in single and "共 1 个点位，1 页" in single
    none = login("handler_street_a2").get("/points/qr-sheet/?code=WHZ-A1").content.decode()
    assert none.count("<svg") == 0 and "没有符合条件的点位" in none


@pytest.mark.django_db
def test_qr_sheet_caps_the_labels(login, pts, monkeypatch):
    from wenming.places import views

    monkeypatch.setattr(views, "SHEET_LIMIT", 3)
    page = login("office_city").get("/points/qr-sheet/").content.decode()
    assert page.count("<svg") == 3 and "筛选出 5 个点位，超过每次 3 个的上限" in page


@pytest.mark.django_db
def test_qr_code_encodes_the_resolver_url(rf, settings, pts):
    from wenming.places import qr

    settings.ALLOWED_HOSTS = ["wenming.example.cn"]
    request = rf.get("/points/WHZ-A1/", HTTP_HOST="wenming.example.cn")
    assert qr.point_url(request, pts["station"]) == f"http://wenming.example.cn/points/q/{pts['station'].qr_token}/"
    svg = qr.svg(qr.point_url(request, pts["station"]))
    assert svg.startswith("<svg") and "viewBox" in svg and "甲一" not in svg


# --- export ------------------------------------------------------------------------------------------

def _xlsx_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.django_db
def test_export_xlsx_has_the_visible_points_in_the_import_columns(login, personas, pts):
    Point.objects.filter(code="WHZ-A1").update(patron=personas["leader"])
    response = login("handler_street_a1").get("/points/export/")
    assert response["Content-Type"] == transfer.XLSX
    assert response["Content-Disposition"] == 'attachment; filename="points.xlsx"'
    rows = _xlsx_rows(response.content)
    assert rows == [transfer.COLUMNS,
                    ["WHZ-A1", "甲一街道文化站", "综合文化站", "330102001", "330102001001", "甲一街道文化站门口",
                     28.68, 115.86, "leader"]]
    rows = _xlsx_rows(login("office_district_a").get("/points/export/").content)
    assert [row[0] for row in rows[1:]] == ["GY-A2", "SQ-A1", "WHZ-A1", "ZGD-C"]
    assert rows[1] == ["GY-A2", "甲二广场", "公园广场", "330102002", "330102002", "甲二广场门口", "", "", ""]
    filtered = _xlsx_rows(login("office_city").get("/points/export/?type=NM").content)
    assert filtered[1:] == [["NM-B1", "乙一农贸市场", "农贸市场/集贸市场", "330103001", "330103001", "乙一农贸市场门口",
                             28.68, 115.86, ""]]
    event = AuditEvent.objects.filter(action="export.download").order_by("-id").first()
    assert event.detail == {"what": "点位", "rows": 1, "format": "xlsx", "type": "NM"}


@pytest.mark.django_db
def test_export_csv(login, pts):
    Point.objects.filter(code="SQ-A1").update(address="=HYPERLINK(\"http://x\")")
    response = login("grid_worker").get("/points/export/?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == transfer.COLUMNS
    assert [row[0] for row in rows[1:]] == ["SQ-A1", "ZGD-C"]
    assert rows[1] == ["SQ-A1", "甲一社区", "社区", "330102001001", "330102001001001", "'=HYPERLINK(\"http://x\")",
                       "28.68", "115.86", ""]


@pytest.mark.django_db
def test_template_download(login, pts):
    response = login("office_city").get("/points/import/template.xlsx")
    assert response.status_code == 200 and response["Content-Type"] == transfer.XLSX
    rows = _xlsx_rows(response.content)
    assert rows[0] == transfer.COLUMNS and len(rows) == 3 and rows[1][0] == "DW-0001"


# --- queries -----------------------------------------------------------------------------------------

def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.django_db
def test_list_and_qr_sheet_do_not_grow_queries_with_points(login, personas, org, pts):
    urls = ["/points/", "/points/?type=XQ&unit=330102001", "/points/qr-sheet/", "/points/scatter.json",
            "/points/export/"]
    client = login("office_district_a")
    client.get("/points/")
    add_points(org, 1, 5, patron=personas["leader"], latest_score="88.00")
    small = {url: _count(client, url) for url in urls}
    add_points(org, 6, 25, patron=personas["leader"], latest_score="66.00")
    assert Point.objects.filter(code__startswith="DW-").count() == 30
    large = {url: _count(client, url) for url in urls}
    assert small == large
    page = client.get("/points/").content.decode()
    assert len(codes_in(page)) == 34 and page.count("周海涛") >= 30


@pytest.mark.django_db
def test_a_points_patron_picker_offers_leaders_above_the_office_too(personas, org):
    """places.services.patron_fits accepts a leader above the office as a point's 包保领导, so the picker
    offers them; the unit's 包保 picker (org/tests/test_pickers.py) does not."""
    from wenming.places.forms import PointForm

    leader = User.objects.create(username="city_leader", full_name="陈市长", post="副市长")
    Membership.objects.create(user=leader, unit=org["city"], role=Role.LEADER)
    form = PointForm(data={"patron": "city_leader"}, user=personas["office_district_a"])
    assert "已选：<strong>陈市长（副市长）</strong>" in str(form["patron"])   # no unit outside scope named
    assert '"above": "1"' in str(form["patron"]).replace("&quot;", '"')

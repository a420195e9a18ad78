"""The 领导驾驶舱: figures computed by hand (conftest.py), each viewer's scope, the Excel exports, the
screen account's restrictions and a fixed number of queries whatever the number of units."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from wenming.cases.metrics import daily
from wenming.conftest import make_unit
from wenming.core.models import AuditEvent
from wenming.inspections.tests.conftest import system  # noqa: F401 (fixture)
from wenming.org import services as org_services
from wenming.org.models import Membership, Role, UnitKind
from wenming.scoring import services as scoring_services
from wenming.scoring.tests.conftest import city  # noqa: F401 (fixture)

NOV = datetime.date(2026, 11, 15)


def table(html: str, name: str) -> list[list[str]]:
    """The rows of the table ``data-testid="table-<name>"`` as text cells."""
    body = re.search(rf'data-testid="table-{name}">(.*?)</table>', html, re.S)
    assert body, f"no table {name}"
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S):
        cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append(cells)
    return rows[1:]  # without the header


def by_label(rows):
    return {row[0].replace(" 包保", ""): row[1:] for row in rows}


@pytest.mark.django_db
def test_the_city_office_sees_today_by_district_and_by_category(today_city, login):
    html = login("office_city").get("/dashboard/").content.decode()
    units = by_label(table(html, "today_units"))
    #                       new  soon overdue notices
    assert units["甲区"] == ["1", "1", "1", "1"]
    assert units["乙区"] == ["1", "0", "1", "1"]
    assert units["市城管局"] == ["0", "0", "0", "0"]
    assert units["测试市合计"] == ["2", "1", "2", "2"]
    cats = by_label(table(html, "today_categories"))
    assert cats == {"暴露垃圾": ["1", "0", "2", "2"], "占道经营": ["1", "1", "0", "0"]}
    assert 'data-kpi="overdue">2<' in html and 'data-kpi="new">2<' in html
    heat = by_label(table(html, "heat"))
    header = re.search(r'data-testid="table-heat">.*?<tr>(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<th[^>]*>(.*?)</th>", header) == ["区域", "占道经营", "暴露垃圾", "合计"]
    assert heat["甲区"] == ["2", "1", "3"] and heat["乙区"] == ["0", "1", "1"]
    assert "下一个工作日下班前" in html  # says how “due soon” is counted


@pytest.mark.django_db
def test_a_district_leader_sees_his_district_by_street_and_his_patron_street_highlighted(today_city, login):
    html = login("leader").get("/dashboard/").content.decode()
    units = by_label(table(html, "today_units"))
    assert set(units) == {"甲一街道", "甲二街道", "甲区合计"}       # not district B, not the city
    assert units["甲一街道"] == ["1", "1", "0", "0"]
    assert units["甲二街道"] == ["0", "0", "1", "1"]
    assert units["甲区合计"] == ["1", "1", "1", "1"]
    patrons = table(html, "today_patrons")
    assert patrons == [["乙一街道 包保", "1", "0", "1", "1"]]
    assert 'class="dash-patron"' in html
    cats = by_label(table(html, "today_categories"))
    assert cats == {"占道经营": ["1", "1", "0", "0"], "暴露垃圾": ["0", "0", "1", "1"]}


@pytest.mark.django_db
def test_the_district_office_sees_only_its_district(today_city, login):
    html = login("office_district_a").get("/dashboard/").content.decode()
    assert set(by_label(table(html, "today_units"))) == {"甲一街道", "甲二街道", "甲区合计"}
    assert "today_patrons" not in html and "乙一街道" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["handler_street_a1", "handler_street_a2", "inspector", "grid_worker",
                                     "citizen", "admin", "outsider"])
def test_others_are_refused(today_city, login, persona):
    client = login(persona)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/screen/").status_code == 403
    assert client.get("/dashboard/export/today_units/").status_code == 403
    assert client.get("/dashboard/table/points_map/").status_code == 403
    assert "领导驾驶舱" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_ranking_links_each_unit_to_its_score_and_marks_the_lists(city, personas, login):  # noqa: F811
    scoring_services.period_close(actor=personas["office_city"], scheme=city["scheme"], kind="month",
                                  day=datetime.date(2026, 10, 15))
    scoring_services.period_close(actor=personas["office_city"], scheme=city["scheme"], kind="month", day=NOV)
    html = login("office_city").get("/dashboard/").content.decode()
    rows = table(html, "ranking_0")
    # 甲二 84.38 (1st, 红旗), 甲一 76.88 (2nd, 黄牌, +8.13 on October's 68.75), 乙一 not ranked
    assert rows[0][:3] == ["1", "甲二街道", "84.38"] and rows[0][5] == "红旗榜"
    assert rows[1][:3] == ["2", "甲一街道", "76.88"] and rows[1][3] == "▲ 上升 8.13" and rows[1][5] == "黄牌榜"
    assert rows[2][1] == "乙一街道" and rows[2][0] == "—"
    period = city["scheme"].periods.get(kind="month", start=datetime.date(2026, 11, 1))
    assert f'href="/scoring/periods/{period.pk}/units/{city["scheme"].root.pk}/"' not in html
    assert f'href="/scoring/periods/{period.pk}/units/{personas["handler_street_a1"].memberships.get().unit_id}/"' in html
    # the district leader: his district's streets and his 包保 street, highlighted
    html = login("leader").get("/dashboard/").content.decode()
    rows = table(html, "ranking_0")
    assert [r[1] for r in rows] == ["甲二街道", "甲一街道", "乙一街道 包保"]


@pytest.mark.django_db
def test_points_pass_rates_and_the_worst_items(city, login):  # noqa: F811
    from wenming.places.models import Point

    # latest scores: 甲一 文化站 90, 甲一社区 square 40 (below 60), 甲二 80, 70; 乙一 none
    scores = {"A1-WHZ": 90, "A1-GY": 40, "A2-GY1": 80, "A2-GY2": 70}
    for code, score in scores.items():
        Point.objects.filter(code=code).update(latest_score=score)
    html = login("office_district_a").get("/dashboard/").content.decode()
    units = by_label(table(html, "points_units"))
    #                    points scored passed rate  average
    assert units["甲一街道"] == ["2", "2", "1", "50.0", "65.00"]
    assert units["甲二街道"] == ["2", "2", "2", "100.0", "75.00"]
    assert units["甲区合计"] == ["4", "4", "3", "75.0", "70.00"]
    cells = table(html, "points_map")
    assert sum(int(row[2]) for row in cells) == 4     # every located point in one cell or another
    assert sum(int(row[3]) for row in cells) == 4 and sum(int(row[4]) for row in cells) == 3
    # the figures are kept until a point changes: a published score, a point retired
    from django.utils import timezone

    Point.objects.filter(code="A1-GY").update(latest_score=95, updated_at=timezone.now())   # as round_publish does
    html = login("office_district_a").get("/dashboard/").content.decode()
    assert by_label(table(html, "points_units"))["甲一街道"] == ["2", "2", "2", "100.0", "92.50"]
    retired = Point.objects.get(code="A2-GY2")
    retired.is_active = False
    retired.save()
    html = login("office_district_a").get("/dashboard/").content.decode()
    assert by_label(table(html, "points_units"))["甲二街道"] == ["1", "1", "1", "100.0", "80.00"]
    assert "暂无已发布的测评轮次" not in html


@pytest.mark.django_db
def test_each_table_exports_to_excel_and_the_download_is_audited(today_city, login):
    client = login("office_city")
    response = client.get("/dashboard/export/today_units/")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c for c in row] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert rows[0] == ["单位", "今日新发现", "即将到期", "逾期未办结", "本月督办"]
    assert ["甲区", 1, 1, 1, 1] in rows and ["测试市合计", 2, 1, 2, 2] in rows
    event = AuditEvent.objects.filter(action="export.download").latest("id")
    assert event.detail["what"] == "领导驾驶舱：今日态势（按单位）" and event.detail["rows"] == 4
    heat = load_workbook(io.BytesIO(client.get("/dashboard/export/heat/").content)).active
    assert ["甲区", 2, 1, 3] in [list(r) for r in heat.iter_rows(min_row=5, values_only=True)]
    assert client.get("/dashboard/export/nothing/").status_code == 404


@pytest.mark.django_db
def test_the_screen_account_sees_the_big_screen_and_nothing_else(today_city, screen_user, settings):
    client = Client()
    client.force_login(screen_user)
    assert client.get("/").status_code == 302 and client.get("/")["Location"] == "/dashboard/screen/"
    page = client.get("/dashboard/screen/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<meta http-equiv="refresh" content="300">' in html
    assert by_label(table(html, "today_units"))["测试市合计"] == ["2", "1", "2", "2"]
    assert "/scoring/" not in html and "导出Excel" not in html
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/dashboard/export/today_units/").status_code == 403
    for url in ["/me/", "/problems/", "/scoring/", "/points/", "/inspections/", "/org/", "/audit/",
                f"/problems/{today_city['d1'].code}/", "/me/exports/", "/api/problems/"]:
        assert client.get(url).status_code in (403, 401), url
    refused = AuditEvent.objects.filter(action="access.refused", actor_username="screen_city")
    assert any(e.detail.get("permission") == "screen.only" for e in refused)
    # its session outlives the idle timeout (SESSION_IDLE_MINUTES): it was given SCREEN_SESSION_DAYS at login
    assert client.session.get_expiry_age() == settings.SCREEN_SESSION_DAYS * 86400
    assert not client.session.get_expire_at_browser_close()


@pytest.mark.django_db
def test_only_the_screen_account_is_exempt_from_the_idle_timeout(personas, settings):
    client = Client()
    client.force_login(personas["office_city"])
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert client.session.get_expire_at_browser_close()


@pytest.mark.django_db
def test_a_screen_role_is_held_alone(org, personas, screen_user):
    office = personas["office_city"]
    with pytest.raises(Exception, match="大屏展示账号"):
        org_services.membership_grant(actor=office, user=screen_user, unit=org["district_a"], role=Role.OFFICE)
    with pytest.raises(Exception, match="大屏展示账号只能单独使用"):
        org_services.membership_grant(actor=office, user=personas["handler_street_a1"], unit=org["street_a1"],
                                      role=Role.SCREEN)
    assert not Membership.objects.filter(user=personas["handler_street_a1"], role=Role.SCREEN).exists()


@pytest.mark.django_db
def test_the_dashboard_runs_the_same_queries_for_3_or_23_streets(city, personas, org, login):  # noqa: F811
    from wenming.cases.models import State
    from wenming.dashboard.tests.conftest import make_problem

    office = login("office_city")
    leader = login("leader")
    scoring_services.period_close(actor=personas["office_city"], scheme=city["scheme"], kind="month", day=NOV)

    def count(client):
        client.get("/dashboard/")  # warm: the cached item rates, the calendar
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/dashboard/").status_code == 200
        return len(ctx.captured_queries)

    few = count(office), count(leader)
    city["scheme"].periods.all().delete()
    for n in range(20):
        street = make_unit(f"新{n}街道", UnitKind.STREET, f"330103{n + 10:03d}", org["district_b"])
        make_problem(f"WT2026-8{n:05d}", street, street, "0201", state=State.ASSIGNED)
    scoring_services.period_close(actor=personas["office_city"], scheme=city["scheme"], kind="month", day=NOV)
    assert (count(office), count(leader)) == few


@pytest.mark.django_db
def test_the_dashboard_heat_is_the_same_from_the_stored_days(today_city, login):
    client = login("office_city")
    before = by_label(table(client.get("/dashboard/").content.decode(), "heat"))
    daily.refresh()  # the past days now come from cases.metrics.daily's rows
    after = by_label(table(client.get("/dashboard/").content.decode(), "heat"))
    assert before == after and after["甲区"] == ["2", "1", "3"] and after["乙区"] == ["0", "1", "1"]


def test_table_rows_escape_every_value_and_mark_the_patron_units():
    from wenming.dashboard.tables import Cell, Table

    table = Table("t", "表", ["单位", "数"], [["<script>x</script>", 3], [Cell("A&B", url="/s/?a=1&b=\"2\""), 1.5],
                                            [Cell("甲", trend="up"), None]], [False, True, False], badge_column=0)
    body = str(table.body_html())
    assert "<script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert '<a href="/s/?a=1&amp;b=&quot;2&quot;">A&amp;B</a> <span class="badge">包保</span>' in body
    assert '<tr class="dash-patron">' in body and body.count("<tr") == 3
    assert '<span class="trend trend-up">▲ 上升</span> 甲' in body and "<td>—</td>" in body
    assert str(Table("e", "空", ["a", "b"], []).body_html()) == '<tr><td colspan="2" class="muted">暂无数据</td></tr>'


@pytest.mark.django_db
def test_a_long_table_loads_its_rows_when_opened(city, login, monkeypatch):  # noqa: F811
    from wenming.dashboard import tables

    monkeypatch.setattr(tables, "LAZY_ROWS", 0)
    client = login("office_district_a")
    html = client.get("/dashboard/").content.decode()
    lazy = re.search(r'<details class="dash-lazy" hx-get="(/dashboard/table/points_map/)"[^>]*>\s*<summary>数据表（共(\d+)行',
                     html)
    assert lazy and "正在加载" in html and 'hx-get="/dashboard/table/today_units/"' in html
    rows = client.get(lazy.group(1), headers={"HX-Request": "true"}).content.decode()
    assert rows.count("<tr") == int(lazy.group(2)) and "<html" not in rows
    assert sum(int(re.findall(r"<td>(\d+)</td>", row)[0]) for row in rows.split("</tr>") if "<td>" in row) == 4
    page = client.get(lazy.group(1)).content.decode()
    assert "<html" in page and 'data-testid="table-points_map"' in page and "返回领导驾驶舱" in page
    assert client.get("/dashboard/table/nothing/").status_code == 404
    assert client.get("/dashboard/table/ranking_9/").status_code == 404

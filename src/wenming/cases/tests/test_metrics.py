"""The rectification metrics against hand-computed figures (November 2026), and the metrics page.

Street A1 (甲一街道) — responsible unit A1, or its community for P5:

    problem  assigned  deadline  submitted  closed      on time  hours  rework  overdue_at  other
    P1       11-02     11-05     11-04      11-05       yes      14     0
    P2       11-03     11-06     11-09      11-10       no       35     1       11-06
    P3       11-10     11-13     12-04      12-05       no       —      0       11-13       still open at the end
    P4       10-20     11-03     11-02      11-04       yes      21     2
    P5       11-24     11-27     11-27      12-01 10:00 yes      14     0                   community 甲一社区
    P6       11-20     11-25     11-24      11-30 23:00 yes      7      0                   反弹 of P4, reported 11-20

Street A2 (甲二街道):

    Q1       11-05     11-10     11-09      11-11       yes      10.5   0
    Q2       10-08     10-15     —          —                           10-15       open, overdue since October
    Q3       reported 11-28, not assigned yet: 反弹 of Q1 (counts for A2, the unit whose fix failed)
    Q4       reported 11-29, 反弹 of Q1 but rejected: never counts

District A itself: D1 assigned 11-12, deadline 11-20, submitted 11-19, closed 11-21, on time, 20 h.
District B: B1 like D1 (must never appear in district A's figures).

Notices: P2 督办单 11-06; P3 督办单 11-13, 督办函 11-17, 督办函 12-02 (December); Q2 督办单 10-15
(October), 督办函 11-03.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wenming.cases.metrics import figures as metrics
from wenming.cases.metrics.figures import (
    Metrics,
    metrics_breakdown,
    metrics_by_child,
    period_bounds,
    unit_metrics,
)
from wenming.cases.models import NoticeKind, Problem, State, SupervisionNotice
from wenming.conftest import make_unit
from wenming.org.models import UnitKind

SH = ZoneInfo("Asia/Shanghai")
NOV = period_bounds("month", date(2026, 11, 15))


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


class Builder:
    def __init__(self, category):
        self.category = category
        self.n = 0
        self.seq = 0

    def problem(self, unit, *, area=None, state=State.CLOSED, created=None, assigned=None, deadline=None,
                submitted=None, closed=None, on_time=None, hours=None, rework=0, overdue_at=None,
                recurrence_of=None) -> Problem:
        self.n += 1
        area = area or unit
        problem = Problem.objects.create(
            code=f"WT2026-{self.n:06d}", title=f"问题{self.n}", category=self.category, source="inspection",
            state=state, area=area, area_path=area.path, unit=unit, unit_path=unit.path if unit else "",
            assigned_at=assigned, deadline=deadline, submitted_at=submitted, closed_at=closed,
            closed_on_time=on_time, handling_hours=hours, rework_count=rework, is_overdue=overdue_at is not None,
            overdue_at=overdue_at, recurrence_of=recurrence_of, address=f"人民路{self.n}号")
        Problem.objects.filter(pk=problem.pk).update(created_at=created or assigned or at(11, 1))
        return problem

    def notice(self, problem, kind, issued, unit=None):
        self.seq += 1
        unit = unit or problem.unit
        return SupervisionNotice.objects.create(
            problem=problem, kind=kind, issuer=unit.parent, year=2026, seq=self.seq,
            number=f"督办〔2026〕第{self.seq}号", unit=unit, deadline=issued + timedelta(days=2), issued_at=issued,
            body="请整改")


@pytest.fixture
def data(org, category):
    b = Builder(category)
    a1, a2, community = org["street_a1"], org["street_a2"], org["community_a1"]
    p = {}
    p["P1"] = b.problem(a1, assigned=at(11, 2), deadline=at(11, 5), submitted=at(11, 4), closed=at(11, 5),
                        on_time=True, hours=14)
    p["P2"] = b.problem(a1, assigned=at(11, 3), deadline=at(11, 6), submitted=at(11, 9), closed=at(11, 10),
                        on_time=False, hours=35, rework=1, overdue_at=at(11, 6))
    p["P3"] = b.problem(a1, assigned=at(11, 10), deadline=at(11, 13), submitted=at(12, 4), closed=at(12, 5),
                        on_time=False, hours=70, overdue_at=at(11, 13))
    p["P4"] = b.problem(a1, assigned=at(10, 20), deadline=at(11, 3), submitted=at(11, 2), closed=at(11, 4),
                        on_time=True, hours=21, rework=2)
    p["P5"] = b.problem(community, assigned=at(11, 24), deadline=at(11, 27), submitted=at(11, 27),
                        closed=at(12, 1), on_time=True, hours=14)
    p["P6"] = b.problem(a1, assigned=at(11, 20), deadline=at(11, 25), submitted=at(11, 24),
                        closed=at(11, 30, 23), on_time=True, hours=7, recurrence_of=p["P4"])
    p["Q1"] = b.problem(a2, assigned=at(11, 5), deadline=at(11, 10), submitted=at(11, 9), closed=at(11, 11),
                        on_time=True, hours=10.5)
    p["Q2"] = b.problem(a2, state=State.RECTIFYING, assigned=at(10, 8), deadline=at(10, 15),
                        overdue_at=at(10, 15))
    p["Q3"] = b.problem(None, area=a2, state=State.REPORTED, created=at(11, 28), recurrence_of=p["Q1"])
    p["Q4"] = b.problem(None, area=a2, state=State.REJECTED, created=at(11, 29), recurrence_of=p["Q1"])
    p["D1"] = b.problem(org["district_a"], area=a2, assigned=at(11, 12), deadline=at(11, 20),
                        submitted=at(11, 19), closed=at(11, 21), on_time=True, hours=20)
    p["B1"] = b.problem(org["street_b1"], assigned=at(11, 12), deadline=at(11, 20), submitted=at(11, 19),
                        closed=at(11, 21), on_time=True, hours=20, rework=3)
    b.notice(p["P2"], NoticeKind.NOTICE, at(11, 6))
    b.notice(p["P3"], NoticeKind.NOTICE, at(11, 13))
    b.notice(p["P3"], NoticeKind.LETTER, at(11, 17))
    b.notice(p["P3"], NoticeKind.LETTER, at(12, 2))
    b.notice(p["Q2"], NoticeKind.NOTICE, at(10, 15))
    b.notice(p["Q2"], NoticeKind.LETTER, at(11, 3))
    b.notice(p["B1"], NoticeKind.NOTICE, at(11, 20))
    return p


def M(**values) -> Metrics:  # noqa: N802
    rate = lambda s: None if s is None else Decimal(s)  # noqa: E731
    for key in ("closure_rate", "on_time_rate", "rework_rate", "recurrence_rate", "avg_handling_hours"):
        values[key] = rate(values.get(key))
    return Metrics(**values)


STREET_A1 = M(assigned=5, assigned_closed=3, closure_rate="0.6000", closed=4, due=6, closed_on_time=4,
              on_time_rate="0.6667", avg_handling_hours="19.25", reworked=2, rework_rate="0.5000", recurrences=1,
              recurrence_rate="0.2500", overdue=1, supervisions=3, supervision_letters=1)
STREET_A2 = M(assigned=1, assigned_closed=1, closure_rate="1.0000", closed=1, due=1, closed_on_time=1,
              on_time_rate="1.0000", avg_handling_hours="10.50", reworked=0, rework_rate="0.0000", recurrences=1,
              recurrence_rate="1.0000", overdue=1, supervisions=1, supervision_letters=1)
DISTRICT_OWN = M(assigned=1, assigned_closed=1, closure_rate="1.0000", closed=1, due=1, closed_on_time=1,
                 on_time_rate="1.0000", avg_handling_hours="20.00", reworked=0, rework_rate="0.0000", recurrences=0,
                 recurrence_rate="0.0000", overdue=0, supervisions=0, supervision_letters=0)
# 7 assigned, 5 of them closed by the end; 6 closed, hours (14+35+21+7+10.5+20)/6 = 17.9166…
DISTRICT_A = M(assigned=7, assigned_closed=5, closure_rate="0.7143", closed=6, due=8, closed_on_time=6,
               on_time_rate="0.7500", avg_handling_hours="17.92", reworked=2, rework_rate="0.3333", recurrences=2,
               recurrence_rate="0.3333", overdue=2, supervisions=4, supervision_letters=2)
EMPTY = M(assigned=0, assigned_closed=0, closure_rate=None, closed=0, due=0, closed_on_time=0, on_time_rate=None,
          avg_handling_hours=None, reworked=0, rework_rate=None, recurrences=0, recurrence_rate=None, overdue=0,
          supervisions=0, supervision_letters=0)


# --- periods ---------------------------------------------------------------------------------------------

def test_period_bounds():
    def local(kind, day):
        start, end = period_bounds(kind, day)
        assert start.utcoffset() == end.utcoffset() == timedelta(hours=8)
        return start.date(), end.date()

    assert local("week", date(2026, 11, 22)) == (date(2026, 11, 16), date(2026, 11, 23))  # a Sunday
    assert local("week", date(2026, 11, 23)) == (date(2026, 11, 23), date(2026, 11, 30))  # a Monday
    assert local("week", date(2026, 12, 31)) == (date(2026, 12, 28), date(2027, 1, 4))
    assert local("month", date(2026, 11, 30)) == (date(2026, 11, 1), date(2026, 12, 1))
    assert local("month", date(2026, 12, 5)) == (date(2026, 12, 1), date(2027, 1, 1))
    assert local("quarter", date(2026, 11, 15)) == (date(2026, 10, 1), date(2027, 1, 1))
    assert local("quarter", date(2026, 2, 28)) == (date(2026, 1, 1), date(2026, 4, 1))
    assert local("year", date(2026, 6, 1)) == (date(2026, 1, 1), date(2027, 1, 1))
    # 16:30 UTC on 30 November is already 1 December in Shanghai
    assert local("month", datetime(2026, 11, 30, 16, 30, tzinfo=ZoneInfo("UTC"))) == (date(2026, 12, 1),
                                                                                      date(2027, 1, 1))
    assert NOV[0] == datetime(2026, 11, 1, tzinfo=SH) and NOV[1] == datetime(2026, 12, 1, tzinfo=SH)
    with pytest.raises(ValueError):
        period_bounds("decade", date(2026, 1, 1))
    assert metrics.period_label("quarter", date(2026, 11, 1)) == "2026年第4季度"
    assert metrics.period_label("week", date(2026, 12, 30)) == "2026年12月28日—2027年1月3日"
    assert metrics.period_label("month", date(2026, 11, 1)) == "2026年11月"


# --- the figures -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_street_metrics(org, data):
    assert unit_metrics(org["street_a1"], *NOV) == STREET_A1
    assert unit_metrics(org["street_a2"], *NOV) == STREET_A2


@pytest.mark.django_db
def test_district_is_the_sum_of_its_streets_and_own_level(org, data):
    assert unit_metrics(org["district_a"], *NOV) == DISTRICT_A
    breakdown = metrics_breakdown(org["district_a"], *NOV)
    assert breakdown.own == DISTRICT_OWN
    assert breakdown.children == [(org["street_a1"], STREET_A1), (org["street_a2"], STREET_A2)]
    assert metrics_by_child(org["district_a"], *NOV) == breakdown.children
    # the counts add up: own level + children == the district's total
    counts = metrics._grouped_counts(org["district_a"], *NOV)
    assert Metrics.from_counts(sum(counts.values(), metrics.Counts())) == DISTRICT_A
    assert metrics.unit_counts(org["district_a"], *NOV) == sum(counts.values(), metrics.Counts())


@pytest.mark.django_db
def test_grandchildren_fold_into_their_child(org, data):
    # P5's unit is community A1 (under street A1): at street level it is the community's row
    breakdown = metrics_breakdown(org["street_a1"], *NOV)
    [(community, m)] = breakdown.children
    assert community == org["community_a1"]
    assert (m.assigned, m.assigned_closed, m.closed, m.due, m.closed_on_time, m.on_time_rate) == (
        1, 0, 0, 1, 1, Decimal("1.0000"))
    assert (breakdown.own.assigned, breakdown.own.closed, breakdown.own.due) == (4, 4, 5)


@pytest.mark.django_db
def test_city_and_other_periods(org, data):
    city = unit_metrics(org["city"], *NOV)
    assert (city.assigned, city.closed, city.reworked, city.supervisions) == (8, 7, 3, 5)
    by_child = dict(metrics_by_child(org["city"], *NOV))
    assert by_child[org["district_a"]] == DISTRICT_A
    assert by_child[org["district_b"]].closed == 1 and by_child[org["department"]] == EMPTY
    # December: P3 and P5 closed, P3's second 督办函; nothing is overdue at the end any more
    december = unit_metrics(org["street_a1"], *period_bounds("month", date(2026, 12, 1)))
    assert (december.assigned, december.closed, december.avg_handling_hours, december.overdue,
            december.supervisions, december.closure_rate, december.recurrence_rate) == (
        0, 2, Decimal("42.00"), 0, 1, None, Decimal("0.0000"))
    # October: Q2 overdue at the end; P4 assigned, not closed before the end
    october = unit_metrics(org["district_a"], *period_bounds("month", date(2026, 10, 1)))
    assert (october.assigned, october.assigned_closed, october.closure_rate, october.overdue,
            october.supervisions, october.due) == (2, 0, Decimal("0.0000"), 1, 1, 1)
    # a week: 16–22 November
    week = unit_metrics(org["street_a1"], *period_bounds("week", date(2026, 11, 18)))
    assert (week.assigned, week.closed, week.due, week.overdue, week.recurrences, week.supervisions) == (
        1, 0, 0, 1, 1, 1)
    assert week.recurrence_rate is None and week.on_time_rate is None
    assert unit_metrics(org["street_b1"], *period_bounds("year", date(2025, 5, 1))) == EMPTY


@pytest.mark.django_db
def test_fixed_number_of_queries(org, data):
    with CaptureQueriesContext(connection) as unit_q:
        unit_metrics(org["district_a"], *NOV)
    with CaptureQueriesContext(connection) as child_q:
        metrics_by_child(org["city"], *NOV)
    assert (len(unit_q.captured_queries), len(child_q.captured_queries)) == (3, 4)


@pytest.mark.django_db
def test_deactivated_child_listed_only_with_figures(org, data):
    org["street_a2"].is_active = False
    org["street_a2"].save()
    closed_street = make_unit("甲三街道", UnitKind.STREET, "330102003", org["district_a"])
    closed_street.is_active = False
    closed_street.save()
    rows = metrics_by_child(org["district_a"], *NOV)
    assert [(unit.code, unit.is_active) for unit, _ in rows] == [("330102001", True), ("330102002", False)]
    assert rows[1][1] == STREET_A2


# --- the page ------------------------------------------------------------------------------------------------

def page(client, **params):
    return client.get(reverse("cases:metrics"), params)


@pytest.mark.django_db
def test_page_shows_the_numbers(login, org, data):
    response = page(login("office_district_a"), unit="330102", kind="month", day="2026-11-15")
    assert response.status_code == 200
    html = response.content.decode()
    assert "整改指标：甲区" in html and "2026年11月" in html
    for text in ("甲一街道", "甲二街道", "甲区（本级直接承办）", "甲区（合计）", "71.43%", "5/7", "75.00%",
                 "6/8", "17.92", "33.33%", "60.00%", "3/5", "66.67%", "19.25", "10.50", "其中督办函2", "指标说明",
                 "按期办结率"):
        assert text in html, text
    assert "乙一街道" not in html
    # default: the user's top unit and this month
    response = page(login("office_city"))
    assert response.status_code == 200 and "整改指标：测试市" in response.content.decode()
    assert page(login("leader"), unit="330103001", kind="year", day="2026-01-01").status_code == 200
    assert page(login("admin"), kind="week", day="2026-11-18").status_code == 200
    response = page(login("office_district_a"), kind="decade", day="2026-13-01")
    assert response.status_code == 200
    assert "统计周期无效" in response.content.decode() and "日期格式应为" in response.content.decode()


@pytest.mark.django_db
def test_page_refusals(login, org, data):
    assert page(login("handler_street_a1")).status_code == 403
    assert page(login("inspector")).status_code == 403
    assert page(login("citizen")).status_code == 403
    assert page(login("office_district_a"), unit="330103").status_code == 404
    assert page(login("office_district_a"), unit="330100").status_code == 404
    assert page(login("office_district_a"), unit="nosuch").status_code == 404
    assert page(login("leader"), unit="330103").status_code == 404  # patron of B1 only, not of district B
    response = login("office_district_a").get(reverse("cases:metrics"))
    assert response.status_code == 200
    assert page(Client()).status_code == 302


def add_streets(org, category, start: int, count: int) -> None:
    b = Builder(category)
    b.n = 100 + start
    for index in range(start, start + count):
        street = make_unit(f"新街道{index}", UnitKind.STREET, f"330102{index:03d}", org["district_a"])
        b.n += 1
        b.problem(street, assigned=at(11, 2), deadline=at(11, 5), submitted=at(11, 4), closed=at(11, 5),
                  on_time=True, hours=7)


@pytest.mark.django_db
def test_page_queries_do_not_grow_with_children(login, org, data, category):
    client = login("office_district_a")

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            response = page(client, unit="330102", kind="month", day="2026-11-15")
            assert response.status_code == 200
        return len(context.captured_queries), response.content.decode().count("<tr>")

    two, rows_two = count()
    add_streets(org, category, 10, 6)
    eight, rows_eight = count()
    assert two == eight
    assert rows_eight - rows_two == 6


@pytest.mark.django_db
def test_the_metrics_page_lists_districts_first_sorts_and_exports(login, personas, org, intake):
    import io

    from openpyxl import load_workbook

    from wenming.cases.intake import services as intake_services
    from wenming.cases.workflow import services as workflow

    for unit in (org["street_a1"], org["street_a1"], org["department"]):
        found, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
        workflow.problem_assign(actor=personas["office_city"], problem=found, unit=unit)
    client = login("office_city")
    url = reverse("cases:metrics")
    page = client.get(url, {"unit": org["city"].code}).content.decode()
    table = page.split("<h2>下级单位</h2>")[1]
    assert table.index("甲区") < table.index("乙区") < table.index("市城管局")  # the districts first
    by_assigned = client.get(url, {"unit": org["city"].code, "sort": "assigned", "dir": "asc"}).content.decode()
    table = by_assigned.split("<h2>下级单位</h2>")[1]
    assert table.index("乙区") < table.index("市城管局") < table.index("甲区")  # 0, 1, 2 交办
    assert 'aria-sort="ascending"' in by_assigned
    assert client.get(url, {"unit": org["city"].code, "sort": "nonsense"}).status_code == 200
    export = client.get(reverse("cases:metrics_export"), {"unit": org["city"].code, "sort": "assigned"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert [r[0] for r in rows] == ["甲区", "市城管局", "乙区", "测试市（合计）"]
    assert [r[1] for r in rows] == [2, 1, 0, 3]
    assert login("citizen").get(reverse("cases:metrics_export")).status_code == 403

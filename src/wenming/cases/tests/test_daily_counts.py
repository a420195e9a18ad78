"""The per-day problem counts (cases.metrics.daily) the dashboard's heat reads: filled by the
sweeper for the past days only, recomputed for a day a later change made stale, and read so that a
figure is never stale or short — by hand on a small city.

    problem  area          category  reported      state
    P1       甲一社区       0101      3 days ago    assigned
    P2       甲一街道       0101      3 days ago    reported  (rejected later in one test)
    P3       甲二街道       0201      3 days ago    assigned
    P4       乙一街道       0201      1 day ago     assigned
    P5       甲区 itself    0101      1 day ago     assigned
    P6       甲一社区       0201      1 day ago     rejected  (never counted)
    P7       甲一社区       0101      today         assigned

From the city over the last 7 days: 甲区 0101 ×4 (P1, P2, P5, P7), 0201 ×1 (P3); 乙区 0201 ×1 (P4).
From 甲区: 甲一街道 0101 ×3, 甲二街道 0201 ×1, 甲区（本级） 0101 ×1.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wenming.cases.metrics import daily
from wenming.cases.models import AreaDay, AreaDayCount, AreaDayMark, Category, Problem, State
from wenming.cases.workflow import services as workflow
from wenming.dashboard.tests.conftest import make_problem


@pytest.fixture
def week(org, personas):
    from wenming.cases.settings.defaults import load

    load()
    a1, a2, b1, district = org["street_a1"], org["street_a2"], org["street_b1"], org["district_a"]
    community = org["community_a1"]
    problems = {
        "p1": make_problem("WT2026-800001", community, a1, "0101", state=State.ASSIGNED, created_days_ago=3),
        "p2": make_problem("WT2026-800002", a1, None, "0101", state=State.REPORTED, created_days_ago=3),
        "p3": make_problem("WT2026-800003", a2, a2, "0201", state=State.ASSIGNED, created_days_ago=3),
        "p4": make_problem("WT2026-800004", b1, b1, "0201", state=State.ASSIGNED, created_days_ago=1),
        "p5": make_problem("WT2026-800005", district, district, "0101", state=State.ASSIGNED, created_days_ago=1),
        "p6": make_problem("WT2026-800006", community, None, "0201", state=State.REJECTED, created_days_ago=1),
        "p7": make_problem("WT2026-800007", community, a1, "0101", state=State.ASSIGNED),
    }
    for problem in problems.values():
        problem.refresh_from_db()   # the days it was reported
    return problems


def named(org, counted):
    """{(child unit name or "本级", category code): n}"""
    units = {str(u.pk): u.name for u in org.values()}
    codes = dict(Category.objects.values_list("pk", "code"))
    return {(units[child] if child else "本级", codes[category_id]): n for (child, category_id), n in counted.items()}


def last_week(now):
    today = daily.local_day(now)
    return today - timedelta(days=6), today


CITY = {("甲区", "0101"): 4, ("甲区", "0201"): 1, ("乙区", "0201"): 1}
DISTRICT = {("甲一街道", "0101"): 3, ("甲二街道", "0201"): 1, ("本级", "0101"): 1}


@pytest.mark.django_db
def test_the_counts_by_hand_before_and_after_the_sweeper_has_filled_the_days(org, week):
    now = timezone.now()
    first, last = last_week(now)
    before = {top: named(org, daily.counts(org[top].path, first, last, now)) for top in ("city", "district_a")}
    assert before == {"city": CITY, "district_a": DISTRICT}   # nothing stored yet: read from the problems

    computed = daily.refresh(now)
    assert len(computed) == daily.KEEP_DAYS and daily.local_day(now) not in computed   # today is never stored
    three_days_ago = daily.local_day(now) - timedelta(days=3)
    stored = {(r.path, Category.objects.get(pk=r.category_id).code): r.n
              for r in AreaDayCount.objects.filter(day=three_days_ago)}
    city, district_a, a1 = org["city"].path, org["district_a"].path, org["street_a1"].path
    assert stored[city, "0101"] == 2 and stored[district_a, "0101"] == 2 and stored[a1, "0101"] == 2
    assert stored[org["community_a1"].path, "0101"] == 1 and stored[org["street_a2"].path, "0201"] == 1
    assert {top: named(org, daily.counts(org[top].path, first, last, now)) for top in ("city", "district_a")} == \
        {"city": CITY, "district_a": DISTRICT}
    assert daily.refresh(now) == []                                    # nothing changed: nothing recomputed
    assert AreaDayCount.objects.filter(day=three_days_ago).count() == len(stored)


@pytest.mark.django_db
def test_stored_days_are_read_from_the_table_and_only_today_from_the_problems(org, week):
    now = timezone.now()
    daily.refresh(now)
    # a change that bypasses the services is not seen: the past days come from the stored rows
    Problem.objects.filter(pk=week["p3"].pk).update(area=org["street_b1"], area_path=org["street_b1"].path)
    first, last = last_week(now)
    with CaptureQueriesContext(connection) as ctx:
        counted = daily.counts(org["city"].path, first, last, now)
    assert named(org, counted) == CITY and len(ctx.captured_queries) == 3
    problems_sql = next(q["sql"] for q in ctx.captured_queries if "cases_problem" in q["sql"])
    assert "created_at" in problems_sql                                 # one day's range: today's
    daily.invalidate([daily.local_day(week["p3"].created_at)])          # forgotten: read from the problems again
    assert named(org, daily.counts(org["city"].path, first, last, now)) == \
        {("甲区", "0101"): 4, ("乙区", "0201"): 2}


@pytest.mark.django_db
def test_rejecting_a_problem_of_an_earlier_day_marks_the_day_and_the_figure_moves_at_once(org, personas, week):
    now = timezone.now()
    daily.refresh(now)
    first, last = last_week(now)
    workflow.perform(actor=personas["office_city"], problem=week["p2"], action="reject", reason="不属于创城范围")
    day = daily.local_day(week["p2"].created_at)
    assert list(AreaDayMark.objects.values_list("day", flat=True)) == [day]
    expected = {**DISTRICT, ("甲一街道", "0101"): 2}
    assert named(org, daily.counts(org["district_a"].path, first, last)) == expected   # before the sweeper
    assert daily.refresh() == [day] and not AreaDayMark.objects.exists()
    assert named(org, daily.counts(org["district_a"].path, first, last)) == expected   # after it
    assert AreaDayCount.objects.get(day=day, path=org["street_a1"].path).n == 1


@pytest.mark.django_db
def test_recomputing_a_day_twice_gives_the_same_rows_once(org, week):
    day = daily.local_day(week["p1"].created_at)
    first = daily.compute_day(day)
    rows = sorted(AreaDayCount.objects.filter(day=day).values_list("path", "category_id", "n"))
    assert daily.compute_day(day) == first == len(rows) == 7   # 0101: city, 甲区, 甲一街道, 甲一社区; 0201: city, 甲区, 甲二街道
    assert sorted(AreaDayCount.objects.filter(day=day).values_list("path", "category_id", "n")) == rows
    assert AreaDay.objects.filter(day=day).count() == 1


@pytest.mark.django_db
def test_the_sweep_command_fills_the_days(org, week):
    from io import StringIO

    out = StringIO()
    call_command("sweep", stdout=out)
    assert f"问题日汇总：重新汇总 {daily.KEEP_DAYS} 天" in out.getvalue()
    assert AreaDay.objects.count() == daily.KEEP_DAYS

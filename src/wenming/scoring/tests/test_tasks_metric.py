"""任务完成 in the period score, counted by hand over the city of conftest.py.

November, read as of 12-01 10:00. Tasks of the city's plan (issued 11-01) with a 完成时限 in November:
  T1 due 11-20, 责任单位 甲一街道, 甲二街道, 乙一街道; T2 due 11-25, 责任单位 甲一社区 (under 甲一街道).
  Not counted: T3 due 12-15 (after the period), T4 due 11-10 but never issued, T5 issued only on 12-02,
  T6 due 2025-12-20 (last year's: the component counts the year to date).
Reports:
  甲一 on T1: 100 % submitted 11-18, accepted 11-19 → on time
  甲一社区 on T2: 100 % submitted 11-27, accepted 11-28 → late (counts 50 %)
  甲二 on T1: 60 % accepted; 100 % submitted 11-19 but returned → not done
  乙一 on T1: 100 % submitted 11-19, accepted only on 12-02 (after the reading) → not done
So 甲一 (1 + 0.5) / 2 = 75.00; 甲二 0.00; 乙一 0.00.
Totals (the November figures of conftest.py with 任务完成 10 now counted, 问卷 still absent, out of 90):
  甲一 63.10 + 7.50 = 70.60 → 78.444 → 78.44 (the exposure −2 is entered when the test runs, after this reading)
  甲二 67.50 + 0 → 75.00;   乙一 77.50 + 0 → 86.11
"""

import datetime
from decimal import Decimal as D

import pytest

from wenming.plans.models import (
    Assignment,
    AssignmentRole,
    ProgressReport,
    ReportStatus,
    Task,
    TaskStatus,
    WorkPlan,
)
from wenming.scoring import metrics, services

from .conftest import at

pytestmark = pytest.mark.django_db


def _task(plan, seq, due, units, *, issued=at(11, 1)):
    task = Task.objects.create(plan=plan, seq=seq, content=f"任务{seq}", standard="标准", person="张三",
                               deadline=due, status=TaskStatus.ISSUED if issued else TaskStatus.DRAFT,
                               issued_at=issued)
    return {u.name: Assignment.objects.create(task=task, unit=u, unit_path=u.path, role=AssignmentRole.RESPONSIBLE)
            for u in units}


def _report(assignment, percent, submitted, reviewed, status=ReportStatus.ACCEPTED, personas=None):
    report = ProgressReport.objects.create(
        assignment=assignment, task=assignment.task, unit=assignment.unit, unit_path=assignment.unit_path,
        period_start=submitted.date() - datetime.timedelta(days=6), period_end=submitted.date(), percent=percent,
        narrative="进展", status=status, submitted_by=personas["handler_street_a1"],
        reviewed_by=personas["office_city"], reviewed_at=reviewed)
    ProgressReport.objects.filter(pk=report.pk).update(created_at=submitted)


@pytest.fixture
def tasks(city, org, personas):
    plan = WorkPlan.objects.create(owner=org["city"], title="2026年工作方案", year=2026,
                                   created_by=personas["office_city"])
    streets = [org["street_a1"], org["street_a2"], org["street_b1"]]
    t1 = _task(plan, 1, datetime.date(2026, 11, 20), streets)
    t2 = _task(plan, 2, datetime.date(2026, 11, 25), [org["community_a1"]])
    _task(plan, 3, datetime.date(2026, 12, 15), [org["street_a1"]])
    _task(plan, 4, datetime.date(2026, 11, 10), [org["street_a2"]], issued=None)
    _task(plan, 5, datetime.date(2026, 11, 30), [org["street_b1"]], issued=at(12, 2))
    _task(plan, 6, datetime.date(2025, 12, 20), [org["street_a2"]])
    _report(t1["甲一街道"], 100, at(11, 18), at(11, 19), personas=personas)
    _report(t2["甲一社区"], 100, at(11, 27), at(11, 28), personas=personas)
    _report(t1["甲二街道"], 60, at(11, 12), at(11, 13), personas=personas)
    _report(t1["甲二街道"], 100, at(11, 19), at(11, 20), status=ReportStatus.RETURNED, personas=personas)
    _report(t1["乙一街道"], 100, at(11, 19), at(12, 2), personas=personas)
    return plan


def test_the_tasks_component_counted_by_hand(tasks, city, org):
    first, last = datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)
    computed = {c.unit.name: c for c in services.compute_period(city["scheme"], first, last, at(12, 1))}
    parts = {name: {p.metric: p for p in c.parts} for name, c in computed.items()}
    a1, a2, b1 = (parts[n]["tasks"] for n in ("甲一街道", "甲二街道", "乙一街道"))
    assert (a1.score, a1.points, a1.detail) == (D("75.00"), D("7.50"), {"due": 2, "on_time": 1, "late": 1, "missed": 0})
    assert a1.text == "本年度截至期末到完成时限的任务2项：按时完成1项、逾期完成1项（按50%计）、未完成0项，得75.00分。"
    assert (a2.score, a2.detail["missed"]) == (D("0.00"), 1)
    assert (b1.score, b1.detail["missed"]) == (D("0.00"), 1)
    assert {n: c.total.total for n, c in computed.items()} == {
        "甲一街道": D("78.44"), "甲二街道": D("75.00"), "乙一街道": D("86.11")}


def test_the_late_share_is_the_schemes_and_a_unit_with_nothing_due_has_no_value(tasks, city, org):
    window = metrics.Window(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30), at(12, 1))
    units = {u.path: u.pk for u in (org["street_a1"], org["district_b"])}
    got = metrics.tasks(units, window, org["city"].path, {"late": 0})
    assert got[org["street_a1"].pk].score == D("50.00")          # the late one now counts nothing
    assert "（按0%计）" in got[org["street_a1"].pk].text
    # 乙区 (district B) holds 乙一街道's part: due and not done
    assert got[org["district_b"].pk].detail == {"due": 1, "on_time": 0, "late": 0, "missed": 1}
    # October: nothing due yet, so no value — the other components are scaled to 100
    october = metrics.Window(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31), at(11, 1))
    empty = metrics.tasks(units, october, org["city"].path, {"late": 50})
    assert empty[org["street_a1"].pk].score is None and empty[org["street_a1"].pk].text == "本期没有到完成时限的任务，不计。"

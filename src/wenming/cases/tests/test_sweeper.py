"""Deadlines on the official calendar and the 督办 ladder driven by the sweeper."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wenming.cases.escalation import sla, sweeper
from wenming.cases.intake import services as intake_services
from wenming.cases.models import (
    Escalation,
    Notification,
    Problem,
    State,
    SupervisionNotice,
)
from wenming.cases.workflow import services
from wenming.core.models import OutboundMessage
from wenming.core.tests.helpers import run_pending_tasks
from wenming.org.models import Patronage

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_deadline_crosses_national_day(category):
    # 3 working days from 2026-09-30 16:00: 10-01..10-07 are holidays, 10-08/09 work, Saturday 10-10 is a
    # make-up working day (调休) — so the deadline is Saturday 10-10 17:30
    start = datetime(2026, 9, 30, 16, 0, tzinfo=SH)
    assert sla.deadline_for(category, "normal", start) == datetime(2026, 10, 10, 17, 30, tzinfo=SH)
    # 暴露垃圾 has a 4-working-hour rule in the default table
    from wenming.cases.models import Category

    garbage = Category.objects.get(code="0101")
    assert sla.deadline_for(garbage, "normal", start) == datetime(2026, 10, 8, 11, 0, tzinfo=SH)


@pytest.fixture
def assigned(personas, org, intake):
    problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    deadline = timezone.now() + timedelta(days=3)
    return services.problem_assign(actor=personas["office_district_a"], problem=problem, unit=org["street_a1"],
                                   deadline=deadline)


@pytest.mark.django_db
def test_ladder_warn_notice_letter_bulletin(assigned, personas, org):
    problem = assigned
    Patronage.objects.create(patron_user=personas["leader"], target_unit=org["street_a1"])
    org["street_a1"].head_name = "王主任"
    org["street_a1"].save()
    handler = personas["handler_street_a1"]

    # before the warning time nothing happens
    assert sweeper.sweep(now=timezone.now()).claimed == 0

    # the warning
    report = sweeper.sweep(now=problem.deadline - timedelta(minutes=1))
    problem.refresh_from_db()
    assert report.actions == {"warn": 1} and problem.escalation == Escalation.WARNED
    assert problem.next_due_at == problem.deadline
    assert Notification.objects.filter(user=handler, title__startswith="即将到期").count() == 1

    # the deadline: overdue and a numbered 督办单 from the district office, with a new deadline
    at = problem.deadline + timedelta(minutes=1)
    report = sweeper.sweep(now=at)
    problem.refresh_from_db()
    notice = SupervisionNotice.objects.get(problem=problem)
    year = timezone.localtime(at).year
    assert report.actions == {"notice": 1}
    assert problem.is_overdue and problem.escalation == Escalation.NOTICE and problem.supervision_count == 1
    assert notice.number == f"甲创城督〔{year}〕1号" and notice.issuer == org["district_a"]  # 代字 from 甲区
    assert notice.unit == org["street_a1"] and notice.deadline > at
    assert problem.next_due_at == notice.deadline
    assert "已超过整改期限" in notice.body
    assert OutboundMessage.objects.filter(channel="sms", to="13800001234").exists()

    # still not fixed: a 督办函 to the unit's head and its patron leader
    report = sweeper.sweep(now=notice.deadline + timedelta(minutes=1))
    problem.refresh_from_db()
    letter = SupervisionNotice.objects.get(problem=problem, kind="letter")
    assert report.actions == {"letter": 1} and problem.escalation == Escalation.LETTER
    assert letter.number == f"甲创城督函〔{year}〕1号"
    assert "王主任" in letter.addressees and "周海涛" in letter.addressees
    assert Notification.objects.filter(user=personas["leader"], title__startswith="督办函").exists()

    # still not fixed: the next bulletin's 通报批评 list
    report = sweeper.sweep(now=letter.deadline + timedelta(minutes=1))
    problem.refresh_from_db()
    assert report.actions == {"bulletin": 1} and problem.in_bulletin and problem.next_due_at is None
    assert [e.action for e in problem.events.filter(actor__isnull=True)] == ["warn", "overdue", "notice", "letter",
                                                                             "bulletin"]


@pytest.mark.django_db
def test_notice_numbers_run_per_office_and_year(personas, org, intake):
    numbers = []
    for index in range(3):
        problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(address=f"路{index}号"))
        problem = services.problem_assign(actor=personas["office_district_a"], problem=problem,
                                          unit=org["street_a1"], deadline=timezone.now() + timedelta(hours=1))
        sweeper.sweep(now=problem.deadline + timedelta(minutes=1))
        numbers.append(SupervisionNotice.objects.get(problem=problem).seq)
    assert numbers == [1, 2, 3]


@pytest.mark.django_db
def test_two_sweepers_never_act_twice(assigned):
    problem = assigned
    at = problem.deadline + timedelta(minutes=1)
    Problem.objects.filter(pk=problem.pk).update(next_due_at=problem.deadline)
    stale_due = problem.deadline
    first = sweeper.sweep(now=at)
    # a second sweeper that read the row before the first claimed it finds the claim gone
    claimed = Problem.objects.filter(pk=problem.pk, next_due_at=stale_due).update(next_due_at=None)
    assert first.claimed == 1 and claimed == 0
    assert SupervisionNotice.objects.filter(problem=problem).count() == 1
    assert sweeper.sweep(now=at).claimed == 0


@pytest.mark.django_db
def test_submitting_stops_the_clock_and_rework_restarts_it(assigned, personas, make_photo):
    handler = personas["handler_street_a1"]
    problem = services.problem_sign(actor=handler, problem=assigned)
    problem = services.problem_submit(actor=handler, problem=problem, photos=[make_photo(handler)], note="好了")
    assert problem.next_due_at is None
    assert sweeper.sweep(now=problem.deadline + timedelta(days=30)).claimed == 0
    problem = services.problem_verify_fail(actor=personas["inspector"], problem=problem, reason="未清理干净")
    assert problem.state == State.RECTIFYING and problem.next_due_at is not None


@pytest.mark.django_db
def test_sweep_command(assigned, capsys):
    from django.core.management import call_command

    Problem.objects.filter(pk=assigned.pk).update(next_due_at=timezone.now() - timedelta(minutes=1))
    # the assignment's SMS whose queue entry was lost (its commit hook never ran here) is queued again
    OutboundMessage.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    call_command("sweep")
    out = capsys.readouterr().out
    assert "巡检：处理 1 件" in out and "重新提交未处理的短信/邮件 1 条" in out
    assert run_pending_tasks() == 1
    assert OutboundMessage.objects.get(body__contains="交办").status == "sent"


@pytest.mark.django_db
def test_pending_return_request_pauses_the_clock(assigned, personas, org):
    problem = services.problem_request_return(actor=personas["handler_street_a1"], problem=assigned,
                                              reason="不属于本街道")
    assert problem.next_due_at is None
    assert sweeper.sweep(now=problem.deadline + timedelta(days=3)).claimed == 0
    assert not SupervisionNotice.objects.exists()
    problem = services.problem_refuse_return(actor=personas["office_district_a"], problem=problem, reason="属于本街道")
    assert problem.next_due_at is not None

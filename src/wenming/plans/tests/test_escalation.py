"""An overdue task on the 督办 ladder: at the end of its 完成时限 a responsible unit not at 100 % gets a
numbered 督办单 from the sweeper, then a 督办函, then the 通报批评 list — the problems' ladder and documents,
the task instead of a problem; a unit that finished in time gets nothing."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from wenming.cases.models import Escalation, NoticeKind, Notification, SupervisionNotice
from wenming.core.models import OutboundMessage
from wenming.plans import escalation, services
from wenming.plans.models import Assignment
from wenming.plans.services_reports import report_review, report_submit
from wenming.plans.targets import parse_target

from .test_plans import text

pytestmark = pytest.mark.django_db

TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(month, day, hour=9):
    return datetime.datetime(2026, month, day, hour, tzinfo=TZ)


@pytest.fixture
def task(plan, personas, org):
    office = personas["office_city"]
    task = services.task_save(actor=office, plan=plan, item=services.TaskInput(
        seq=1, content="主次干道路灯全部亮灯", standard="每周巡查", person="张三", deadline=datetime.date(2026, 5, 29),
        target=parse_target("主干道亮灯率=100%"), responsible=[org["street_a1"], org["street_a2"]]))
    services.plan_issue(actor=office, plan=plan, sms=False)
    return task


def part(task, unit):
    return Assignment.objects.select_related("task__stage", "task__plan", "unit").get(task=task, unit=unit)


def test_the_ladder_of_an_overdue_task(task, personas, org, login):
    # street A2 finished on time: 100 % accepted before the deadline
    done = report_submit(actor=personas["handler_street_a2"], assignment=part(task, org["street_a2"]), percent=100,
                         narrative="全部亮灯", day=datetime.date(2026, 5, 25))
    report_review(actor=personas["office_city"], report=done, accept=True)
    mine = part(task, org["street_a1"])
    assert mine.next_due_at == datetime.datetime(2026, 5, 29, 17, 30, tzinfo=TZ)   # the end of the office day
    assert escalation.sweep(now=at(5, 29, 17)).claimed == 0                        # not yet

    # Friday 29 May 17:30 passed: 逾期 and a 督办单 with two working days (Tuesday 2 June, 17:30)
    swept = escalation.sweep(now=at(5, 29, 18))
    assert swept.claimed == 2 and swept.actions == {"notice": 1}
    notice = SupervisionNotice.objects.get()
    assert notice.task == task and notice.problem is None and notice.unit == org["street_a1"]
    assert notice.kind == NoticeKind.NOTICE and re.fullmatch(r".+督〔2026〕1号", notice.number)
    assert notice.issuer == org["district_a"]                       # the office above the unit signs
    assert "第1项任务“主次干道路灯全部亮灯”" in notice.body and "目标主干道亮灯率=100%" in notice.body
    mine.refresh_from_db()
    assert mine.escalation == Escalation.NOTICE and mine.overdue_at == at(5, 29, 17).replace(minute=30)
    assert mine.notice_deadline == datetime.datetime(2026, 6, 2, 17, 30, tzinfo=TZ)
    assert part(task, org["street_a2"]).escalation == Escalation.NONE   # finished: nothing
    told = Notification.objects.get(user=personas["handler_street_a1"], title__startswith="督办单")
    assert told.url == f"/plans/tasks/{task.pk}/"
    assert OutboundMessage.objects.filter(channel="sms").count() == 1
    assert escalation.sweep(now=at(5, 30)).claimed == 0            # nothing more until the new deadline

    # the notice reads like any 督办单, and links its task for those who may open it
    handler = login("handler_street_a1")
    page = text(handler.get(f"/problems/notices/{notice.pk}/"))
    assert "工作方案 2026年创建全国文明城市工作方案" in page and "第1项 主次干道路灯全部亮灯" in page
    assert "查看任务" in page
    assert handler.get(f"/problems/notices/{notice.pk}/docx/").status_code == 200
    listing = text(handler.get("/problems/notices/"))
    assert "2026年创建全国文明城市工作方案第1项" in listing
    assert login("handler_street_a2").get(f"/problems/notices/{notice.pk}/").status_code == 404

    # its deadline passed: a 督办函; that passed: the 通报批评 list
    assert escalation.sweep(now=at(6, 3)).actions == {"letter": 1}
    letter = SupervisionNotice.objects.get(kind=NoticeKind.LETTER)
    assert "此前已下发督办单，仍未完成" in letter.body and letter.missed_deadline == mine.notice_deadline
    mine.refresh_from_db()
    assert mine.escalation == Escalation.LETTER
    assert escalation.sweep(now=at(6, 10)).actions == {"bulletin": 1}
    mine.refresh_from_db()
    assert mine.in_bulletin and mine.escalation == Escalation.BULLETIN and mine.next_due_at is None
    assert escalation.sweep(now=at(7, 1)).claimed == 0


def test_the_sweep_command_runs_the_task_ladder(task, monkeypatch, capsys):
    monkeypatch.setattr(timezone, "now", lambda: at(6, 1))
    call_command("sweep")
    assert "任务督办：处理 2 项（notice 2）" in capsys.readouterr().out
    assert SupervisionNotice.objects.filter(task=task).count() == 2

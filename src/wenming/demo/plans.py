"""Demo work plan (工作方案), through the real services and the real importer: the city office's plan for
the year with its five stages, its 60 tasks imported from the sample 任务分解表 shipped with the product
(plans/samples/任务分解表示例.csv, its dates moved to the demo's year), 下发 in January; the units' progress
reports over the year — most accepted, some waiting for review, a few returned — so that the matrix shows
every state; three meetings (a 领导小组会议, a 调度会, a 现场会) whose decisions became tasks; and two new
draft tasks still lacking some of the 四明确 (flagged on the plan's page).

Every report is made by the unit's own office or handler (or the office above a unit without one) on the
simulation's clock, at the end of the week it reports on."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from wenming.org.models import Membership, Role
from wenming.plans import services, services_meetings, services_reports, transfer
from wenming.plans.models import Assignment, AssignmentRole, Cadence, TaskStatus
from wenming.plans.targets import parse_target
from wenming.standards.services import load_builtin

from .org import CITY_DOC_CODE, DemoOrg
from .small import simulated_clock

SAMPLE = Path(__file__).resolve().parents[1] / "plans" / "samples" / "任务分解表示例.csv"
SAMPLE_YEAR = "2026"
STAGES = [("宣传发动", (1, 1), (2, 28), Cadence.WEEKLY), ("自查自纠", (3, 1), (4, 30), Cadence.WEEKLY),
          ("整改提高", (5, 1), (8, 31), Cadence.WEEKLY), ("迎接检查", (9, 1), (11, 30), Cadence.DAILY),
          ("总结表彰", (12, 1), (12, 31), Cadence.WEEKLY)]


@dataclass
class PlansResult:
    tasks: int = 0
    issued: int = 0
    flagged: int = 0
    reports: int = 0
    accepted: int = 0
    waiting: int = 0
    returned: int = 0
    meetings: int = 0
    decisions: int = 0

    def summary(self) -> str:
        return (f"  工作方案：1 个方案，任务 {self.tasks} 项（已下发 {self.issued} 项，四明确不全的草稿 {self.flagged} 项，"
                f"其中会议议定事项 {self.decisions} 项）；进度报告 {self.reports} 份（已采纳 {self.accepted}、"
                f"待审核 {self.waiting}、退回 {self.returned}）；会议 {self.meetings} 次")


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _reporter(assignment: Assignment, office, staff: dict[int, object]):
    """The unit's own office or handler, else the city office (an office above may report for it)."""
    return staff.get(assignment.unit_id) or office


def build_plans(org: DemoOrg, *, seed: int = 2026, now: datetime.datetime | None = None) -> PlansResult:
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    year = today.year
    office = org.personas["office_city"].user
    rng = random.Random(seed + 13)
    result = PlansResult()
    issued_on = datetime.date(year, 1, 6)
    with simulated_clock(lambda: _at(datetime.date(year, 1, 4))):
        plan = services.plan_create(actor=office, owner=org.city, title=f"{year}年创建全国文明城市工作方案", year=year,
                                    doc_number=f"{CITY_DOC_CODE}发〔{year}〕1号", system=load_builtin(),
                                    body="一、总体要求\n以测评体系为标准，以问题整改为抓手，全面提升城市文明程度。\n"
                                         "二、工作安排\n分宣传发动、自查自纠、整改提高、迎接检查、总结表彰五个阶段推进。")
        for name, first, last, cadence in STAGES:
            services.stage_save(actor=office, plan=plan, name=name, start=datetime.date(year, *first),
                                end=datetime.date(year, *last), cadence=cadence)
        data = SAMPLE.read_bytes().decode("utf-8-sig").replace(f"{SAMPLE_YEAR}-", f"{year}-").encode("utf-8")
        report = transfer.import_tasks(actor=office, plan=plan, data=data, filename=SAMPLE.name)
        if not report.ok:  # the shipped sample must import into the demo city: a defect otherwise
            raise RuntimeError("任务分解表示例导入失败：" + "；".join(str(e) for e in report.errors[:5]))
    meetings = _meetings(year, today)
    _hold(meetings[:1], org, office, plan, result)   # the leading group adopts the plan before it is 下发
    with simulated_clock(lambda: _at(issued_on, 9)):
        services.plan_issue(actor=office, plan=plan, sms=False)

    # the units' staff who sign and report: an office or handler at the unit
    staff: dict[int, object] = {}
    for unit_id, user in (Membership.objects.filter(role__in=[Role.OFFICE, Role.HANDLER], is_active=True,
                                                    user__is_active=True).select_related("user")
                          .order_by("role", "id").values_list("unit_id", "user")):
        staff.setdefault(unit_id, user)
    from wenming.org.models import User

    users = {u.pk: u for u in User.objects.filter(pk__in=set(staff.values()))}
    staff = {unit_id: users[user_id] for unit_id, user_id in staff.items()}

    assignments = list(Assignment.objects.filter(task__plan=plan, role=AssignmentRole.RESPONSIBLE)
                       .select_related("task", "task__stage", "task__plan", "unit").order_by("task__seq", "unit__path"))
    for assignment in assignments:
        task = assignment.task
        start = task.stage.start if task.stage else issued_on
        end = min(task.deadline, today - datetime.timedelta(days=1))
        if end <= start or rng.random() < 0.12:   # a few units never reported
            continue
        # two to four reports over the task's time, the last one's percent by how the unit is doing; most units
        # finish a task whose 完成时限 has passed with a report of 100 % by the deadline, some a few days late
        count = rng.randint(2, 4)
        ability = rng.uniform(0.45, 1.05)
        finish = None
        if task.deadline < today and rng.random() < 0.88:
            finish = (task.deadline - datetime.timedelta(days=rng.randint(0, 3)) if rng.random() < 0.9
                      else min(task.deadline + datetime.timedelta(days=rng.randint(1, 6)), today - datetime.timedelta(days=1)))
            finish = max(finish, start + datetime.timedelta(days=1))
            end = finish - datetime.timedelta(days=1)
        days = sorted({start + datetime.timedelta(days=rng.randint(0, (end - start).days))
                       for _ in range(count - (finish is not None))})
        if finish is not None:
            days.append(finish)
        for index, day in enumerate(days):
            share = (day - start).days / max((task.deadline - start).days, 1)
            percent = max(5, min(100, round(100 * min(1.0, share * ability + 0.1) / 5) * 5))
            last = index == len(days) - 1
            if last and finish is not None:
                percent = 100
            actor = _reporter(assignment, office, staff)
            measured = None
            if task.has_target and task.target_unit == "%":
                measured = round(float(task.target_value) * min(1.05, percent / 100 + rng.uniform(-0.05, 0.05)), 1)
            with simulated_clock(lambda day=day: _at(day, 16)):
                done = services_reports.report_submit(
                    actor=actor, assignment=Assignment.objects.select_related("task__stage", "unit").get(
                        pk=assignment.pk),
                    percent=percent, measured=measured, day=day,
                    narrative=f"{assignment.unit.name}：本期完成{percent}%，" + rng.choice(
                        ["已召开专题会议部署", "已完成排查建档", "问题已逐项整改", "正在组织集中整治", "已落实专人负责"]))
            result.reports += 1
            waiting = last and finish is None and rng.random() < 0.15
            if waiting:
                result.waiting += 1
                continue
            returned = not last and rng.random() < 0.08
            with simulated_clock(lambda day=day: _at(day + datetime.timedelta(days=1), 11)):
                services_reports.report_review(actor=office, report=done, accept=not returned,
                                               note="佐证材料不全，请补充现场照片" if returned else "")
            if returned:
                result.returned += 1
            else:
                result.accepted += 1

    _hold(meetings[1:], org, office, plan, result)   # their decisions are 下发 with the two below
    with simulated_clock(lambda: now - datetime.timedelta(hours=2)):
        services.plan_issue(actor=office, plan=plan, sms=False)
        # two tasks the office has started on but not completed: flagged, not yet 下发
        district = org.districts[0] if org.districts else org.city
        for content, person in (("年度创文工作总结和先进表彰", ""), ("创城档案材料查漏补缺", "市文明办副主任")):
            services.task_save(actor=office, plan=plan, item=services.TaskInput(
                seq=plan.tasks.order_by("-seq").values_list("seq", flat=True).first() + 1,
                content=content, person=person, responsible=[district]))
            result.flagged += 1
    result.tasks = plan.tasks.count()
    result.issued = plan.tasks.filter(status=TaskStatus.ISSUED).count()
    return result


def _meetings(year: int, today: datetime.date) -> list:
    """(kind, title, held on, chair, minutes, decisions: (content, responsible, person, target, deadline))."""
    return [
        ("leading_group", f"{year}年创建全国文明城市工作领导小组第一次会议", datetime.date(year, 1, 5),
         "市委书记", "审议通过年度工作方案和任务分解表，明确各责任单位职责。",
         [("建立市领导包保街道工作机制，每月到包保街道督导不少于1次", "各区", "市委办公室主任", "包保督导覆盖率=100%",
           datetime.date(year, 3, 31))]),
        ("dispatch", f"全市创文工作第{max(1, today.isocalendar().week // 4)}次调度会",
         max(datetime.date(year, 1, 10), today - datetime.timedelta(days=8)), "分管副市长",
         "通报近期测评发现的问题，部署农贸市场和背街小巷集中整治。",
         [("两周内完成农贸市场周边占道经营整治", "各区", "市市场监管局分管副局长", "占道经营点位=0个", None),
          ("背街小巷路灯缺失问题限期修复", "各街道", "市城管局市政科科长", "背街小巷亮灯率≥98%", None)]),
        ("on_site", "背街小巷环境整治现场推进会", max(datetime.date(year, 1, 12), today - datetime.timedelta(days=40)),
         "市文明办主任", "现场查看背街小巷整治情况，推广先进街道经验。", []),
    ]


def _hold(meetings: list, org: DemoOrg, office, plan, result: PlansResult) -> None:
    """Record the meetings; each decision becomes the plan's next task."""
    for kind, title, held_on, chair, minutes, decisions in meetings:
        with simulated_clock(lambda held_on=held_on: _at(held_on, 17)):
            meeting = services_meetings.meeting_save(actor=office, owner=org.city, kind=kind, title=title,
                                                     held_on=held_on, chair=chair, place="市政府第一会议室",
                                                     attendees="市创建办及各区、市直有关部门负责同志",
                                                     minutes=minutes)
            result.meetings += 1
            for content, responsible, person, target, until in decisions:
                units = transfer.UnitDirectory(org.city).find(responsible)[0]
                deadline = until or min(held_on + datetime.timedelta(days=14), datetime.date(held_on.year, 12, 31))
                services_meetings.decision_add(actor=office, meeting=meeting, plan=plan, item=services.TaskInput(
                    seq=None, content=content, standard="按会议要求落实，按期报送进展", person=person, deadline=deadline,
                    target=parse_target(target), responsible=units))
                result.decisions += 1


# --- city scale ----------------------------------------------------------------------------------------------

def generated_sheet(org, rows: int, seed: int, year: int) -> bytes:
    """A generated 任务分解表 of ``rows`` tasks over the city's districts, streets and departments."""
    from wenming.core.sheets import workbook_bytes

    generator = random.Random(seed)
    areas = [u.code for u in org.districts + org.streets]
    leads = [u.code for u in org.departments[:20]] or [org.city.code]
    data = []
    for seq in range(1, rows + 1):
        day = datetime.date(year, 1, 1) + datetime.timedelta(days=generator.randint(30, 360))
        data.append([seq, "", "", f"第{seq}项重点任务：按测评体系要求完成整治", "按测评体系逐项达标",
                     generator.choice(leads), "、".join(generator.sample(areas, generator.randint(1, 3))),
                     f"责任人{seq % 97}", day.isoformat(), f"达标率≥{generator.choice([80, 85, 90, 95])}%", 1, ""])
    return workbook_bytes("任务分解表", transfer.COLUMNS, data)


CITY_TASKS = 2_000


def build_city_plans(org: DemoOrg, *, seed: int = 2026, tasks: int = CITY_TASKS) -> int:
    """The city's plan of ``tasks`` tasks imported from a generated 任务分解表 (each led by a city department and
    assigned to one to three districts or streets), 下发, with an accepted report on a third of the units' parts
    (bulk)."""
    office = org.personas["office_city"].user
    year = timezone.localdate().year
    plan = services.plan_create(actor=office, owner=org.city, title=f"{year}年创建全国文明城市工作方案（城市规模）",
                                year=year, system=load_builtin())
    report = transfer.import_tasks(actor=office, plan=plan, data=generated_sheet(org, tasks, seed, year),
                                   filename="任务分解表.xlsx")
    if not report.ok:
        raise RuntimeError("任务分解表导入失败：" + "；".join(str(e) for e in report.errors[:5]))
    services.plan_issue(actor=office, plan=plan, sms=False)
    bulk_reports(plan, office, seed)
    return plan.tasks.count()


def bulk_reports(plan, office, seed: int) -> int:
    """An accepted report on a third of the units' parts of ``plan``, in bulk (for the city scale and the benchmark:
    the pages are what is measured, not the writes)."""
    from wenming.plans.models import ProgressReport, ReportStatus

    generator = random.Random(seed)
    now = timezone.now()
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    rows = [ProgressReport(assignment_id=a.pk, task_id=a.task_id, unit_id=a.unit_id, unit_path=a.unit_path,
                           period_start=monday, period_end=monday + datetime.timedelta(days=6),
                           percent=generator.randint(1, 20) * 5, narrative="按计划推进", status=ReportStatus.ACCEPTED,
                           submitted_by=office, reviewed_by=office, reviewed_at=now, created_at=now, updated_at=now)
            for a in Assignment.objects.filter(task__plan=plan, role=AssignmentRole.RESPONSIBLE).order_by("pk")
            if generator.random() < 0.34]
    ProgressReport.objects.bulk_create(rows, batch_size=2000)
    return len(rows)

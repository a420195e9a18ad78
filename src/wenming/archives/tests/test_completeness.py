"""The completeness matrix, the links the platform collects by itself and the 迎检 readiness report, each
counted by hand over the persona city: three streets with a 街道办事处 point, one community with a 社区
point, and the 46 requirements the built-in system's 19 材料审核 items give (17 of 街道办事处 points,
22 of 社区 points, the other 7 of point types nobody here runs)."""

import datetime
import re

import pytest
from openpyxl import load_workbook

from wenming.archives import collect, completeness, readiness, sweep
from wenming.archives.models import Evidence, EvidenceStatus, Reminder, Source
from wenming.cases.models import Notification, PhotoPhase, Problem, ProblemPhoto, State
from wenming.core.models import Photo
from wenming.inspections import services as inspect
from wenming.inspections.models import ItemResult, RoundPoint
from wenming.plans import services as plans
from wenming.plans import services_meetings, services_reports
from wenming.plans.models import Assignment
from wenming.plans.targets import parse_target
from wenming.standards.models import CheckItem

from .conftest import pdf

pytestmark = pytest.mark.django_db
YEAR = 2026


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def put(requirement, unit, status, year=YEAR, n=1):
    for _ in range(n):
        Evidence.objects.create(requirement=requirement, unit=unit, unit_path=unit.path, year=year, title="材料",
                                status=status)


@pytest.fixture
def filled(requirements, org):
    """By hand: JD01-1 (规范文件, 1 份, 长期有效) — street A1 passed in 2024 (counts: it stands), A2 waiting,
    B1 returned; JD06-2 (活动记录, 3 份, 当年) — A1 two passed this year and one last year (does not count), A2
    three passed, B1 nothing; SQ12G-2 (活动记录, 8 份, 近2年度) — the community five in 2025 and three in 2026
    (8), and four in 2024 (outside the window)."""
    r = requirements
    a1, a2, b1, community = org["street_a1"], org["street_a2"], org["street_b1"], org["community_a1"]
    put(r["JD01-1"], a1, EvidenceStatus.ACCEPTED, year=2024)
    put(r["JD01-1"], a2, EvidenceStatus.SUBMITTED)
    put(r["JD01-1"], b1, EvidenceStatus.RETURNED)
    put(r["JD06-2"], a1, EvidenceStatus.ACCEPTED, n=2)
    put(r["JD06-2"], a1, EvidenceStatus.ACCEPTED, year=2025)
    put(r["JD06-2"], a2, EvidenceStatus.ACCEPTED, n=3)
    put(r["SQ12G-2"], community, EvidenceStatus.ACCEPTED, year=2025, n=5)
    put(r["SQ12G-2"], community, EvidenceStatus.ACCEPTED, n=3)
    put(r["SQ12G-2"], community, EvidenceStatus.ACCEPTED, year=2024, n=4)
    return r


def test_the_matrix_counted_by_hand(filled, org, personas, login):
    from wenming.archives import selectors

    matrix = selectors.matrix(personas["office_city"], YEAR)
    assert len(matrix.requirements) == 46
    assert matrix.size == 17 * 3 + 22 * 1 == 73
    assert matrix.totals == {"complete": 3, "partial": 2, "rejected": 1, "missing": 67}
    cell = matrix.cell(filled["JD06-2"].pk, org["street_a1"].pk)
    assert (cell.accepted, cell.needed, cell.state) == (2, 3, "partial")
    cell = matrix.cell(filled["SQ12G-2"].pk, org["community_a1"].pk)
    assert (cell.accepted, cell.needed, cell.state) == (8, 8, "complete")
    assert matrix.cell(filled["JD01-1"].pk, org["street_b1"].pk).state == "rejected"
    assert matrix.cell(filled["JD06-2"].pk, org["street_b1"].pk).state == "missing"
    assert matrix.by_unit[org["street_a1"].pk] == {"complete": 1, "partial": 1, "rejected": 0, "missing": 15}
    assert matrix.complete_share == round(3 * 100 / 73, 1) == 4.1
    # a year later the 当年 records and the 2025 ones of the two-year window no longer count; standing ones do
    later = selectors.matrix(personas["office_city"], YEAR + 1)
    assert later.totals == {"complete": 1, "partial": 2, "rejected": 1, "missing": 69}
    assert later.cell(filled["SQ12G-2"].pk, org["community_a1"].pk).accepted == 3
    # district A's office: its two streets and the community (17 × 2 + 22)
    district = selectors.matrix(personas["office_district_a"], YEAR)
    assert district.size == 56 and district.totals == {"complete": 3, "partial": 2, "rejected": 0, "missing": 51}

    # the page shows the same figures, its filter and its export
    office = login("office_city")
    page = text(office.get("/archives/?year=2026"))
    assert "应备 73 项（单位×要求）：齐全 3，部分 2，退回 1，缺失 67；齐全率 4.1%" in page
    page = text(office.get("/archives/matrix/?year=2026&state=rejected"))
    assert "乙一街道" in page and "甲二街道" not in page
    response = office.get("/archives/matrix/export/?year=2026")
    sheet = load_workbook(__import__("io").BytesIO(response.content)).active
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    header = rows["单位"]
    column = header.index(f"JD06-2 {filled['JD06-2'].title}")
    assert rows["甲一街道"][column] == "部分（2/3）" and rows["甲二街道"][column] == "齐全（3/3）"
    assert rows["甲一街道"][-4:] == (1, 1, 0, 15)
    assert len(rows) == 1 + 4   # the header and the four units


def passing(item):
    kind, params = item.rule_kind, item.params
    if kind == "verdict":
        return inspect.Answer(verdict="pass")
    if kind == "grade" and params.get("by") == "conditions":
        return inspect.Answer(met=len(params["conditions"]))
    if kind == "grade":
        return inspect.Answer(rate="100")
    if kind == "threshold":
        return inspect.Answer(count=str(params["min"] + 1))
    return inspect.Answer(count="0")


def failing(item):
    if item.rule_kind == "verdict":
        return inspect.Answer(verdict="fail", note="无材料")
    return inspect.Answer(met=0, note="均不满足")


def inspected(personas, org, system, points, fail: dict[str, set[str]]):
    """A round of the city over every point, the three 街道办事处 points inspected (by the city office, who plans
    and runs it); ``fail``: point key → the item codes that fail there."""
    office = personas["office_city"]
    round_ = inspect.round_create(actor=office, title="第49周测评", kind="weekly", system=system, owner=org["city"],
                                  scope_units=[org["city"]], period_start=datetime.date(2026, 11, 30),
                                  period_end=datetime.date(2026, 12, 6))
    inspect.round_sample(actor=office, round_=round_)
    inspect.round_assign(actor=office, round_=round_, inspectors=[personas["inspector"]])
    inspect.round_open(actor=office, round_=round_)
    for key in ("jd_a1", "jd_a2", "jd_b1"):
        row = RoundPoint.objects.select_related("round", "point").get(round=round_, point=points[key])
        items = inspect.items_for(row)
        answers = {i.pk: (failing(i) if i.code in fail.get(key, set()) else passing(i)) for i in items}
        inspect.inspection_submit(actor=personas["inspector"], round_point=row, answers=answers, submit_key=key)
    return round_


def test_the_platform_links_what_it_holds(requirements, org, personas, system, points):
    office = personas["office_city"]
    # JD09 fails at street A1 and raises a problem, which is then closed with an after-photo
    inspected(personas, org, system, points, {"jd_a1": {"JD09"}})
    problem = ItemResult.objects.get(item__code="JD09", failed=True).problem
    photo = Photo.objects.create(image="photos/after.jpg", thumbnail="photos/after-t.jpg", width=1, height=1,
                                 sha256="0" * 64, uploaded_by=office)
    ProblemPhoto.objects.create(problem=problem, photo=photo, phase=PhotoPhase.AFTER)
    Problem.objects.filter(pk=problem.pk).update(state=State.CLOSED, closed_at=datetime.datetime(2026, 12, 1, 3, 0,
                                                                                                 tzinfo=datetime.UTC))
    # a plan's task on indicator 0101, street A1 responsible; its accepted report
    indicator = CheckItem.objects.get(system=system, code="JD01").indicator
    plan = plans.plan_create(actor=office, owner=org["city"], title="方案", year=YEAR, system=system)
    task = plans.task_save(actor=office, plan=plan, item=plans.TaskInput(
        seq=1, content="开展邻居节", standard="每季度一次", person="张三", deadline=datetime.date(2026, 12, 31),
        target=parse_target("活动次数≥4次"), responsible=[org["street_a1"]], indicators=[indicator]))
    plans.plan_issue(actor=office, plan=plan, sms=False)
    report = services_reports.report_submit(actor=personas["handler_street_a1"], percent=50, narrative="已开展两次",
                                            assignment=Assignment.objects.get(task=task))
    services_reports.report_review(actor=office, report=report, accept=True)
    # a meeting of street A1 whose decision is a task of that indicator
    meeting = services_meetings.meeting_save(actor=office, owner=org["street_a1"], kind="dispatch", title="街道调度会",
                                             held_on=datetime.date(2026, 11, 20), minutes="研究邻居节安排")
    services_meetings.decision_add(actor=office, meeting=meeting, plan=plan, item=plans.TaskInput(
        seq=2, content="邻居节", indicators=[indicator], responsible=[org["street_a1"]]))

    result = collect.collect()
    links = {(e.requirement.code, e.unit.name, e.source) for e in Evidence.objects.select_related("requirement", "unit")}
    by_hand = {
        # the closed problem with its after-photo: JD09's 实景图片 (明显标志) of street A1
        ("JD09-4", "甲一街道", Source.PROBLEM),
        # JD09 passed at A2 and B1 (A1 failed): the 活动记录 of the item's passed results; 实景图片 needs photos
        ("JD09-2", "甲二街道", Source.INSPECTION), ("JD09-2", "乙一街道", Source.INSPECTION),
        # the accepted report: every 活动记录 and 情况说明 of indicator 0101 for street A1
        ("JD01-2", "甲一街道", Source.REPORT), ("JD04-1", "甲一街道", Source.REPORT),
        ("JD06-2", "甲一街道", Source.REPORT), ("JD07-2", "甲一街道", Source.REPORT),
        ("JD09-2", "甲一街道", Source.REPORT), ("JD12-2", "甲一街道", Source.REPORT),
        # the meeting's minutes: the 会议纪要 of indicator 0101 (JD02-2 学习记录) of street A1
        ("JD02-2", "甲一街道", Source.MEETING),
    }
    passed_records = {(f"{code}-{n}", street, Source.INSPECTION)
                      for code, n in (("JD01", 2), ("JD04", 1), ("JD06", 2), ("JD07", 2))
                      for street in ("甲一街道", "甲二街道", "乙一街道")}
    assert links == by_hand | passed_records
    assert (result.added, result.removed) == (len(by_hand | passed_records), 0)
    assert Evidence.objects.exclude(status=EvidenceStatus.ACCEPTED).count() == 0
    # nothing is copied: a link holds no file
    assert not Evidence.objects.filter(files__isnull=False).exists()
    # the same again adds nothing; a re-opened problem takes its link away
    assert collect.collect().added == 0
    Problem.objects.filter(pk=problem.pk).update(state=State.RECTIFYING)
    again = collect.collect()
    assert (again.added, again.removed) == (0, 1)
    assert not Evidence.objects.filter(source=Source.PROBLEM).exists()


def test_reminders_before_the_due_date_once(filled, org, personas):
    r = filled["JD06-2"]
    r.due_date = datetime.date(2026, 12, 10)
    r.save()
    sent = sweep.remind(today=datetime.date(2026, 12, 2))
    assert sent == 0   # more than 7 days before
    sent = sweep.remind(today=datetime.date(2026, 12, 3))
    # street A2 is complete; A1 (partial) and B1 (missing) are reminded — their handlers
    assert sent == 2
    assert set(Reminder.objects.values_list("unit__name", flat=True)) == {"甲一街道", "乙一街道"}
    titles = list(Notification.objects.filter(user=personas["handler_street_a1"]).values_list("title", flat=True))
    assert titles == [f"档案材料将于12月10日到期：JD06-2 {r.title}（部分，已合格2/3份）"[:120]]
    assert sweep.remind(today=datetime.date(2026, 12, 6)) == 0        # once
    assert sweep.remind(today=datetime.date(2026, 12, 10)) == 2       # and on the day


def test_the_readiness_report_counted_by_hand(filled, org, personas, system, points, login):
    office = personas["office_city"]
    # JD01 fails at streets A1 and A2, JD02 at A1: three problems at sampled points, all open
    round_ = inspected(personas, org, system, points, {"jd_a1": {"JD01", "JD02"}, "jd_a2": {"JD01"}})
    plan = plans.plan_create(actor=office, owner=org["city"], title="2026年创文工作方案", year=YEAR)
    stage = plans.stage_save(actor=office, plan=plan, name="整改提高", start=datetime.date(2026, 3, 1),
                             end=datetime.date(2026, 12, 31))

    def task(seq, deadline):
        return plans.task_save(actor=office, plan=plan, item=plans.TaskInput(
            seq=seq, content=f"任务{seq}", standard="标准", person="张三", deadline=deadline, stage=stage,
            target=parse_target("完成率=100%"), responsible=[org["street_a1"]]))

    lagging = task(1, datetime.date(2026, 12, 31))    # 280 of 305 days used, 0 % done: 滞后
    overdue = task(2, datetime.date(2026, 11, 30))    # past its deadline at 0 %: 逾期
    done = task(3, datetime.date(2026, 12, 31))       # reported 100 %: on track
    plans.plan_issue(actor=office, plan=plan, sms=False)
    report = services_reports.report_submit(actor=personas["handler_street_a1"], percent=100, narrative="完成",
                                            assignment=Assignment.objects.get(task=done))
    services_reports.report_review(actor=office, report=report, accept=True)

    report = readiness.build(office, day=datetime.date(2026, 12, 6))
    assert report.matrix.totals == {"complete": 3, "partial": 2, "rejected": 1, "missing": 67}
    gaps = {g.requirement.code: g for g in report.gaps}
    # every requirement with a unit short of it: all but SQ12G-2 (complete) and the 7 that apply to no unit here
    assert len(gaps) == 46 - 1 - 7
    assert "SQ12G-2" not in gaps and "WHZX03-1" not in gaps
    assert [(u.name, c.state) for u, c in gaps["JD01-1"].units] == [("甲二街道", "partial"), ("乙一街道", "rejected")]
    assert [(t.task.seq, t.overdue) for t in report.tasks] == [(overdue.seq, True), (lagging.seq, False)]
    assert report.round == round_ and report.sampled_points == 4 and report.problem_count == 3
    assert {p.unit_id for p in report.problems} <= {org["street_a1"].pk, org["street_a2"].pk}
    weakest = [(w.item.code, w.results, w.failed, w.pass_rate) for w in report.weakest]
    assert weakest == [("JD01", 3, 2, 33.3), ("JD02", 3, 1, 66.7)]

    page = text(login("office_city").get("/archives/readiness/"))
    assert "应备 73 项（单位×要求）：齐全 3，部分 2，退回 1，缺失 67；齐全率 4.1%" in page
    assert "所辖抽样点位 4 个，其上未销号问题 3 个" in page and "任务2" in page and "逾期" in page
    # district A's office does not see the city's round before it is published (it may be a 暗访): no problems,
    # no items; its own materials and nothing of street B1
    district = readiness.build(personas["office_district_a"], day=datetime.date(2026, 12, 6))
    assert district.round is None and district.weakest == [] and district.tasks == []
    assert district.matrix.totals["rejected"] == 0
    assert "乙一街道" not in text(login("office_district_a").get("/archives/readiness/"))
    assert completeness.STATE_LABELS[gaps["JD01-1"].units[0][1].state] == "部分"


def test_pages_do_not_grow_queries_with_rows(requirements, org, personas, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wenming.archives import services

    office, handler = login("office_city"), login("handler_street_a1")
    record = requirements["JD06-2"]
    url = f"/archives/requirements/{record.pk}/?unit={org['street_a1'].pk}&year=2026"

    def counts():
        found = []
        for client, page in ((office, "/archives/?year=2026"), (office, "/archives/matrix/?year=2026"),
                             (office, url), (office, "/archives/waiting/"), (office, "/archives/readiness/"),
                             (handler, "/archives/?year=2026")):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(page).status_code == 200
            found.append(len(captured))
        return found

    def upload(n):
        return services.evidence_upload(actor=personas["handler_street_a1"], requirement=record, unit=org["street_a1"],
                                        year=2026, title=f"活动记录{n}", files=[(pdf(marker=str(n)), f"{n}.pdf")])

    services.evidence_review(actor=personas["office_city"], evidence=upload(0), accept=True)
    upload(1)
    before = counts()
    for n in range(2, 8):
        evidence = upload(n)
        if n % 2:
            services.evidence_review(actor=personas["office_city"], evidence=evidence, accept=True)
    assert counts() == before

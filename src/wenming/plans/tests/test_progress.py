"""Progress: units report on their part (files checked by content), the lead unit or the office accepts
or returns, and the roll-up unit → task → stage → plan with the 滞后 and 逾期 flags, computed by hand."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wenming.cases.models import Notification
from wenming.core.models import AuditEvent
from wenming.plans import progress, selectors, services
from wenming.plans.models import Assignment, ProgressReport, ReportFile, ReportStatus, Task
from wenming.plans.services_reports import report_review, report_submit
from wenming.plans.targets import parse_target

from .conftest import GOOD, sheet
from .test_plans import text, upload

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def issued(plan, login, org):
    rows = [GOOD[0], GOOD[1], (3, "", "", "社区综合服务设施达标", "面积达标", "甲一街道", "甲一社区", "王五",
                               "2026-07-31", "社区办公用房≥300㎡", 1)]
    assert upload(login("office_city"), plan, sheet(*rows)).status_code == 302
    services.plan_issue(actor=plan.created_by, plan=plan, sms=False)
    # issued on 1 April (the tasks without a stage count their time from then)
    Task.objects.filter(plan=plan).update(issued_at=timezone.make_aware(datetime.datetime(2026, 4, 1, 9)))
    return {t.seq: t for t in Task.objects.filter(plan=plan)}


def part(task, unit):
    return Assignment.objects.select_related("task", "task__plan", "task__stage", "unit").get(
        task=task, unit=unit, role="responsible")


def test_the_roll_up_by_hand(issued, personas, org, plan):
    office, district = personas["office_city"], personas["office_district_a"]
    one, two, three = issued[1], issued[2], issued[3]
    a = report_submit(actor=district, assignment=part(one, org["district_a"]), percent=60, narrative="已注册6万人",
                      measured="6.1", day=datetime.date(2026, 4, 20))
    b = report_submit(actor=office, assignment=part(one, org["district_b"]), percent=20, narrative="起步",
                      day=datetime.date(2026, 4, 20))
    c = report_submit(actor=personas["handler_street_a1"], assignment=part(two, org["street_a1"]), percent=100,
                      narrative="全部亮灯", measured="100", day=datetime.date(2026, 4, 22))
    for report in (a, b, c):
        report_review(actor=office, report=report, accept=True)
    # 乙区's later report waits for review: it does not count yet
    report_submit(actor=office, assignment=part(one, org["district_b"]), percent=40, narrative="过半",
                  day=datetime.date(2026, 4, 27))
    tasks = list(selectors.tasks_of(office, plan))
    figures = progress.of_tasks(tasks, plan.lag_margin, today=datetime.date(2026, 5, 1))
    t1, t2, t3 = (figures.tasks[t.pk] for t in (one, two, three))
    assert t1.percent == Decimal(40) and t1.pending == 1 and t1.measured == Decimal("6.1")   # (60 + 20) / 2
    assert t2.percent == Decimal(50)                                                          # (100 + 0) / 2
    assert t3.percent == Decimal(0)
    assert figures.percent == Decimal("32.5")                           # (40×2 + 50×1 + 0×1) / 4
    assert figures.stages == {one.stage_id: Decimal(40), None: Decimal(25)}
    # time used on 1 May: task 1 61 of 121 days of its stage (3-01 → 6-30); task 2 30 of 60 (4-01 → 5-31);
    # task 3 30 of 121 (4-01 → 7-31). 滞后 = progress below time share − 20
    assert (t1.expected, t2.expected, t3.expected) == (Decimal("50.4"), Decimal("50.0"), Decimal("24.8"))
    assert (t1.lagging, t2.lagging, t3.lagging) == (False, False, True)   # 0 < 24.8 − 20
    assert figures.lagging == 1 and figures.overdue == 0
    later = progress.of_tasks(tasks, plan.lag_margin, today=datetime.date(2026, 6, 1))
    assert later.tasks[two.pk].overdue and later.overdue == 1              # past 5-31 at 50 %
    assert later.tasks[one.pk].lagging                                     # 40 < 67.8 − 20
    plan.lag_margin = 40
    assert not progress.of_tasks(tasks, 40, today=datetime.date(2026, 6, 1)).tasks[one.pk].lagging


def test_a_unit_reports_with_files_and_the_office_accepts_or_returns(issued, personas, org, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    handler = login("handler_street_a1")
    two = issued[2]
    assignment = part(two, org["street_a1"])
    page = text(handler.get(f"/plans/tasks/{two.pk}/"))
    assert "报送进度" in page and "单位：甲一街道" in page
    response = handler.post(f"/plans/tasks/{two.pk}/report/", {
        "assignment": assignment.pk, "percent": "70", "measured": "95.5", "narrative": "已修复路灯32盏",
        "files": [SimpleUploadedFile("巡查记录.pdf", PDF), SimpleUploadedFile("现场.pdf", PDF)]})
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert (report.percent, report.measured, report.status) == (70, Decimal("95.5"), ReportStatus.SUBMITTED)
    assert report.files.count() == 2 and ReportFile.objects.values("sha256").distinct().count() == 1
    assignment.refresh_from_db()
    assert assignment.signed_at is not None                   # reporting is receiving it
    assert Notification.objects.filter(user=personas["office_city"], title__startswith="进度待审核").exists()
    # the file is handed out as a download, never rendered
    stored = report.files.first()
    download = handler.get(f"/plans/report-files/{stored.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["X-Content-Type-Options"] == "nosniff" and "attachment" in download["Content-Disposition"]
    # a second report while this one waits is refused
    response = handler.post(f"/plans/tasks/{two.pk}/report/", {"assignment": assignment.pk, "percent": "80",
                                                              "narrative": "再报"}, follow=True)
    assert "上一份进度报告尚待审核" in text(response)
    # the district office neither leads nor owns the plan: it may not review
    assert login("office_district_a").post(f"/plans/reports/{report.pk}/accept/").status_code in (403, 404)
    office = login("office_city")
    response = office.post(f"/plans/reports/{report.pk}/return/", {"note": ""}, follow=True)
    assert "退回请填写理由" in text(response)
    office.post(f"/plans/reports/{report.pk}/return/", {"note": "请补充维修记录"})
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED and report.review_note == "请补充维修记录"
    assert Notification.objects.get(user=personas["handler_street_a1"], title__contains="被退回").title == \
        "进度报告被退回：第2项（请补充维修记录）"
    assert AuditEvent.objects.filter(action="plans.report_review").count() == 1


@pytest.mark.parametrize("name, data, message", [
    ("报告.pdf", b"MZ\x90\x00" + b"\x00" * 100, "的内容是Windows 程序，不是文档或图片，已拒绝"),
    ("照片.jpg", PDF, "的内容与扩展名 .jpg 不符"),
    ("脚本.sh", b"#!/bin/sh\nrm -rf /\n", "的内容是脚本"),
    ("压缩包.zip", b"PK\x03\x04" + b"\x00" * 50, "只能上传PDF、JPG、PNG"),
    ("表格.xlsx", b"PK\x03\x04" + b"\x00" * 50, "的内容与扩展名 .xlsx 不符"),
    ("大文件.pdf", PDF + b"0" * (1024 * 1024), "超过1MB"),
])
def test_evidence_is_judged_by_its_content(issued, personas, org, login, settings, tmp_path, name, data, message):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.WENMING_UPLOAD_MAX_BYTES = 1024 * 1024
    handler = login("handler_street_a1")
    two = issued[2]
    response = handler.post(f"/plans/tasks/{two.pk}/report/", {
        "assignment": part(two, org["street_a1"]).pk, "percent": "50", "narrative": "进展",
        "files": [SimpleUploadedFile(name, data)]}, follow=True)
    assert message in text(response)
    assert not ProgressReport.objects.exists() and not ReportFile.objects.exists()


def test_who_reports_and_who_sees_the_reports(issued, personas, org, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    one = issued[1]
    report = report_submit(actor=personas["office_district_a"], assignment=part(one, org["district_a"]),
                           percent=30, narrative="甲区进展")
    # street A2's handler is not responsible for task 1 (the districts are): no form, no post
    other = login("handler_street_a2")
    assert other.get(f"/plans/tasks/{one.pk}/").status_code == 404
    assert other.post(f"/plans/tasks/{one.pk}/report/", {"assignment": part(one, org["district_a"]).pk,
                                                        "percent": 1, "narrative": "x"}).status_code == 404
    # the district leader sees task 1 and 甲区's report, but reports nothing
    leader = login("leader")
    page = text(leader.get(f"/plans/tasks/{one.pk}/"))
    assert "甲区进展" in page and "报送进度" not in page
    assert leader.post(f"/plans/tasks/{one.pk}/report/", {"assignment": part(one, org["district_a"]).pk,
                                                         "percent": 1, "narrative": "x"}).status_code == 403
    assert leader.post(f"/plans/reports/{report.pk}/accept/").status_code == 403
    # a report for a unit outside the assignment list is not found
    assert login("office_city").post(f"/plans/tasks/{one.pk}/report/", {"assignment": "999999", "percent": 1,
                                                                        "narrative": "x"}).status_code == 404
    assert ProgressReport.objects.count() == 1


def test_a_measured_value_the_platform_holds_is_computed_from_its_source(plan, login, org, system):
    from wenming.places.models import Point
    from wenming.standards.models import PointType

    kind = PointType.objects.get(code="NM")
    for code, score in (("P1", 90), ("P2", 50), ("P3", None), ("P4", 60)):
        Point.objects.create(code=code, name=code, point_type=kind, unit=org["street_a1"], area=org["street_a1"],
                             unit_path=org["street_a1"].path, area_path=org["street_a1"].path, latest_score=score)
    office = login("office_city")
    response = upload(office, plan, sheet((1, "", "", "农贸市场测评达标", "每月自查", "", "甲一街道、甲二街道", "张三",
                                           "2026-06-30", "点位达标率≥70%", 1, "点位达标率")))
    assert response.status_code == 302, text(response)
    task = Task.objects.get()
    assert task.source == "point_pass_rate"
    page = text(office.get(f"/plans/tasks/{task.pk}/"))
    # 甲一街道: 3 scored points, 2 at or above 60 → 66.67 %, below the 70 % target; 甲二街道 has no scored point
    assert "实测值（系统计算：点位达标率（最近测评））" in page
    assert "甲一街道 66.67% 未达标 最近测评的点位3个，达标（≥60分）2个" in page
    assert "甲二街道 — — 最近测评的点位0个" in page
    Point.objects.filter(code="P2").update(latest_score=75)   # it follows its source
    assert "甲一街道 100% 达标" in text(office.get(f"/plans/tasks/{task.pk}/"))
    # the export names the source, and a wrong source in a sheet is refused
    exported = office.get(f"/plans/{plan.pk}/export/").content
    import io

    from openpyxl import load_workbook

    assert list(load_workbook(io.BytesIO(exported)).active.iter_rows(values_only=True))[1][11] == "点位达标率（最近测评）"
    page = text(upload(office, plan, sheet((2, "", "", "x", "", "", "甲区", "", "", "", "", "满意度"))))
    assert "第2行 实测值来源 实测值来源应为：单位报送、问题按期办结率（本年度）" in page


def test_the_matrix_and_the_time_line(issued, personas, org, plan, login, django_assert_max_num_queries):
    office = personas["office_city"]
    one, two = issued[1], issued[2]
    done = report_submit(actor=personas["handler_street_a1"], assignment=part(two, org["street_a1"]), percent=100,
                         narrative="全部亮灯", day=datetime.date(2026, 4, 22))
    report_review(actor=office, report=done, accept=True)
    report_submit(actor=personas["office_district_a"], assignment=part(one, org["district_a"]), percent=30,
                  narrative="进行中")
    client = login("office_city")
    page = text(client.get(f"/plans/{plan.pk}/matrix/"))
    # rows: the responsible units in path order; columns: tasks 1–3 (all past their deadlines today)
    assert "单位 1 2 3" in page
    assert "甲区 0% " in page and "甲一街道 100%" in page
    html = client.get(f"/plans/{plan.pk}/matrix/").content.decode()
    assert html.count('<td class="cell-done"') == 1 and html.count('<td class="cell-overdue"') == 4
    # filtered to the units with a cell done
    filtered = text(client.get(f"/plans/{plan.pk}/matrix/?status=done"))
    assert "甲一街道" in filtered and "乙区" not in filtered
    # the export holds the same cells
    import io

    from openpyxl import load_workbook

    sheet_rows = list(load_workbook(io.BytesIO(client.get(f"/plans/{plan.pk}/matrix/export/").content))
                      .active.iter_rows(values_only=True))
    assert sheet_rows[0][0] == "单位" and len(sheet_rows) == 6   # 甲区 乙区 甲一街道 甲一社区 市城管局
    by_unit = {row[0]: row[1:] for row in sheet_rows[1:]}
    assert by_unit["甲一街道"] == (None, "100% 已完成", None) and by_unit["甲区"] == ("0% 逾期", None, None)
    # a fixed number of queries however many units and tasks
    with django_assert_max_num_queries(20):
        client.get(f"/plans/{plan.pk}/matrix/")
    page = text(client.get(f"/plans/{plan.pk}/timeline/"))
    assert "1 注册志愿者人数占常住人口比例达到10%以上 整改提高 2026-03-01 2026-06-30" in page
    assert "2 主次干道路灯完好，夜间全部亮灯 — 2026-04-01 2026-05-31 50% 逾期" in page   # (100 + 0) / 2
    assert 'id="timeline-data"' in client.get(f"/plans/{plan.pk}/timeline/").content.decode()
    # the district office sees its units' rows only
    district = text(login("office_district_a").get(f"/plans/{plan.pk}/matrix/"))
    assert "甲区" in district and "乙区" not in district and "市城管局" not in district


def test_a_unit_sees_its_own_figures_not_those_of_the_other_units_on_a_task(issued, personas, org, plan, login):
    office = personas["office_city"]
    one = issued[1]   # 甲区 and 乙区 responsible
    theirs = report_submit(actor=office, assignment=part(one, org["district_b"]), percent=80, narrative="乙区进展快")
    report_review(actor=office, report=theirs, accept=True)
    mine = report_submit(actor=personas["office_district_a"], assignment=part(one, org["district_a"]), percent=20,
                         narrative="甲区进展")
    report_review(actor=office, report=mine, accept=True)
    for username in ("office_district_a", "leader"):
        client = login(username)
        page = text(client.get(f"/plans/tasks/{one.pk}/"))
        assert "甲区进展" in page and "乙区进展快" not in page and "80%" not in page, username
        assert "任务进度" not in page, username           # the mean over both districts is not theirs to see
        assert "20%" in page, username
        plan_page = text(client.get(f"/plans/{plan.pk}/"))
        assert "方案总体进度" not in plan_page and "50%" not in plan_page and "签收" not in plan_page, username
    city = text(login("office_city").get(f"/plans/tasks/{one.pk}/"))
    assert "任务进度 50%" in city and "乙区进展快" in city


def test_the_review_findings(issued, personas, org, plan, login, settings, tmp_path):
    """Figures on the time line are a unit's own; a draft task does not open the plan; bad numbers are refused."""
    from wenming.core.errors import ValidationFailed

    settings.MEDIA_ROOT = tmp_path / "media"
    office = personas["office_city"]
    one = issued[1]
    for unit, percent in ((org["district_a"], 60), (org["district_b"], 20)):
        done = report_submit(actor=office, assignment=part(one, unit), percent=percent, narrative="进展")
        report_review(actor=office, report=done, accept=True)
    district = text(login("office_district_a").get(f"/plans/{plan.pk}/timeline/"))
    assert "60%" in district and "40%" not in district                 # its own, not the mean of both
    assert "40%" in text(login("office_city").get(f"/plans/{plan.pk}/timeline/"))
    # a draft task naming street A2 does not open the issued plan to its handler
    services.task_save(actor=office, plan=plan, item=services.TaskInput(seq=9, content="新任务",
                                                                        responsible=[org["street_a2"]]))
    other = login("handler_street_a2")
    assert other.get(f"/plans/{plan.pk}/").status_code == 404 and "2026年创建" not in text(other.get("/plans/"))
    # the district office sees the plan with the number of tasks it sees (1–3 issued; not the draft 9)
    assert "测试市 3 已下发" in text(login("office_district_a").get("/plans/"))
    assert "测试市 4 " in text(login("office_city").get("/plans/"))
    # measured values beyond what can be stored are refused in Chinese
    for value in ("1e1000000", "9999999999.99999", "-1e10"):
        with pytest.raises(ValidationFailed) as refused:
            report_submit(actor=office, assignment=part(issued[3], org["community_a1"]), percent=1, narrative="x",
                          measured=value)
        assert "实测值超出范围" in refused.value.message
    # a 序号 in another script is not a number
    page = text(upload(login("office_city"), plan, sheet(("²", "", "", "任务", "", "", "甲区", "", "", "", "0.001"))))
    assert "序号应为1至99999之间的整数" in page and "权重应为0.01至100之间的数" in page


def test_a_unit_that_leads_and_reports_does_not_approve_its_own_report(plan, personas, org, login):
    office = personas["office_city"]
    task = services.task_save(actor=office, plan=plan, item=services.TaskInput(
        seq=1, content="路灯", standard="亮", person="张三", deadline=datetime.date(2026, 12, 31),
        target=parse_target("亮灯率=100%"), leads=[org["street_a1"]], responsible=[org["street_a1"], org["street_a2"]]))
    services.plan_issue(actor=office, plan=plan, sms=False)
    own = report_submit(actor=personas["handler_street_a1"], assignment=part(task, org["street_a1"]), percent=50,
                        narrative="本街道进展")
    theirs = report_submit(actor=personas["handler_street_a2"], assignment=part(task, org["street_a2"]), percent=30,
                           narrative="甲二进展")
    lead = login("handler_street_a1")
    page = text(lead.post(f"/plans/reports/{own.pk}/accept/", follow=True))
    assert "本单位的进度报告须由牵头单位或方案制定单位的创建办审核" in page
    assert lead.post(f"/plans/reports/{theirs.pk}/accept/").status_code == 302   # the other street's: yes
    own.refresh_from_db()
    theirs.refresh_from_db()
    assert own.status == ReportStatus.SUBMITTED and theirs.status == ReportStatus.ACCEPTED

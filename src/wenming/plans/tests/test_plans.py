"""Work plans through the pages: the 任务分解表 imported (and refused whole, row by row), the 四明确
flags, 下发 to the named units with their inbox and SMS, 签收, the export that imports again, and who
may do what."""

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from wenming.cases.models import Notification
from wenming.core.models import AuditEvent, OutboundMessage
from wenming.plans import services
from wenming.plans.models import Assignment, AssignmentRole, PlanStatus, Task, TaskStatus, WorkPlan

from .conftest import GOOD, sheet

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def upload(client, plan, data: bytes, name="任务分解表.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(f"/plans/{plan.pk}/import/", {"file": SimpleUploadedFile(name, data)})


def units_of(task, role):
    return sorted(a.unit.name for a in task.assignments.filter(role=role).select_related("unit"))


def test_the_office_imports_the_task_breakdown_and_the_four_clears_are_flagged(plan, login, org):
    office = login("office_city")
    response = upload(office, plan, sheet(*GOOD))
    assert response.status_code == 302, text(response)
    tasks = {t.seq: t for t in Task.objects.filter(plan=plan)}
    assert sorted(tasks) == [1, 2, 3]
    one, two, three = tasks[1], tasks[2], tasks[3]
    assert (one.metric, one.comparator, one.target_value, one.target_unit) == ("注册志愿者占比", "ge", Decimal(10), "%")
    assert one.target_text == "注册志愿者占比≥10%" and one.weight == Decimal(2) and one.stage.name == "整改提高"
    assert units_of(one, AssignmentRole.LEAD) == ["市城管局"]
    assert units_of(one, AssignmentRole.RESPONSIBLE) == ["乙区", "甲区"]             # 各区: both districts
    assert str(two.deadline) == "2026-05-31" and two.weight == Decimal(1)
    assert units_of(two, AssignmentRole.RESPONSIBLE) == ["市城管局", "甲一街道"]
    assert units_of(three, AssignmentRole.RESPONSIBLE) == ["甲一社区"]              # by its code
    assert one.missing() == [] and two.missing() == []
    assert three.missing() == ["目标", "标准", "时限", "责任人"]
    event = AuditEvent.objects.get(action="plans.tasks_import")
    assert event.detail["created"] == 3 and event.detail["flagged"] == 1

    page = text(office.get(f"/plans/{plan.pk}/"))
    assert "任务分解表（3项，其中未下发3项）" in page and "1项任务“四明确”不全" in page
    assert "缺目标、标准、时限、责任人" in page and "注册志愿者占比≥10%" in page

    # 下发 is refused while a task lacks any of the four, naming it; nothing is issued
    response = office.post(f"/plans/{plan.pk}/issue/", {"sms": "on"}, follow=True)
    assert "第3项缺少目标、标准、时限、责任人" in text(response)
    assert not Task.objects.filter(status=TaskStatus.ISSUED).exists() and not Notification.objects.exists()

    # the office completes the task on its page; the flag goes
    response = office.post(f"/plans/tasks/{three.pk}/", {
        "seq": 3, "content": three.content, "standard": "面积不少于300平方米", "responsible": "甲一社区",
        "person": "王五", "deadline": "2026-07-31", "target": "社区办公用房≥300㎡", "weight": "1", "stage": "",
        "indicators": "", "leads": "甲一街道"})
    assert response.status_code == 302
    three.refresh_from_db()
    assert three.missing() == [] and units_of(three, AssignmentRole.LEAD) == ["甲一街道"]


def test_issue_tells_every_named_unit_and_they_sign(plan, login, org, personas):
    office = login("office_city")
    rows = [GOOD[0], GOOD[1], (3, "", "", "社区综合服务设施达标", "面积达标", "甲一街道", "甲一社区", "王五", "2026-07-31",
                               "社区办公用房≥300㎡", 1)]
    assert upload(office, plan, sheet(*rows)).status_code == 302
    response = office.post(f"/plans/{plan.pk}/issue/", {"sms": "on"}, follow=True)
    assert "已下发 3 项任务" in text(response)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ISSUED and Task.objects.filter(status=TaskStatus.ISSUED).count() == 3
    # the units named: 甲区 乙区 市城管局 (lead of 1, responsible of 2) 甲一街道 (2, lead of 3) 甲一社区 (3)
    told = set(Notification.objects.values_list("user__username", flat=True))
    # 甲区: its office; 甲一街道: its handler; the others have no staff: the nearest office above (the city)
    assert told == {"office_district_a", "handler_street_a1", "office_city"}
    title = Notification.objects.get(user__username="handler_street_a1").title
    assert title == "任务下发：2026年创建全国文明城市工作方案（2项）"
    assert OutboundMessage.objects.filter(channel="sms").count() == 3
    assert AuditEvent.objects.get(action="plans.plan_issue").detail == {
        "tasks": 3, "units": 5, "notified": Notification.objects.count(), "sms": True}

    # the street's handler sees its two tasks and 签收s them; the other street's handler sees none
    handler = login("handler_street_a1")
    page = text(handler.get("/plans/mine/"))
    assert "主次干道路灯完好" in page and "社区综合服务设施达标" in page and "注册志愿者" not in page
    mine = list(Assignment.objects.filter(unit=org["street_a1"]))
    assert len(mine) == 2
    for assignment in mine:
        assert handler.post(f"/plans/assignments/{assignment.pk}/sign/").status_code == 302
    assert all(a.signed_by == personas["handler_street_a1"] for a in Assignment.objects.filter(unit=org["street_a1"]))
    again = text(handler.post(f"/plans/assignments/{mine[0].pk}/sign/", follow=True))
    assert "已签收" in again
    assert login("handler_street_a2").post(f"/plans/assignments/{mine[0].pk}/sign/").status_code == 404
    assert "没有下发给本单位的任务" in text(login("handler_street_a2").get("/plans/mine/"))
    # the plan page shows the district office only the tasks naming its units
    page = text(login("office_district_a").get(f"/plans/{plan.pk}/"))
    assert "注册志愿者" in page and "主次干道路灯完好" in page and "社区综合服务设施达标" in page
    assert "任务分解表（3项）" in page
    b_page = text(login("leader").get(f"/plans/{plan.pk}/"))   # district A's leader: its units' tasks
    assert "注册志愿者" in b_page
    # an issued task can no longer be changed or deleted
    task = Task.objects.get(seq=1)
    response = office.post(f"/plans/tasks/{task.pk}/delete/", follow=True)
    assert "任务已下发，不能删除" in text(response) and Task.objects.filter(pk=task.pk).exists()


BAD_ROWS = [
    (1, "迎接检查", "", "任务一", "标准", "市城建局", "甲一街道", "张三", "2026-02-30", "亮灯率100%", "x"),
    (1, "", "XX.99", "任务二", "", "", "不存在的单位", "", "明年", "", ""),
    ("", "", "", "", "", "", "", "", "", "", ""),   # blank: skipped
    ("abc", "", "", "", "", "", "乙区", "", "", "", ""),
]


def test_a_bad_sheet_names_every_row_and_column_and_writes_nothing(plan, login):
    office = login("office_city")
    upload(office, plan, sheet(*GOOD))
    before = list(Task.objects.order_by("seq").values_list("seq", "content", "updated_at"))
    events = AuditEvent.objects.filter(action="plans.tasks_import").count()
    response = upload(office, plan, sheet(*BAD_ROWS))
    page = text(response)
    assert response.status_code == 200 and "未写入任何数据" in page
    expected = [
        "第2行 阶段 本方案没有“迎接检查”阶段（现有：整改提高）",
        "第2行 牵头单位 找不到单位“市城建局”（须为测试市或其下属单位），是否为：市城管局？",
        "第2行 完成时限 完成时限“2026-02-30”不是有效的日期（没有这一天）",
        "第2行 目标值 目标值“亮灯率100%”中没有比较符",
        "第2行 权重 权重应为数字",
        "第3行 序号 序号1与第2行重复",
        "第3行 测评项目/指标 测评体系中没有指标“XX.99”",
        "第3行 责任单位 找不到单位“不存在的单位”",
        "第3行 完成时限 完成时限“明年”不是日期",
        "第5行 序号 序号应为1至99999之间的整数",
        "第5行 任务内容 任务内容不能为空",
    ]
    for line in expected:
        assert line in page, line
    assert list(Task.objects.order_by("seq").values_list("seq", "content", "updated_at")) == before
    assert AuditEvent.objects.filter(action="plans.tasks_import").count() == events


def test_a_wrong_header_and_a_wrong_file_are_refused(plan, login):
    office = login("office_city")
    page = text(upload(office, plan, sheet(("1", "任务"), header=["序号", "任务内容"])))
    assert "缺少列：责任单位" in page
    page = text(upload(office, plan, b"not a workbook", name="x.xlsx"))
    assert "文件不是有效的Excel（.xlsx）文件" in page
    response = upload(office, plan, "序号,任务内容,责任单位\n1,扫地,甲区\n".encode("gb18030"), name="x.csv")
    assert response.status_code == 302   # a CSV in GB18030, as Excel saves it, is read
    assert Task.objects.get(plan=plan).content == "扫地"


def test_an_ambiguous_unit_name_asks_for_the_code(plan, login, org):
    from wenming.conftest import make_unit
    from wenming.org.models import UnitKind

    make_unit("城建办", UnitKind.DEPARTMENT, "11330100MB0000002X"[:18], org["street_a1"])
    make_unit("城建办", UnitKind.DEPARTMENT, "11330100MB0000003X"[:18], org["street_b1"])
    page = text(upload(login("office_city"), plan, sheet((1, "", "", "拆违", "", "", "城建办", "", "", "", ""))))
    assert "名为“城建办”的单位有2个：甲一街道城建办" in page and "请改填单位编码" in page


def test_the_export_imports_again_unchanged(plan, login):
    office = login("office_city")
    upload(office, plan, sheet(*GOOD))
    before = {t.seq: (t.content, t.target_text, t.deadline, t.weight, t.stage_id, units_of(t, "responsible"))
              for t in Task.objects.filter(plan=plan)}
    response = office.get(f"/plans/{plan.pk}/export/")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = response.content
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "阶段", "测评项目/指标", "任务内容") and len(rows) == 4
    assert rows[1][9] == "注册志愿者占比≥10%" and rows[1][6] == "甲区、乙区"
    assert upload(office, plan, data).status_code == 302
    after = {t.seq: (t.content, t.target_text, t.deadline, t.weight, t.stage_id, units_of(t, "responsible"))
             for t in Task.objects.filter(plan=plan)}
    assert after == before


def test_indicators_are_linked_from_the_index_system(plan, login, system):
    indicator = system.indicators.filter(level=3).order_by("sort", "id").first()
    other = system.indicators.filter(level=2).order_by("sort", "id").first()
    office = login("office_city")
    response = upload(office, plan, sheet((1, "", f"{indicator.code}、{other.name}", "任务", "", "", "甲区", "", "", "",
                                           "")))
    assert response.status_code == 302, text(response)
    assert set(Task.objects.get().indicators.all()) == {indicator, other}


def test_a_plan_is_made_through_its_pages(personas, org, login, system):
    office = login("office_district_a")
    assert "新建工作方案" in text(office.get("/plans/"))
    response = office.post("/plans/new/", {"title": "甲区2026年创文工作方案", "year": "2026", "doc_number": "",
                                          "system": str(system.pk), "body": "一、总体要求"})
    plan = WorkPlan.objects.get()
    assert response.status_code == 302 and plan.owner == org["district_a"] and plan.system == system
    office.post(f"/plans/{plan.pk}/stages/", {"name": "宣传发动", "start": "2026-03-01", "end": "2026-03-31",
                                             "cadence": "weekly"})
    response = office.post(f"/plans/{plan.pk}/stages/", {"name": "迎接检查", "start": "2026-10-01",
                                                         "end": "2026-09-01", "cadence": "daily"}, follow=True)
    assert "结束日期不能早于开始日期" in text(response)
    assert [s.name for s in plan.stages.all()] == ["宣传发动"]
    response = office.post(f"/plans/{plan.pk}/tasks/new/", {
        "seq": "1", "content": "开展创文宣传", "responsible": "各街道", "leads": "", "target": "宣传栏覆盖率≥95%",
        "standard": "", "person": "", "deadline": "", "weight": "1", "stage": "", "indicators": ""})
    assert response.status_code == 302
    task = Task.objects.get()
    assert units_of(task, AssignmentRole.RESPONSIBLE) == ["甲一街道", "甲二街道"]   # 各街道 of 甲区 only
    assert task.missing() == ["标准", "时限", "责任人"]
    # a unit outside the district is refused on the form, with the field named
    response = office.post(f"/plans/{plan.pk}/tasks/new/", {
        "seq": "2", "content": "道路整治", "responsible": "乙一街道", "weight": "1"})
    assert response.status_code == 200 and "找不到单位“乙一街道”（须为甲区或其下属单位）" in text(response)
    response = office.post(f"/plans/{plan.pk}/tasks/new/", {"seq": "1", "content": "重复", "responsible": "甲区",
                                                            "weight": "1"})
    assert "本方案已有序号为1的任务" in text(response)
    assert Task.objects.count() == 1


def test_who_may_do_what(plan, login, org, personas):
    office = login("office_city")
    upload(office, plan, sheet(*GOOD))
    task = Task.objects.get(seq=1)
    # before 下发 the plan is the city's own: nobody below sees it
    for username in ("office_district_a", "handler_street_a1", "leader", "inspector", "grid_worker"):
        client = login(username)
        assert client.get(f"/plans/{plan.pk}/").status_code == 404, username
        assert client.get(f"/plans/tasks/{task.pk}/").status_code == 404, username
    for username in ("citizen", "outsider"):
        assert login(username).get("/plans/").status_code == 403
        assert login(username).get("/plans/mine/").status_code == 403
    # staff who do not write plans are refused the writing pages
    for username in ("handler_street_a1", "leader", "admin", "inspector"):
        client = login(username)
        assert client.get("/plans/new/").status_code == 403, username
        assert client.get("/plans/import-template/").status_code == 403, username
    admin = login("admin")   # sees the city's plan, changes nothing
    assert admin.get(f"/plans/{plan.pk}/").status_code == 200
    assert admin.post(f"/plans/{plan.pk}/issue/").status_code == 403
    assert admin.get(f"/plans/{plan.pk}/import/").status_code == 403
    assert admin.post(f"/plans/{plan.pk}/tasks/new/", {"seq": 9, "content": "x", "responsible": "甲区"}).status_code == 403
    assert admin.post(f"/plans/tasks/{task.pk}/delete/").status_code == 403
    assert Task.objects.count() == 3
    with pytest.raises(Exception) as refused:
        services.plan_issue(actor=personas["office_district_a"], plan=plan)
    assert getattr(refused.value, "code", "") == "forbidden"


def test_a_multi_year_plan_with_its_documents(personas, org, login, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    office = login("office_city")
    response = office.post("/plans/new/", {"title": "创建全国文明城市三年攻坚行动方案", "year": "2026", "end_year": "2028",
                                          "files": [SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%%EOF\n")]})
    plan = WorkPlan.objects.get()
    assert response.status_code == 302 and plan.end_year == 2028 and plan.years == "2026—2028年"
    stored = plan.files.get()
    assert "2026—2028年" in text(office.get("/plans/?year=2027")) and "方案.pdf" in text(office.get(f"/plans/{plan.pk}/"))
    assert "三年攻坚" not in text(office.get("/plans/?year=2029"))
    download = office.get(f"/plans/plan-files/{stored.pk}/")
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert login("office_district_a").get(f"/plans/plan-files/{stored.pk}/").status_code == 404
    # a wrong end year and a program named as a document are refused; nothing is written
    page = text(office.post("/plans/new/", {"title": "x", "year": "2026", "end_year": "2025"}))
    assert "截止年度应在2026至2036年之间" in page
    page = text(office.post("/plans/new/", {"title": "x", "year": "2026",
                                           "files": [SimpleUploadedFile("方案.docx", b"MZ\x90\x00")]}))
    assert "内容是Windows 程序" in page
    assert WorkPlan.objects.count() == 1

"""调度会 and the like: recorded with attachments (judged by content), decisions turned into tasks of a plan
and tracked like any task, the meeting ledger exported, and who may do what."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from wenming.core.models import AuditEvent
from wenming.plans.models import AssignmentRole, Meeting, MeetingFile, Task, TaskStatus

from .test_plans import text

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def record(client, **extra):
    data = {"kind": "dispatch", "title": "全市创文工作第12次调度会", "held_on": "2026-05-08", "place": "市政府3号会议室",
            "chair": "陈市长", "attendees": "各区分管领导、市直各单位负责人", "minutes": "一、通报前期工作。\n二、部署下步任务。"}
    data.update(extra)
    return client.post("/plans/meetings/new/", data)


def test_a_meeting_is_recorded_and_its_decision_becomes_a_task(plan, login, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    office = login("office_city")
    response = record(office, files=[SimpleUploadedFile("纪要.pdf", PDF), SimpleUploadedFile("签到表.pdf", PDF)])
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and meeting.owner == org["city"] and meeting.files.count() == 2
    page = text(office.get(f"/plans/meetings/{meeting.pk}/"))
    assert "全市创文工作第12次调度会" in page and "一、通报前期工作。" in page and "纪要.pdf" in page
    response = office.post(f"/plans/meetings/{meeting.pk}/decisions/", {
        "plan": str(plan.pk), "content": "两周内完成主干道占道经营整治", "standard": "无占道经营", "leads": "市城管局",
        "responsible": "甲区、乙区", "person": "赵局长", "deadline": "2026-05-22", "target": "占道经营点位=0个",
        "weight": "1"})
    assert response.status_code == 302
    task = Task.objects.get(meeting=meeting)
    assert task.plan == plan and task.seq == 1 and task.missing() == [] and task.status == TaskStatus.DRAFT
    assert sorted(a.unit.name for a in task.assignments.filter(role=AssignmentRole.RESPONSIBLE)) == ["乙区", "甲区"]
    # tracked like any task: issued from the plan, shown on the meeting with its state
    office.post(f"/plans/{plan.pk}/issue/", {})
    task.refresh_from_db()
    assert task.status == TaskStatus.ISSUED
    page = text(office.get(f"/plans/meetings/{meeting.pk}/"))
    assert "议定事项（1项）" in page and "两周内完成主干道占道经营整治" in page and "已下发" in page
    assert AuditEvent.objects.filter(action="plans.decision_add").count() == 1
    # the ledger
    response = office.get("/plans/meetings/export/?kind=dispatch")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("召开日期", "会议类型", "会议名称")
    assert rows[1] == ("2026-05-08", "调度会", "全市创文工作第12次调度会", "测试市", "市政府3号会议室", "陈市长",
                       "各区分管领导、市直各单位负责人", 1, 1, 2)
    assert len(list(load_workbook(io.BytesIO(office.get("/plans/meetings/export/?kind=on_site").content))
                    .active.iter_rows())) == 1   # the header only


def test_bad_input_changes_nothing(login, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    office = login("office_city")
    page = text(record(office, title="", held_on="2026-02-30", kind="party"))
    assert "这个字段是必填项" in page and "没有这一天" in page and "选择一个有效的选项" in page
    page = text(record(office, files=[SimpleUploadedFile("纪要.pdf", b"MZ\x90\x00program")]))
    assert "内容是Windows 程序" in page
    assert not Meeting.objects.exists() and not MeetingFile.objects.exists()


def test_who_sees_and_writes_meetings(plan, login, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    record(login("office_city"), files=[SimpleUploadedFile("纪要.pdf", PDF)])
    meeting = Meeting.objects.get()
    stored = meeting.files.get()
    record(login("office_district_a"), title="甲区创文推进会", kind="progress")
    district_meeting = Meeting.objects.get(title="甲区创文推进会")
    assert district_meeting.owner == org["district_a"]
    # the district office sees its own meeting, not the city's
    district = login("office_district_a")
    page = text(district.get("/plans/meetings/"))
    assert "甲区创文推进会" in page and "第12次调度会" not in page
    assert district.get(f"/plans/meetings/{meeting.pk}/").status_code == 404
    assert district.get(f"/plans/meeting-files/{stored.pk}/").status_code == 404
    # the city's leader-less world: the admin reads the city's meetings and changes nothing
    admin = login("admin")
    assert admin.get(f"/plans/meetings/{meeting.pk}/").status_code == 200
    assert admin.get(f"/plans/meeting-files/{stored.pk}/").status_code == 200
    assert admin.get(f"/plans/meetings/{meeting.pk}/edit/").status_code == 403
    assert admin.post(f"/plans/meetings/{meeting.pk}/decisions/", {"plan": plan.pk}).status_code == 403
    assert admin.get("/plans/meetings/new/").status_code == 403
    # handlers and others have no meetings
    for username in ("handler_street_a1", "inspector", "grid_worker", "citizen", "outsider"):
        assert login(username).get("/plans/meetings/").status_code == 403, username
    # the district office cannot put a decision into the city's plan
    assert district.post(f"/plans/meetings/{district_meeting.pk}/decisions/", {
        "plan": str(plan.pk), "content": "x", "responsible": "甲区", "weight": "1"}).status_code == 200
    assert not Task.objects.exists()
    assert re.search("本单位还没有工作方案", text(district.post(
        f"/plans/meetings/{district_meeting.pk}/decisions/", {"plan": str(plan.pk), "content": "x",
                                                             "responsible": "甲区", "weight": "1"})))

"""Ledger export (a background job: masked, scoped when it runs, filtered, streamed, with progress)
and bulk problem import (all or nothing)."""

import io
import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from unittest import mock
from urllib.parse import quote, urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from wenming.cases.escalation import sla
from wenming.cases.intake import services as intake_services
from wenming.cases.ledger import transfer
from wenming.cases.models import (
    Category,
    Notification,
    Problem,
    ProblemCounter,
    ProblemEvent,
    State,
)
from wenming.conftest import PERSONAS
from wenming.core import jobs as jobs_core
from wenming.core.dates import chinese_datetime
from wenming.core.models import AuditEvent, Job, JobStatus, OutboundMessage
from wenming.core.sheets import SheetError, csv_bytes
from wenming.core.tests.helpers import run_pending_tasks

ALL = list(PERSONAS)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_rows(data: bytes) -> list[list]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    return rows


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- export ------------------------------------------------------------------------------------

def assign(problem, unit):
    """交办 as ``workflow.services.problem_assign`` records it (written directly: the export is under test here)."""
    now = timezone.now()
    Problem.objects.filter(pk=problem.pk).update(
        unit=unit, unit_path=unit.path, state=State.ASSIGNED, assigned_at=now,
        deadline=sla.deadline_for(problem.category, problem.severity, now))
    problem.refresh_from_db()
    return problem


@pytest.fixture
def ledger_problems(personas, org, intake):
    """Two problems reported by the inspector 孙浩 with a phone on file: one assigned to street
    A1 (with a formula-looking title), one assigned to street A2."""
    inspector = personas["inspector"]
    first, _ = intake_services.problem_report(actor=inspector, intake=intake(title="=HYPERLINK(\"http://x\")",
                                                                      reporter_phone="13955556666"))
    second, _ = intake_services.problem_report(actor=inspector, intake=intake(title="井盖缺失", area=org["street_a2"],
                                                                       address="甲二街道建设路1号",
                                                                       reporter_phone="13955556666"))
    return assign(first, org["street_a1"]), assign(second, org["street_a2"])


@pytest.fixture
def export(django_capture_on_commit_callbacks):
    """Click 导出Excel on the ledger (the filters in the query string, as the page's form sends
    them); returns the response and the job it queued, if any."""

    def _export(client, params=None):
        url = reverse("cases:export") + (f"?{urlencode(params)}" if params else "")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url)
        job = Job.objects.order_by("-id").first() if response.status_code == 302 else None
        if job is not None and response["Location"] != reverse("job", args=[job.pk]):
            job = None
        return response, job

    return _export


def exported(client, job) -> tuple[object, list[list]]:
    """Run the queued task as the worker would, then download the file from the job's page."""
    run_pending_tasks()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    response = client.get(reverse("job_download", args=[job.pk]))
    assert response.status_code == 200
    return response, sheet_rows(body(response))


@pytest.mark.django_db
def test_export_click_queues_a_job_with_the_filters(login, ledger_problems, export):
    client = login("office_district_a")
    response, job = export(client, {"unit": "330102002", "state": "assigned", "q": " 井盖 ", "page": "3"})
    assert response.status_code == 302 and job is not None
    assert (job.owner.username, job.kind, job.status) == ("office_district_a", "cases.ledger_export", JobStatus.QUEUED)
    assert job.params == {"unit": "330102002", "state": "assigned", "q": "井盖"}  # no page, no blanks
    assert job.title == "问题台账导出（单位：甲二街道；状态：已交办；关键词：井盖）"
    task = DBTaskResult.objects.get()
    assert task.task_path == "wenming.cases.ledger.jobs.ledger_export" and task.args_kwargs["args"] == [job.pk]
    assert AuditEvent.objects.get(action="job.enqueue").detail["params"] == job.params
    assert not AuditEvent.objects.filter(action="cases.ledger_export").exists()  # not run yet
    # the request returned at once: the job page shows it waiting
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and 'hx-trigger="every 1s"' in page and "问题台账导出" in page
    # the ledger's button posts to the export with the current query string
    ledger = client.get(reverse("cases:ledger"), {"state": "assigned"}).content.decode()
    assert f'action="{reverse("cases:export")}?state=assigned"' in ledger and 'form="export-form"' in ledger
    assert 'name="csrfmiddlewaretoken"' in ledger
    # a GET (an old bookmark) queues nothing
    assert client.get(reverse("cases:export")).status_code == 405


@pytest.mark.django_db
def test_export_contents_masking_and_audit(login, ledger_problems, export):
    first, second = ledger_problems
    client = login("office_city")
    _, job = export(client)
    assert job.title == "问题台账导出（全部）"
    response, rows = exported(client, job)
    assert response["Content-Type"] == XLSX
    today = timezone.localdate().strftime("%Y%m%d")
    assert f"filename*=utf-8''{quote(f'问题台账-{today}.xlsx')}" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment;")
    assert rows[0] == transfer.EXPORT_COLUMNS
    assert [row[0] for row in rows[1:]] == [second.code, first.code]  # newest first, like the ledger
    by_code = {row[0]: dict(zip(transfer.EXPORT_COLUMNS, row)) for row in rows[1:]}
    row = by_code[first.code]
    assert row["标题"] == "'=HYPERLINK(\"http://x\")"  # neutralised, never a formula
    assert row["类别"] == "市场秩序 › 占道经营" and row["严重程度"] == "一般" and row["来源"] == "督查发现"
    assert row["状态"] == "已交办" and row["所在区域"] == "甲一街道" and row["责任单位"] == "甲一街道"
    assert row["地址"] == "甲一街道人民路88号"
    assert row["发现时间"] == local(first.created_at) and row["交办时间"] == local(first.assigned_at)
    assert row["整改期限"] == local(first.deadline) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row["整改期限"])
    assert row["办结时间"] is None and row["是否逾期"] == "否" and row["按期办结"] is None
    assert row["退回重改次数"] == 0 and row["督办次数"] == 0
    assert row["报告人"] == "孙*"  # the inspector 孙浩, masked
    everything = " ".join(str(v) for r in rows for v in r if v is not None)
    assert "13955556666" not in everything and "13800001234" not in everything and "孙浩" not in everything
    event = AuditEvent.objects.get(action="cases.ledger_export")
    assert event.detail["rows"] == 2 and event.actor_username == "office_city"
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total, job.message) == (2, 2, "共导出 2 行")
    assert AuditEvent.objects.filter(action="export.download", actor_username="office_city").count() == 1


@pytest.mark.django_db
def test_export_honours_the_ledger_filters(login, ledger_problems, export):
    first, second = ledger_problems
    client = login("office_city")
    _, rows = exported(client, export(client, {"unit": "330102002"})[1])
    assert [row[0] for row in rows[1:]] == [second.code]
    _, rows = exported(client, export(client, {"q": "井盖", "state": "assigned"})[1])
    assert [row[0] for row in rows[1:]] == [second.code]
    _, rows = exported(client, export(client, {"state": "closed"})[1])
    assert rows == [transfer.EXPORT_COLUMNS]
    assert AuditEvent.objects.filter(action="cases.ledger_export").order_by("id").first().detail["filters"] == {
        "unit": "330102002"}
    # a bad filter queues nothing and sends the user back to the ledger with the reason
    response, job = export(client, {"state": "nonsense"})
    assert response.status_code == 302 and response["Location"] == reverse("cases:ledger") + "?state=nonsense"
    assert job is None and Job.objects.count() == 3
    page = client.get(response["Location"]).content.decode()
    assert "筛选条件有误，未导出：状态筛选无效" in page
    response, job = export(login("handler_street_a1"), {"unit": "330103001"})  # district B: not his
    assert job is None and response["Location"].startswith(reverse("cases:ledger"))
    assert AuditEvent.objects.filter(action="cases.ledger_export").count() == 3


@pytest.mark.django_db
def test_handler_exports_only_his_units_rows(login, ledger_problems, export):
    first, _ = ledger_problems
    client = login("handler_street_a1")
    _, rows = exported(client, export(client)[1])
    assert [row[0] for row in rows[1:]] == [first.code]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["citizen", "outsider"])
def test_export_refused_without_org_view(login, ledger_problems, export, persona):
    response, job = export(login(persona))
    assert response.status_code == 403 and job is None and not Job.objects.exists()
    assert not AuditEvent.objects.filter(action="cases.ledger_export").exists()
    assert AuditEvent.objects.filter(action="access.refused", detail_json__contains="cases.ledger_export").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [p for p in ALL if p != "office_district_a"])
def test_only_the_owner_sees_the_export(login, ledger_problems, export, persona):
    client = login("office_district_a")
    _, job = export(client)
    run_pending_tasks()
    other = login(persona)
    for name in ("job", "job_status", "job_download"):
        assert other.get(reverse(name, args=[job.pk])).status_code == 404
        assert client.get(reverse(name, args=[job.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="access.refused", actor_username=persona,
                                     target=f"core.job:{job.pk}").count() == 3
    assert AuditEvent.objects.filter(action="export.download").count() == 1


@pytest.mark.django_db
def test_the_task_rechecks_the_owners_scope_when_it_runs(login, personas, org, ledger_problems, export):
    from wenming.org.models import Membership

    first, second = ledger_problems
    client = login("handler_street_a1")
    _, everything = export(client)
    _, filtered = export(client, {"unit": "330102001"})
    # before the worker runs, the first problem moves to street A2 …
    Problem.objects.filter(pk=first.pk).update(unit=org["street_a2"], unit_path=org["street_a2"].path,
                                               area=org["street_a2"], area_path=org["street_a2"].path)
    # … and the handler's role moves from street A1 to a department
    Membership.objects.filter(user=personas["handler_street_a1"]).update(unit=org["department"])
    run_pending_tasks()
    everything.refresh_from_db()
    filtered.refresh_from_db()
    assert everything.status == JobStatus.DONE and everything.progress_done == 0  # nothing of his now
    assert filtered.status == JobStatus.FAILED
    assert filtered.message == "筛选条件已失效，未导出：找不到该单位编码，或该单位不在您的范围内"
    # an account that lost every role gets no file either
    _, job = export(login("handler_street_a2"))
    Membership.objects.filter(user=personas["handler_street_a2"]).delete()
    run_pending_tasks()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.message == "您的权限或管辖范围已变更，任务未完成。"
    assert not job.result_file


@pytest.mark.django_db
def test_export_failure_shows_a_chinese_message(login, ledger_problems, export):
    client = login("office_city")
    _, job = export(client)
    with mock.patch.object(transfer, "export_ledger", side_effect=OSError("disk full at /srv/data")):
        run_pending_tasks()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and not job.result_file
    page = client.get(reverse("job", args=[job.pk])).content.decode()
    assert "任务执行出错，请稍后重试；如仍失败，请联系系统管理员。" in page
    assert "disk full" not in page and "Traceback" not in page and "hx-trigger" not in page
    assert client.get(reverse("job_download", args=[job.pk])).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_export_job_of_3000_rows_reports_progress_and_matches_the_ledger(login, personas, org, category, export):
    from wenming.cases.ledger import selectors
    from wenming.cases.ledger.views import ledger_filter

    now = timezone.now()
    Problem.objects.bulk_create([
        Problem(code=f"WT2026-{n:06d}", title=f"问题{n}", category=category, source="superior", area=org["street_a1"],
                area_path=org["street_a1"].path, address=f"路{n}号", reporter_name="欧阳修", created_at=now,
                state=State.CLOSED if n % 3 == 0 else State.REPORTED)
        for n in range(1, 3001)])
    client = login("office_district_a")
    _, job = export(client, {"open": "1"})
    writes = []
    original = jobs_core.Progress.flush

    def spy(self):
        writes.append((self.done, self.total))
        original(self)

    with mock.patch.object(jobs_core.Progress, "flush", spy):
        _, rows = exported(client, job)
    expected = selectors.ledger(personas["office_district_a"],
                                ledger_filter(SimpleNamespace(GET={"open": "1"}, user=personas["office_district_a"]))[0])
    assert len(rows) - 1 == expected.count() == 2000
    assert {row[-1] for row in rows[1:]} == {"欧**"}
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total, job.percent) == (2000, 2000, 100)
    # started with the total, then every 200 rows (the export's step, over 2 % of 2000)
    assert writes[0] == (0, 2000) and [done for done, _ in writes[1:]] == list(range(200, 2001, 200))


@pytest.mark.django_db
def test_export_writes_every_row_masked(personas, org, category):
    """3,000 rows, the reporter masked in each. That the export streams in constant memory is
    measured by `wenming bench ledger` at 1,000,000 rows (docs/performance.md), not pinned here
    by spying on the ORM."""
    office = personas["office_city"]
    now = timezone.now()
    Problem.objects.bulk_create([
        Problem(code=f"WT2026-{n:06d}", title=f"问题{n}", category=category, source="superior", area=org["street_a1"],
                area_path=org["street_a1"].path, address=f"路{n}号", reporter_name="欧阳修", created_at=now)
        for n in range(1, 3001)])
    buffer = io.BytesIO()
    n = transfer.export_ledger(actor=office, qs=Problem.objects.filter(area_path__startswith=org["city"].path),
                               fileobj=buffer)
    assert n == 3000
    rows = sheet_rows(buffer.getvalue())
    assert len(rows) == 3001 and {row[-1] for row in rows[1:]} == {"欧**"}
    assert sorted(row[0] for row in rows[1:]) == [f"WT2026-{n:06d}" for n in range(1, 3001)]  # none dropped


def test_mask_name():
    assert [transfer.mask_name(n) for n in ("王志强", "王五", "王", "", "  李 ")] == ["王**", "王*", "王*", "", "李*"]


# --- import ------------------------------------------------------------------------------------

from wenming.org.tests.test_import import xlsx as org_xlsx  # noqa: E402

HEADER = transfer.IMPORT_COLUMNS


def xlsx(rows, header=HEADER) -> bytes:
    return org_xlsx(rows, header=header)


GOOD_ROWS = [
    # 标题, 类别编码, 区域编码, 地址, 问题描述, 严重程度, 来源, 纬度, 经度, 责任单位编码
    ["人民路占道经营", "0201", "330102001", "人民路88号", "水果摊占道", "", "", "", "", ""],
    ["东门暴露垃圾", "0101", "330102001001", "幸福小区东门", "垃圾满溢", "立行立改", "普查", 30.25, 120.16,
     "330102001"],
    ["建设路井盖缺失", 502, "330102002", "", "", "difficult", "12345热线", "30.1", "120.2", ""],
]


@pytest.mark.django_db
def test_good_sheet_lands_whole(personas, org):
    office, handler = personas["office_district_a"], personas["handler_street_a1"]
    report = transfer.import_problems(actor=office, data=xlsx(GOOD_ROWS), filename="反馈清单.xlsx")
    assert report.ok, report.errors
    assert (report.created, report.assigned) == (3, 1)
    year = timezone.localdate().year
    problems = list(Problem.objects.order_by("code"))
    assert [p.code for p in problems] == [f"WT{year}-{n:06d}" for n in (1, 2, 3)]
    assert ProblemCounter.objects.get(year=year).last == 3
    first, second, third = problems
    assert (first.title, first.category.code, first.severity, first.source, first.state) == (
        "人民路占道经营", "0201", "normal", "superior", State.REPORTED)
    assert first.area == org["street_a1"] and first.area_path == org["street_a1"].path
    assert first.unit is None and first.deadline is None and first.next_due_at is None
    assert (first.reporter, first.reporter_name, first.created_by) == (office, "李红梅", office)
    assert first.description == "水果摊占道" and first.verifier is None

    assert (second.state, second.severity, second.source) == (State.ASSIGNED, "urgent", "census")
    assert second.unit == org["street_a1"] and second.unit_path == org["street_a1"].path
    assert str(second.latitude) == "30.250000" and str(second.longitude) == "120.160000"
    assert second.assigned_at is not None and second.verifier is None
    assert second.deadline == sla.deadline_for(second.category, "urgent", second.assigned_at)
    expected = Problem(state=State.ASSIGNED, category=second.category, severity="urgent",
                       assigned_at=second.assigned_at, deadline=second.deadline)
    sla.schedule(expected)
    assert second.next_due_at == expected.next_due_at is not None

    assert (third.category.code, third.severity, third.source, third.address) == ("0502", "difficult", "hotline", "")

    assert list(ProblemEvent.objects.order_by("id").values_list("problem__code", "action", "from_state",
                                                                 "to_state")) == [
        (first.code, "report", "", "reported"), (second.code, "report", "", "reported"),
        (second.code, "assign", "reported", "assigned"), (third.code, "report", "", "reported")]
    assign = ProblemEvent.objects.get(action="assign")
    assert assign.data["unit"] == "甲一街道" and assign.data["unit_code"] == "330102001"
    assert datetime.fromisoformat(assign.data["deadline"]) == second.deadline
    assert ProblemEvent.objects.filter(action="report").first().data == {"source": "superior", "import": "反馈清单.xlsx"}
    # the next single report continues the sequence
    assert intake_services.next_code(year) == f"WT{year}-000004"
    # the unit's handler is told once; the importer, the nearest office of these areas, is not
    assert list(Notification.objects.filter(user=handler).values_list("title", flat=True)) == ["交办：批量导入1个问题"]
    assert not Notification.objects.filter(user=office).exists()
    assert list(OutboundMessage.objects.values_list("to", "body")) == [
        ("13800001234", f"【创城办】交办：批量导入1个问题。请及时签收整改，最早的整改期限为"
                        f"{chinese_datetime(second.deadline, year=False)}")]
    event = AuditEvent.objects.get(action="cases.problem_import")
    assert event.detail == {"rows": 3, "assigned": 1, "first": first.code, "last": third.code, "recurrences": 0,
                            "duplicates": 0}


@pytest.mark.django_db
def test_import_recognises_the_same_place_whichever_unit_the_row_names(personas, org):
    """A row naming the grid at the spot of an open problem reported in the community is its
    duplicate; a row at the spot of one closed lately is its 反弹 — the rule of a single report."""
    office = personas["office_district_a"]
    litter = Category.objects.get(code="0101")
    open_one = Problem.objects.create(code="WT2025-000010", title="东门垃圾", category=litter, source="citizen",
                                      area=org["community_a1"], area_path=org["community_a1"].path,
                                      latitude="30.250100", longitude="120.160000", state=State.REPORTED)
    rows = [["东门暴露垃圾", "0101", org["grid_a1"].code, "", "", "", "", 30.25, 120.16, ""],
            ["井盖缺失", "0502", org["grid_a1"].code, "", "", "", "", 30.25, 120.16, ""]]
    closed = Problem.objects.create(code="WT2025-000011", title="井盖", category=Category.objects.get(code="0502"),
                                    source="inspection", area=org["community_a1"],
                                    area_path=org["community_a1"].path, latitude="30.250000",
                                    longitude="120.160200", state=State.CLOSED,
                                    closed_at=timezone.now() - timedelta(days=3))
    report = transfer.import_problems(actor=office, data=xlsx(rows), filename="a.xlsx")
    assert report.ok
    litter_row, cover_row = Problem.objects.exclude(pk__in=[open_one.pk, closed.pk]).order_by("code")
    assert (litter_row.duplicate_of, litter_row.recurrence_of) == (open_one, None)
    assert (cover_row.duplicate_of, cover_row.recurrence_of) == (None, closed)
    assert ProblemEvent.objects.get(problem=litter_row, action="report").data["duplicate_of"] == open_one.code
    assert AuditEvent.objects.get(action="cases.problem_import").detail["duplicates"] == 1


@pytest.mark.django_db
def test_import_links_a_recurrence_like_a_single_report(personas, org, category):
    office = personas["office_district_a"]
    old = Problem.objects.create(code="WT2025-000009", title="旧问题", category=category, source="inspection",
                                 area=org["street_a1"], area_path=org["street_a1"].path, address="人民路88号",
                                 state=State.CLOSED, closed_at=timezone.now() - timedelta(days=5))
    report = transfer.import_problems(actor=office, data=xlsx(GOOD_ROWS[:1]), filename="a.xlsx")
    assert report.ok
    new = Problem.objects.exclude(pk=old.pk).get()
    assert new.recurrence_of == old
    event = ProblemEvent.objects.get(problem=old)
    assert (event.action, event.data) == ("recurred", {"recurrence": new.code})


@pytest.mark.django_db
def test_bad_sheet_changes_nothing_and_names_rows_and_columns(personas, org):
    office = personas["office_district_a"]
    Category.objects.filter(code="0202").update(is_active=False)
    ProblemCounter.objects.create(year=timezone.localdate().year, last=41)
    department = org["department"].code
    rows = GOOD_ROWS + [
        ["", "0201", "330102001", "人民路1号", "", "", "", "", "", ""],                     # row 5
        ["标题", "9999", "330102001", "人民路1号", "", "", "", "", "", ""],                 # row 6
        ["标题", "02", "330102001", "人民路1号", "", "", "", "", "", ""],                   # row 7
        ["标题", "0201", "330103001", "人民路1号", "", "", "", "", "", ""],                 # row 8
        ["标题", "0201", "330102001", "人民路1号", "", "", "", "abc", "120", ""],           # row 9
        ["标题", "0201", "330102001", "人民路1号", "", "", "", "95", "120", ""],            # row 10
        ["标题", "0201", "330102001", "", "", "", "", "30.1", "", ""],                      # row 11
        ["标题", "0201", "330102001", "人民路1号", "", "很严重", "朋友圈", "", "", ""],     # row 12
        ["标题", "0201", "330102001", "人民路1号", "", "", "", "", "", department],         # row 13
        ["长" * 101, "0202", "330102001", "", "", "", "", "", "", ""],                      # row 14
    ]
    report = transfer.import_problems(actor=office, data=xlsx(rows), filename="bad.xlsx")
    assert not report.ok and report.created == 0
    found = [(e.row, e.column, e.message) for e in report.errors]
    assert found[:7] == [
        (5, "标题", "标题不能为空"),
        (6, "类别编码", "找不到编码为9999的问题类别"),
        (7, "类别编码", "02（市场秩序）是一级类别，请填写具体的二级类别编码"),
        (8, "区域编码", "找不到编码为330103001的区域，或不在您可以报告的范围内"),
        (9, "纬度", "“abc”不是数字"),
        (10, "纬度", "纬度应在-90到90之间，“95”超出范围"),
        (11, "经度", "经纬度须同时填写"),
    ]
    assert found[7][:2] == (12, "严重程度") and found[7][2].startswith("严重程度“很严重”无效，应为：立行立改、一般")
    assert found[8][:2] == (12, "来源") and found[8][2].startswith("来源“朋友圈”无效，应为：督查发现")
    assert found[9:] == [
        (13, "责任单位编码", f"找不到编码为{department}的责任单位，或该单位不在您的交办范围内"),
        (14, "标题", "标题不能超过100个字（现有101个字）"),
        (14, "类别编码", "类别0202（食品安全）已停用"),
        (14, "地址", "请填写地址或经纬度"),
    ]
    assert str(report.errors[0]) == "第5行「标题」：标题不能为空"
    # nothing written: no problem, no event, no code taken, no audit line of an import
    assert Problem.objects.count() == 0 and ProblemEvent.objects.count() == 0
    assert list(ProblemCounter.objects.values_list("last", flat=True)) == [41]
    assert not AuditEvent.objects.filter(action="cases.problem_import").exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_sheet_level_problems(personas):
    office = personas["office_district_a"]
    report = transfer.import_problems(actor=office, data=xlsx(GOOD_ROWS, header=HEADER[:2] + HEADER[3:]),
                                      filename="a.xlsx")
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (1, "表头", f"缺少列：区域编码（应为：{'、'.join(HEADER)}）")]
    report = transfer.import_problems(actor=office, data=xlsx([]), filename="a.xlsx")
    assert [(e.row, e.column, e.message) for e in report.errors] == [(2, "全部", "表中没有数据行")]
    with pytest.raises(SheetError, match="不是有效的Excel"):
        transfer.import_problems(actor=office, data=b"not a workbook", filename="a.xlsx")
    assert Problem.objects.count() == 0


@pytest.mark.django_db
def test_csv_saved_by_chinese_excel(personas, org):
    text = ",".join(HEADER) + "\r\n" + "人民路占道经营,0201,330102001,人民路88号,,一般,上级反馈清单,,,\r\n"
    report = transfer.import_problems(actor=personas["office_district_a"], data=text.encode("gb18030"),
                                      filename="清单.csv")
    assert report.ok and report.created == 1
    assert Problem.objects.get().title == "人民路占道经营"


# --- pages -------------------------------------------------------------------------------------

def upload(data: bytes, name: str = "清单.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=XLSX)


@pytest.mark.django_db
def test_import_page_for_the_office(login):
    client = login("office_district_a")
    page = client.get(reverse("cases:import"))
    assert page.status_code == 200 and "导入问题清单" in page.content.decode()
    response = client.post(reverse("cases:import"), {"file": upload(xlsx(GOOD_ROWS[:1] + [["", "0201", "330102001",
                                                                                              "x", "", "", "", "",
                                                                                              "", ""]]))})
    text = response.content.decode()
    assert response.status_code == 200 and "导入未完成：发现 1 处错误" in text
    assert "<td>第3行</td><td>标题</td><td>标题不能为空</td>" in text
    assert Problem.objects.count() == 0
    response = client.post(reverse("cases:import"), {"file": upload(xlsx(GOOD_ROWS))}, follow=True)
    assert response.redirect_chain == [(reverse("cases:ledger"), 302)]
    assert "导入成功：新建 3 个问题，其中 1 个已交办责任单位" in response.content.decode()
    assert Problem.objects.count() == 3
    response = client.post(reverse("cases:import"), {"file": upload(b"x,y", "a.txt")})
    assert "只支持 .xlsx 或 .csv 文件" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["handler_street_a1", "citizen", "inspector", "leader"])
def test_import_refused_to_other_personas(login, persona):
    client = login(persona)
    assert client.get(reverse("cases:import")).status_code == 403
    assert client.post(reverse("cases:import"), {"file": upload(xlsx(GOOD_ROWS))}).status_code == 403
    assert client.get(reverse("cases:import_template")).status_code == 403
    assert Problem.objects.count() == 0


@pytest.mark.django_db
def test_template_downloads_and_explains(login):
    response = login("office_city").get(reverse("cases:import_template"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "filename*=utf-8''" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["问题清单", "类别编码", "填写说明"]
    rows = [list(r) for r in workbook["问题清单"].iter_rows(values_only=True)]
    assert rows[0] == HEADER and len(rows) == 3
    assert rows[2][1] == "0101" and rows[2][9] == "370202001"
    codes = [r[0] for r in workbook["类别编码"].iter_rows(min_row=2, values_only=True)]
    assert "0201" in codes and "02" not in codes


@pytest.mark.django_db
def test_template_writes_category_names_formula_safe(login):
    Category.objects.filter(code="0201").update(name='=HYPERLINK("http://x","点我")')
    workbook = load_workbook(io.BytesIO(login("office_city").get(reverse("cases:import_template")).content))
    row = next(r for r in workbook["类别编码"].iter_rows(min_row=2) if r[0].value == "0201")
    assert (row[2].value, row[2].data_type) == ("'=HYPERLINK(\"http://x\",\"点我\")", "s")


@pytest.mark.django_db
def test_office_headers_nul_and_the_row_cap(personas, org, monkeypatch):
    office = personas["office_district_a"]
    header = ["序号", "问题标题", "问题类别编码", "所在区域编码", "问题地址", "描述"]     # 序号 is ignored
    rows = [[1, "人民路占道经营", "0201", "330102001", "人民路88号", "水果摊占道"],
            [2, "东门\x00垃圾", "0101", "330102001", "幸福小区东门", ""]]
    report = transfer.import_problems(actor=office, data=csv_bytes(header, rows), filename="a.csv")
    assert [(e.row, e.column, e.message) for e in report.errors] == [(3, "标题", "含有空字符（\\0），请删除后重试")]
    assert Problem.objects.count() == 0
    report = transfer.import_problems(actor=office, data=csv_bytes(header, rows[:1]), filename="a.csv")
    assert report.ok and Problem.objects.get().description == "水果摊占道"
    monkeypatch.setattr(transfer.SHEET, "max_rows", 1)
    report = transfer.import_problems(actor=office, data=csv_bytes(header, rows), filename="a.csv")
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (3, "全部", "表中数据超过1行，一次最多导入1行，请拆分后分批导入")]
    assert Problem.objects.count() == 1

"""A large 任务分解表 is imported by the worker as a background job, with progress: the same all-or-nothing
import, its result (the plan's sheet, or the error list) to download, and its upload deleted when it ends."""

import io
import re

import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from wenming.core.models import Job, JobStatus
from wenming.core.tests.helpers import run_pending_tasks
from wenming.plans import jobs
from wenming.plans.models import Task

from .conftest import GOOD, sheet
from .test_plans import text, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def background(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(jobs, "AT_ONCE_BYTES", 100)   # every sheet of these tests goes to the worker
    return tmp_path


def _rows(n):
    """``n`` good rows: 序号 1…n, each complete (the first row of GOOD, renumbered)."""
    return [(i, *GOOD[0][1:]) for i in range(1, n + 1)]


def test_a_large_sheet_is_imported_by_the_worker_with_progress(background, plan, login, django_capture_on_commit_callbacks):
    office = login("office_city")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office, plan, sheet(*_rows(40)))
    job = Job.objects.get(kind=jobs.KIND)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.QUEUED and job.params["plan"] == plan.pk and not Task.objects.exists()
    assert default_storage.exists(job.params["upload"]["path"])          # kept for the worker …
    page = text(office.get(f"/jobs/{job.pk}/"))
    assert "导入任务分解表：2026年创建全国文明城市工作方案" in page and "排队中" in page and "返回工作方案" in page

    assert run_pending_tasks() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Task.objects.filter(plan=plan).count() == 40
    assert job.message == "导入成功：新增 40 项任务，更新 0 项任务。"
    assert (job.progress_done, job.progress_total) == (80, 80)           # 40 rows checked, then 40 written
    assert not default_storage.exists(job.params["upload"]["path"])      # … and deleted once done
    download = office.get(f"/jobs/{job.pk}/download/")
    sheet_back = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet_back.max_row == 41 and sheet_back["A41"].value == 40   # the plan's 任务分解表 as imported


def test_a_large_sheet_with_bad_rows_writes_nothing_and_lists_every_error(background, plan, login,
                                                                           django_capture_on_commit_callbacks):
    office = login("office_city")
    rows = _rows(12)
    rows[3] = (4, "", "", "路灯", "", "", "不存在的单位", "", "2026-02-30", "", "")
    rows[9] = (4, *rows[9][1:])                                          # 序号 4 twice
    with django_capture_on_commit_callbacks(execute=True):
        upload(office, plan, sheet(*rows))
    run_pending_tasks()
    job = Job.objects.get(kind=jobs.KIND)
    assert job.status == JobStatus.FAILED and not Task.objects.exists()
    assert job.message.startswith("未导入任何任务：第5行「责任单位」：找不到单位“不存在的单位”")
    assert "第5行「完成时限」：完成时限“2026-02-30”不是有效的日期（没有这一天）" in job.message
    assert "第11行「序号」：序号4与第5行重复" in job.message
    assert "请下载错误清单，改正后重新上传。" in job.message and job.downloadable
    page = text(office.get(f"/jobs/{job.pk}/"))
    assert "失败" in page and "下载2026年创建全国文明城市工作方案-导入错误清单.xlsx" in page
    errors = load_workbook(io.BytesIO(b"".join(office.get(f"/jobs/{job.pk}/download/").streaming_content))).active
    listed = [(r[0], r[1]) for r in errors.iter_rows(min_row=2, values_only=True)]
    assert (5, "责任单位") in listed and (5, "完成时限") in listed and (11, "序号") in listed
    assert not default_storage.exists(job.params["upload"]["path"])


def test_an_unreadable_large_file_fails_in_chinese(background, plan, login, django_capture_on_commit_callbacks):
    office = login("office_city")
    with django_capture_on_commit_callbacks(execute=True):
        upload(office, plan, b"PK\x03\x04" + b"\x00" * 400)
    run_pending_tasks()
    job = Job.objects.get(kind=jobs.KIND)
    assert job.status == JobStatus.FAILED and re.match(r"未导入：.+", job.message) and not job.downloadable


def test_another_unit_cannot_start_or_see_the_import(background, plan, login, django_capture_on_commit_callbacks):
    office = login("office_city")
    with django_capture_on_commit_callbacks(execute=True):
        upload(office, plan, sheet(*_rows(3)))
    job = Job.objects.get(kind=jobs.KIND)
    district = login("office_district_a")
    assert upload(district, plan, sheet(*_rows(3))).status_code in (403, 404)
    assert district.get(f"/jobs/{job.pk}/").status_code == 404
    assert Job.objects.filter(kind=jobs.KIND).count() == 1

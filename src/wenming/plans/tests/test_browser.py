"""Headless Chromium: the city office makes a plan, imports its 任务分解表 and 下发s it; street A1's handler
reports progress with a file on his phone; the office accepts it and the plan's progress moves."""

import re

import pytest
from playwright.sync_api import expect

from wenming.bulletins.tests.test_browser import signed_in
from wenming.dashboard.tests.test_browser import browser  # noqa: F401 (fixture)
from wenming.inspections.tests.test_browser_form import document
from wenming.plans.models import ProgressReport, Task

from .conftest import sheet


@pytest.mark.browser
def test_a_plan_from_import_to_progress(transactional_db, live_server, personas, org, system, browser,  # noqa: F811
                                       settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "tasks.xlsx").write_bytes(sheet(
        (1, "", "", "主次干道路灯全部亮灯", "每周巡查，损坏48小时内修复", "市城管局", "甲一街道", "王志强", "2026-12-31",
         "主干道亮灯率=100%", 2),
        (2, "", "", "农贸市场环境整治", "无占道经营、无垃圾堆积", "", "甲一街道、甲二街道", "赵丽娟", "2026-12-31",
         "农贸市场达标率≥90%", 1),
        (3, "", "", "公益广告全覆盖", "", "", "各区", "", "", "", 1)))   # lacks the 标准, 时限, 责任人 and 目标
    (tmp_path / "记录.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    office = signed_in(browser, live_server, "office_city")
    office.get_by_role("navigation").get_by_role("link", name="工作方案").click()
    office.get_by_role("link", name="新建工作方案").click()
    office.get_by_label("方案名称").fill("2026年创建全国文明城市工作方案")
    office.get_by_role("button", name="保存").click()
    office.get_by_role("link", name="导入任务分解表").click()
    office.get_by_label("任务分解表（.xlsx 或 .csv）").set_input_files(str(tmp_path / "tasks.xlsx"))
    office.get_by_role("button", name="上传并导入").click()
    expect(office.get_by_test_id("flagged")).to_contain_text("1项任务“四明确”不全")
    document(office, "plan.png", full_page=True)
    office.get_by_role("button", name="下发3项任务").click()
    expect(office.locator(".messages")).to_contain_text("第3项缺少目标、标准、时限、责任人")
    # the office completes task 3 (a deadline, a target, a person, a standard) and issues all three
    office.get_by_role("link", name="公益广告全覆盖").click()
    form = office.get_by_test_id("task-form")
    form.get_by_label("工作标准").fill("主要街道、公共场所公益广告不少于20%")
    form.get_by_label("责任人", exact=True).fill("李红梅")
    form.get_by_label("完成时限").fill("2026-12-31")
    form.get_by_label("目标值").fill("公益广告占比≥20%")
    form.get_by_role("button", name="保存").click()
    office.get_by_role("button", name="下发3项任务").click()
    expect(office.get_by_test_id("status")).to_have_text("已下发")

    handler = signed_in(browser, live_server, "handler_street_a1")
    handler.set_viewport_size({"width": 390, "height": 844})
    handler.get_by_role("navigation").get_by_role("link", name="工作方案").click()
    handler.get_by_role("link", name=re.compile("我的任务")).click()
    expect(handler.get_by_test_id("mine")).to_contain_text("主次干道路灯全部亮灯")
    handler.get_by_test_id("mine").get_by_role("link", name="主次干道路灯全部亮灯").click()
    report = handler.get_by_test_id("report-form")
    report.get_by_label("完成进度（%）").fill("60")
    report.get_by_label("实测值").fill("96.5")
    report.get_by_label("工作进展").fill("已修复路灯32盏，剩余15盏本周内完成")
    report.get_by_label("佐证材料").set_input_files(str(tmp_path / "记录.pdf"))
    report.get_by_role("button", name="报送").click()
    expect(handler.get_by_test_id("reports")).to_contain_text("待审核")
    expect(handler.get_by_test_id("reports")).to_contain_text("记录.pdf")
    document(handler, "plan-report-phone.png", full_page=True)

    task = Task.objects.get(seq=1)
    office.goto(f"{live_server.url}/plans/tasks/{task.pk}/")
    expect(office.get_by_test_id("progress")).to_contain_text("任务进度 0%")
    review = office.get_by_test_id(f"review-{ProgressReport.objects.get().pk}")
    review.get_by_role("button", name="采纳").click()
    expect(office.get_by_test_id("reports")).to_contain_text("已采纳")
    expect(office.get_by_test_id("progress")).to_contain_text("任务进度 60%")
    office.goto(f"{live_server.url}/plans/{task.plan_id}/")
    # (60 × 2 + 0 × 1 + 0 × 1) / 4
    expect(office.get_by_test_id("plan-progress")).to_contain_text("方案总体进度 30%")

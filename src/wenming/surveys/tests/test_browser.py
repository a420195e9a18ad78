"""Headless Chromium: the city office publishes the built-in questionnaire and opens a 扫码自填 survey; a citizen
opens 甲一社区's link on a phone without an account, answers while the phone is offline (the answers wait on the
phone), comes back online (they are sent, once); answered too fast, the response waits for the office's review,
which counts it; the community's rate moves on the office's results page."""

import pytest
from playwright.sync_api import expect

from wenming.bulletins.tests.test_browser import signed_in
from wenming.dashboard.tests.test_browser import browser  # noqa: F401 (fixture)
from wenming.inspections.tests.test_browser_form import document
from wenming.surveys.models import CampaignUnit, Response


@pytest.mark.browser
def test_a_citizen_answers_offline_then_online_and_the_rate_moves(transactional_db, live_server, personas, org,
                                                                  browser):  # noqa: F811
    office = signed_in(browser, live_server, "office_city")
    office.get_by_role("navigation").get_by_role("link", name="问卷调查").click()
    office.get_by_role("link", name="问卷", exact=True).click()
    office.get_by_test_id("builtin").click()
    expect(office.locator(".messages")).to_contain_text("已建立内置问卷“创建全国文明城市市民问卷”第1版（草稿）")
    office.get_by_test_id("publish").click()
    expect(office.locator(".messages")).to_contain_text("已发布")
    office.get_by_role("link", name="问卷调查").first.click()
    office.get_by_role("link", name="新建调查").click()
    office.get_by_label("调查名称").fill("2026年12月群众满意度扫码调查")
    office.get_by_label("调查方式").select_option(label="扫码自填")
    office.get_by_label("开始日期").fill("2026-12-01")
    office.get_by_label("结束日期").fill("2026-12-31")
    office.get_by_label("样本量").fill("2")
    office.get_by_role("button", name="建立调查").click()
    expect(office.locator(".messages")).to_contain_text("共1个社区")
    office.get_by_test_id("open").click()
    expect(office.locator(".messages")).to_contain_text("调查已开始")
    link = office.get_by_test_id("link").first.inner_text()
    assert link == live_server.url + f"/public/survey/{CampaignUnit.objects.get().token}/"

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    citizen = phone.new_page()
    citizen.goto(link)
    expect(citizen.get_by_role("heading", name="创建全国文明城市市民问卷")).to_be_visible()
    channels = citizen.locator(".survey-q[data-seq='2']")
    citizen.get_by_label("C. 不知道").check()
    expect(channels).to_be_hidden()                          # 不知道: the channels question is skipped
    citizen.get_by_label("A. 知道").check()
    expect(channels).to_be_visible()
    channels.get_by_label("D. 社区宣传栏、公益广告").check()
    citizen.locator(".survey-q[data-seq='3']").get_by_label("A. 支持").check()
    citizen.locator(".survey-q[data-seq='4']").get_by_label("是").check()
    citizen.get_by_label("5分").check()
    phone.set_offline(True)                                  # in a lift, in the rain: no network
    citizen.get_by_test_id("send").click()
    expect(citizen.get_by_test_id("status")).to_contain_text("网络不通，答卷已保存在本机")
    expect(citizen.get_by_test_id("queue")).to_contain_text("本机还有 1 份答卷待发送")
    assert not Response.objects.exists()
    document(citizen, "survey-phone.png", full_page=True)
    phone.set_offline(False)                                 # back online: sent by itself
    expect(citizen.get_by_test_id("status")).to_contain_text("已提交，谢谢！")
    expect(citizen.get_by_test_id("queue")).to_have_text("")
    citizen.reload()                                         # nothing is left to send twice
    expect(citizen.get_by_test_id("queue")).to_have_text("")
    assert Response.objects.count() == 1

    # answered in seconds (under the 60-second minimum): held for review, not yet in the figures
    office.reload()
    office.get_by_role("link", name="待复核答卷（1）").click()
    row = office.get_by_test_id("flagged").get_by_role("row").filter(has_text="扫码自填")
    expect(row).to_contain_text("答题过快")
    row.get_by_role("button", name="确定").click()             # 有效，计入
    expect(office.locator(".messages")).to_contain_text("已复核")
    office.get_by_role("link", name="2026年12月群众满意度扫码调查").click()
    office.get_by_role("link", name="调查结果").click()
    row = office.get_by_test_id("rates").get_by_role("row").filter(has_text="甲一社区")
    expect(row).to_contain_text("100.0%")
    expect(row).to_contain_text("样本不足：1/2份")
    expect(office.get_by_test_id("summary")).to_contain_text("有效 1 份")
    document(office, "survey-results.png", full_page=True)

"""At a desk: the office finds points on the scatter chart, narrows them by type, opens one and
prints its QR code (headless Chromium)."""

import pytest
from playwright.sync_api import expect

from wenming.cases.tests.test_browser import browser  # noqa: F401  (fixture)
from wenming.conftest import PASSWORD


def desk(browser, live_server, username):  # noqa: F811
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="您好", exact=False)).to_be_visible()
    return page


@pytest.fixture
def point_types(transactional_db):
    from wenming.standards import defaults

    defaults.load()  # the flushed database lost the migration's point types


@pytest.mark.browser
def test_office_finds_a_point_on_the_chart_and_prints_its_qr_code(point_types, live_server, personas, org, pts,
                                                                  browser):  # noqa: F811
    page = desk(browser, live_server, "office_city")
    page.get_by_role("link", name="点位", exact=True).click()
    expect(page.get_by_role("heading", name="点位", exact=True)).to_be_visible()
    # the chart draws the four points that have coordinates (甲二广场 has none)
    expect(page.locator("#points-chart canvas").first).to_be_visible()
    expect(page.locator("#points-chart-note")).to_have_text("图中共 4 个点位。")
    expect(page.get_by_text("共 5 个点位", exact=True)).to_be_visible()
    # a type chip narrows list and chart
    page.locator(".type-counts").get_by_role("link", name="农贸市场/集贸市场 1").click()
    expect(page.get_by_text("共 1 个点位", exact=True)).to_be_visible()
    expect(page.locator("#points-chart-note")).to_have_text("图中共 1 个点位。")
    page.get_by_role("link", name="乙一农贸市场").click()
    expect(page.get_by_role("heading", name="乙一农贸市场")).to_be_visible()
    expect(page.locator(".point-qr svg.qr")).to_be_visible()
    page.get_by_role("link", name="打印二维码").click()
    expect(page.locator("svg.qr")).to_have_count(1)
    expect(page.get_by_text("乙一农贸市场").first).to_be_visible()

"""A person at a phone: log in, go from the home page to a unit's detail (headless Chromium)."""

import pytest
from playwright.sync_api import expect, sync_playwright

from wenming.conftest import PASSWORD
from wenming.core.browser import CHROMIUM_ARGS, chromium_path


@pytest.fixture
def page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        yield context.new_page()
        context.close()
        browser.close()


@pytest.mark.browser
def test_district_office_walks_from_home_to_unit(transactional_db, live_server, personas, org, page):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    expect(page.get_by_role("heading", name="文明城市创建管理平台")).to_be_visible()
    page.get_by_label("用户名").fill("office_district_a")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="您好，李红梅")).to_be_visible()
    expect(page.get_by_text("尚未修改初始密码的账号")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="组织体系").click()

    # the district is the root of his tree and its streets load under it (HTMX)
    expect(page.get_by_role("link", name="甲区", exact=True)).to_be_visible()
    page.get_by_role("link", name="甲一街道", exact=True).click()

    expect(page.get_by_role("heading", name="甲一街道")).to_be_visible()
    expect(page.locator(".crumbs")).to_have_text("甲区 › 甲一街道")  # only what he may see
    expect(page.get_by_text("330102001", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="王志强")).to_be_visible()  # the street's handler
    # the tree's toggles open and close a branch without reloading it
    page.go_back()
    toggle = page.get_by_role("button", name="展开甲一街道")
    toggle.click()
    expect(page.get_by_role("link", name="甲一社区", exact=True)).to_be_visible()
    toggle.click()
    expect(page.get_by_role("link", name="甲一社区", exact=True)).to_be_hidden()
    toggle.click()
    expect(page.get_by_role("link", name="甲一社区", exact=True)).to_be_visible()
    page.get_by_role("link", name="甲一街道", exact=True).click()
    # the street's community is reachable from there
    page.get_by_role("link", name="甲一社区", exact=True).click()
    expect(page.get_by_role("heading", name="甲一社区")).to_be_visible()


@pytest.mark.browser
def test_wrong_password_shows_chinese_error(transactional_db, live_server, personas, page):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("handler_street_a1")
    page.get_by_label("密码").fill("wrong-password-1")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".errorlist")).to_contain_text("请输入一个正确的")

"""On a phone: the handler signs a problem and submits the rectification with a photo; the
inspector verifies it and it is closed (headless Chromium)."""

import pytest
from playwright.sync_api import expect, sync_playwright

from wenming.cases.intake import services as intake_services
from wenming.cases.models import Problem, State
from wenming.cases.tests.conftest import jpeg_bytes
from wenming.cases.workflow import services
from wenming.conftest import PASSWORD
from wenming.core.browser import CHROMIUM_ARGS, chromium_path


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def phone(browser, live_server, username, geolocation=None):
    options = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN"}
    if geolocation is not None:
        options.update(geolocation=geolocation, permissions=["geolocation"])
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="您好", exact=False)).to_be_visible()
    return page


@pytest.mark.browser
def test_handler_rectifies_on_a_phone(transactional_db, live_server, personas, org, intake, browser, tmp_path):
    from wenming.cases.settings.defaults import load

    load()  # the transactional test database starts without the migration's data
    problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    services.problem_assign(actor=personas["office_district_a"], problem=problem, unit=org["street_a1"])

    page = phone(browser, live_server, "handler_street_a1")
    page.get_by_role("navigation").get_by_role("link", name="本单位问题").click()
    page.get_by_role("link", name="人行道占道经营").click()
    expect(page.get_by_role("heading", name="人行道占道经营")).to_contain_text("已交办")
    page.get_by_role("button", name="签收").click()
    expect(page.locator(".messages")).to_contain_text("签收：已完成")

    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg_bytes((40, 160, 60)))
    # after 签收 the primary action is first and already open; the requests are folded away
    expect(page.locator("details.action").first).to_have_attribute("data-action", "submit")
    expect(page.locator("details.action[data-action=submit]")).to_have_attribute("open", "")
    expect(page.locator("details.action[data-action=request_extension]")).not_to_be_visible()
    form = page.locator("details.action[data-action=submit]").locator("form")
    form.locator("textarea[name=note]").fill("摊位已清理，设置劝导员")
    form.locator("input[name=photos]").set_input_files(str(photo))
    form.get_by_role("button", name="整改完成").click()
    expect(page.locator(".messages")).to_contain_text("整改完成：已完成")
    expect(page.get_by_role("heading", name="人行道占道经营")).to_contain_text("待复核")
    expect(page.locator("h2:has-text('整改后') + .photos img")).to_have_count(1)

    page = phone(browser, live_server, "inspector")
    page.get_by_role("navigation").get_by_role("link", name="待复核").click()
    page.get_by_role("link", name="人行道占道经营").click()
    page.get_by_role("button", name="复核通过（销号）").click()
    expect(page.get_by_role("heading", name="人行道占道经营")).to_contain_text("已销号")
    assert Problem.objects.get(pk=problem.pk).state == State.CLOSED


@pytest.mark.browser
def test_grid_worker_reports_with_a_photo(transactional_db, live_server, personas, org, browser, tmp_path):
    from wenming.cases.settings.defaults import load

    load()
    photo = tmp_path / "before.jpg"
    photo.write_bytes(jpeg_bytes())
    page = phone(browser, live_server, "grid_worker")
    page.get_by_role("navigation").get_by_role("link", name="报告问题").click()
    expect(page.get_by_test_id("place-found")).to_contain_text("甲一社区第1网格")  # his grid, nothing typed
    page.get_by_label("问题标题").fill("楼道堆放杂物")
    page.get_by_label("类别").select_option(label="乱堆乱放")
    page.get_by_label("地址").fill("甲一社区3栋2单元")
    page.locator("#id_photos").set_input_files(str(photo))
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="楼道堆放杂物")).to_contain_text("待受理")
    expect(page.locator("h2:has-text('整改前') + .photos img")).to_have_count(1)
    problem = Problem.objects.get(title="楼道堆放杂物")
    assert problem.source == "grid" and problem.area == org["grid_a1"]

"""Form controls speak Chinese even in a browser set to English: the date picker (flatpickr's
Chinese locale, on phones too) and the file inputs (a Chinese button and status line)."""

import re

import pytest
from playwright.sync_api import expect

from wenming.cases.tests.test_browser import browser  # noqa: F401  (the fixture)
from wenming.conftest import PASSWORD


def english_phone(browser, live_server, username):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="您好", exact=False)).to_be_visible()
    return page


@pytest.mark.browser
def test_dates_and_files_are_chosen_in_chinese(transactional_db, live_server, personas, org, browser):  # noqa: F811
    from wenming.cases.settings.defaults import load

    load()
    page = english_phone(browser, live_server, "office_district_a")
    page.goto(f"{live_server.url}/problems/")
    start = page.locator("#f-start + input")  # the date field as people see it
    expect(start).to_have_attribute("placeholder", "年-月-日")
    start.click()
    calendar = page.locator(".flatpickr-calendar.open")
    expect(calendar.locator(".flatpickr-weekday").first).to_contain_text("周")
    calendar.locator(".flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)", has_text="15").first.click()
    expect(page.locator("#f-start")).to_have_value(re.compile(r"^\d{4}-\d{2}-15$"))
    expect(start).to_have_value(re.compile(r"^\d{4}年\d{1,2}月15日$"))
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"start=\d{4}-\d{2}-15"))

    page.goto(f"{live_server.url}/problems/new/")
    expect(page.get_by_role("button", name="拍照或选择照片")).to_be_visible()
    expect(page.locator(".file-status")).to_have_text("未选择照片")

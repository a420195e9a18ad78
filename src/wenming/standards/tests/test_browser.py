"""At a desk: the city office loads the built-in evaluation system, looks through it by point
type and puts it in use (headless Chromium)."""

import pytest
from playwright.sync_api import expect

from wenming.cases.tests.test_browser import browser  # noqa: F401  (fixture)
from wenming.places.tests.test_browser import desk, point_types  # noqa: F401  (fixture)
from wenming.standards.models import IndexSystem, SystemStatus


@pytest.fixture
def categories(transactional_db):
    from wenming.cases.settings import defaults

    defaults.load()  # the template's items name problem categories; the flushed database lost them


@pytest.mark.browser
def test_office_loads_the_builtin_system_and_puts_it_in_use(point_types, categories, live_server, personas, browser):  # noqa: F811
    page = desk(browser, live_server, "office_city")
    page.get_by_role("link", name="测评体系", exact=True).click()
    page.get_by_role("button", name="载入内置模板").click()
    expect(page.locator(".messages")).to_contain_text("已载入内置模板")
    expect(page.locator(".messages")).to_contain_text("共 126 个检查项")
    expect(page.locator("h1 .badge")).to_have_text("草稿")
    # only the items that apply to 农贸市场
    expect(page.locator("table.items tr[id^=item-]")).to_have_count(126)
    page.get_by_label("只看适用于").select_option(label="农贸市场/集贸市场")
    expect(page.locator("table.items tr[id^=item-]")).to_have_count(8)
    page.get_by_role("button", name="启用").click()
    expect(page.locator("h1 .badge")).to_have_text("在用")
    assert IndexSystem.objects.get().status == SystemStatus.ACTIVE

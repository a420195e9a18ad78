"""At a desk: a district office plans a 周测评 of its district, draws the sample, shares it among
its inspectors and opens the round; the inspector finds the points in 我的测评 (headless Chromium)."""

import pytest
from playwright.sync_api import expect

from wenming.cases.tests.test_browser import browser, phone  # noqa: F401  (fixture)
from wenming.inspections.models import InspectionRound, RoundPoint, RoundStatus
from wenming.places.tests.test_browser import desk


@pytest.mark.browser
def test_district_office_plans_samples_assigns_and_opens_a_round(transactional_db, live_server, personas, org,
                                                                 points, browser):  # noqa: F811
    page = desk(browser, live_server, "office_district_a")
    page.get_by_role("link", name="督查测评", exact=True).click()
    page.get_by_role("link", name="新建轮次").click()
    # the dates come filled in (this week), in the form a date picker takes
    expect(page.get_by_label("开始日期")).not_to_have_value("")
    page.get_by_label("轮次名称").fill("第48周测评")
    page.get_by_label("类型").select_option(label="周测评")
    page.get_by_label("组织单位").select_option(label=org["district_a"].name)
    page.get_by_label("测评范围").select_option(label=org["district_a"].name)
    page.get_by_label("抽样方式").select_option(label="全部点位")
    page.get_by_role("button", name="创建").click()
    expect(page.locator(".messages")).to_contain_text("轮次已创建")
    expect(page.get_by_role("heading", name="第48周测评")).to_be_visible()

    page.get_by_role("button", name="抽取样本").click()
    expect(page.locator(".messages")).to_contain_text("已抽取 2 个点位")   # district A's two points, not B's
    page.get_by_label("把未分配的点位平均分给（可多选）").select_option(index=0)
    page.get_by_role("button", name="分配测评员").click()
    expect(page.locator(".messages")).to_contain_text("已将 2 个点位分配给 1 名测评员")
    page.get_by_role("button", name="开始测评").click()
    expect(page.locator(".messages")).to_contain_text("轮次已开始")

    round_ = InspectionRound.objects.get(title="第48周测评")
    assert round_.status == RoundStatus.OPEN and round_.owner == org["district_a"]
    rows = RoundPoint.objects.filter(round=round_)
    assert sorted(rows.values_list("point__code", flat=True)) == ["P1", "P2"]
    inspector = rows.first().inspector
    assert inspector is not None and rows.filter(inspector=inspector).count() == 2

    mobile = phone(browser, live_server, inspector.username)
    mobile.goto(f"{live_server.url}/inspections/mine/")
    expect(mobile.locator(".problem-card")).to_have_count(2)
    expect(mobile.locator(".problem-card").first).to_contain_text("第48周测评")

"""随手拍 on a phone (headless Chromium, 390×844): a citizen reports with his location only — no
code typed — and the problem lands in the grid; a form that comes back with an error keeps the
photo; the same spot reported again by a grid worker is flagged as a duplicate before he submits,
and as a 反弹 once the first one is closed."""

import json

import pytest
from playwright.sync_api import expect

from wenming.cases.models import Problem, ProblemPhoto, State
from wenming.cases.tests.conftest import jpeg_bytes
from wenming.cases.tests.test_browser import browser, phone  # noqa: F401  (the fixture and the login)
from wenming.org import boundaries

SPOT = {"latitude": 30.25, "longitude": 120.16}


def square(lon: float, lat: float, size: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                [lon, lat + size], [lon, lat]]]}


@pytest.fixture
def city(transactional_db, personas, org):
    from wenming.cases.settings.defaults import load

    load()
    features = [(org["community_a1"], square(120.15, 30.24, 0.02)), (org["grid_a1"], square(120.155, 30.245, 0.01))]
    data = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": unit.code}, "geometry": geometry} for unit, geometry in features]})
    assert boundaries.import_boundaries(actor=personas["office_city"], data=data.encode(), filename="g.geojson").ok
    return org


def fill_report(page, title: str, category: str = "乱堆乱放"):
    page.get_by_label("问题标题").fill(title)
    page.get_by_label("类别").select_option(label=category)


@pytest.mark.browser
def test_a_citizen_reports_with_his_location_only_and_an_error_keeps_his_photo(live_server, city, browser,  # noqa: F811
                                                                               tmp_path):
    photo = tmp_path / "litter.jpg"
    photo.write_bytes(jpeg_bytes())
    page = phone(browser, live_server, "citizen", geolocation=SPOT)
    page.get_by_role("navigation").get_by_role("link", name="报告问题").click()
    expect(page.get_by_test_id("place-found")).to_contain_text("甲一社区第1网格")
    expect(page.get_by_label("严重程度")).to_have_count(0)  # a citizen sets neither 严重程度 nor 来源
    expect(page.get_by_label("来源")).to_have_count(0)
    page.get_by_label("类别").select_option(label="乱堆乱放")
    page.locator("#id_photos").set_input_files(str(photo))
    page.get_by_role("button", name="提交").click()  # no title
    expect(page.locator("#id_title_error")).to_contain_text("必填")
    expect(page.get_by_test_id("kept-photos").locator("img")).to_have_count(1)
    expect(page.get_by_test_id("place-found")).to_contain_text("甲一社区第1网格")
    page.get_by_label("问题标题").fill("楼下垃圾堆放")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="楼下垃圾堆放")).to_contain_text("待受理")
    problem = Problem.objects.get(title="楼下垃圾堆放")
    assert (problem.area, problem.source) == (city["grid_a1"], "citizen")
    assert (float(problem.latitude), float(problem.longitude)) == (30.25, 120.16)
    assert ProblemPhoto.objects.filter(problem=problem).count() == 1
    expect(page.locator(".messages")).to_contain_text(problem.tracking_display)


@pytest.mark.browser
def test_the_same_spot_by_a_grid_worker_is_a_duplicate_then_a_recurrence(live_server, city, browser):  # noqa: F811
    first = phone(browser, live_server, "citizen", geolocation=SPOT)
    first.goto(f"{live_server.url}/problems/new/")
    expect(first.get_by_test_id("place-found")).to_contain_text("甲一社区第1网格")
    fill_report(first, "路边垃圾")
    first.get_by_role("button", name="提交").click()
    expect(first.get_by_role("heading", name="路边垃圾")).to_be_visible()
    original = Problem.objects.get(title="路边垃圾")

    near = {"latitude": 30.25012, "longitude": 120.16008}  # about 15 m away
    page = phone(browser, live_server, "grid_worker", geolocation=near)
    page.goto(f"{live_server.url}/problems/new/")
    page.get_by_role("button", name="使用我的位置").click()
    page.get_by_label("类别").select_option(label="乱堆乱放")
    expect(page.get_by_test_id("nearby-open")).to_contain_text(original.code)
    page.get_by_label("问题标题").fill("垃圾又堆起来了")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="垃圾又堆起来了")).to_contain_text("疑似重复")
    assert Problem.objects.get(title="垃圾又堆起来了").duplicate_of == original

    Problem.objects.filter(title="垃圾又堆起来了").update(state=State.MERGED, merged_into=original)
    Problem.objects.filter(pk=original.pk).update(state=State.CLOSED, closed_at=original.created_at)
    page.goto(f"{live_server.url}/problems/new/")
    page.get_by_role("button", name="使用我的位置").click()
    page.get_by_label("类别").select_option(label="乱堆乱放")
    expect(page.get_by_test_id("nearby-closed")).to_contain_text("提交后将作为反弹问题处理")
    page.get_by_label("问题标题").fill("反弹了")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="反弹了")).to_contain_text("反弹")
    assert Problem.objects.get(title="反弹了").recurrence_of == original


@pytest.mark.browser
def test_a_place_is_picked_on_the_plan_when_there_is_no_location(live_server, city, browser):  # noqa: F811
    page = phone(browser, live_server, "citizen")  # no permission to locate
    page.goto(f"{live_server.url}/problems/new/")
    expect(page.locator("#geo-status")).to_contain_text("未能定位")
    page.get_by_role("button", name="在示意图上点选").click()
    page.locator("path[data-drill='1']").first.click()  # the community: drill down to its grid
    page.locator("path.plan-leaf").first.click()
    expect(page.get_by_test_id("place-found")).to_contain_text("甲一社区第1网格")
    fill_report(page, "井边杂物")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="井边杂物")).to_be_visible()
    problem = Problem.objects.get(title="井边杂物")
    assert problem.area == city["grid_a1"] and problem.latitude is not None


@pytest.mark.browser
def test_the_office_assigns_to_a_unit_found_by_name(live_server, city, personas, browser):  # noqa: F811
    from wenming.cases.intake import services as intake_services
    from wenming.cases.models import Category

    reported, _ = intake_services.problem_report(actor=personas["citizen"], intake=intake_services.Intake(
        title="井盖松动", category=Category.objects.get(code="0502"), area=city["community_a1"], address="东门"))
    page = phone(browser, live_server, "office_district_a")
    page.goto(f"{live_server.url}/problems/{reported.code}/")
    form = page.locator("details.action[data-action=assign]")
    expect(form).to_have_attribute("open", "")
    expect(form.get_by_test_id("unit-picker-unit")).to_contain_text("已选：甲一社区")  # the suggestion
    form.get_by_label("责任单位（已按建议填好，可按名称另选）").fill("甲二")
    form.get_by_role("button", name="甲二街道").click()
    expect(form.get_by_test_id("unit-picker-unit")).to_contain_text("已选：甲二街道")
    form.get_by_role("button", name="交办").click()
    expect(page.locator(".messages")).to_contain_text("交办：已完成")
    assert Problem.objects.get(pk=reported.pk).unit == city["street_a2"]

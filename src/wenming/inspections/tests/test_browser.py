"""On a phone: an inspector opens a point by its QR link, scores every item, attaches a photo and
submits; the office then sees the point's score and the new problem (headless Chromium)."""

import pytest
from playwright.sync_api import expect

from wenming.cases.models import Problem, State
from wenming.cases.tests.conftest import jpeg_bytes
from wenming.cases.tests.test_browser import browser, phone  # noqa: F401  (fixture)
from wenming.inspections.models import RoundPoint

from .test_services import opened


@pytest.mark.browser
def test_inspector_scores_a_point_from_its_qr_code(transactional_db, live_server, personas, org, points, make_round,
                                                    browser, tmp_path):  # noqa: F811
    round_ = opened(make_round(scope=[org["street_a1"]]), personas)
    station = points["station"]
    photo = tmp_path / "smoking.jpg"
    photo.write_bytes(jpeg_bytes((90, 90, 90)))

    page = phone(browser, live_server, "inspector")
    page.goto(f"{live_server.url}/points/q/{station.qr_token}/")      # what the printed QR code holds
    expect(page.get_by_role("heading", name="甲一文化站")).to_be_visible()
    items = page.locator("fieldset.check-item")
    expect(items).to_have_count(3)
    whz05 = items.filter(has_text="WHZ05")
    whz05.get_by_label("不符合", exact=True).check()
    whz05.locator("textarea").fill("会议室内发现烟头")
    whz05.locator("input[type=file]").set_input_files(str(photo))
    items.filter(has_text="WHZ01").get_by_label("基本符合", exact=True).check()
    whz09 = items.filter(has_text="WHZ09")
    whz09.get_by_label("有专人负责").check()
    whz09.get_by_label("有管理制度").check()
    page.get_by_role("button", name="提交测评").click()
    expect(page.locator(".messages")).to_contain_text("测评已提交：甲一文化站 得分 52.35")
    expect(page.locator("strong.score")).to_have_text("52.35")

    row = RoundPoint.objects.get(round=round_, point=station)
    assert (row.status, str(row.score), row.failed_items) == ("done", "52.35", 1)
    problem = Problem.objects.get()
    assert (problem.state, problem.unit_id, problem.photos.count()) == (State.ASSIGNED, org["street_a1"].pk, 1)

    page = phone(browser, live_server, "office_city")
    page.goto(f"{live_server.url}/inspections/{round_.pk}/")
    expect(page.get_by_role("heading", name="单位得分")).to_be_visible()
    expect(page.get_by_role("link", name="52.35")).to_be_visible()
    page.get_by_role("link", name="52.35").click()
    expect(page.get_by_role("link", name=problem.code)).to_be_visible()
    page.get_by_role("link", name=problem.code).click()
    expect(page.get_by_role("heading", name=problem.title[:20], exact=False)).to_contain_text("已交办")

"""Headless Chromium: the city office sets up the archive from the index system; street A1's handler uploads a
material on his phone; the district office returns it with a reason, the street uploads again, the district
passes it; the city office sees the cell turn 齐全 in the matrix and reads the 迎检 readiness report."""

import pytest
from playwright.sync_api import expect

from wenming.archives.models import Evidence, EvidenceStatus, Requirement
from wenming.bulletins.tests.test_browser import signed_in
from wenming.dashboard.tests.test_browser import browser  # noqa: F401 (fixture)
from wenming.inspections.tests.test_browser_form import document

from .conftest import pdf


@pytest.mark.browser
def test_a_material_from_upload_to_the_matrix(transactional_db, live_server, personas, org, system, points,
                                             browser, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "活动记录.pdf").write_bytes(pdf(marker="一"))
    (tmp_path / "活动记录（补充）.pdf").write_bytes(pdf(marker="二"))
    (tmp_path / "病毒.pdf").write_bytes(b"MZ\x90\x00" + b"\x00" * 100)
    office = signed_in(browser, live_server, "office_city")
    office.get_by_role("navigation").get_by_role("link", name="创城档案").click()
    office.get_by_test_id("derive").click()
    expect(office.locator(".messages")).to_contain_text("从19个材料审核检查项生成材料要求46项")
    requirement = Requirement.objects.get(code="JD01-2")

    handler = signed_in(browser, live_server, "handler_street_a1")
    handler.set_viewport_size({"width": 390, "height": 844})
    handler.get_by_role("navigation").get_by_role("link", name="创城档案").click()
    own = handler.get_by_test_id("own")
    own.get_by_role("link", name=requirement.title).click()
    form = handler.get_by_test_id("upload-form")
    form.get_by_label("材料名称").fill("2026年邻居节活动记录")
    form.get_by_label("材料文件").set_input_files(str(tmp_path / "病毒.pdf"))
    form.get_by_role("button", name="上传").click()
    expect(handler.locator(".messages")).to_contain_text("的内容是Windows 程序，不是文档或图片，已拒绝")
    assert not Evidence.objects.exists()
    form = handler.get_by_test_id("upload-form")
    form.get_by_label("材料名称").fill("2026年邻居节活动记录")
    form.get_by_label("形成日期").fill("2026-05-20")
    form.get_by_label("材料文件").set_input_files(str(tmp_path / "活动记录.pdf"))
    form.get_by_role("button", name="上传").click()
    expect(handler.get_by_test_id("evidence")).to_contain_text("待审核")
    expect(handler.get_by_test_id("cell")).to_contain_text("部分")
    document(handler, "archive-phone.png", full_page=True)

    district = signed_in(browser, live_server, "office_district_a")
    district.get_by_role("navigation").get_by_role("link", name="创城档案").click()
    district.get_by_test_id("waiting-link").click()
    row = district.get_by_test_id("waiting").get_by_role("row").filter(has_text="2026年邻居节活动记录")
    row.get_by_label("审核意见").fill("缺少活动照片")
    row.get_by_role("button", name="退回").click()
    expect(district.locator(".messages")).to_contain_text("已退回")
    assert Evidence.objects.get().status == EvidenceStatus.RETURNED

    handler.reload()
    expect(handler.get_by_test_id("evidence")).to_contain_text("缺少活动照片")
    form = handler.get_by_test_id("upload-form")
    form.get_by_label("材料名称").fill("2026年邻居节活动记录（补充照片）")
    form.get_by_label("材料文件").set_input_files(str(tmp_path / "活动记录（补充）.pdf"))
    form.get_by_role("button", name="上传").click()
    district.get_by_role("link", name="创城档案").first.click()
    district.get_by_test_id("waiting-link").click()
    district.get_by_test_id("waiting").get_by_role("row").filter(has_text="补充照片").get_by_role(
        "button", name="合格").click()
    expect(district.locator(".messages")).to_contain_text("已审核合格")
    handler.reload()
    expect(handler.get_by_test_id("cell")).to_contain_text("齐全")

    office.goto(f"{live_server.url}/archives/matrix/?year=2026")
    cell = office.get_by_test_id("matrix").get_by_role("row").filter(has_text="甲一街道").locator("td.cell-complete")
    expect(cell).to_have_count(1)
    expect(cell).to_have_text("1/1")
    document(office, "archive-matrix.png", full_page=True)
    office.get_by_role("link", name="创城档案").first.click()
    office.get_by_role("link", name="迎检准备情况").click()
    expect(office.get_by_test_id("materials")).to_contain_text("齐全 1")
    document(office, "archive-readiness.png", full_page=True)

"""A 月通报 through the pages in headless Chromium: the city office puts its own Word 版式 in use (a
wrong file first), drafts the bulletin of a closed month, has its files made, sends it for review; a
city leader approves it; the office issues it and the numbered files are there to download."""

import re

import pytest
from playwright.sync_api import expect

from wenming.bulletins.models import Bulletin, BulletinStatus
from wenming.conftest import PASSWORD
from wenming.core.tests.helpers import run_pending_tasks
from wenming.dashboard.tests.test_browser import browser  # noqa: F401 (fixture)
from wenming.inspections.tests.test_browser_form import document

from .test_templates import MARK, custom


def signed_in(browser, live_server, username):  # noqa: F811
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    return page


@pytest.mark.browser
def test_an_office_issues_a_monthly_bulletin_in_its_own_format(transactional_db, live_server, november, personas,
                                                                city_leader, browser, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "own.docx").write_bytes(custom())
    (tmp_path / "wrong.docx").write_bytes("不是Word文档".encode())
    office = signed_in(browser, live_server, "office_city")
    office.get_by_role("navigation").get_by_role("link", name="通报").click()
    office.get_by_role("link", name="通报模板").click()
    expect(office.get_by_test_id("current")).to_contain_text("系统默认模板")
    upload = office.get_by_test_id("upload")
    upload.get_by_label("Word模板（.docx）").set_input_files(str(tmp_path / "wrong.docx"))
    upload.get_by_role("button", name="上传并启用").click()
    expect(office.get_by_test_id("upload")).to_contain_text("文件不是 Word 文档（.docx），无法打开")
    expect(office.get_by_test_id("current")).to_contain_text("系统默认模板")   # nothing changed
    upload = office.get_by_test_id("upload")
    upload.get_by_label("Word模板（.docx）").set_input_files(str(tmp_path / "own.docx"))
    upload.get_by_label("说明").fill("2027年版头")
    upload.get_by_role("button", name="上传并启用").click()
    expect(office.get_by_test_id("current")).to_contain_text("own.docx")
    expect(office.get_by_test_id("template-rows")).to_contain_text("使用中")
    document(office, "bulletin-templates.png", full_page=True)

    # the bulletin of November, drafted from the closed period
    office.get_by_role("link", name="通报", exact=True).first.click()
    office.get_by_role("link", name="起草通报").click()
    office.get_by_label("类别").select_option(label="月通报")
    office.get_by_label("考核期").select_option(str(november.pk))
    office.get_by_role("button", name="建立草稿").click()
    expect(office.get_by_test_id("preview")).to_contain_text("甲二街道")
    office.get_by_role("button", name="生成Word和PDF").click()
    expect(office).to_have_url(re.compile(r"/jobs/\d+/"))
    run_pending_tasks()
    bulletin = Bulletin.objects.get()
    office.goto(f"{live_server.url}/bulletins/{bulletin.pk}/")
    expect(office.get_by_test_id("files")).to_contain_text("下载Word")
    expect(office.get_by_test_id("template")).to_have_text("own.docx")
    office.get_by_role("button", name="送领导审核").click()
    expect(office.get_by_test_id("status")).to_have_text("待审核")

    city_leader.set_password(PASSWORD)
    city_leader.save(update_fields=["password"])
    leader = signed_in(browser, live_server, "city_leader")
    leader.goto(f"{live_server.url}/bulletins/{bulletin.pk}/")
    leader.get_by_role("button", name="审核通过").click()
    expect(leader.get_by_test_id("status")).to_have_text("已审核")

    office.reload()
    office.get_by_role("button", name="印发").click()
    expect(office.get_by_test_id("status")).to_have_text("已印发")
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.ISSUED and re.fullmatch(r".+通〔\d{4}〕1号", bulletin.number)
    expect(office.get_by_test_id("number")).to_have_text(bulletin.number)
    run_pending_tasks()
    office.reload()
    with office.expect_download() as download:
        office.get_by_test_id("files").get_by_role("link", name="下载Word").click()
    data = open(download.value.path(), "rb").read()
    from .test_flow import docx_text

    text = docx_text(data)
    assert bulletin.number in text and MARK in text

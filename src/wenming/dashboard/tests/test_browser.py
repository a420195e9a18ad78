"""A leader drills down from the dashboard (headless Chromium): his street's rank → the score's
explanation → the round → the point's result → the failed item's photo."""

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from wenming.conftest import PASSWORD
from wenming.core.browser import CHROMIUM_ARGS, chromium_path
from wenming.core.services_photos import photo_create
from wenming.inspections import services as inspections
from wenming.inspections.models import ItemResult, RoundPoint
from wenming.inspections.tests.conftest import make_point, system  # noqa: F401 (fixture)
from wenming.inspections.tests.test_browser_form import document
from wenming.scoring import services as scoring


def jpeg(color=(200, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.mark.browser
def test_a_leader_drills_from_a_rank_down_to_an_item_photo(transactional_db, live_server, personas, org, system,  # noqa: F811
                                                           browser, monkeypatch):
    from wenming.dashboard import tables

    office, district = personas["office_city"], personas["office_district_a"]
    point = make_point("A1-WHZ", "甲一街道综合文化站", "WHZ", org["street_a1"], org["street_a1"])
    round_ = inspections.round_create(
        actor=district, title="甲区第47周测评", kind="weekly", system=system, owner=org["district_a"],
        scope_units=[org["district_a"]], period_start=datetime.date(2026, 11, 16), period_end=datetime.date(2026, 11, 22))
    inspections.round_sample(actor=district, round_=round_)
    inspections.round_assign(actor=district, round_=round_, inspectors=[personas["inspector"]])
    inspections.round_open(actor=district, round_=round_)
    rp = RoundPoint.objects.select_related("round", "point").get(round=round_, point=point)
    items = {item.code: item for item in inspections.items_for(rp)}
    photo = photo_create(actor=personas["inspector"], data=jpeg(), filename="现场.jpg", unit=org["street_a1"])
    inspections.inspection_submit(actor=personas["inspector"], round_point=rp, submit_key="drill-1", answers={
        items["WHZ05"].pk: inspections.Answer(verdict="fail", note="有吸烟现象", photos=[photo]),
        items["WHZ01"].pk: inspections.Answer(verdict="pass"),
        items["WHZ09"].pk: inspections.Answer(conditions=[1, 2])})
    inspections.round_close(actor=district, round_=round_)
    inspections.round_publish(actor=district, round_=round_)
    assert ItemResult.objects.get(inspection__round_point=rp, failed=True).photos.count() == 1
    rules = scoring.default_rules("街道考核")
    rules.min_sample = 1
    scheme = scoring.scheme_create(actor=office, owner=org["city"], root=org["city"], unit_kind="street", rules=rules,
                                   activate=True)
    scoring.period_close(actor=office, scheme=scheme, kind="month", day=datetime.date(2026, 11, 15),
                         now=max(timezone.now(), datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.timezone.utc)))

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("leader")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation").get_by_role("link", name="领导驾驶舱").click()
    expect(page.get_by_role("heading", name="领导驾驶舱 · 甲区")).to_be_visible()
    expect(page.locator("[data-table=today_units] canvas")).to_have_count(1)   # ECharts drew the chart
    document(page, "dashboard.png")
    monkeypatch.setattr(tables, "LAZY_ROWS", 2)   # tables longer than 2 rows now load their rows when opened
    page.reload()
    units = page.get_by_test_id("table-today_units")   # 甲一街道, 甲二街道, 甲区合计: a "long" table here
    expect(units).to_contain_text("正在加载")
    page.locator("[data-table=today_units] details.dash-lazy summary").click()   # its rows come now (HTMX)
    expect(units).to_contain_text("甲区合计")
    expect(units).not_to_contain_text("正在加载")
    monkeypatch.setattr(tables, "LAZY_ROWS", 60)
    page.reload()
    ranking = page.get_by_test_id("table-ranking_0")
    expect(ranking).to_contain_text("甲一街道")
    ranking.get_by_role("link", name="甲一街道").click()
    expect(page.get_by_test_id("rounds")).to_contain_text("甲区第47周测评")
    document(page, "score-explained.png", full_page=True)
    page.get_by_test_id("rounds").get_by_role("link", name="甲区第47周测评").click()
    expect(page.get_by_role("heading", name="甲区第47周测评")).to_be_visible()
    page.locator(f"a[href='/inspections/result/{rp.pk}/']").first.click()
    image = page.locator(f"img[src='/photos/{photo.pk}/thumb/']")
    expect(image).to_be_visible()
    # the photo itself was served to the leader: wait for it to finish loading (or fail), then measure it
    assert image.evaluate("""img => img.complete ? img.naturalWidth : new Promise(done => {
        img.addEventListener("load", () => done(img.naturalWidth));
        img.addEventListener("error", () => done(0));
    })""") > 0

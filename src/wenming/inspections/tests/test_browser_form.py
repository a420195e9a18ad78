"""The inspection form and its result on a phone (headless Chromium, 390×844), and 复制上一轮 at a
desk: an inspector fills a 30-item checklist with 其余全部符合 and sees the counter; a refused
submission shows each error at its item and keeps the photo; the result reads as cards without
sideways scrolling; the office plans next week's round by copying this week's.

With WENMING_DOC_IMAGES set to a directory (docs/images), the tests also save the screenshots the
user guide shows."""

import datetime
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from wenming.cases.models import Problem
from wenming.cases.settings import defaults as case_defaults
from wenming.cases.tests.conftest import jpeg_bytes
from wenming.cases.tests.test_browser import browser, phone  # noqa: F401  (the fixture and the login)
from wenming.inspections import services
from wenming.inspections.models import InspectionRound, ItemResult, RoundPoint
from wenming.org.models import Team, TeamKind, TeamMember, TeamPost
from wenming.places.tests.test_browser import desk
from wenming.standards import services as standards_services
from wenming.standards.models import SystemStatus

from .conftest import make_point
from .test_services import STATION_ANSWERS, opened, submit

D = datetime.date

VERDICT = "{kind: 判定, shares: {符合: 100, 基本符合: 50, 不符合: 0}}"
GRADE_CONDITIONS = ("{kind: 等级, by: 条件, conditions: [有专人管理, 有管理制度, 有台账记录], "
                    "grades: [{grade: A, share: 100, min: 3}, {grade: B, share: 80, min: 2}, "
                    "{grade: C, share: 60, min: 1}, {grade: 'C#', share: 0, min: 0}], pass: C}")
GRADE_RATE = ("{kind: 等级, by: 比率, grades: [{grade: A, share: 100, min: 95}, {grade: B, share: 80, min: 80}, "
              "{grade: C, share: 60, min: 70}, {grade: D, share: 0, min: 0}], pass: C}")
DEDUCTION = "{kind: 扣分, per: 1, unit: 处}"


def thirty_items() -> str:
    """A 集贸市场 checklist of 30 items under three indicators, ten each: 26 verdict items (2 points
    each), two deduction items (5 points, 1 per 处) and two grade items (4 points)."""
    groups = [("01", "市场环境卫生", [f"V{n:02d}" for n in range(1, 11)]),
              ("02", "经营秩序", [f"V{n:02d}" for n in range(11, 19)] + ["D01", "D02"]),
              ("03", "文明宣传与管理", [f"V{n:02d}" for n in range(19, 27)] + ["G01", "G02"])]
    lines = ["system: {name: 集贸市场测评细则, version: '2026版'}", "point_types:", "  - {code: JM, name: 集贸市场}",
             "indicators:"]
    for code, name, items in groups:
        lines += [f"  - code: '{code}'", f"    name: {name}", "    items:"]
        for item in items:
            score, rule = {"V": (2, VERDICT), "D": (5, DEDUCTION), "G": (4, GRADE_CONDITIONS)}[item[0]]
            if item == "G02":
                rule = GRADE_RATE
            lines += [f"      - code: {item}", f"        content: 检查内容{item}：场内{name}符合要求。",
                      "        point_types: [JM]", f"        score: {score}", f"        scoring: {rule}"]
    return "\n".join(lines) + "\n"


def document(page, name: str, **options) -> None:
    """A screenshot for docs/user-guide.md, when WENMING_DOC_IMAGES names where they go (docs/images),
    kept small: 256 colours."""
    folder = os.environ.get("WENMING_DOC_IMAGES")
    if folder:
        from PIL import Image

        path = Path(folder) / name
        page.screenshot(path=str(path), **options)
        Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)


WIDER = """Array.from(document.querySelectorAll("main *")).filter(el => el.getBoundingClientRect().right
    > window.innerWidth + 0.5).slice(0, 10).map(el => el.tagName + "." + el.className + "#" + el.id)"""


def no_sideways_scroll(page) -> None:
    """The page is no wider than the phone (the elements sticking out named when it is)."""
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), page.evaluate(WIDER)


@pytest.fixture
def market(transactional_db, personas, org):
    """The round point of a 集贸市场 in an open 周测评, assigned to the inspector."""
    case_defaults.load()  # the flushed database lost the migration's categories
    office = personas["office_city"]
    report, system = standards_services.system_import(actor=office, data=thirty_items().encode(),
                                                      filename="集贸市场.yaml")
    assert report.ok, report
    system = standards_services.system_set_status(actor=office, system=system, status=SystemStatus.ACTIVE)
    point = make_point("JM-01", "甲一农贸市场", "JM", org["street_a1"], org["grid_a1"])
    round_ = services.round_create(actor=office, title="第47周测评", kind="weekly", system=system, owner=org["city"],
                                   scope_units=[org["street_a1"]], period_start=D(2026, 11, 16),
                                   period_end=D(2026, 11, 22))
    opened(round_, personas)
    return RoundPoint.objects.get(round=round_, point=point)


@pytest.mark.browser
def test_an_inspector_fills_a_30_item_checklist_with_rest_pass_and_sees_the_counter(live_server, market, browser,  # noqa: F811
                                                                                     tmp_path):
    photo = tmp_path / "stall.jpg"
    photo.write_bytes(jpeg_bytes((120, 90, 60)))
    page = phone(browser, live_server, "inspector")
    page.goto(f"{live_server.url}/inspections/do/{market.pk}/")
    counter = page.locator("#filled-count")
    expect(counter).to_have_text("已填 0/30")
    items = page.locator("fieldset.check-item")
    expect(items).to_have_count(30)
    # grouped by indicator, with a jump list that counts each group
    jump = page.get_by_role("navigation", name="按指标跳转")
    expect(jump.get_by_role("link")).to_have_text(["市场环境卫生 0/10", "经营秩序 0/10", "文明宣传与管理 0/10"])

    def item(code):
        return items.filter(has=page.locator(".item-code", has_text=re.compile(f"^{code}$")))

    item("V01").get_by_label("不符合", exact=True).check()
    item("V01").locator("textarea").fill("熟食摊位无防蝇罩")
    item("V01").locator("input[type=file]").set_input_files(str(photo))
    expect(counter).to_have_text("已填 1/30")
    item("V02").get_by_label("基本符合", exact=True).check()
    expect(counter).to_have_text("已填 2/30")
    item("D01").get_by_label("发现数量（处）").fill("2")
    expect(counter).to_have_text("已填 3/30")
    expect(jump.get_by_role("link")).to_have_text(["市场环境卫生 2/10", "经营秩序 1/10", "文明宣传与管理 0/10"])

    # 其余全部符合: every unanswered verdict item 符合, every unanswered deduction item 0 found; what was
    # answered stays; the grade items are left to be measured
    page.get_by_role("button", name="其余全部符合").click()
    expect(counter).to_have_text("已填 28/30")
    expect(page.locator("#rest-pass-status")).to_have_text(
        "已将 25 项标为符合，可逐项修改；还有 2 项（等级或计数）须逐项填写")
    expect(item("V01").get_by_label("不符合", exact=True)).to_be_checked()
    expect(item("V02").get_by_label("基本符合", exact=True)).to_be_checked()
    expect(item("V03").get_by_label("符合", exact=True)).to_be_checked()
    expect(item("V26").get_by_label("符合", exact=True)).to_be_checked()
    expect(item("D01").get_by_label("发现数量（处）")).to_have_value("2")
    expect(item("D02").get_by_label("发现数量（处）")).to_have_value("0")
    expect(item("G01").locator("input:checked")).to_have_count(0)
    expect(item("G02").get_by_label("测得比率（%）")).to_have_value("")
    expect(jump.get_by_role("link")).to_have_text(["市场环境卫生 10/10", "经营秩序 10/10", "文明宣传与管理 8/10"])
    no_sideways_scroll(page)
    page.evaluate("window.scrollTo(0, 0)")
    document(page, "inspect-counter.png")

    # submitted with the two grade items missing: refused, each error at its item, the photo kept
    page.get_by_role("button", name="提交测评").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("有 2 个检查项需要修改")
    expect(summary.get_by_role("link")).to_have_text(["G01 未填写", "G02 未填写"])
    expect(item("G01").locator(".field-error")).to_have_text("未填写")
    expect(item("G01").locator("input[type=checkbox]").first).to_have_attribute("aria-invalid", "true")
    expect(item("V01").locator("[data-testid=kept-photos] img")).to_have_count(1)
    expect(counter).to_have_text("已填 28/30")
    document(page, "inspect-errors.png")
    summary.get_by_role("link", name="G02 未填写").click()
    expect(page).to_have_url(re.compile(r"#item-\d+$"))
    assert page.evaluate("location.hash") == f"#{item('G02').get_attribute('id')}"
    assert RoundPoint.objects.get(pk=market.pk).status == "pending"

    item("G01").get_by_label("有专人管理").check()
    item("G01").get_by_label("有管理制度").check()
    item("G02").get_by_label("测得比率（%）").fill("85")
    expect(counter).to_have_text("已填 30/30")
    page.get_by_role("button", name="提交测评").click()
    # 24 × 2 + 1 (基本符合) + 0 (不符合) + (5 − 2) + 5 + 4 × 80% + 4 × 80% = 63.4 of 70 → 90.57
    expect(page.locator(".messages")).to_contain_text("测评已提交：甲一农贸市场 得分 90.57")
    row = RoundPoint.objects.get(pk=market.pk)
    assert (row.status, row.earned, row.possible, row.score, row.failed_items) == (
        "done", Decimal("63.40"), Decimal("70.00"), Decimal("90.57"), 2)
    results = {result.item.code: result for result in ItemResult.objects.filter(inspection__round_point=row)
               .select_related("item")}
    assert [results[code].label for code in ("V01", "V02", "V03", "D01", "D02", "G01", "G02")] == [
        "不符合", "基本符合", "符合", "扣2分（2处）", "无扣分", "B", "B"]
    assert results["V01"].photos.count() == 1 and results["V01"].note == "熟食摊位无防蝇罩"
    assert Problem.objects.filter(item_results__inspection__round_point=row).count() == 2   # V01 and D01


@pytest.mark.browser
def test_the_result_reads_as_cards_on_a_phone_with_whole_codes(transactional_db, live_server, personas, org, points,
                                                               make_round, browser):  # noqa: F811
    round_ = opened(make_round(scope=[org["street_a1"]]), personas)
    failing = dict(STATION_ANSWERS, WHZ05={"verdict": "fail", "note": "会议室内发现烟头，门口无禁烟标识" * 3})
    submit(round_, points["station"], personas, failing)
    row = RoundPoint.objects.get(round=round_, point=points["station"])
    problem = Problem.objects.get(item_results__inspection__round_point=row)

    page = phone(browser, live_server, "office_city")
    page.goto(f"{live_server.url}/inspections/result/{row.pk}/")
    expect(page.locator("strong.score")).to_be_visible()
    cards = page.locator("table.result-items tbody tr")
    expect(cards).to_have_count(3)
    expect(page.locator("table.result-items thead")).to_be_hidden()
    # one card per item: its code, result and score read one under the other, labelled
    card = cards.filter(has_text="WHZ05")
    expect(card.locator("td[data-label=结果]")).to_contain_text("不符合")
    assert card.locator("td[data-label=得分]").evaluate("td => getComputedStyle(td).display") == "block"
    expect(card.get_by_role("link", name=problem.code)).to_be_visible()
    no_sideways_scroll(page)
    # every code is shown whole: not cut by its box, nor by the screen
    width = page.evaluate("window.innerWidth")
    codes = page.locator(".item-code")
    assert codes.count() == 4                      # three items and the problem
    for index in range(codes.count()):
        box = codes.nth(index).evaluate(
            "el => ({scroll: el.scrollWidth, client: el.clientWidth, left: el.getBoundingClientRect().left,"
            " right: el.getBoundingClientRect().right})")
        assert box["scroll"] <= box["client"] + 1 and box["left"] >= 0 and box["right"] <= width, box


def _group(name, unit, user):
    team = Team.objects.create(name=name, kind=TeamKind.INSPECTION_GROUP, unit=unit)
    TeamMember.objects.create(team=team, team_post=TeamPost.LEADER, person_name=name + "组长", user=user)
    return team


@pytest.mark.browser
def test_the_office_copies_last_weeks_round(transactional_db, live_server, personas, org, points, make_round,
                                            browser):  # noqa: F811
    groups = [_group(name, org["district_a"], personas["inspector"]) for name in ("甲区第一测评组", "甲区第二测评组")]
    previous = make_round(title="甲区第47周测评", owner=org["district_a"], actor="office_district_a",
                          scope=[org["street_a1"], org["street_a2"]], sample_mode="stratified",
                          sample_sizes={"WHZ": 2, "TST": 1}, weights={"WHZ": 2}, groups=groups)
    page = desk(browser, live_server, "office_district_a")
    page.goto(f"{live_server.url}/inspections/new/")
    page.get_by_label("类型").select_option(label="周测评")
    page.get_by_label("组织单位").select_option(label="甲区")
    page.get_by_role("link", name="复制上一轮").click()
    expect(page.locator("#copy-status")).to_contain_text("已复制上一轮“甲区第47周测评”（2026-11-16 至 2026-11-22）")
    expect(page.get_by_label("轮次名称")).to_have_value("甲区第48周测评")
    expect(page.locator("#id_period_start")).to_have_value("2026-11-23")
    expect(page.locator("#id_size_WHZ")).to_have_value("2")
    expect(page.locator("#id_weight_WHZ")).to_have_value("2")
    form, status = page.locator("#round-form").bounding_box(), page.locator("#copy-status").bounding_box()
    document(page, "round-copy.png", clip={"x": form["x"], "y": form["y"], "width": form["width"],
                                           "height": status["y"] + status["height"] + 12 - form["y"]})
    page.get_by_role("button", name="创建").click()
    expect(page.locator(".messages")).to_contain_text("轮次已创建")
    new = InspectionRound.objects.get(title="甲区第48周测评")
    assert (new.kind, new.system_id, new.owner_id, new.sample_mode, new.sample_sizes, new.weights) == (
        previous.kind, previous.system_id, previous.owner_id, previous.sample_mode, {"WHZ": 2, "TST": 1}, {"WHZ": 2})
    assert sorted(new.scope.values_list("pk", flat=True)) == sorted(previous.scope.values_list("pk", flat=True))
    assert sorted(new.groups.values_list("name", flat=True)) == ["甲区第一测评组", "甲区第二测评组"]
    assert (new.period_start, new.period_end) == (D(2026, 11, 23), D(2026, 11, 29))
    # on the new round's page the planned groups are chosen already: sample, then share among them
    expect(page.get_by_role("term").filter(has_text="督查组")).to_be_visible()
    page.get_by_role("button", name="抽取样本").click()
    expect(page.locator("#teams option:checked")).to_have_count(2)
    page.get_by_role("button", name="分配督查组").click()
    expect(page.locator(".messages")).to_contain_text("个点位分配给 2 个督查组")

"""The 细则's rules in a round: a failed 一票否决 item scores its point 0 (or caps it) and the unit and
round figures follow; a capped deduction and a count threshold score as worked out by hand; the
count is checked on the phone form; problems are titled by the item's 简称, never cut.

The system is ``standards/tests/test_rule_files.RULES`` (every item worth 10, point type TST):
    XF01  判定, 一票否决 (0)          JY01  判定, 一票否决 (封顶60分)
    XGG01 每处扣1分，最多扣5分        GG01  不少于5处，每少一处扣2分
    GG02  不少于3块，每少一块扣4分，最多扣8分, 一票否决 (封顶80分), no 简称
"""

import datetime
from decimal import Decimal

import pytest

from wenming.cases.models import Problem
from wenming.cases.settings import defaults as case_defaults
from wenming.core.models import AuditEvent
from wenming.inspections import scores, services
from wenming.inspections.models import ItemResult, RoundPoint
from wenming.inspections.services import InspectionError
from wenming.standards import services as standards_services
from wenming.standards.models import SystemStatus
from wenming.standards.tests.test_formats import import_yaml
from wenming.standards.tests.test_rule_files import RULES

from .conftest import answers_for, make_point
from .test_services import opened

D = Decimal
# 甲一大门: the fire lane is blocked (一票否决, 0). Items 0 + 10 + (10 − 2×1) + 10 + 10 = 38 of 50 = 76.00,
# vetoed → score 0.00, earned 50 × 0 / 100 = 0.00
GATE = {"XF01": {"verdict": "fail", "note": "消防通道堆放杂物"}, "JY01": {"verdict": "pass"}, "XGG01": {"count": "2"},
        "GG01": {"count": "5"}, "GG02": {"count": "3"}}
# 甲一大厅: someone smokes indoors (一票否决, 封顶60分). Items 10 + 0 + (10 − min(8, 5)) + (10 − 1×2) + 10
# = 10 + 0 + 5 + 8 + 10 = 33 of 50 = 66.00 > 60 → score 60.00, earned 50 × 60 / 100 = 30.00
HALL = {"XF01": {"verdict": "pass"}, "JY01": {"verdict": "fail", "note": "大厅有人吸烟"}, "XGG01": {"count": "8"},
        "GG01": {"count": "4"}, "GG02": {"count": "3"}}
# 甲一社区广场: GG02 short of 3 signs (封顶80分), but the items score below it: 10 + 10 + 5 + (10 − 2×2)
# + (10 − min(3×4, 8)) = 10 + 10 + 5 + 6 + 2 = 33 of 50 = 66.00 ≤ 80 → 66.00, earned 33.00
SQUARE = {"XF01": {"verdict": "pass"}, "JY01": {"verdict": "pass"}, "XGG01": {"count": "8"},
          "GG01": {"count": "3"}, "GG02": {"count": "0"}}


@pytest.fixture
def rules_round(personas, org):
    case_defaults.load()
    office = personas["office_city"]
    report, system = import_yaml(office, RULES)
    assert report.ok, [str(e) for e in report.errors]
    system = standards_services.system_set_status(actor=office, system=system, status=SystemStatus.ACTIVE)
    points = {"gate": make_point("R1", "甲一大门", "TST", org["street_a1"], org["grid_a1"]),
              "hall": make_point("R2", "甲一大厅", "TST", org["street_a1"], org["grid_a1"]),
              "square": make_point("R3", "甲一社区广场", "TST", org["community_a1"], org["grid_a1"])}
    round_ = opened(services.round_create(
        actor=office, title="细则测评", kind="weekly", system=system, owner=org["city"], scope_units=[org["city"]],
        period_start=datetime.date(2026, 11, 16), period_end=datetime.date(2026, 11, 22)), personas)
    rows = {key: RoundPoint.objects.select_related("round", "point").get(round=round_, point=point)
            for key, point in points.items()}
    return {"round": round_, "system": system, "points": points, "rows": rows}


def submit(personas, row, answers, key):
    return services.inspection_submit(actor=personas["inspector"], round_point=row,
                                      answers=answers_for(services.items_for(row), **answers), submit_key=key)


@pytest.mark.django_db
def test_a_veto_scores_the_point_and_carries_into_unit_and_round_figures(personas, org, rules_round):
    rows = rules_round["rows"]
    for key, answers in (("gate", GATE), ("hall", HALL), ("square", SQUARE)):
        submit(personas, rows[key], answers, key)
    gate, hall, square = (RoundPoint.objects.get(pk=rows[key].pk) for key in ("gate", "hall", "square"))
    assert (gate.earned, gate.possible, gate.score, gate.failed_items) == (D("0.00"), D("50.00"), D("0.00"), 2)
    assert (hall.earned, hall.possible, hall.score, hall.failed_items) == (D("30.00"), D("50.00"), D("60.00"), 3)
    assert (square.earned, square.possible, square.score, square.failed_items) == (D("33.00"), D("50.00"), D("66.00"), 3)
    # each item keeps what it earned itself; only the point's total is vetoed
    earned = dict(ItemResult.objects.filter(inspection__round_point=gate).values_list("item__code", "earned"))
    assert earned == {"XF01": D("0.00"), "JY01": D("10.00"), "XGG01": D("8.00"), "GG01": D("10.00"), "GG02": D("10.00")}
    labels = dict(ItemResult.objects.filter(inspection__round_point=hall).values_list("item__code", "label"))
    assert (labels["XGG01"], labels["GG01"]) == ("扣5分（8处，最多扣5分）", "发现4处，少1处，扣2分")
    # the unit's score is the mean of its points' scores: (0 + 60) / 2 = 30.00 — and agrees with its
    # earned over possible, (0 + 30) / (50 + 50) = 30 %, because the veto cut the earned points too
    by_unit = {row.unit_name: row.score for row in scores.unit_scores(rules_round["round"])}
    assert (by_unit["甲一街道"], by_unit["甲一社区"]) == (D("30.00"), D("66.00"))
    assert scores.score_rate(rules_round["round"], [org["street_a1"].pk]) == D("30.00")
    # the round: (0 + 30 + 33) / 150 = 42.00
    round_ = rules_round["round"]
    round_.refresh_from_db()
    assert (round_.earned, round_.possible, round_.score_rate, scores.score_rate(round_)) == (
        D("63.00"), D("150.00"), D("42.00"), D("42.00"))
    events = {event.target: event.detail for event in AuditEvent.objects.filter(action="inspections.submit")}
    assert (events[f"RoundPoint#{gate.pk}"]["veto_cap"], events[f"RoundPoint#{hall.pk}"]["veto_cap"]) == ("0", "60")
    assert events[f"RoundPoint#{square.pk}"]["veto_cap"] == "80"       # failed, though the items scored below it


@pytest.mark.django_db
def test_problems_are_titled_by_the_short_name_and_say_the_veto(personas, rules_round):
    submit(personas, rules_round["rows"]["gate"], GATE, "gate")
    problems = {p.title: p for p in Problem.objects.all()}
    assert set(problems) == {"甲一大门：消防通道", "甲一大门：非法小广告"}
    fire = problems["甲一大门：消防通道"]
    assert "测评结果：不符合\n一票否决：「消防通道」不符合，本点位得分按0分计" in fire.description
    assert "消防通道畅通，无占用消防通道现象。" in fire.description     # the item's full text
    # an item without a 简称: the first clause of its content, whole (GG02 short of signs at the square)
    submit(personas, rules_round["rows"]["square"], SQUARE, "square")
    assert Problem.objects.filter(title="甲一社区广场：主要路口设置文明交通提示牌不少于3块").exists()


@pytest.mark.django_db
def test_long_names_and_texts_are_never_cut(personas, org, rules_round):
    from wenming.places.models import Point
    from wenming.standards.models import CheckItem

    row = rules_round["rows"]["gate"]
    Point.objects.filter(pk=row.point_id).update(name="长" * 100)       # the longest a point's name may be
    system = rules_round["system"]
    CheckItem.objects.filter(system=system, code="XF01").update(rule_text="规则。" * 2000)    # 6,000 characters
    CheckItem.objects.filter(system=system, code="XGG01").update(short_name="")
    submit(personas, RoundPoint.objects.select_related("round", "point").get(pk=row.pk), GATE, "gate")
    titles = set(Problem.objects.values_list("title", flat=True))
    # “<point>：<name>” would pass 100 characters: the name alone, whole. XGG01's first clause
    # “无乱张贴、乱涂写等非法小广告” (14) stands for its lost 简称.
    assert titles == {"消防通道", "无乱张贴、乱涂写等非法小广告"}
    fire = Problem.objects.get(title="消防通道")
    assert len(fire.description) <= 4000 and "规则。规则" not in fire.description
    assert fire.description.endswith(f"判定规则：见测评体系“{system}”检查项 XF01")
    assert "消防通道畅通，无占用消防通道现象。" in fire.description and "说明：消防通道堆放杂物" in fire.description


@pytest.mark.django_db
def test_result_page_and_phone_form(login, personas, rules_round):
    rows = rules_round["rows"]
    client = login("inspector")
    page = client.get(f"/inspections/do/{rows['gate'].pk}/").content.decode()
    assert "实有数量（处，应不少于5处）" in page and 'max="1000"' in page and "发现数量（处）" in page
    assert "一票否决：不合格时本点位得分按0分计" in page and "不少于5处，每少一处扣2分，扣完为止" in page
    items = {item.code: item for item in services.items_for(rows["gate"])}

    def form(**counts):
        data = {"submit_key": "form-key", "intent": "submit", "note": ""}
        for code, answer in GATE.items():
            item = items[code]
            data.update({f"v_{item.pk}": answer.get("verdict", ""), f"count_{item.pk}": answer.get("count", ""),
                         f"note_{item.pk}": answer.get("note", "")})
        data.update({f"count_{items[code].pk}": value for code, value in counts.items()})
        return data

    for count, message in (("1001", "GG01 实有数量不能大于1000"), ("-1", "GG01 实有数量不能小于0"),
                           ("2.5", "GG01 实有数量应为整数"), ("", "GG01 未填写")):
        page = client.post(f"/inspections/do/{rows['gate'].pk}/", form(GG01=count)).content.decode()
        assert message in page, count
    assert not ItemResult.objects.exists() and RoundPoint.objects.get(pk=rows["gate"].pk).status == "pending"
    response = client.post(f"/inspections/do/{rows['gate'].pk}/", form())
    assert response.status_code == 302
    page = client.get(f"/inspections/result/{rows['gate'].pk}/").content.decode()
    assert "实得 0.00 ÷ 应得 50.00 × 100" in page
    assert "一票否决：「消防通道」不符合，本点位得分按0分计（各检查项合计得分76.00）" in page
    assert "发现5处，达标" in page and "扣2分（2处）" in page and "非法小广告" in page
    submit(personas, rows["hall"], HALL, "hall")
    page = client.get(f"/inspections/result/{rows['hall'].pk}/").content.decode()
    assert "一票否决：「室内吸烟」不符合，本点位得分最高按60分计（各检查项合计得分66.00）" in page
    # a cap the items scored below anyway is still said, with what they scored
    submit(personas, rows["square"], SQUARE, "square")
    page = client.get(f"/inspections/result/{rows['square'].pk}/").content.decode()
    assert "一票否决：「主要路口设置文明交通提示牌不少于3块」发现0块，少3块，扣8分，本点位得分最高按80分计（各检查项合计得分66.00）" in page
    assert "实得 33.00 ÷ 应得 50.00 × 100" in page
    # the round's 失分最多的检查项 by their 简称; the standards page shows it and marks the veto
    round_page = login("office_city").get(f"/inspections/{rules_round['round'].pk}/").content.decode()
    assert "XF01 消防通道" in round_page and "JY01 室内吸烟" in round_page
    detail = login("office_city").get(f"/standards/{rules_round['system'].pk}/").content.decode()
    assert "<strong>消防通道</strong>" in detail and "一票否决</span>" in detail


@pytest.mark.django_db
def test_a_passed_veto_item_changes_nothing(personas, rules_round):
    row = rules_round["rows"]["gate"]
    answers = dict(GATE, XF01={"verdict": "pass"})
    submit(personas, row, answers, "gate")
    row.refresh_from_db()
    # 10 + 10 + 8 + 10 + 10 = 48 of 50 = 96.00
    assert (row.earned, row.score) == (D("48.00"), D("96.00"))
    with pytest.raises(InspectionError, match="已提交测评结果"):
        submit(personas, row, answers, "again")

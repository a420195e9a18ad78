"""The three scoring rules on hand-worked answers, and their two written forms."""

from decimal import Decimal

import pytest

from wenming.standards import rules

D = Decimal
VERDICT = {"shares": {"pass": 100, "partial": 50, "fail": 0}}
GRADE_BY_CONDITIONS = {"by": "conditions", "conditions": ["有专人负责", "有管理制度", "有活动资料"],
                       "grades": [{"grade": "A", "share": 100, "min": 3}, {"grade": "B", "share": 80, "min": 2},
                                  {"grade": "C", "share": 60, "min": 1}, {"grade": "C#", "share": 0, "min": 0}],
                       "pass": "C"}
GRADE_BY_RATE = {"by": "rate", "grades": [{"grade": "A", "share": 100, "min": 95}, {"grade": "B", "share": 80, "min": 80},
                                          {"grade": "C", "share": 60, "min": 70}, {"grade": "C#", "share": 0, "min": 0}],
                 "pass": "B"}
DEDUCTION = {"per": 0.5, "unit": "处"}


@pytest.mark.parametrize("verdict, earned, failed, label", [
    ("pass", D("4.00"), False, "符合"), ("partial", D("2.00"), False, "基本符合"), ("fail", D("0.00"), True, "不符合"),
])
def test_verdict_earns_its_share(verdict, earned, failed, label):
    outcome = rules.evaluate("verdict", VERDICT, 4, {"verdict": verdict})
    assert (outcome.applicable, outcome.earned, outcome.possible, outcome.failed, outcome.label) == \
        (True, earned, D(4), failed, label)


def test_not_applicable_leaves_the_denominator():
    for kind, params in (("verdict", VERDICT), ("grade", GRADE_BY_RATE), ("deduction", DEDUCTION)):
        outcome = rules.evaluate(kind, params, 5, {"verdict": "na"})
        assert (outcome.applicable, outcome.earned, outcome.possible, outcome.failed) == (False, 0, 0, False)
        assert outcome.label == "不适用"


def test_verdict_without_partial_refuses_partial():
    params = rules.normalise("verdict", {"shares": {"pass": 100, "fail": 0}})
    with pytest.raises(rules.RuleError, match="符合、不符合或不适用"):
        rules.evaluate("verdict", params, 2, {"verdict": "partial"})


@pytest.mark.parametrize("met, grade, earned, failed", [
    (3, "A", D("5.00"), False), (2, "B", D("4.00"), False), (1, "C", D("3.00"), False), (0, "C#", D("0.00"), True),
])
def test_grade_by_conditions(met, grade, earned, failed):
    outcome = rules.evaluate("grade", GRADE_BY_CONDITIONS, 5, {"met": met})
    assert (outcome.label, outcome.earned, outcome.failed) == (grade, earned, failed)


@pytest.mark.parametrize("rate, grade, earned, failed", [
    (100, "A", D("10.00"), False), (95, "A", D("10.00"), False), (94.9, "B", D("8.00"), False),
    (80, "B", D("8.00"), False), (79.99, "C", D("6.00"), True), (12, "C#", D("0.00"), True),
])
def test_grade_by_rate_bands(rate, grade, earned, failed):
    # 合格 is B here, so a C fails and raises a problem
    outcome = rules.evaluate("grade", GRADE_BY_RATE, 10, {"rate": rate})
    assert (outcome.label, outcome.earned, outcome.failed) == (grade, earned, failed)


def test_grade_answers_out_of_range_are_refused():
    with pytest.raises(rules.RuleError, match="不能大于3"):
        rules.evaluate("grade", GRADE_BY_CONDITIONS, 5, {"met": 4})
    with pytest.raises(rules.RuleError, match="不能大于100"):
        rules.evaluate("grade", GRADE_BY_RATE, 5, {"rate": "101"})
    with pytest.raises(rules.RuleError, match="请填写测得的比率"):
        rules.evaluate("grade", GRADE_BY_RATE, 5, {})


@pytest.mark.parametrize("count, earned, failed, label", [
    (0, D("3.00"), False, "无扣分"), (1, D("2.50"), True, "扣0.5分（1处）"), (5, D("0.50"), True, "扣2.5分（5处）"),
    (6, D("0.00"), True, "扣3分（6处）"), (40, D("0.00"), True, "扣3分（40处）"),   # floored at zero
])
def test_deduction_is_floored_at_zero(count, earned, failed, label):
    outcome = rules.evaluate("deduction", DEDUCTION, 3, {"count": count})
    assert (outcome.earned, outcome.failed, outcome.label, outcome.possible) == (earned, failed, label, D(3))


def test_deduction_refuses_fractions_and_negatives():
    with pytest.raises(rules.RuleError, match="整数"):
        rules.evaluate("deduction", DEDUCTION, 3, {"count": "1.5"})
    with pytest.raises(rules.RuleError, match="不能小于0"):
        rules.evaluate("deduction", DEDUCTION, 3, {"count": -1})
    with pytest.raises(rules.RuleError, match="应为数字"):
        rules.evaluate("deduction", DEDUCTION, 3, {"count": "三"})


@pytest.mark.parametrize("kind, params", [
    ("verdict", VERDICT), ("verdict", {"shares": {"pass": 100, "fail": 0}}), ("grade", GRADE_BY_CONDITIONS),
    ("grade", GRADE_BY_RATE), ("deduction", DEDUCTION), ("deduction", {"per": 2, "unit": "块"}),
])
def test_text_and_yaml_forms_round_trip(kind, params):
    clean = rules.normalise(kind, params)
    text, conditions = rules.to_text(kind, clean)
    assert rules.from_text(rules.KIND_LABELS[kind], text, conditions) == (kind, clean)
    assert rules.from_yaml(rules.to_yaml(kind, clean)) == (kind, clean)


def test_text_form_reads_what_people_write():
    assert rules.from_text("扣分", "每处扣 0.5 分") == ("deduction", {"per": 0.5, "unit": "处"})
    assert rules.from_text("判定", "符合＝100；不符合＝0") == ("verdict", {"shares": {"pass": 100, "fail": 0}})
    kind, params = rules.from_text("等级", "依据=比率; A=100%>=95; B=80%≥80; C#=0%≥0; 合格=B")
    assert params["grades"][1] == {"grade": "B", "share": 80, "min": 80}


@pytest.mark.parametrize("kind, text, conditions, message", [
    ("计分", "", "", "计分方式只能是"),
    ("判定", "符合=100%；差=0%", "", "无法识别「差=0%」"),
    ("判定", "符合=50%；基本符合=80%；不符合=0%", "", "符合 ≥ 基本符合 ≥ 不符合"),
    ("判定", "符合=120%；不符合=0", "", "不能大于100"),
    ("等级", "A=100%≥3；C=0%≥0；合格=C", "a\nb\nc", "依据=条件 或 依据=比率"),
    ("等级", "依据=条件；A=100%≥3；C=0%≥0", "a\nb\nc", "合格等级"),
    ("等级", "依据=条件；A=100%≥3；C=0%≥0；合格=C", "a\nb", "只列了2项"),
    ("等级", "依据=条件；A=100%≥3；B=80%≥3；C=0%≥0；合格=C", "a\nb\nc", "从高到低"),
    ("等级", "依据=比率；A=100%≥90；B=60%≥50；合格=A", "", "最低等级的下限应为0"),
    ("等级", "依据=比率；A=100%≥90；C=0%≥0；合格=D", "", "合格等级须是所列等级之一"),
    ("扣分", "扣0.5分", "", "每处扣0.5分"),
    ("扣分", "每处扣0分", "", "应大于0"),
])
def test_bad_parameters_are_named(kind, text, conditions, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.from_text(kind, text, conditions)


def test_describe_reads_as_chinese():
    assert rules.describe("deduction", DEDUCTION) == "每处扣0.5分，扣完为止"
    assert rules.describe("verdict", VERDICT) == "符合得100%；基本符合得50%；不符合得0%"
    assert rules.describe("grade", GRADE_BY_RATE).startswith("按比率评等级：A（≥95%，得100%）")


# --- the rules real 细则 need: a capped deduction, a count threshold, the 一票否决 -----------------

CAPPED = {"per": 1, "unit": "处", "max": 5}                    # 每处扣1分，最多扣5分 — on an item worth 10
THRESHOLD = {"min": 5, "per_short": 2, "unit": "处"}           # 不少于5处，每少一处扣2分 — worth 10


@pytest.mark.parametrize("count, earned, label", [
    (0, D("10.00"), "无扣分"),                        # 10 − 0
    (3, D("7.00"), "扣3分（3处）"),                    # 10 − 3×1 = 7
    (5, D("5.00"), "扣5分（5处）"),                    # 10 − 5×1 = 5: at the cap
    (8, D("5.00"), "扣5分（8处，最多扣5分）"),          # 10 − min(8×1, 5) = 5, not 2
    (40, D("5.00"), "扣5分（40处，最多扣5分）"),        # 10 − min(40×1, 5) = 5, not 0
])
def test_capped_deduction_never_takes_more_than_its_cap(count, earned, label):
    outcome = rules.evaluate("deduction", CAPPED, 10, {"count": count})
    assert (outcome.earned, outcome.possible, outcome.failed, outcome.label) == (earned, D(10), count > 0, label)


@pytest.mark.parametrize("found, earned, failed, label", [
    (7, D("10.00"), False, "发现7处，达标"),            # more than asked: no deduction
    (5, D("10.00"), False, "发现5处，达标"),            # shortfall max(0, 5 − 5) = 0
    (4, D("8.00"), True, "发现4处，少1处，扣2分"),       # 10 − (5 − 4)×2 = 8
    (3, D("6.00"), True, "发现3处，少2处，扣4分"),       # 10 − (5 − 3)×2 = 6
    (0, D("0.00"), True, "发现0处，少5处，扣10分"),      # 10 − (5 − 0)×2 = 0
])
def test_count_threshold_deducts_for_the_shortfall(found, earned, failed, label):
    outcome = rules.evaluate("threshold", THRESHOLD, 10, {"count": found})
    assert (outcome.earned, outcome.possible, outcome.failed, outcome.label) == (earned, D(10), failed, label)


def test_count_threshold_is_floored_at_zero_and_may_be_capped():
    # 不少于5处，每少一处扣3分 on an item worth 10: 0 found → 5×3 = 15 > 10 → 0 (扣完为止)
    outcome = rules.evaluate("threshold", {"min": 5, "per_short": 3, "unit": "块"}, 10, {"count": 0})
    assert (outcome.earned, outcome.label) == (D("0.00"), "发现0块，少5块，扣10分")
    # …，最多扣6分: 0 found → 10 − min(15, 6) = 4
    outcome = rules.evaluate("threshold", {"min": 5, "per_short": 3, "unit": "块", "max": 6}, 10, {"count": 0})
    assert (outcome.earned, outcome.label) == (D("4.00"), "发现0块，少5块，扣6分")
    assert rules.evaluate("threshold", THRESHOLD, 10, {"verdict": "na"}).applicable is False


@pytest.mark.parametrize("count, message", [
    ("", "请填写实有数量（处）"), ("-1", "实有数量不能小于0"), ("1.5", "实有数量应为整数"),
    ("1001", "实有数量不能大于1000"), ("三", "实有数量应为数字，而不是「三」"),
])
def test_count_threshold_refuses_bad_counts_in_chinese(count, message):
    with pytest.raises(rules.RuleError, match=f"^{message}$"):
        rules.evaluate("threshold", THRESHOLD, 10, {"count": count})


VETO_0 = {"shares": {"pass": 100, "fail": 0}, "veto": {"cap": 0}}
VETO_60 = {"shares": {"pass": 100, "fail": 0}, "veto": {"cap": 60}}


def test_a_failed_veto_item_scores_the_point_zero_whatever_the_others():
    outcomes = [rules.evaluate("verdict", VETO_0, 10, {"verdict": "fail"}),    # 0 of 10, 一票否决
                rules.evaluate("verdict", VERDICT, 10, {"verdict": "pass"}),   # 10 of 10
                rules.evaluate("deduction", CAPPED, 5, {"count": 1})]          # 4 of 5
    assert outcomes[0].veto_cap == D(0) and outcomes[1].veto_cap is None
    total = rules.point_total(outcomes)
    # the items: 0 + 10 + 4 = 14 of 25 → 56.00; vetoed: score 0, earned cut to 25 × 0 / 100 = 0
    assert (total.items_earned, total.items_score) == (D("14.00"), D("56.00"))
    assert (total.earned, total.possible, total.score, total.veto_cap) == (D("0.00"), D(25), D("0.00"), D(0))
    # passed, the same item is an ordinary 10 of 10: 24 of 25 → 96.00
    passed = rules.point_total([rules.evaluate("verdict", VETO_0, 10, {"verdict": "pass"}), *outcomes[1:]])
    assert (passed.earned, passed.score, passed.veto_cap) == (D("24.00"), D("96.00"), None)


def test_a_veto_with_a_cap_limits_the_point_to_it():
    fail = rules.evaluate("verdict", VETO_60, 5, {"verdict": "fail"})            # 0 of 5, 封顶60分
    others = [rules.evaluate("verdict", VERDICT, 15, {"verdict": "pass"}),       # 15 of 15
              rules.evaluate("verdict", VERDICT, 20, {"verdict": "pass"})]       # 20 of 20
    total = rules.point_total([fail, *others])
    # items: 35 of 40 = 87.50 > 60 → score 60.00, earned 40 × 60 / 100 = 24.00 (so 24 / 40 = 60 %)
    assert (total.items_score, total.score, total.earned, total.possible) == (D("87.50"), D("60.00"), D("24.00"), D(40))
    # already below the cap, the veto changes nothing
    low = rules.point_total([fail, rules.evaluate("verdict", VERDICT, 15, {"verdict": "partial"}),
                             rules.evaluate("verdict", VERDICT, 20, {"verdict": "partial"})])
    # 0 + 7.5 + 10 = 17.5 of 40 = 43.75 < 60 → kept as it is
    assert (low.score, low.earned, low.veto_cap) == (D("43.75"), D("17.50"), D(60))
    # two failed vetoes: the lower cap wins (0 < 60)
    both = rules.point_total([fail, rules.evaluate("verdict", VETO_0, 5, {"verdict": "fail"}), *others])
    assert (both.score, both.earned) == (D("0.00"), D("0.00"))
    # a veto item that does not apply vetoes nothing
    na = rules.point_total([rules.evaluate("verdict", VETO_0, 5, {"verdict": "na"}), *others])
    assert (na.score, na.earned, na.possible, na.veto_cap) == (D("100.00"), D("35.00"), D(35), None)


def test_any_kind_of_item_may_veto_when_it_fails():
    deduction = rules.evaluate("deduction", {**CAPPED, "veto": {"cap": 0}}, 10, {"count": 1})
    threshold = rules.evaluate("threshold", {**THRESHOLD, "veto": {"cap": 30}}, 10, {"count": 4})
    grade = rules.evaluate("grade", {**GRADE_BY_RATE, "veto": {"cap": 0}}, 10, {"rate": 79})   # C, below B
    assert (deduction.veto_cap, threshold.veto_cap, grade.veto_cap) == (D(0), D(30), D(0))
    assert rules.evaluate("threshold", {**THRESHOLD, "veto": {"cap": 30}}, 10, {"count": 5}).veto_cap is None


def test_the_veto_explanation_names_the_item_and_what_it_did():
    assert rules.veto_note([("消防通道", "不符合", 0)], D("56.00")) == \
        "一票否决：「消防通道」不符合，本点位得分按0分计（各检查项合计得分56.00）"
    assert rules.veto_note([("消防通道", "不符合", 60), ("禁烟", "扣1分（1处）", 80)]) == \
        "一票否决：「消防通道」不符合、「禁烟」扣1分（1处），本点位得分最高按60分计"
    assert rules.veto_note([]) == ""


@pytest.mark.parametrize("kind, params, text, veto_text", [
    ("deduction", CAPPED, "每处扣1分，最多扣5分", ""),
    ("threshold", THRESHOLD, "不少于5处，每少一处扣2分", ""),
    ("threshold", {"min": 3, "per_short": 1.5, "unit": "人次", "max": 3}, "不少于3人次，每少一人次扣1.5分，最多扣3分", ""),
    ("verdict", VETO_0, "符合=100%；不符合=0%", "是"),
    ("verdict", VETO_60, "符合=100%；不符合=0%", "是，封顶60分"),
    ("deduction", {**CAPPED, "veto": {"cap": 12.5}}, "每处扣1分，最多扣5分", "是，封顶12.5分"),
    ("grade", {**GRADE_BY_CONDITIONS, "veto": {"cap": 0}}, None, "是"),
])
def test_new_rules_in_their_written_forms_round_trip(kind, params, text, veto_text):
    clean = rules.normalise(kind, params)
    assert clean == params                                             # already normalised
    written, conditions = rules.to_text(kind, clean)
    if text is not None:
        assert written == text
    assert rules.veto_to_text(clean) == veto_text
    read_kind, read = rules.from_text(rules.KIND_LABELS[kind], written, conditions)
    veto = rules.veto_from_text(veto_text)
    assert (read_kind, {**read, **({"veto": veto} if veto else {})}) == (kind, clean)
    assert rules.from_yaml(rules.to_yaml(kind, clean)) == (kind, clean)


def test_new_rules_read_what_people_write():
    assert rules.from_text("扣分", "每处扣1分,最多扣5分") == ("deduction", CAPPED)
    assert rules.from_text("扣分", "每处扣 1 分；最多扣 5 分。") == ("deduction", CAPPED)
    assert rules.from_text("不少于", "不少于5处 每少1处扣2分") == ("threshold", THRESHOLD)
    assert rules.veto_from_text("是（封顶60分）") == {"cap": 60}
    assert rules.veto_from_text(" 否 ") is None and rules.veto_from_text("") is None
    assert rules.from_yaml({"kind": "判定", "shares": {"符合": 100, "不符合": 0}, "veto": True}) == ("verdict", VETO_0)


@pytest.mark.parametrize("kind, text, message", [
    ("扣分", "每处扣1分，最多扣0分", "最多扣分应大于0"),
    ("扣分", "每处扣1分，最多扣5", "扣分规则应写成：每处扣0.5分（可加“，最多扣5分”）"),
    ("不少于", "不少于0处，每少一处扣2分", "不少于的数量应大于0"),
    ("不少于", "不少于2.5处，每少一处扣2分", "不少于的数量应为整数"),
    ("不少于", "不少于1001处，每少一处扣2分", "不少于的数量不能大于1000"),
    ("不少于", "不少于5处，每少一处扣0分", "每少一处扣分应大于0"),
    ("不少于", "不少于5处，每少一块扣2分", "前后量词不一致"),
    ("不少于", "至少5处", "不少于规则应写成：不少于5处，每少一处扣2分"),
])
def test_bad_new_rules_are_named(kind, text, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.from_text(kind, text)


@pytest.mark.parametrize("params, message", [
    ({"min": -3, "per_short": 2}, "不少于的数量不能小于0"),
    ({"min": 5, "per_short": 2, "unit": "5处"}, "只能是文字"),
    ({"min": 5, "per_short": 2, "veto": {"cap": 100}}, "封顶分应小于100"),
    ({"min": 5, "per_short": 2, "veto": {"cap": 120}}, "封顶分不能大于100"),
    ({"min": 5, "per_short": 2, "veto": {"cap": -1}}, "封顶分不能小于0"),
    ({"min": 5, "per_short": 2, "veto": {"cap": 60.125}}, "封顶分最多两位小数"),
    ({"min": 5, "per_short": 2, "veto": {"limit": 60}}, "一票否决应写成"),
])
def test_bad_threshold_and_veto_parameters_are_named(params, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.normalise("threshold", params)


def test_a_cap_above_the_items_score_is_refused():
    rules.check_score("deduction", CAPPED, 5)                 # 最多扣5分 on 5: allowed (the same as none)
    with pytest.raises(rules.RuleError, match=r"^最多扣5分超过了该项分值（4分），最多扣分不能大于分值$"):
        rules.check_score("deduction", CAPPED, 4)
    with pytest.raises(rules.RuleError, match="无法识别「可能」"):
        rules.veto_from_text("可能")


def test_new_rules_describe_themselves():
    assert rules.describe("deduction", CAPPED) == "每处扣1分，最多扣5分"
    assert rules.describe("threshold", THRESHOLD) == "不少于5处，每少一处扣2分，扣完为止"
    assert rules.describe("verdict", VETO_60) == "符合得100%；不符合得0%；一票否决：不合格时本点位得分最高按60分计"
    assert rules.describe("verdict", VETO_0).endswith("一票否决：不合格时本点位得分按0分计")

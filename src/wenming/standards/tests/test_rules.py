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

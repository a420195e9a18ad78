"""The scoring rules against figures computed by hand (scoring.compute)."""

from decimal import Decimal as D

from wenming.scoring.compute import Entry, Part, Row, lists, next_step, rank, total


def parts(inspection="90", rectification="80", supervision="100"):
    return [Part("inspection", "实地测评", D(50), None if inspection is None else D(inspection)),
            Part("rectification", "问题整改", D(20), D(rectification)),
            Part("supervision", "督办", D(10), D(supervision)),
            Part("tasks", "任务完成", D(10), None),
            Part("survey", "问卷调查", D(10), None)]


def test_components_without_data_are_scaled_to_a_hundred():
    # 50 × 90% = 45, 20 × 80% = 16, 10 × 100% = 10: 71 of the 80 points that have data → 88.75
    result = total(parts(), [])
    assert (result.base, result.total, result.disqualified) == (D("88.75"), D("88.75"), False)
    assert result.notes == ["任务完成、问卷调查本期无数据，其余项目得分71.00分（满分80.00分）折算为百分制得88.75分。"]
    # every component with data: no scaling
    full = [Part("inspection", "实地测评", D(60), D("95.5")), Part("rectification", "问题整改", D(40), D(70))]
    assert total(full, []).total == D("85.30")   # 57.30 + 28.00


def test_deductions_bonuses_and_the_negative_list():
    exposure = Entry(1, "exposure", "省台曝光占道经营", D(3))
    bonus = Entry(2, "bonus", "获评省级文明社区", D(1))
    assert total(parts(), [exposure, bonus]).total == D("86.75")          # 88.75 − 3 + 1
    cap = Entry(3, "negative", "发生重大安全事故", D(0), "cap", D(80))
    capped = total(parts(), [exposure, cap])
    assert capped.total == D("80.00") and "负面清单“发生重大安全事故”：总分封顶80.00分。" in capped.notes
    # a cap above the total changes nothing; the lowest of two caps wins
    assert total(parts(), [Entry(4, "negative", "甲", D(0), "cap", D(95))]).total == D("88.75")
    assert total(parts(), [Entry(4, "negative", "甲", D(0), "cap", D(85)),
                           Entry(5, "negative", "乙", D(0), "cap", D(60))]).total == D("60.00")
    zero = total(parts(), [Entry(6, "negative", "弄虚作假", D(0), "zero")])
    assert zero.total == D("0.00") and zero.base == D("88.75")
    out = total(parts(), [Entry(7, "negative", "发生群体性事件", D(2), "disqualify")])
    assert out.disqualified and out.total == D("86.75")
    # never below 0 nor above 100
    assert total(parts(), [Entry(8, "deduction", "多次曝光", D(100))]).total == D("0.00")
    assert total(parts("100", "100", "100"), [Entry(9, "bonus", "表彰", D(5))]).total == D("100.00")


def test_no_data_at_all_scores_zero_and_says_so():
    result = total([Part("inspection", "实地测评", D(100), None)], [])
    assert result.total == D("0.00") and result.notes == ["本期各考核项目均无数据，项目得分计0分。"]


def ranking():
    rows = [Row(1, "东街道", D("85"), 5), Row(2, "西街道", D("92"), 6), Row(3, "南街道", D("85"), 4),
            Row(4, "北街道", D("78"), 3), Row(5, "中街道", D("99"), 2), Row(6, "新街道", D("70"), 0)]
    return rank(rows, 3)


def test_rank_shares_ties_skips_the_next_and_puts_short_samples_last():
    ordered = ranking()
    assert [(r.name, r.rank) for r in ordered] == [
        ("西街道", 1), ("东街道", 2), ("南街道", 2), ("北街道", 4), ("中街道", None), ("新街道", None)]
    assert ordered[4].mark == "测评点位不足（2个，少于3个）" and ordered[5].mark == "无实地测评点位"


def test_honour_and_warning_lists_by_threshold_and_by_rank():
    ordered = ranking()
    lists(ordered, "threshold", D(90), "threshold", D(80))
    assert {r.name: r.honour for r in ordered} == {"西街道": "red", "东街道": "", "南街道": "", "北街道": "yellow",
                                                  "中街道": "", "新街道": ""}   # unranked: on no list
    ordered = ranking()
    lists(ordered, "rank", D(1), "rank", D(2))
    # the last two places: 北街道, and 东/南 sharing the place above it
    assert {r.name: r.honour for r in ordered if r.rank} == {"西街道": "red", "东街道": "yellow", "南街道": "yellow",
                                                            "北街道": "yellow"}
    ordered = ranking()
    ordered[0].disqualified = True   # 取消评先资格: never on the 红旗榜
    lists(ordered, "rank", D(2), "", D(0))
    assert [r.name for r in ordered if r.honour == "red"] == ["东街道", "南街道"]


def test_escalation_ladder_takes_the_next_step_and_repeats_the_last():
    steps = ["约谈", "通报批评", "问责"]
    assert [next_step(steps, n) for n in range(5)] == [(1, "约谈"), (2, "通报批评"), (3, "问责"), (4, "问责"),
                                                        (5, "问责")]

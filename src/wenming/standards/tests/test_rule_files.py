"""The rules real 细则 need — 一票否决, a deduction cap, a count threshold — and the 简称, written in
YAML and in the Excel sheet: read as written, scored as worked out by hand, identical after
export → import in both formats, and refused with row and column named when wrong."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from wenming.core.sheets import workbook_bytes
from wenming.standards import formats, services
from wenming.standards.models import CheckItem, IndexSystem

from .test_formats import import_yaml, row, sheet, snapshot

D = Decimal
RULES = """
system: {name: 细则测试体系, version: "2026版", description: 一票否决、扣分上限、数量下限}
point_types:
  - {code: TST, name: 测试点位}
indicators:
  - code: "01"
    name: 公共场所
    items:
      - code: XF01
        short_name: 消防通道
        content: 消防通道畅通，无占用消防通道现象。
        rule: 消防通道被占用即为不符合，本点位得分按0分计。
        point_types: [TST]
        score: 10
        scoring: {kind: 判定, shares: {符合: 100, 不符合: 0}, veto: {cap: 0}}
      - code: JY01
        short_name: 室内吸烟
        content: 室内无吸烟现象。
        point_types: [TST]
        score: 10
        scoring: {kind: 判定, shares: {符合: 100, 不符合: 0}, veto: {cap: 60}}
      - code: XGG01
        short_name: 非法小广告
        content: 无乱张贴、乱涂写等非法小广告。
        rule: 每发现一处扣1分，最多扣5分。
        point_types: [TST]
        score: 10
        scoring: {kind: 扣分, per: 1, unit: 处, max: 5}
      - code: GG01
        short_name: 公益广告数量
        content: 公益广告不少于5处。
        rule: 每少一处扣2分。
        point_types: [TST]
        score: 10
        scoring: {kind: 不少于, min: 5, per_short: 2, unit: 处}
      - code: GG02
        content: 主要路口设置文明交通提示牌不少于3块，每少一块扣4分，最多扣8分，缺提示牌时点位得分最高按80分计。
        point_types: [TST]
        score: 10
        scoring: {kind: 不少于, min: 3, per_short: 4, unit: 块, max: 8, veto: {cap: 80}}
"""
PARAMS = {
    "XF01": ("verdict", {"shares": {"pass": 100, "fail": 0}, "veto": {"cap": 0}}),
    "JY01": ("verdict", {"shares": {"pass": 100, "fail": 0}, "veto": {"cap": 60}}),
    "XGG01": ("deduction", {"per": 1, "unit": "处", "max": 5}),
    "GG01": ("threshold", {"min": 5, "per_short": 2, "unit": "处"}),
    "GG02": ("threshold", {"min": 3, "per_short": 4, "unit": "块", "max": 8, "veto": {"cap": 80}}),
}
# the same answers on every copy of the system, and their hand-worked points (each item is worth 10)
ANSWERS = {
    "XF01": ({"verdict": "pass"}, D("10.00")),
    "JY01": ({"verdict": "pass"}, D("10.00")),
    "XGG01": ({"count": 8}, D("5.00")),     # 10 − min(8 × 1, 5) = 5
    "GG01": ({"count": 3}, D("6.00")),      # 10 − (5 − 3) × 2 = 6
    "GG02": ({"count": 0}, D("2.00")),      # 10 − min((3 − 0) × 4, 8) = 2; short, so the 80-point cap applies
}


def scored(system):
    """(each item's earned points, the point's total) for :data:`ANSWERS`."""
    from wenming.standards import rules

    items = {item.code: item for item in system.items.all()}
    outcomes = {code: items[code].evaluate(answer) for code, (answer, _) in ANSWERS.items()}
    return {code: outcome.earned for code, outcome in outcomes.items()}, rules.point_total(outcomes.values())


def check(system):
    items = {item.code: item for item in system.items.all()}
    assert {code: (item.rule_kind, item.params) for code, item in items.items()} == PARAMS
    assert {code: item.short_name for code, item in items.items()} == {
        "XF01": "消防通道", "JY01": "室内吸烟", "XGG01": "非法小广告", "GG01": "公益广告数量", "GG02": ""}
    earned, total = scored(system)
    assert earned == {code: points for code, (_, points) in ANSWERS.items()}
    # items: 10 + 10 + 5 + 6 + 2 = 33 of 50 = 66.00; GG02 failed → at most 80, so 66.00 stands
    assert (total.items_earned, total.score, total.earned, total.veto_cap) == (D("33.00"), D("66.00"), D("33.00"), D(80))


@pytest.mark.django_db
def test_rules_survive_yaml_and_excel_round_trips(personas):
    office = personas["office_city"]
    report, system = import_yaml(office, RULES)
    assert report.ok, [str(e) for e in report.errors]
    check(system)
    # YAML: export → import under another version → identical, and the file says it in its keys
    exported = formats.to_yaml(system)
    assert "veto:\n" in exported and "max: 5" in exported and "per_short: 2" in exported and "short_name: 消防通道" in exported
    report, again = import_yaml(office, exported, version="2027版")
    assert report.ok, [str(e) for e in report.errors]
    assert snapshot(again) == snapshot(system)
    check(again)
    # Excel: export → import → identical; the cells read as the 细则 are written
    data = formats.workbook(formats.sheet_rows(system), [])
    cells = {values[formats.COLUMNS.index("检查项编码")]: dict(zip(formats.COLUMNS, values))
             for values in load_workbook(io.BytesIO(data))["检查项"].iter_rows(min_row=2, values_only=True)}
    assert (cells["XGG01"]["计分参数"], cells["GG01"]["计分参数"], cells["GG02"]["计分参数"]) == (
        "每处扣1分，最多扣5分", "不少于5处，每少一处扣2分", "不少于3块，每少一块扣4分，最多扣8分")
    assert (cells["XF01"]["一票否决"], cells["JY01"]["一票否决"], cells["GG02"]["一票否决"], cells["GG01"]["一票否决"]) == (
        "是", "是，封顶60分", "是，封顶80分", None)
    assert (cells["GG01"]["计分方式"], cells["XF01"]["简称"]) == ("不少于", "消防通道")
    report, third = services.system_import(actor=office, data=data, filename="细则.xlsx", name="细则测试体系",
                                           version="2028版")
    assert report.ok, [str(e) for e in report.errors]
    assert snapshot(third) == snapshot(system)
    check(third)
    # and a copy into a new version keeps them too
    assert snapshot(services.system_copy(actor=office, system=third, version="2029版")) == snapshot(system)


@pytest.mark.django_db
def test_bad_rule_values_in_a_sheet_are_refused_with_row_and_column(personas):
    rows = [
        row(),                                                                                    # 2: fine
        row(**{"检查项编码": "A2", "计分方式": "扣分", "计分参数": "每处扣1分，最多扣5分", "分值": 4}),   # 3: cap > score
        row(**{"检查项编码": "A3", "一票否决": "是，封顶120分"}),                                     # 4
        row(**{"检查项编码": "A4", "一票否决": "可以"}),                                              # 5
        row(**{"检查项编码": "A5", "计分方式": "不少于", "计分参数": "不少于0处，每少一处扣2分"}),        # 6
        row(**{"检查项编码": "A6", "计分方式": "不少于", "计分参数": "不少于-3处，每少一处扣2分"}),       # 7
        row(**{"检查项编码": "A7", "简称": "简" * 21}),                                              # 8
        row(**{"检查项编码": "A8", "计分方式": "不少于", "计分参数": "不少于5处，每少一块扣2分"}),        # 9
        row(**{"检查项编码": "A9", "一票否决": "是，封顶100分"}),                                     # 10
    ]
    report, system = services.system_import(actor=personas["office_city"], data=sheet(rows), filename="坏.xlsx",
                                            name="坏体系", version="1")
    assert system is None
    assert {(e.row, e.column, e.message) for e in report.errors} == {
        (3, "计分参数", "最多扣5分超过了该项分值（4分），最多扣分不能大于分值"),
        (4, "一票否决", "一票否决的封顶分不能大于100"),
        (5, "一票否决", "无法识别「可以」，一票否决应填：是，或 是，封顶60分（不否决时留空或填“否”）"),
        (6, "计分参数", "不少于的数量应大于0"),
        (7, "计分参数", "不少于规则应写成：不少于5处，每少一处扣2分（可加“，最多扣6分”）"),
        (8, "简称", "简称不能超过20个字（现有21个字）"),
        (9, "计分参数", "前后量词不一致：「不少于…处」与「每少一块」"),
        (10, "一票否决", "一票否决的封顶分应小于100（封顶100分等于不否决）"),
    }
    assert not IndexSystem.objects.exists() and not CheckItem.objects.exists()


@pytest.mark.django_db
def test_bad_rule_values_in_yaml_are_refused_with_the_place(personas):
    bad = (RULES.replace("per: 1, unit: 处, max: 5", "per: 1, unit: 处, max: 12")
           .replace("veto: {cap: 60}", "veto: {cap: 100}")
           .replace("min: 5, per_short: 2", "min: 5, per_short: 2, maxx: 3")
           .replace("short_name: 消防通道", "short_name: 消防通道被占用或者堵塞导致无法通行的严重问题")
           .replace("min: 3, per_short: 4", "min: -3, per_short: 4"))
    report, system = import_yaml(personas["office_city"], bad)
    assert system is None
    assert {(e.column, e.message) for e in report.errors} == {
        ("指标 01 第1项 简称", "简称最长20字（现为22字），请改短后重试"),
        ("指标 01 第2项 scoring", "一票否决的封顶分应小于100（封顶100分等于不否决）"),
        ("指标 01 第3项 scoring", "最多扣12分超过了该项分值（10分），最多扣分不能大于分值"),
        ("指标 01 第4项 scoring", "「不少于」的 scoring 不认识 maxx（可写：max、min、per_short、unit、veto）"),
        ("指标 01 第5项 scoring", "不少于的数量不能小于0"),
    }
    assert not IndexSystem.objects.exists()


@pytest.mark.django_db
def test_a_sheet_without_the_new_columns_still_imports(personas):
    old_columns = [column for column in formats.COLUMNS if column not in ("简称", "一票否决")]
    values = dict(zip(formats.COLUMNS, row()))
    report, system = services.system_import(
        actor=personas["office_city"], data=workbook_bytes("检查项", old_columns, [[values[c] for c in old_columns]]),
        filename="旧模板.xlsx", name="旧体系", version="1")
    assert report.ok, [str(e) for e in report.errors]
    item = system.items.get()
    assert (item.short_name, item.params) == ("", {"shares": {"pass": 100, "fail": 0}})


def test_an_items_name_is_its_short_name_or_a_whole_clause_never_a_cut():
    from wenming.standards.models import first_clause, item_title

    def name(short_name="", content="", indicator="综合文化站创建标准", code="WHZ01"):
        return item_title(short_name=short_name, content=content, indicator_name=indicator, code=code)

    assert name(" 禁烟标识与吸烟现象 ", "有明显禁烟标示，无烟区没有吸烟现象。") == "禁烟标识与吸烟现象"
    assert name(content="有明显禁烟标示，无烟区没有吸烟现象。") == "有明显禁烟标示"
    assert name(content="综合文化站无被挪用或侵占现象") == "综合文化站无被挪用或侵占现象"        # no mark: the whole text
    # a mark inside brackets or quotes ends no clause; the sentence is over 20 → indicator and code
    text = "运用多种形式（张贴画、广告牌，电子显示屏等）宣传展示核心价值观。"
    assert first_clause(text) == "运用多种形式（张贴画、广告牌，电子显示屏等）宣传展示核心价值观"
    assert name(content=text) == "综合文化站创建标准 WHZ01"
    assert first_clause("刊播“讲文明，树新风”公益广告；每月更新") == "刊播“讲文明，树新风”公益广告"
    # even the indicator is too long: the code, never a piece of either
    assert name(content=text, indicator="很长的指标名称" * 10) == "检查项WHZ01"
    # the function is only asked for the indicator when it is needed
    asked = []
    assert name(content="开展理论学习，有完善的学习制度。", indicator=lambda: asked.append(1) or "指标") == "开展理论学习"
    assert not asked


@pytest.mark.django_db
def test_a_short_name_is_one_line(personas):
    report, system = import_yaml(personas["office_city"], RULES.replace("short_name: 消防通道", 'short_name: "消防\\n通道"'))
    assert system is None
    assert [(e.column, e.message) for e in report.errors] == [("指标 01 第1项 简称", "简称应为一行文字，不能换行")]

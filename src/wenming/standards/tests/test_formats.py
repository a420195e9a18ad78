"""Index systems in and out of files: YAML and Excel, all-or-nothing, round trips, versions."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from wenming.core.models import AuditEvent
from wenming.core.sheets import workbook_bytes
from wenming.standards import formats, services
from wenming.standards.models import (
    CheckItem,
    IndexSystem,
    Indicator,
    PointType,
    SystemStatus,
)

SMALL = """
system: {name: 测试测评体系, version: "2026版", description: 用于测试}
point_types:
  - {code: WHZ, name: 综合文化站}
  - {code: TST, name: 测试点位}
indicators:
  - code: "01"
    name: 街道创建
    children:
      - code: "0101"
        name: 综合文化站
        items:
          - code: WHZ05
            content: 有明显禁烟标示，无烟区没有吸烟现象。
            rule: 有禁烟标识且无吸烟现象为符合，否则为不符合。
            method: 实地考察
            point_types: [WHZ]
            score: 2
            scoring: {kind: 判定, shares: {符合: 100, 不符合: 0}}
            category: "0701"
          - code: WHZ01
            content: 宣传展示核心价值观。
            method: 实地考察
            point_types: [WHZ, TST]
            score: 2.5
            scoring: {kind: 判定, shares: {符合: 100, 基本符合: 50, 不符合: 0}}
        children:
          - code: "010101"
            name: 未成年人活动场所
            items:
              - code: WHZ09
                content: 开辟未成年人活动场所。
                method: 材料审核
                point_types: [WHZ]
                score: 4
                scoring:
                  kind: 等级
                  by: 条件
                  conditions: [有专人负责, 有管理制度, 有活动资料]
                  grades: [{grade: A, share: 100, min: 3}, {grade: B, share: 80, min: 2},
                           {grade: C, share: 60, min: 1}, {grade: "C#", share: 0, min: 0}]
                  pass: C
  - code: "02"
    name: 市容环境
    items:
      - code: ZGD01
        content: 无暴露垃圾。
        rule: 每发现一处扣0.5分。
        point_types: [TST]
        score: 5
        scoring: {kind: 扣分, per: 0.5, unit: 处}
        category: "0101"
"""


def import_yaml(actor, text=SMALL, **kwargs):
    return services.system_import(actor=actor, data=text.encode(), filename="体系.yaml", **kwargs)


def snapshot(system):
    """Everything that defines a system's content, comparable between two systems."""
    indicators = sorted((i.code, i.name, i.level, i.parent.code if i.parent_id else None, i.sort)
                        for i in system.indicators.select_related("parent"))
    items = sorted((i.code, i.short_name, i.indicator.code, i.content, i.rule_text, i.method, Decimal(i.score), i.rule_kind,
                    repr(i.params), i.category_code, i.sort, tuple(sorted(t.code for t in i.point_types.all())))
                   for i in system.items.select_related("indicator").prefetch_related("point_types"))
    return indicators, items


@pytest.mark.django_db
def test_yaml_import_builds_the_tree(personas):
    report, system = import_yaml(personas["office_city"])
    assert report.ok and report.created == 4
    assert (system.name, system.version, system.status) == ("测试测评体系", "2026版", SystemStatus.DRAFT)
    assert PointType.objects.get(code="TST").name == "测试点位"   # created from the file
    assert list(system.indicators.order_by("code").values_list("code", "level")) == [
        ("01", 1), ("0101", 2), ("010101", 3), ("02", 1)]
    grade = system.items.get(code="WHZ09")
    assert (grade.indicator.code, grade.rule_kind, grade.params["pass"]) == ("010101", "grade", "C")
    assert sorted(system.items.get(code="WHZ01").point_types.values_list("code", flat=True)) == ["TST", "WHZ"]
    assert system.items.get(code="ZGD01").params == {"per": 0.5, "unit": "处"}
    assert AuditEvent.objects.filter(action="standards.import", actor_username="office_city").count() == 1


@pytest.mark.django_db
def test_yaml_and_excel_exports_round_trip(personas):
    office = personas["office_city"]
    _, system = import_yaml(office)
    # YAML: export → import under another version → identical content
    report, again = import_yaml(office, formats.to_yaml(system), version="2027版")
    assert report.ok and snapshot(again) == snapshot(system)
    # Excel: the same
    sheet = formats.workbook(formats.sheet_rows(system), [])
    report, third = services.system_import(actor=office, data=sheet, filename="体系.xlsx", name="测试测评体系",
                                           version="2028版")
    assert report.ok, [str(e) for e in report.errors]
    assert snapshot(third) == snapshot(system)


@pytest.mark.django_db
def test_the_template_sheet_imports_as_it_is(login, personas):
    response = login("office_city").get("/standards/import/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["检查项", "填写说明", "点位类型"]
    report, system = services.system_import(actor=personas["office_city"], data=response.content,
                                            filename="模板.xlsx", name="模板", version="1")
    assert report.ok, [str(e) for e in report.errors]
    assert report.created == 7
    assert system.items.get(code="SQ12").params["conditions"] == ["有专人负责", "有管理制度", "有活动文字图片资料"]


def sheet(rows) -> bytes:
    book = Workbook()
    book.active.append(formats.COLUMNS)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD = {"一级指标编码": "01", "一级指标名称": "街道创建", "二级指标编码": "0101", "二级指标名称": "综合文化站",
        "三级指标编码": "", "三级指标名称": "", "检查项编码": "A1", "简称": "", "检查内容": "内容", "判定规则": "规则",
        "测评方法": "实地考察", "适用点位类型": "综合文化站", "分值": 2, "计分方式": "判定", "计分参数": "符合=100%；不符合=0%",
        "等级条件": "", "一票否决": "", "问题类别编码": "0701"}


def row(**changes):
    values = dict(GOOD)
    values.update(changes)
    return [values[column] for column in formats.COLUMNS]


@pytest.mark.django_db
def test_a_bad_sheet_is_refused_whole_with_rows_and_columns_named(personas):
    rows = [
        row(),                                                               # 2: fine
        row(**{"检查项编码": "A1"}),                                          # 3: duplicate code
        row(**{"检查项编码": "A3", "计分方式": "打分"}),                        # 4
        row(**{"检查项编码": "A4", "计分参数": "符合=100%；差=0"}),              # 5
        row(**{"检查项编码": "A5", "适用点位类型": "火星基地"}),                 # 6
        row(**{"检查项编码": "A6", "分值": "两分"}),                            # 7
        row(**{"检查项编码": "A7", "二级指标名称": "另一个名字"}),               # 8
        row(**{"检查项编码": "A8", "测评方法": "拍脑袋"}),                       # 9
        row(**{"检查项编码": "A9", "问题类别编码": "01"}),                       # 10: a first-level category
        row(**{"检查项编码": "", "检查内容": ""}),                               # 11
        row(**{"检查项编码": "A11", "计分方式": "扣分", "计分参数": "扣一点"}),   # 12
    ]
    report, system = services.system_import(actor=personas["office_city"], data=sheet(rows), filename="坏.xlsx",
                                            name="坏体系", version="1")
    assert system is None and not report.ok
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "检查项编码"), (4, "计分方式"), (5, "计分参数"), (6, "适用点位类型"), (7, "分值"),
                     (8, "二级指标名称"), (9, "测评方法"), (10, "问题类别编码"), (11, "检查项编码"), (11, "检查内容"),
                     (12, "计分参数")}
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(3, "检查项编码")] == "检查项编码「A1」重复"
    assert messages[(6, "适用点位类型")] == "点位类型「火星基地」不存在，请先在“点位类型”中添加"
    assert "前面为「综合文化站」" in messages[(8, "二级指标名称")]
    assert not IndexSystem.objects.exists() and not CheckItem.objects.exists() and not Indicator.objects.exists()


@pytest.mark.django_db
def test_bad_yaml_is_refused_with_places_named(personas):
    broken = SMALL.replace("kind: 扣分, per: 0.5", "kind: 扣分, per: -1").replace("point_types: [TST]\n        score: 5",
                                                                                  "point_types: [XXX]\n        score: 5")
    report, system = import_yaml(personas["office_city"], broken)
    assert system is None
    assert {(e.column, e.message) for e in report.errors} == {
        ("指标 02 第1项 scoring", "每处扣分不能小于0"),
        ("指标 02 第1项 适用点位类型", "点位类型「XXX」不存在，请先在“点位类型”中添加"),
    }
    with pytest.raises(services.SheetError, match="YAML 文件格式有误第2行"):
        import_yaml(personas["office_city"], "system: [\n  : : :\n")
    assert not IndexSystem.objects.exists()


@pytest.mark.django_db
def test_name_and_version_must_be_new(personas):
    import_yaml(personas["office_city"])
    report, system = import_yaml(personas["office_city"])
    assert system is None
    assert [str(e) for e in report.errors] == ["「版本」：已有“测试测评体系（2026版）”，请换一个版本号"]


@pytest.mark.django_db
def test_copy_into_a_new_version_and_lifecycle(personas):
    office = personas["office_city"]
    _, system = import_yaml(office)
    services.system_set_status(actor=office, system=system, status=SystemStatus.ACTIVE)
    with pytest.raises(services.StandardsError, match="只有草稿状态"):
        import_yaml(office, into=system)
    copy = services.system_copy(actor=office, system=system, version="2027版")
    assert (copy.status, copy.copied_from_id, copy.name) == (SystemStatus.DRAFT, system.pk, "测试测评体系")
    assert snapshot(copy) == snapshot(system)
    with pytest.raises(services.StandardsError, match="已有"):
        services.system_copy(actor=office, system=system, version="2027版")
    # a draft's content can be replaced by a file
    smaller = SMALL.split("  - code: \"02\"")[0]
    report, _ = import_yaml(office, smaller, into=copy)
    assert report.ok and copy.items.count() == 3 and system.items.count() == 4
    services.system_set_status(actor=office, system=system, status=SystemStatus.RETIRED)
    with pytest.raises(services.StandardsError, match="不能改为"):
        services.system_set_status(actor=office, system=system, status=SystemStatus.DRAFT)


@pytest.mark.django_db
def test_only_the_city_office_manages_standards(personas):
    from django.core.exceptions import PermissionDenied

    for name in ("office_district_a", "inspector", "handler_street_a1", "leader", "admin"):
        with pytest.raises(PermissionDenied):
            import_yaml(personas[name])
        with pytest.raises(PermissionDenied):
            services.point_type_create(actor=personas[name], code="X1", name="新类型")
    assert not IndexSystem.objects.exists()
    assert AuditEvent.objects.filter(action="access.refused").count() == 10


@pytest.mark.django_db
def test_point_type_codes_follow_the_rule_their_message_states(personas):
    from wenming.standards.models import PointType

    office = personas["office_city"]
    rule = "只能由字母、数字、点、横线（-）、下划线（_）组成，以字母或数字开头，最长10位"
    for code in ("QX.1", "QX-2", "QX_3"):                                  # the message allows them: accepted
        assert services.point_type_create(actor=office, code=code, name=f"类型{code}").code == code
    for code in ("点位", "-QX", "QX 4", "ABCDEFGHIJK"):
        with pytest.raises(services.StandardsError) as error:
            services.point_type_create(actor=office, code=code, name="新类型")
        assert str(error.value) == f"点位类型编码「{code}」{rule}"
    # a YAML file's point types are held to the same rule
    bad = SMALL.replace("point_types:\n", "point_types:\n  - {code: \"TOO-LONG-CODE\", name: 太长}\n", 1)
    report, system = import_yaml(office, bad, version="2099版")
    assert system is None and f"点位类型编码「TOO-LONG-CODE」{rule}" in [error.message for error in report.errors]
    assert not PointType.objects.filter(name="太长").exists()


def test_the_exported_workbook_is_formula_safe():
    data = formats.workbook([row(**{"检查内容": "=1+1", "判定规则": "-1分"})], [("EVIL", '=HYPERLINK("x")')])
    book = load_workbook(io.BytesIO(data))
    content, rule = book["检查项"]["I2"], book["检查项"]["J2"]
    assert (content.value, content.data_type, rule.value) == ("'=1+1", "s", "'-1分")
    name = book["点位类型"]["B2"]
    assert (name.value, name.data_type) == ("'=HYPERLINK(\"x\")", "s")


@pytest.mark.django_db
def test_sheet_headers_as_offices_write_them_and_sheet_level_refusals(personas):
    office = personas["office_city"]
    header = [f" {name} " if name != "分值" else "分数*" for name in formats.COLUMNS] + ["备注"]
    report, system = services.system_import(actor=office, data=workbook_bytes("检查项", header, [row() + ["随便写"]]),
                                            filename="a.xlsx", name="体系", version="1")
    assert report.ok, [str(e) for e in report.errors]
    assert system.items.get().score == 2
    with pytest.raises(services.SheetError, match="^缺少列：分值（应为：一级指标编码、"):
        services.system_import(actor=office, data=workbook_bytes("检查项", [c for c in formats.COLUMNS if c != "分值"], []),
                               filename="a.xlsx", name="体系", version="2")
    with pytest.raises(services.SheetError, match="^表中没有数据行$"):
        services.system_import(actor=office, data=sheet([]), filename="a.xlsx", name="体系", version="2")

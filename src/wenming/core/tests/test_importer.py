"""The shared spreadsheet importer (core/importer.py): header mapping with aliases, sheet-level
refusals (missing column, no rows, the row cap), cell checks (NUL, length, blank, type) named by
row and column, all-or-nothing writing, and formula-safe export."""

import io

import pytest
from openpyxl import load_workbook

from wenming.core import importer
from wenming.core.importer import CellInvalid, Column, SheetSpec, read_sheet, write_all_or_nothing
from wenming.core.sheets import ImportReport, RowError, SheetError, csv_bytes, workbook_bytes
from wenming.org.models import Unit, UnitKind


def whole_number(text: str) -> int:
    if not text.isdigit():
        raise CellInvalid(f"“{text}”不是非负整数")
    return int(text)


SPEC = SheetSpec(columns=(
    Column("编码", aliases=("单位编码", "代码"), required=True, blank=False, max_length=12),
    Column("名称", aliases=("单位名称",), required=True, max_length=10),
    Column("人口", aliases=("常住人口",), parse=whole_number, default=0),
    Column("备注说明"),
), max_rows=5)


def found(sheet):
    return [(e.row, e.column, e.message) for e in sheet.errors]


def test_headers_by_alias_with_spaces_marks_and_any_order():
    header = ["  人口 ", "单位　名称", "编码*", "序号"]         # full-width space inside, a required-mark
    sheet = read_sheet(workbook_bytes("单位", header, [["1,2", "甲", "A1", 1], ["", "乙", "A2", 2]]), "u.xlsx", SPEC)
    assert found(sheet) == [(2, "人口", "“1,2”不是非负整数")]
    assert not sheet.refused
    assert [(r.number, r.values) for r in sheet.rows] == [
        (2, {"编码": "A1", "名称": "甲", "人口": None, "备注说明": ""}),
        (3, {"编码": "A2", "名称": "乙", "人口": 0, "备注说明": ""})]
    assert sheet.rows[0].refused == {"人口"} and sheet.rows[1].refused == set()
    sheet = read_sheet(csv_bytes(["代码", "单位名称（必填）", "常住人口"], [["B1", "丙", "300"]]), "u.csv", SPEC)
    assert found(sheet) == [] and sheet.rows[0].values == {"编码": "B1", "名称": "丙", "人口": 300, "备注说明": ""}


def test_missing_column_is_named_with_the_expected_header():
    sheet = read_sheet(csv_bytes(["名称", "人口"], [["甲", "1"]]), "u.csv", SPEC)
    assert sheet.refused and sheet.rows == []
    assert found(sheet) == [(1, "表头", "缺少列：编码（应为：编码、名称、人口、备注说明）")]


def test_a_column_given_twice_and_unknown_columns():
    sheet = read_sheet(csv_bytes(["编码", "名称", "单位编码", "序号"], [["A", "甲", "B", "1"]]), "u.csv", SPEC)
    assert found(sheet) == [(1, "表头", "“编码”列出现了不止一次，请只保留一列")]
    strict = SheetSpec(columns=SPEC.columns, max_rows=5, unknown="report")
    sheet = read_sheet(csv_bytes(["编码", "名称", "序号", "负责人"], [["A", "甲", "1", "王"]]), "u.csv", strict)
    assert sheet.refused
    assert found(sheet) == [(1, "表头", "无法识别的列：序号、负责人（应为：编码、名称、人口、备注说明）")]


def test_empty_sheet_and_unreadable_files():
    sheet = read_sheet(csv_bytes(["编码", "名称"], [["", ""], []]), "u.csv", SPEC)
    assert sheet.refused and found(sheet) == [(2, "全部", "表中没有数据行")]
    with pytest.raises(SheetError, match="文件是空的"):
        read_sheet(b"", "u.csv", SPEC)
    with pytest.raises(SheetError, match="只支持 .xlsx 或 .csv 文件"):
        read_sheet(b"x", "u.xls", SPEC)


def test_row_cap_refuses_the_sheet_before_any_row_is_checked():
    parsed = []

    def counting(text):
        parsed.append(text)
        return text

    spec = SheetSpec(columns=(Column("编码", required=True, parse=counting),), max_rows=3)
    rows = [[f"A{n}"] for n in range(1000)]
    rows.insert(2, [""])                                      # a blank row does not count, its number does
    sheet = read_sheet(csv_bytes(["编码"], rows), "u.csv", spec)
    assert sheet.refused and sheet.rows == [] and parsed == []
    assert found(sheet) == [(6, "全部", "表中数据超过3行，一次最多导入3行，请拆分后分批导入")]
    sheet = read_sheet(csv_bytes(["编码"], rows[:4]), "u.csv", spec)   # three rows and the blank one: fine
    assert found(sheet) == [] and [r.number for r in sheet.rows] == [2, 3, 5]
    own = SheetSpec(columns=spec.columns, max_rows=3, too_many="一次最多导入{max}个检查项")
    assert found(read_sheet(csv_bytes(["编码"], rows), "u.csv", own)) == [(6, "全部", "一次最多导入3个检查项")]


def test_nul_over_long_and_blank_cells_are_refused_by_row_and_column_never_cut():
    rows = [["A\x001", "甲", "", ""], ["A2", "名" * 11, "7", "说\x00明"], ["", "丙", "x", ""],
            ["A" * 13, "丁", "", ""]]
    sheet = read_sheet(csv_bytes(["编码", "名称", "人口", "备注说明"], rows), "u.csv", SPEC)
    assert found(sheet) == [
        (2, "编码", "含有空字符（\\0），请删除后重试"),
        (3, "名称", "名称不能超过10个字（现有11个字）"),
        (3, "备注说明", "含有空字符（\\0），请删除后重试"),
        (4, "编码", "编码不能为空"),
        (4, "人口", "“x”不是非负整数"),
        (5, "编码", "编码不能超过12个字（现有13个字）"),
    ]
    assert [r.values["名称"] for r in sheet.rows] == ["甲", None, "丙", "丁"]     # refused, not cut
    assert sheet.rows[1].refused == {"名称", "备注说明"} and sheet.rows[1]["人口"] == 7
    assert str(sheet.errors[1]) == "第3行「名称」：名称不能超过10个字（现有11个字）"


def test_app_errors_keep_one_message_per_refused_cell_and_sort_by_row_and_column():
    errors: list[RowError] = []
    sheet = read_sheet(csv_bytes(["编码", "名称"], [["A1", "名" * 11], ["", "乙"]]), "u.csv", SPEC, errors)
    assert sheet.errors is errors
    sheet.error(3, "名称", "名称已被使用")
    sheet.error(2, "名称", "名称不能超过100个字")                 # the sheet's message stands
    sheet.errors_by_field(2, {"code": "编码已被其他单位使用", "other": "别的问题"}, {"code": "编码"})
    sheet.sort_errors()
    assert found(sheet) == [(2, "编码", "编码已被其他单位使用"), (2, "名称", "名称不能超过10个字（现有11个字）"),
                            (2, "other", "别的问题"), (3, "编码", "编码不能为空"), (3, "名称", "名称已被使用")]


def test_a_spec_refuses_an_alias_that_names_two_columns():
    with pytest.raises(ValueError, match="names two columns"):
        SheetSpec(columns=(Column("编码"), Column("单位编码", aliases=("编 码",))), max_rows=1)


@pytest.mark.django_db
def test_write_all_or_nothing_turns_a_concurrent_integrity_error_into_a_chinese_row_error(org):
    city = org["city"]
    before = Unit.objects.count()

    def write():
        Unit.objects.create(parent=city, name="新区", kind=UnitKind.DISTRICT, code="330199")
        report.created += 1
        Unit.objects.create(parent=city, name="撞号区", kind=UnitKind.DISTRICT, code=org["district_a"].code)
        report.created += 1
        return "written"

    report = ImportReport(updated=4)
    assert write_all_or_nothing(report, write, conflict="导入过程中有编码已被使用（可能有人同时导入）",
                                column="编码") is None
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (1, "编码", "导入过程中有编码已被使用（可能有人同时导入），未写入任何数据，请重新导入")]
    assert (report.created, report.updated) == (0, 4)
    assert Unit.objects.count() == before and not Unit.objects.filter(code="330199").exists()

    called = []
    refused = ImportReport(errors=[RowError(2, "名称", "名称不能为空")])
    assert write_all_or_nothing(refused, lambda: called.append(1), conflict="x") is None
    assert called == [] and len(refused.errors) == 1

    clean = ImportReport()
    assert write_all_or_nothing(clean, lambda: Unit.objects.create(
        parent=city, name="新区", kind=UnitKind.DISTRICT, code="330199").code, conflict="x") == "330199"
    assert clean.ok and Unit.objects.count() == before + 1


DANGEROUS = ["=1+1", "+86 123", "-3号楼", "@SUM(A1)", '=HYPERLINK("http://x","点我")']


def test_export_is_formula_safe_and_reads_back_as_typed():
    rows = [[text, "甲", 5] for text in DANGEROUS]
    book = load_workbook(io.BytesIO(workbook_bytes("单位", ["编码", "名称", "人口"], rows)))
    cells = [row[0] for row in book.active.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == ["'" + text for text in DANGEROUS]
    assert {cell.data_type for cell in cells} == {"s"}                   # text, never a formula
    assert book.active.cell(row=2, column=3).value == 5                  # numbers stay numbers
    text = csv_bytes(["编码", "名称", "人口"], rows).decode("utf-8-sig")
    assert [line.split(",")[0] for line in text.splitlines()[1:4]] == ["'=1+1", "'+86 123", "'-3号楼"]
    spec = SheetSpec(columns=(Column("编码", max_length=40), Column("名称"), Column("人口", parse=int)), max_rows=10)
    for data, name in ((workbook_bytes("单位", ["编码", "名称", "人口"], rows), "a.xlsx"),
                       (csv_bytes(["编码", "名称", "人口"], rows), "a.csv")):
        sheet = read_sheet(data, name, spec)
        assert found(sheet) == [] and [r["编码"] for r in sheet.rows] == DANGEROUS, name
        assert {r["人口"] for r in sheet.rows} == {5}


def test_header_key():
    assert importer.header_key(" 名　称 *") == "名称"
    assert importer.header_key("＊标题（必填）") == "标题"
    assert importer.header_key(None) == ""

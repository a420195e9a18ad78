"""Unit tree import (all or nothing, rows and columns named) and export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from wenming.core.models import AuditEvent
from wenming.core.sheets import csv_bytes
from wenming.org import transfer
from wenming.org.models import Unit

HEADER = ["编码", "名称", "类型", "上级编码", "常住人口", "联系人", "联系电话", "主要负责人", "机关代字"]


def xlsx(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD_ROWS = [
    # listed child-first on purpose: the importer orders parents before children
    ["330102002001001", "甲二社区第1网格", "网格", "330102002001", 450, "", "", ""],
    ["330102002001", "甲二社区", "社区", "330102002", 7600, "刘芳", "13700001111", "陈刚"],
    ["330102002002", "幸福村", "村", "330102002", "3,200", "", "0571-88886666", ""],
    ["330102001", "甲一街道", "街道/镇", "330102", 61000, "新联系人", "13911112222", "王主任"],  # update
]


@pytest.mark.django_db
def test_good_sheet_lands_whole(personas, org):
    report = transfer.import_units(actor=personas["office_district_a"], data=xlsx(GOOD_ROWS), filename="units.xlsx")
    assert report.ok, report.errors
    assert (report.created, report.updated) == (3, 1)
    grid = Unit.objects.get(code="330102002001001")
    community = Unit.objects.get(code="330102002001")
    assert grid.parent == community and community.parent == org["street_a2"]
    assert grid.path == f"{org['street_a2'].path}{community.pk}/{grid.pk}/" and grid.depth == 4
    assert Unit.objects.get(code="330102002002").population == 3200
    street = Unit.objects.get(code="330102001")
    assert (street.population, street.contact_name, street.head_name) == (61000, "新联系人", "王主任")
    event = AuditEvent.objects.get(action="org.units_import")
    assert event.detail["created"] == 3 and event.actor_username == "office_district_a"


@pytest.mark.django_db
def test_bad_sheet_changes_nothing_and_names_rows_and_columns(personas, org):
    before = list(Unit.objects.order_by("id").values_list("code", "name", "population"))
    rows = GOOD_ROWS + [
        ["33010200300", "短编码街道", "街道", "330102", 100, "", "", ""],           # row 6: code length
        ["330102002003", "", "社区", "330102002", 100, "", "", ""],                 # row 7: empty name
        ["330102002004", "未知类型社区", "小区", "330102002", 100, "", "", ""],     # row 8: bad kind
        ["330102002005", "人口错社区", "社区", "330102002", "很多", "", "", ""],    # row 9: population
        ["330102002006", "孤儿社区", "社区", "339999999", 100, "", "", ""],        # row 10: parent missing
        ["330102002001", "重复社区", "社区", "330102002", 100, "", "", ""],        # row 11: duplicate code
        ["330103001001", "乙区社区", "社区", "330103001", 100, "", "", ""],        # row 12: out of scope
        ["330102002007", "前缀错社区", "社区", "330102002", 100, "", "abc", ""],   # row 13: phone
        ["330102001999", "错层社区", "社区", "330102", 100, "", "", ""],            # row 14: community under district
    ]
    report = transfer.import_units(actor=personas["office_district_a"], data=xlsx(rows), filename="units.xlsx")
    assert not report.ok
    found = {(e.row, e.column) for e in report.errors}
    assert {(6, "编码"), (7, "名称"), (8, "类型"), (9, "常住人口"), (10, "上级编码"), (11, "编码"),
            (12, "上级编码"), (13, "联系电话"), (14, "上级编码")} <= found
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(6, "编码")] == "街道/镇编码应为9位数字"
    assert messages[(11, "编码")] == "编码330102002001与第3行重复"
    assert messages[(12, "上级编码")] == "上级单位330103001不在您的管理范围内"
    assert messages[(8, "类型")].startswith("类型“小区”无效")
    assert messages[(9, "常住人口")] == "“很多”不是非负整数"
    assert str(report.errors[0]).startswith("第")
    assert list(Unit.objects.order_by("id").values_list("code", "name", "population")) == before


@pytest.mark.django_db
def test_missing_columns_and_unreadable_files(personas, org):
    report = transfer.import_units(actor=personas["office_city"], data=xlsx([["1"]], header=["编码", "名称"]),
                                   filename="u.xlsx")
    assert report.errors[0].column == "表头" and "类型" in report.errors[0].message
    from wenming.core.sheets import SheetError

    with pytest.raises(SheetError, match="不是有效的Excel"):
        transfer.import_units(actor=personas["office_city"], data=b"not a zip", filename="u.xlsx")
    with pytest.raises(SheetError, match="只支持"):
        transfer.import_units(actor=personas["office_city"], data=b"x", filename="u.pdf")


@pytest.mark.django_db
def test_gb18030_csv(personas, org):
    text = "编码,名称,类型,上级编码,常住人口\n330102002001,甲二社区,社区/村,330102002,7600\n"
    report = transfer.import_units(actor=personas["office_city"], data=text.encode("gb18030"), filename="u.csv")
    assert report.ok and report.created == 1
    assert Unit.objects.get(code="330102002001").name == "甲二社区"


@pytest.mark.django_db
def test_import_page_reports_errors_and_writes_nothing(login, org):
    count = Unit.objects.count()
    upload = SimpleUploadedFile("units.xlsx", xlsx([["330102002001", "甲二社区", "社区", "330102009", 1, "", "", ""]]))
    response = login("office_district_a").post(reverse("org:import"), {"file": upload})
    page = response.content.decode()
    assert response.status_code == 200
    assert "未写入任何数据" in page and "第2行" in page and "找不到编码为330102009的上级单位" in page
    assert Unit.objects.count() == count
    upload = SimpleUploadedFile("units.xlsx", xlsx(GOOD_ROWS))
    response = login("office_district_a").post(reverse("org:import"), {"file": upload})
    assert response.status_code == 302 and Unit.objects.count() == count + 3


@pytest.mark.django_db
def test_import_refused_to_wrong_persona(login, org):
    count = Unit.objects.count()
    for persona, status in [("handler_street_a1", 403), ("leader", 403), ("admin", 403), ("citizen", 403)]:
        upload = SimpleUploadedFile("units.xlsx", xlsx(GOOD_ROWS))
        assert login(persona).post(reverse("org:import"), {"file": upload}).status_code == status
    assert Unit.objects.count() == count


@pytest.mark.django_db
def test_export_round_trips(login, personas, org):
    response = login("office_district_a").get(reverse("org:export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[("" if v is None else v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    codes = [row[0] for row in rows[1:]]
    assert codes == ["330102", "330102001", "330102001001", "330102001001001", "330102002"]  # district A only
    # the exported sheet imports back unchanged, as pure updates
    report = transfer.import_units(actor=personas["office_district_a"], data=xlsx(rows[1:]), filename="back.xlsx")
    assert report.ok, report.errors
    assert (report.created, report.updated) == (0, 5)
    city_sheet = load_workbook(io.BytesIO(login("office_city").get(reverse("org:export")).content)).active
    city_rows = [[("" if v is None else v) for v in row] for row in city_sheet.iter_rows(values_only=True)]
    report = transfer.import_units(actor=personas["office_city"], data=xlsx(city_rows[1:]), filename="city.xlsx")
    assert report.ok and (report.created, report.updated) == (0, Unit.objects.count())
    response = login("office_city").get(reverse("org:export") + "?format=csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(HEADER) and "330100,测试市,市,,5000000" in text


@pytest.mark.django_db
def test_export_neutralises_formulas(login, personas, org):
    from wenming.org.models import Unit as U

    U.objects.filter(pk=org["street_a1"].pk).update(name='=HYPERLINK("http://x","点我")')
    response = login("office_city").get(reverse("org:export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[1] for row in sheet.iter_rows(values_only=True)]
    assert "'=HYPERLINK(\"http://x\",\"点我\")" in names
    assert sheet.cell(row=names.index("'=HYPERLINK(\"http://x\",\"点我\")") + 1, column=2).data_type == "s"


@pytest.mark.django_db
def test_every_problem_of_a_row_is_reported(personas, org):
    rows = [
        ["12", "", "小区", "", "-5", "名" * 51, "1" * 25, ""],          # row 2: everything wrong
        ["330102002001", "巨型社区", "社区", "330102002", 99999999999, "", "", ""],  # row 3: population too large
        ["330102001", "甲一街道", "社区", "330102", 1, "", "", ""],      # row 4: update that changes kind
        ["330102001001", "甲一社区", "社区", "330102002", 1, "", "", ""],  # row 5: update that moves
    ]
    report = transfer.import_units(actor=personas["office_city"], data=xlsx(rows), filename="u.xlsx")
    found = {(e.row, e.column) for e in report.errors}
    assert {(2, "名称"), (2, "类型"), (2, "上级编码"), (2, "常住人口"), (2, "联系人"), (2, "联系电话")} <= found
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(3, "常住人口")] == "常住人口应在0到5000万之间"
    assert messages[(4, "类型")] == "已有单位330102001的类型为街道/镇，导入不能修改类型"
    assert messages[(5, "上级编码")] == "已有单位330102001001的上级编码为330102001，导入不能移动单位"


@pytest.mark.django_db
def test_office_headers_nul_and_long_cells_and_the_row_cap(personas, org, monkeypatch):
    header = ["序号", "单位编码", "单位名称 ", "单位类型", "上级单位编码", "人口"]     # 序号 is ignored
    rows = [[1, "330102002001", "甲二社区", "社区", "330102002", "7,600"],
            [2, "330102002002", "乙\x00社区", "社区", "330102002", ""],
            [3, "330102002003", "丙" * 101, "社区", "330102002", "²"]]
    office, before = personas["office_district_a"], Unit.objects.count()
    report = transfer.import_units(actor=office, data=csv_bytes(header, rows), filename="u.csv")
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (3, "名称", "含有空字符（\\0），请删除后重试"),
        (4, "名称", "名称不能超过100个字（现有101个字）"),
        (4, "常住人口", "“²”不是非负整数")]
    assert Unit.objects.count() == before
    report = transfer.import_units(actor=office, data=xlsx(rows[:1], header=header), filename="u.xlsx")
    assert report.ok and Unit.objects.get(code="330102002001").population == 7600
    monkeypatch.setattr(transfer.SHEET, "max_rows", 1)
    report = transfer.import_units(actor=office, data=csv_bytes(header, rows[1:]), filename="u.csv")
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (3, "全部", "表中数据超过1行，一次最多导入1行，请拆分后分批导入")]
    assert Unit.objects.count() == before + 1

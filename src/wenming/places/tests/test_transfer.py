"""Import and export of points: a sheet lands whole or not at all, every bad cell is named by row
and column in Chinese, an export imports again unchanged, and nobody updates a point outside his
scope through a sheet."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from wenming.core.models import AuditEvent
from wenming.core.sheets import SheetError
from wenming.places import selectors, transfer
from wenming.places.models import Point
from wenming.places.transfer import COLUMNS

# responsible unit / area codes of the persona organisation (src/wenming/conftest.py)
STREET_A1, STREET_A2, STREET_B1 = "330102001", "330102002", "330103001"
COMMUNITY_A1, GRID_A1 = "330102001001", "330102001001001"


def xlsx(rows, header=COLUMNS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(rows, header=COLUMNS) -> str:
    return "\n".join(",".join(str(v) for v in row) for row in [header, *rows]) + "\n"


def run(actor, data: bytes, filename="点位.xlsx"):
    return transfer.import_points(actor=actor, data=data, filename=filename)


def state():
    """Everything an import may change."""
    return list(Point.objects.values_list("code", "name", "point_type__code", "unit__code", "area__code", "patron_id",
                                          "address", "latitude", "longitude", "unit_path", "area_path", "qr_token",
                                          "updated_at").order_by("code"))


def errors(report) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in report.errors]


GOOD = [
    ["GD-A1-01", "甲一街道建筑工地", "建筑工地", STREET_A1, GRID_A1, "幸福路1号", 28.6812345, 115.8598765, "leader"],
    ["CS-A2-01", "甲二公厕", "cs", STREET_A2, STREET_A2, "", "", "", ""],                       # type by code
    ["NM-A1-01", "甲一集贸市场", "集贸市场", COMMUNITY_A1, GRID_A1, "集贸路", "28.7", "115.9", ""],  # part of a name
    # an existing point: renamed and moved into the grid
    ["WHZ-A1", "甲一街道综合文化站", "综合文化站", STREET_A1, GRID_A1, "甲一街道文化站门口", 28.68, 115.86, ""],
]


@pytest.mark.django_db
def test_good_sheet_creates_and_updates_in_one_go(personas, org, pts):
    token = pts["station"].qr_token
    report = run(personas["office_district_a"], xlsx(GOOD))
    assert report.ok, errors(report)
    assert (report.created, report.updated) == (3, 1)
    site = Point.objects.select_related("point_type", "patron").get(code="GD-A1-01")
    assert (site.name, site.point_type.code, site.unit, site.area, site.patron, site.address) == (
        "甲一街道建筑工地", "GD", org["street_a1"], org["grid_a1"], personas["leader"], "幸福路1号")
    assert (str(site.latitude), str(site.longitude)) == ("28.681235", "115.859877")
    assert (site.unit_path, site.area_path) == (org["street_a1"].path, org["grid_a1"].path)
    assert len(site.qr_token) >= 16 and site.created_at is not None and site.is_active
    toilet = Point.objects.get(code="CS-A2-01")
    assert (toilet.point_type.code, toilet.latitude, toilet.longitude, toilet.patron) == ("CS", None, None, None)
    assert Point.objects.get(code="NM-A1-01").point_type.code == "NM"
    station = Point.objects.get(code="WHZ-A1")
    assert (station.name, station.area, station.area_path, station.qr_token) == (
        "甲一街道综合文化站", org["grid_a1"], org["grid_a1"].path, token)
    assert len({p.qr_token for p in Point.objects.all()}) == Point.objects.count()
    event = AuditEvent.objects.get(action="places.points_import")
    assert event.actor_username == "office_district_a"
    assert (event.detail["created"], event.detail["updated"], event.detail["rows"]) == (3, 1, 4)


@pytest.mark.django_db
def test_csv_in_utf8_or_gb18030(personas, org, pts):
    rows = [["GD-A1-01", "甲一街道建筑工地", "建筑工地", STREET_A1, GRID_A1, "幸福路1号", "28.68", "115.86", ""]]
    report = run(personas["office_district_a"], csv_text(rows).encode("gb18030"), "点位.csv")
    assert (report.ok, report.created) == (True, 1)
    rows[0][1] = "工地改名"
    report = run(personas["office_district_a"], csv_text(rows).encode("utf-8-sig"), "点位.CSV")
    assert (report.ok, report.created, report.updated) == (True, 0, 1)
    assert Point.objects.get(code="GD-A1-01").name == "工地改名"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["office_city", "office_district_a"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_changes_nothing(personas, pts, persona, fmt):
    # awkward values too: a patron, an address that looks like a formula, more decimals than stored
    Point.objects.filter(code="SQ-A1").update(patron=personas["leader"], address="-3号楼", latitude="28.123457",
                                              longitude="115.000001")
    actor = personas[persona]
    data, _ = transfer.export_points(actor=actor, filters=selectors.PointFilters(), fmt=fmt)
    before = state()
    report = run(actor, data, f"points.{fmt}")
    assert report.ok, errors(report)
    assert (report.created, report.updated) == (0, 0)
    assert state() == before


@pytest.mark.django_db
def test_district_office_sees_a_point_it_may_not_change_and_reimports_its_export(personas, org, pts):
    # district A's export holds the city department's road: unchanged it passes, changed it is refused
    actor = personas["office_district_a"]
    data, _ = transfer.export_points(actor=actor, filters=selectors.PointFilters(), fmt="csv")
    text = data.decode("utf-8-sig")
    assert "ZGD-C" in text
    report = run(actor, text.replace("甲一街道文化站,", "甲一文化站,").encode(), "points.csv")
    assert (report.ok, report.created, report.updated) == (True, 0, 1)
    assert Point.objects.get(code="WHZ-A1").name == "甲一文化站"
    before = state()
    report = run(actor, text.replace("人民路,", "人民大道,").encode(), "points.csv")
    assert errors(report) == [
        (5, "点位编码", "点位ZGD-C已存在，且不在您的管理范围内"),
        (5, "责任单位编码", f"找不到编码为{org['department'].code}的单位，或该单位不在您的管理范围内"),
    ]
    assert state() == before
    # a point the actor does not see is never taken as unchanged
    market = ["NM-B1", "乙一农贸市场", "农贸市场/集贸市场", STREET_B1, STREET_B1, "乙一农贸市场门口", "28.68", "115.86", ""]
    assert [e.message for e in run(actor, xlsx([market])).errors][0] == "点位NM-B1已存在，且不在您的管理范围内"


@pytest.mark.django_db
def test_bad_sheet_names_every_bad_row_and_column_and_writes_nothing(personas, org, pts):
    rows = [
        ["GD-A1-01", "好的一行", "建筑工地", STREET_A1, GRID_A1, "", "", "", ""],                       # 2: fine
        ["GD-A1-02", "类型不对", "游乐场", STREET_A1, GRID_A1, "", "", "", ""],                         # 3
        ["GD-A1-03", "单位不存在", "建筑工地", "999999999", GRID_A1, "", "", "", ""],                   # 4
        ["GD-A1-04", "区域不在辖区", "建筑工地", STREET_A2, GRID_A1, "", "", "", ""],                   # 5
        ["GD-A1-05", "经纬度填反", "建筑工地", STREET_A1, GRID_A1, "", 115.86, 28.68, ""],              # 6
        ["GD-A1-06", "编码重复甲", "建筑工地", STREET_A1, GRID_A1, "", "", "", ""],                     # 7
        ["GD-A1-06", "编码重复乙", "建筑工地", STREET_A1, GRID_A1, "", "", "", ""],                     # 8
        ["GD-A1-07", "领导不存在", "建筑工地", STREET_A1, GRID_A1, "", "", "", "nobody"],               # 9
        ["GD-A1-08", "坐标不是数字", "建筑工地", STREET_A1, GRID_A1, "", "北纬28度", "115.86", ""],     # 10
        ["new", "", "", STREET_A1, "", "", "", "", "handler_street_a1"],                             # 11
    ]
    before = state()
    report = run(personas["office_district_a"], xlsx(rows))
    assert not report.ok and (report.created, report.updated) == (0, 0)
    assert errors(report) == [
        (3, "点位类型", "找不到点位类型“游乐场”（可填类型名称或编码，如：社区 或 SQ）"),
        (4, "责任单位编码", "找不到编码为999999999的单位，或该单位不在您的管理范围内"),
        (5, "所在区域编码", "所在区域甲一社区第1网格（330102001001001）不在责任单位甲二街道的辖区内"),
        (6, "纬度", "纬度115.860000超出范围：应在3到54之间（中国境内），是否与经度填反了？"),
        (6, "经度", "经度28.680000超出范围：应在73到136之间（中国境内），是否与纬度填反了？"),
        (8, "点位编码", "点位编码GD-A1-06与第7行重复"),
        (9, "包保领导账号", "找不到领导账号“nobody”，或该账号不能作为本点位的包保领导（须为本辖区或上级单位的领导）"),
        (10, "纬度", "纬度“北纬28度”不是数字（应为十进制度数，如 28.682892）"),
        (11, "点位编码", "“new”是系统保留字，不能用作点位编码"),
        (11, "名称", "名称不能为空"),
        (11, "点位类型", "点位类型不能为空"),
        (11, "所在区域编码", "所在区域编码不能为空"),
        (11, "包保领导账号",
         "找不到领导账号“handler_street_a1”，或该账号不能作为本点位的包保领导（须为本辖区或上级单位的领导）"),
    ]
    assert [str(e) for e in report.errors][0] == "第3行「点位类型」：找不到点位类型“游乐场”（可填类型名称或编码，如：社区 或 SQ）"
    assert state() == before
    assert not AuditEvent.objects.filter(action="places.points_import").exists()


@pytest.mark.django_db
def test_absurd_numbers_and_blank_codes_are_reported_not_crashed_on(personas, pts):
    rows = [
        ["GD-1", "很远", "建筑工地", STREET_A1, GRID_A1, "", "1e30", "123456789012345678901234567890", ""],
        ["GD-2", "无穷", "建筑工地", STREET_A1, GRID_A1, "", "inf", "115.86", ""],
        ["", "无编码甲", "建筑工地", STREET_A1, GRID_A1, "", "", "", ""],
        ["", "无编码乙", "建筑工地", STREET_A1, GRID_A1, "", "", "", ""],
    ]
    report = run(personas["office_city"], xlsx(rows))
    assert [(row, column) for row, column, _ in errors(report)] == [
        (2, "纬度"), (2, "经度"), (3, "纬度"), (4, "点位编码"), (5, "点位编码")]
    assert errors(report)[0][2].startswith("纬度1E+30超出范围")
    assert errors(report)[2][2] == "纬度“inf”不是数字（应为十进制度数，如 28.682892）"
    assert errors(report)[3][2] == errors(report)[4][2] == "点位编码不能为空"
    assert not Point.objects.filter(code__startswith="GD-").exists()


@pytest.mark.django_db
def test_missing_required_column_is_named(personas, pts):
    header = [c for c in COLUMNS if c not in ("所在区域编码", "名称")]
    report = run(personas["office_city"], xlsx([["GD-1", "建筑工地", STREET_A1, "", "", "", ""]], header=header))
    assert errors(report) == [(1, "表头", f"缺少列：名称、所在区域编码（应为：{'、'.join(COLUMNS)}）")]
    assert not Point.objects.filter(code="GD-1").exists()


@pytest.mark.django_db
def test_optional_columns_may_be_left_out_and_reordered(personas, org, pts):
    header = ["名称", "点位编码", "所在区域编码", "点位类型", "责任单位编码"]
    report = run(personas["office_city"], xlsx([["工地", "GD-1", GRID_A1, "GD", STREET_A1]], header=header))
    assert (report.ok, report.created) == (True, 1)
    point = Point.objects.get(code="GD-1")
    assert (point.name, point.area, point.address, point.latitude) == ("工地", org["grid_a1"], "", None)


@pytest.mark.django_db
def test_empty_sheet_and_wrong_files(personas, pts):
    assert errors(run(personas["office_city"], xlsx([]))) == [(2, "全部", "表中没有数据行")]
    with pytest.raises(SheetError, match="只支持 .xlsx 或 .csv 文件"):
        run(personas["office_city"], b"whatever", "points.xls")
    with pytest.raises(SheetError, match="不是有效的Excel"):
        run(personas["office_city"], b"PK not a workbook", "points.xlsx")


@pytest.mark.django_db
def test_too_many_rows_are_refused_before_any_check(personas, pts, monkeypatch):
    monkeypatch.setattr(transfer.SHEET, "max_rows", 2)
    report = run(personas["office_city"], xlsx(GOOD[:3]))
    # reading stops at the first row past the cap: the sheet's size is not known, only that it is too big
    assert errors(report) == [(4, "全部", "表中数据超过2行，一次最多导入2行，请拆分后分批导入")]
    assert not Point.objects.filter(code="GD-A1-01").exists()


@pytest.mark.django_db
def test_office_headers_nul_and_over_long_cells(personas, org, pts):
    header = ["序号", "点位编号", "点位名称", "类型", "责任单位编码", "区域编码", "详细地址"]      # 序号 is ignored
    rows = [[1, "GD-A1-01", "甲一工地", "建筑工地", STREET_A1, GRID_A1, "幸福路1号"],
            [2, "GD-A1-02", "甲一\x00工地", "建筑工地", STREET_A1, GRID_A1, "路" * 201],
            [3, "GD-A1-03" * 4, "甲一工地", "建筑工地", STREET_A1, GRID_A1, ""]]
    before = state()
    report = run(personas["office_district_a"], csv_text(rows, header).encode(), "点位.csv")
    assert errors(report) == [(3, "名称", "含有空字符（\\0），请删除后重试"),
                              (3, "地址", "地址不能超过200个字（现有201个字）"),
                              (4, "点位编码", "点位编码不能超过30个字（现有32个字）")]
    assert state() == before
    report = run(personas["office_district_a"], csv_text(rows[:1], header).encode(), "点位.csv")
    assert (report.ok, report.created) == (True, 1) and Point.objects.get(code="GD-A1-01").address == "幸福路1号"


@pytest.mark.django_db
def test_points_outside_the_actors_scope_are_not_updated(personas, org, pts):
    before = state()
    rows = [
        # district B's market: district A neither sees nor manages it
        ["NM-B1", "被改名的市场", "农贸市场", STREET_B1, STREET_B1, "", "", "", ""],
        # the road answers to a city department: district A sees it but may not change it
        ["ZGD-C", "被改名的道路", "主次干道", org["department"].code, GRID_A1, "", "", "", ""],
        # moving its own point into district B is no better
        ["WHZ-A1", "甲一街道文化站", "综合文化站", STREET_B1, STREET_B1, "", "", "", ""],
    ]
    report = run(personas["office_district_a"], xlsx(rows))
    assert errors(report) == [
        (2, "点位编码", "点位NM-B1已存在，且不在您的管理范围内"),
        (2, "责任单位编码", "找不到编码为330103001的单位，或该单位不在您的管理范围内"),
        (2, "所在区域编码", "找不到编码为330103001的区域，或该区域不在您的范围内"),
        (3, "点位编码", "点位ZGD-C已存在，且不在您的管理范围内"),
        (3, "责任单位编码", f"找不到编码为{org['department'].code}的单位，或该单位不在您的管理范围内"),
        (4, "责任单位编码", "找不到编码为330103001的单位，或该单位不在您的管理范围内"),
        (4, "所在区域编码", "找不到编码为330103001的区域，或该区域不在您的范围内"),
    ]
    assert state() == before


@pytest.mark.parametrize("persona", ["handler_street_a1", "leader", "inspector", "grid_worker", "admin", "citizen",
                                     "outsider"])
@pytest.mark.django_db
def test_only_offices_import(personas, pts, persona):
    before = state()
    with pytest.raises(PermissionDenied):
        run(personas[persona], xlsx(GOOD))
    assert state() == before


# --- through the page --------------------------------------------------------------------------------

def upload(data: bytes, name="点位.xlsx"):
    return SimpleUploadedFile(name, data, content_type=transfer.XLSX)


@pytest.mark.django_db
def test_import_page(login, pts):
    client = login("office_district_a")
    page = client.get("/points/import/").content.decode()
    assert "导入点位" in page and 'href="/points/import/template.xlsx"' in page and "建筑工地 GD" in page
    response = client.post("/points/import/", {"file": upload(xlsx(GOOD))})
    assert response.status_code == 302 and response["Location"] == "/points/"
    assert "导入成功：新建 3 个点位，更新 1 个点位" in client.get("/points/").content.decode()
    assert Point.objects.filter(code__in=["GD-A1-01", "CS-A2-01", "NM-A1-01"]).count() == 3


@pytest.mark.django_db
def test_import_page_reports_rows_and_columns_and_writes_nothing(login, pts):
    rows = [GOOD[0], ["GD-A1-02", "区域不在辖区", "建筑工地", STREET_A2, GRID_A1, "", "", "", ""],
            ["GD-A1-03", "类型不对", "游乐场", STREET_A1, GRID_A1, "", "", "", ""]]
    before = state()
    response = login("office_district_a").post("/points/import/", {"file": upload(xlsx(rows))})
    page = response.content.decode()
    assert response.status_code == 200
    assert "导入未完成：发现 2 处错误，未写入任何数据" in page
    assert ("<td>第3行</td><td>所在区域编码</td><td>所在区域甲一社区第1网格（330102001001001）不在责任单位甲二街道的辖区内</td>"
            in page)
    assert "<td>第4行</td><td>点位类型</td><td>找不到点位类型“游乐场”" in page
    assert state() == before


@pytest.mark.django_db
def test_import_page_refuses_a_file_it_cannot_read(login, pts):
    client = login("office_city")
    page = client.post("/points/import/", {"file": upload(b"not a sheet", "点位.pdf")}).content.decode()
    assert "只支持 .xlsx 或 .csv 文件" in page
    page = client.post("/points/import/", {}).content.decode()
    assert "这个字段是必填项" in page


@pytest.mark.django_db
def test_import_page_refused_to_non_offices(login, pts):
    before = state()
    for persona in ["handler_street_a1", "leader", "inspector", "grid_worker", "admin", "citizen", "outsider"]:
        assert login(persona).post("/points/import/", {"file": upload(xlsx(GOOD))}).status_code == 403, persona
    assert state() == before

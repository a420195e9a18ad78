"""Bad standards files are refused with a Chinese message and change nothing: text longer than its
column (never cut), versions that exist, YAML anchors and aliases, the documented caps, NUL
characters, wrong types — through the service and through the pages (never a 5xx)."""

import io

import pytest
from django.db.models import QuerySet

from wenming.core.models import AuditEvent
from wenming.standards import formats, services
from wenming.standards.models import CheckItem, IndexSystem, Indicator, PointType

from .test_formats import SMALL, import_yaml, row, sheet


def errors(report):
    return {(e.row, e.column, e.message) for e in report.errors}


def nothing_written():
    return not IndexSystem.objects.exists() and not Indicator.objects.exists() and not CheckItem.objects.exists()


def csv_file(rows) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(formats.COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _named(data, name):
    upload = io.BytesIO(data if isinstance(data, bytes) else data.encode())
    upload.name = name
    return upload


# --- 1. the version (and every other text) is checked against its column, never cut ---------------

@pytest.mark.django_db
def test_a_version_that_only_collides_after_cutting_is_refused_not_cut(personas, login):
    office = personas["office_city"]
    thirty = "V" * 30
    report, first = import_yaml(office, version=thirty)
    assert report.ok
    longer = SMALL.replace('version: "2026版"', f'version: "{thirty}XYZ"')
    report, system = import_yaml(office, longer)
    assert system is None
    assert errors(report) == {(None, "版本", "版本最长30字（现为33字），请改短后重试")}
    # through the page (the version from the file, the form's left empty): the same message, no 500
    response = login("office_city").post("/standards/import/", {"name": "", "version": "",
                                                                "file": _named(longer, "a.yaml")})
    assert response.status_code == 200
    assert "版本最长30字（现为33字），请改短后重试" in response.content.decode()
    assert list(IndexSystem.objects.values_list("version", flat=True)) == [thirty]


@pytest.mark.django_db
def test_a_system_name_longer_than_its_column_is_refused_not_cut(personas):
    long_name = "测" * 101
    report, system = import_yaml(personas["office_city"], SMALL.replace("name: 测试测评体系", f"name: {long_name}"))
    assert system is None
    assert errors(report) == {(None, "体系名称", "体系名称最长100字（现为101字），请改短后重试")}
    assert nothing_written()


@pytest.mark.django_db
def test_an_existing_version_is_refused_by_name(personas):
    office = personas["office_city"]
    import_yaml(office)
    report, system = import_yaml(office)
    assert system is None
    assert errors(report) == {(None, "版本", "已有“测试测评体系（2026版）”，请换一个版本号")}
    assert IndexSystem.objects.count() == 1


@pytest.mark.django_db
def test_a_concurrent_import_of_the_same_version_gets_the_same_message(personas, monkeypatch, login):
    """Another request writes the same name and version after this one's check: the unique
    constraint's IntegrityError becomes the same refusal, not a 500."""
    office = personas["office_city"]
    _, first = import_yaml(office)
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)     # the check ran before the other commit
    report, system = import_yaml(office)
    assert system is None
    assert errors(report) == {(None, "版本", "已有“测试测评体系（2026版）”，请换一个版本号")}
    response = login("office_city").post("/standards/import/", {"name": "", "version": "",
                                                                "file": _named(SMALL, "a.yaml")})
    assert response.status_code == 200 and "已有“测试测评体系（2026版）”，请换一个版本号" in response.content.decode()
    monkeypatch.undo()
    assert list(IndexSystem.objects.values_list("pk", flat=True)) == [first.pk]
    assert AuditEvent.objects.filter(action="standards.import").count() == 1


@pytest.mark.django_db
def test_a_concurrent_copy_into_the_same_version_is_refused_not_a_500(personas, monkeypatch):
    office = personas["office_city"]
    _, system = import_yaml(office)
    services.system_copy(actor=office, system=system, version="2027版")
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)     # the check ran before the other commit
    with pytest.raises(services.StandardsError) as error:
        services.system_copy(actor=office, system=system, version="2027版")
    monkeypatch.undo()
    assert str(error.value) == "已有“测试测评体系（2027版）”，请换一个版本号"
    assert IndexSystem.objects.count() == 2


@pytest.mark.django_db
def test_a_point_type_added_meanwhile_is_a_refusal_not_a_500(personas, monkeypatch):
    """The file lists 测试点位 (TST); another request adds 测试点位 under another code after the
    file was checked: the unique name stops the write, and the import is refused whole."""
    read = services.read_file

    def read_then_another_request(data, filename):
        result = read(data, filename)
        PointType.objects.create(code="ZZ", name="测试点位")
        return result

    monkeypatch.setattr(services, "read_file", read_then_another_request)
    report, system = import_yaml(personas["office_city"])
    assert system is None
    assert errors(report) == {(None, "文件", "导入时点位类型被同时修改，未写入任何数据，请重新导入")}
    assert nothing_written() and not PointType.objects.filter(code="TST").exists()


# --- 2. names over their column are refused with row/column (or the YAML place) and the limit ------

@pytest.mark.django_db
def test_sheet_names_over_100_characters_are_refused_with_row_and_column(personas):
    long_name = "名" * 101
    rows = [row(), row(**{"检查项编码": "A2", "二级指标编码": "0102", "二级指标名称": long_name}),
            row(**{"检查项编码": "A3", "一级指标编码": "02", "一级指标名称": "名" * 100, "二级指标编码": "",
                   "二级指标名称": ""})]
    report, system = services.system_import(actor=personas["office_city"], data=sheet(rows), filename="a.xlsx",
                                            name="体系", version="1")
    assert system is None
    assert errors(report) == {(3, "二级指标名称", "二级指标名称最长100字（现为101字），请改短后重试")}
    assert nothing_written()


@pytest.mark.django_db
def test_yaml_names_over_their_column_are_refused_with_the_place(personas):
    text = SMALL.replace("name: 未成年人活动场所", "name: " + "长" * 120)
    report, system = import_yaml(personas["office_city"], text)
    assert system is None
    assert errors(report) == {(None, "指标 0101 下第1个3级指标 name", "3级指标名称最长100字（现为120字），请改短后重试")}
    # a point type's name (40) is held to its column the same way
    text = SMALL.replace("name: 测试点位", "name: " + "类" * 41)
    report, system = import_yaml(personas["office_city"], text)
    assert (None, "point_types 第2项 name", "点位类型名称最长40字（现为41字），请改短后重试") in errors(report)
    assert {e.message for e in report.errors if e.column != "point_types 第2项 name"} == {
        "点位类型「TST」不存在，请先在“点位类型”中添加"}                 # the items that use it
    assert nothing_written() and not PointType.objects.filter(code="TST").exists()


@pytest.mark.django_db
def test_a_deduction_unit_is_refused_not_cut(personas):
    text = SMALL.replace("per: 0.5, unit: 处", "per: 0.5, unit: 平方米以内")
    report, system = import_yaml(personas["office_city"], text)
    assert system is None
    assert errors(report) == {(None, "指标 02 第1项 scoring", "扣分的量词最多4个字（现为5字）")}


@pytest.mark.django_db
def test_grade_names_fit_the_result_label(personas):
    text = SMALL.replace("{grade: A, share: 100, min: 3}", "{grade: " + "优" * 21 + ", share: 100, min: 3}")
    report, system = import_yaml(personas["office_city"], text)
    assert system is None
    assert errors(report) == {(None, "指标 010101 第1项 scoring", "等级名称最长20字（现为21字）")}


# --- 3. YAML anchors and aliases; the caps are enforced before the work ---------------------------

LAUGHS = """
system: {name: 炸弹, version: "1"}
indicators:
  - code: "01"
    name: 一
    items: &l6
      - &l0 {code: A1, content: 内容, point_types: [TST], score: 1, scoring: {kind: 扣分, per: 1}}
      - *l0
      - *l0
"""


def billion_laughs() -> str:
    """A few KB that expand into ~1,000,000 item entries: ten lists of ten, each made of the one before."""
    lines = ["a0: &a0 [" + ", ".join(["{code: A1, content: 内容, point_types: [TST], score: 1, "
                                       "scoring: {kind: 扣分, per: 1}}"] * 10) + "]"]
    for level in range(1, 6):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    body = "\n".join(lines)
    return ("system: {name: 炸弹, version: '1'}\nbombs:\n  " + body.replace("\n", "\n  ") +
            "\nindicators:\n  - {code: '01', name: 一, items: *a5}\n")


@pytest.mark.django_db
def test_yaml_with_aliases_is_refused(personas, login):
    text = billion_laughs()
    assert len(text.encode()) < 11 * 1024
    with pytest.raises(services.SheetError) as error:
        import_yaml(personas["office_city"], text)
    assert str(error.value) == "YAML 文件不能使用锚点（&）或别名（*）（第3行），请把内容直接写出"
    with pytest.raises(services.SheetError, match="YAML 文件不能使用锚点（&）或别名（\\*）（第6行）"):
        import_yaml(personas["office_city"], LAUGHS)
    response = login("office_city").post("/standards/import/", {"file": _named(text, "a.yaml")})
    assert response.status_code == 200 and "YAML 文件不能使用锚点" in response.content.decode()
    assert nothing_written()


def many_items(count: int) -> str:
    items = "".join(f"      - {{code: X{n}, content: 内容, point_types: [TST], score: 1, "
                    f"scoring: {{kind: 扣分, per: 1}}}}\n" for n in range(count))
    return ("system: {name: 大体系, version: '1'}\npoint_types: [{code: TST, name: 测试点位}]\n"
            "indicators:\n  - code: '01'\n    name: 一\n    items:\n" + items)


@pytest.mark.django_db
def test_yaml_item_cap_is_enforced(personas):
    office = personas["office_city"]
    with pytest.raises(services.SheetError) as error:
        import_yaml(office, many_items(formats.MAX_ITEMS + 1))
    assert str(error.value) == f"一次最多导入{formats.MAX_ITEMS}个检查项"
    assert nothing_written()
    report, system = import_yaml(office, many_items(3))
    assert report.ok and system.items.count() == 3


@pytest.mark.django_db
def test_yaml_indicator_and_point_type_caps_are_enforced(personas):
    office = personas["office_city"]
    indicators = "".join(f"  - {{code: I{n}, name: 指标}}\n" for n in range(formats.MAX_INDICATORS + 1))
    with pytest.raises(services.SheetError) as error:
        import_yaml(office, "system: {name: 大, version: '1'}\nindicators:\n" + indicators)
    assert str(error.value) == f"一个测评体系最多{formats.MAX_INDICATORS}个指标"
    types = "".join(f"  - {{code: T{n}, name: 类型{n}}}\n" for n in range(formats.MAX_POINT_TYPES + 1))
    with pytest.raises(services.SheetError) as error:
        import_yaml(office, "point_types:\n" + types + many_items(1).split("\n", 2)[2])
    assert str(error.value) == f"一个文件最多列出{formats.MAX_POINT_TYPES}个点位类型"
    assert nothing_written() and PointType.objects.filter(code__startswith="T").count() == 0


@pytest.mark.django_db
def test_deeply_nested_yaml_is_refused(personas, login):
    text = "indicators: " + "[" * 5000 + "]" * 5000
    with pytest.raises(services.SheetError) as error:
        import_yaml(personas["office_city"], text)
    assert str(error.value) == f"YAML 文件嵌套超过{formats.MAX_YAML_DEPTH}层（第1行），无法读取"
    response = login("office_city").post("/standards/import/", {"file": _named(text, "a.yaml")})
    assert response.status_code == 200 and "YAML 文件嵌套超过" in response.content.decode()


@pytest.mark.django_db
def test_the_yaml_size_cap(personas):
    text = SMALL + "# " + "x" * (5 * 1024 * 1024) + "\n"
    with pytest.raises(services.SheetError, match="^YAML 文件超过5MB$"):
        import_yaml(personas["office_city"], text)


@pytest.mark.django_db
def test_sheet_item_cap_is_enforced(personas):
    rows = [row(**{"检查项编码": f"A{n}"}) for n in range(formats.MAX_ITEMS + 1)]
    with pytest.raises(services.SheetError, match=f"^一次最多导入{formats.MAX_ITEMS}个检查项$"):
        services.system_import(actor=personas["office_city"], data=csv_file(rows), filename="a.csv",
                               name="体系", version="1")
    assert nothing_written()


# --- 4. NUL characters -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_nul_in_a_sheet_is_refused_with_row_and_column(personas, login):
    rows = [row(), row(**{"检查项编码": "A2", "检查内容": "内\x00容"}), row(**{"检查项编码": "A3", "判定规则": "\x00"})]
    report, system = services.system_import(actor=personas["office_city"], data=csv_file(rows), filename="a.csv",
                                            name="体系", version="1")
    assert system is None
    assert errors(report) == {(3, "检查内容", "含有空字符（\\0），请删除后重试"),
                              (4, "判定规则", "含有空字符（\\0），请删除后重试")}
    response = login("office_city").post("/standards/import/", {"name": "体系", "version": "1",
                                                                "file": _named(csv_file(rows), "a.csv")})
    assert response.status_code == 200 and "含有空字符" in response.content.decode()
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("text,line", [
    (SMALL.replace("content: 宣传展示核心价值观。", 'content: "宣传\\0展示"'), 22),       # an escape in quotes
    (SMALL.replace('version: "2026版"', 'version: "2026\\0"'), 2),
    (SMALL.replace("scoring: {kind: 扣分, per: 0.5, unit: 处}", 'scoring: {kind: 扣分, per: 0.5, unit: "\\0"}'), 51),
    (SMALL.replace("content: 无暴露垃圾。", "content: 无暴露\x00垃圾。"), 47),            # a raw NUL byte
])
def test_nul_in_yaml_is_refused_with_its_line(personas, login, text, line):
    with pytest.raises(services.SheetError) as error:
        import_yaml(personas["office_city"], text)
    assert str(error.value) == f"YAML 文件第{line}行含有空字符（\\0），请删除后重试"
    response = login("office_city").post("/standards/import/", {"file": _named(text, "a.yaml")})
    assert response.status_code == 200 and "含有空字符" in response.content.decode()
    assert nothing_written()


# --- 5. other bad input: wrong types, empty and odd files, bad ids and parameters -----------------

@pytest.mark.django_db
@pytest.mark.parametrize("change,expected", [
    (("point_types:\n  - {code: WHZ, name: 综合文化站}\n  - {code: TST, name: 测试点位}\n", "point_types: 5\n"),
     (None, "point_types", "point_types 应为点位类型列表（code、name）")),
    (("point_types: [TST]\n        score: 5", "point_types: 5\n        score: 5"),
     (None, "指标 02 第1项 point_types", "适用点位类型应为点位类型编码的列表")),
    (("conditions: [有专人负责, 有管理制度, 有活动资料]", "conditions: 3"),
     (None, "指标 010101 第1项 scoring", "conditions 应为条件的列表")),
    (("content: 无暴露垃圾。", "content: [无暴露垃圾]"), (None, "指标 02 第1项 content", "应为文字")),
    (("name: 市容环境", "name: {a: 1}"), (None, "第2个1级指标 name", "应为文字")),
    (("name: 测试测评体系, version", "name: [测试], version"), (None, "体系名称", "应为文字")),
    (("per: 0.5", "per: 1e999999999"), (None, "指标 02 第1项 scoring", "每处扣分不能大于1000")),
    (("min: 3}", "min: 1e999999999}"), (None, "指标 010101 第1项 scoring", "等级「A」的下限不能大于1000")),
], ids=["point_types-not-a-list", "item-point_types-not-a-list", "conditions-not-a-list", "content-a-list",
        "name-a-mapping", "system-name-a-list", "huge-per", "huge-min"])
def test_wrong_types_in_yaml_are_refused_by_place(personas, change, expected):
    old, new = change
    assert old in SMALL
    report, system = import_yaml(personas["office_city"], SMALL.replace(old, new, 1))
    assert system is None
    assert expected in errors(report)
    follow_on = {error for error in errors(report) - {expected}}     # the items that use a type not listed
    assert {message for _, _, message in follow_on} <= {"点位类型「TST」不存在，请先在“点位类型”中添加"}
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("data,message", [
    (b"- a\n- b\n", "YAML 文件应包含 system、point_types 和 indicators 三部分"),
    (b"just text", "YAML 文件应包含 system、point_types 和 indicators 三部分"),
    (b"", "YAML 文件应包含 system、point_types 和 indicators 三部分"),
    ("system: {name: 体系}\n".encode("gb18030") + "indicators: [名称]".encode("gb18030"), "YAML 文件须为 UTF-8 编码"),
    (b"a: 1\n---\nb: 2\n", "YAML 文件格式有误第2行，无法读取"),
])
def test_odd_yaml_files_are_refused(personas, login, data, message):
    with pytest.raises(services.SheetError) as error:
        services.system_import(actor=personas["office_city"], data=data, filename="a.yaml")
    assert str(error.value) == message
    if data:
        response = login("office_city").post("/standards/import/", {"file": _named(data, "a.yaml")})
        assert response.status_code == 200 and message in response.content.decode()


@pytest.mark.django_db
def test_empty_and_oversized_cells_in_a_csv_are_refused(personas, login):
    client = login("office_city")
    response = client.post("/standards/import/", {"name": "体系", "version": "1", "file": _named(b"", "a.csv")})
    assert response.status_code == 200 and "所提交的是空文件" in response.content.decode()
    huge = csv_file([row(**{"检查内容": "长" * 200_000})])
    with pytest.raises(services.SheetError) as error:
        services.system_import(actor=personas["office_city"], data=huge, filename="a.csv", name="体系", version="1")
    assert str(error.value) == "CSV 文件第2行无法读取：单元格超过131072个字符，或引号不配对"
    assert nothing_written()


@pytest.mark.django_db
def test_bad_ids_and_filters_are_not_errors(login, personas):
    _, system = import_yaml(personas["office_city"])
    client = login("office_city")
    huge = "9" * 30
    for url in (f"/standards/{huge}/", f"/standards/{huge}/export.yaml", f"/standards/{huge}/export.xlsx",
                f"/standards/{huge}/replace/"):
        assert client.get(url).status_code == 404, url
    for url in (f"/standards/{huge}/copy/", f"/standards/{huge}/status/"):
        assert client.post(url, {"status": "active", "version": "2", "name": "x"}).status_code == 404, url
    response = client.get(f"/standards/{system.pk}/", {"type": "WH\x00Z"})      # refused before the view
    assert response.status_code == 400 and "空字符" in response.content.decode()
    response = client.get(f"/standards/{system.pk}/", {"type": "火星基地"})
    assert response.status_code == 200 and "点位类型筛选无效" in response.content.decode()
    response = client.post(f"/standards/{system.pk}/status/", {"status": "act\x00ive"}, follow=True)
    assert "状态无效" in response.content.decode()
    response = client.post(f"/standards/{system.pk}/copy/", {"name": "体\x00系", "version": "2"}, follow=True)
    assert response.status_code == 200 and IndexSystem.objects.count() == 1
    response = client.post("/standards/point-types/", {"code": "X\x00", "name": "类型"})
    assert response.status_code == 200 and not PointType.objects.filter(name="类型").exists()


@pytest.mark.django_db
def test_an_xlsx_whose_sheet_is_cut_short_is_refused(login):
    """The workbook opens (read-only mode reads the sheet later), but the sheet's XML breaks off."""
    import zipfile

    whole = zipfile.ZipFile(io.BytesIO(sheet([row()])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as broken:
        for info in whole.infolist():
            data = whole.read(info.filename)
            broken.writestr(info, data[: len(data) // 2] if info.filename == "xl/worksheets/sheet1.xml" else data)
    response = login("office_city").post("/standards/import/", {"name": "体系", "version": "1",
                                                                "file": _named(buffer.getvalue(), "a.xlsx")})
    assert response.status_code == 200 and "文件不是有效的Excel（.xlsx）文件" in response.content.decode()
    assert nothing_written()


def test_what_we_write_is_read_back_even_with_shared_objects():
    """The reader refuses aliases, so the writer must never emit one: a document holding the same
    scoring block twice is written out in full and reads back."""
    from wenming.standards.formats import dump_yaml

    shared = {"verdict": {"符合": "100%", "不符合": 0}}
    text = dump_yaml({"items": [{"scoring": shared}, {"scoring": shared}]})
    assert "&" not in text and "*" not in text
    assert text.count("verdict") == 2

"""Import and export of the unit tree (编码, 名称, 类型, 上级编码, 常住人口, 联系人, 联系电话, 主要负责人,
机关代字).

An import lands whole or not at all: every row is checked first and each problem is reported
with its row and column; only a clean sheet is written, in one transaction. A row whose code
already exists updates that unit's name, population and contacts (its kind and parent must stay).
The optional 机关代字 column sets an office's document code (org.doccodes; the city office only);
a blank cell, or no such column, leaves the code as it is."""

from __future__ import annotations

from wenming.core import access, audit
from wenming.core.importer import CellInvalid, Column, SheetSpec, read_sheet, write_all_or_nothing
from wenming.core.sheets import ImportReport, csv_bytes, workbook_bytes

from .doccodes import doc_code_error, normalize_doc_code
from .models import Unit, UnitKind
from .services import may_set_doc_code, place_unit, validate_unit_fields


def _population(text: str) -> int:
    digits = text.replace(",", "").replace("，", "")
    if not digits.isascii() or not digits.isdigit():
        raise CellInvalid(f"“{text}”不是非负整数")
    return int(digits)


MAX_ROWS = 20_000
SHEET = SheetSpec(columns=(
    Column("编码", aliases=("单位编码", "单位代码", "代码", "行政区划代码", "区划代码"), required=True, max_length=18),
    Column("名称", aliases=("单位名称",), required=True, max_length=100),
    Column("类型", aliases=("单位类型", "层级"), required=True, max_length=16),
    Column("上级编码", aliases=("上级单位编码", "上级代码", "上级区划代码"), required=True, max_length=18),
    Column("常住人口", aliases=("人口", "人口数"), max_length=20, parse=_population, default=0),
    Column("联系人", max_length=50),
    Column("联系电话", aliases=("电话", "联系方式")),
    Column("主要负责人", aliases=("负责人",), max_length=50),
    Column("机关代字", aliases=("代字", "发文机关代字"), max_length=20, parse=normalize_doc_code, default=None),
), max_rows=MAX_ROWS)
COLUMNS = SHEET.headers
FIELD_COLUMN = {"code": "编码", "name": "名称", "kind": "类型", "parent": "上级编码", "population": "常住人口",
                "contact_name": "联系人", "contact_phone": "联系电话", "head_name": "主要负责人",
                "doc_code": "机关代字"}
KIND_ALIASES = {label: value for value, label in UnitKind.choices}
KIND_ALIASES.update({value: value for value in UnitKind.values})
KIND_ALIASES.update({"区": UnitKind.DISTRICT, "县": UnitKind.DISTRICT, "街道": UnitKind.STREET, "镇": UnitKind.STREET,
                     "乡": UnitKind.STREET, "社区": UnitKind.COMMUNITY, "村": UnitKind.COMMUNITY,
                     "部门": UnitKind.DEPARTMENT, "单位": UnitKind.DEPARTMENT})


def import_units(*, actor, data: bytes, filename: str) -> ImportReport:
    access.require(actor, "org.edit_units")
    report = ImportReport()
    sheet = read_sheet(data, filename, SHEET, report.errors)
    if sheet.refused:
        return report

    scope = access.scope_for(actor)
    parsed: list[dict] = []
    seen_codes: dict[str, int] = {}
    seen_doc_codes: dict[str, int] = {}
    for row in sheet.rows:
        # a refused cell (reported already) reads as blank; what that causes below is not repeated
        item = {"row": row.number, **{column: "" if value is None else value for column, value in row.values.items()}}
        code = item["编码"]
        if code in seen_codes:
            sheet.error(row.number, "编码", f"编码{code}与第{seen_codes[code]}行重复")
        seen_codes.setdefault(code, row.number)
        doc_code = item["机关代字"] or None  # None: leave the code as it is
        if doc_code in seen_doc_codes:
            sheet.error(row.number, "机关代字", f"机关代字“{doc_code}”与第{seen_doc_codes[doc_code]}行重复")
        if doc_code:
            seen_doc_codes.setdefault(doc_code, row.number)
        item["机关代字"] = doc_code
        item["kind"] = KIND_ALIASES.get(item["类型"])
        item["population"] = row["常住人口"]
        parsed.append(item)

    codes = {i["编码"] for i in parsed} | {i["上级编码"] for i in parsed}
    existing = {u.code: u for u in Unit.objects.filter(code__in=codes).select_related("parent")}
    sheet_codes = {item["编码"]: item for item in parsed}

    def add(item: dict, errors: dict[str, str]) -> None:
        sheet.errors_by_field(item["row"], errors, FIELD_COLUMN)

    may_set = None

    def check_doc_code(item: dict, unit: Unit | None) -> None:
        """A 机关代字 that changes: the city office only, and one no other unit holds or used."""
        nonlocal may_set
        doc_code = item["机关代字"]
        if not doc_code or (unit is not None and doc_code == unit.doc_code):
            item["机关代字"] = None
            return
        if may_set is None:
            may_set = may_set_doc_code(actor)
        message = (doc_code_error(doc_code, unit=unit, viewer_sees=scope.sees_unit) if may_set
                   else "只有市创建办可以设置机关代字（留空则不修改）")
        if message:
            add(item, {"doc_code": message})

    for item in parsed:
        code, parent_code = item["编码"], item["上级编码"]
        fields = {"name": item["名称"], "code": code, "population": item["population"],
                  "contact_name": item["联系人"], "contact_phone": item["联系电话"], "head_name": item["主要负责人"]}
        current = existing.get(code)
        if current is not None:
            # an update: kind and parent stay; the actor must manage the unit itself
            if item["kind"] != current.kind:
                add(item, {"kind": f"已有单位{code}的类型为{current.get_kind_display()}，导入不能修改类型"})
            current_parent = current.parent.code if current.parent else ""
            if parent_code != current_parent:
                add(item, {"parent": f"已有单位{code}的上级编码为{current_parent or '（无）'}，导入不能移动单位"})
            if not scope.sees_unit(current) or not scope.has("org.edit_units", current):
                add(item, {"code": f"单位{code}不在您的管理范围内"})
            add(item, validate_unit_fields(kind=current.kind, parent=current.parent, exclude_pk=current.pk,
                                           check_parent=False, check_unique=False, **fields))
            check_doc_code(item, current)
            continue
        parent = None
        if not parent_code:
            add(item, {"parent": "上级编码不能为空"})
        elif parent_code in sheet_codes:
            parent_item = sheet_codes[parent_code]
            if _cycle(item, sheet_codes):
                add(item, {"parent": "上级关系形成循环"})
            elif parent_item["kind"]:
                parent = Unit(kind=parent_item["kind"], code=parent_code)
        elif parent_code in existing:
            parent = existing[parent_code]
            if not scope.sees_unit(parent) or not scope.has("org.edit_units", parent):
                add(item, {"parent": f"上级单位{parent_code}不在您的管理范围内"})
                parent = None
        else:
            add(item, {"parent": f"找不到编码为{parent_code}的上级单位"})
        # the parent's own problems are reported on its row; here only what this row gets wrong
        add(item, validate_unit_fields(kind=item["kind"] or item["类型"], parent=parent,
                                       check_parent=parent is not None, check_unique=False, **fields))
        check_doc_code(item, None)

    sheet.sort_errors()
    write_all_or_nothing(report, lambda: _write(actor, filename, parsed, existing, sheet_codes, report),
                         conflict="导入过程中有编码或机关代字已被其他单位使用（可能有人同时导入）", column="编码")
    return report


def _write(actor, filename: str, parsed: list[dict], existing: dict, sheet_codes: dict, report: ImportReport) -> None:
    """Runs in :func:`write_all_or_nothing`'s transaction."""
    created: dict[str, Unit] = {}
    for item in _parents_first(parsed, sheet_codes):
        current = existing.get(item["编码"])
        if current is not None:
            current.name, current.population = item["名称"], item["population"]
            current.contact_name, current.contact_phone = item["联系人"], item["联系电话"]
            current.head_name = item["主要负责人"]
            if item["机关代字"]:
                current.doc_code = item["机关代字"]
            current.save()
            report.updated += 1
            continue
        parent = created.get(item["上级编码"]) or existing[item["上级编码"]]
        unit = Unit.objects.create(parent=parent, name=item["名称"], kind=item["kind"], code=item["编码"],
                                   population=item["population"], contact_name=item["联系人"],
                                   contact_phone=item["联系电话"], head_name=item["主要负责人"],
                                   doc_code=item["机关代字"] or "")
        unit.parent = parent
        place_unit(unit)
        created[unit.code] = unit
        report.created += 1
    audit.record("org.units_import", actor=actor, target=filename,
                 detail={"created": report.created, "updated": report.updated, "rows": len(parsed),
                         "codes": [item["编码"] for item in parsed][:2000],
                         "doc_codes": {item["编码"]: item["机关代字"] for item in parsed if item["机关代字"]}})


def _cycle(item: dict, sheet_codes: dict[str, dict]) -> bool:
    seen = {item["编码"]}
    current = item
    while current["上级编码"] in sheet_codes:
        current = sheet_codes[current["上级编码"]]
        if current["编码"] in seen:
            return True
        seen.add(current["编码"])
    return False


def _parents_first(parsed: list[dict], sheet_codes: dict[str, dict]) -> list[dict]:
    def level(item: dict) -> int:
        depth = 0
        while item["上级编码"] in sheet_codes:
            item = sheet_codes[item["上级编码"]]
            depth += 1
        return depth

    return sorted(parsed, key=level)


def export_units(*, actor, root: Unit | None = None, fmt: str = "xlsx") -> tuple[bytes, str]:
    """The units the actor sees (under ``root`` if given), in the import layout."""
    access.require(actor, "org.view_contacts", root)
    from .selectors import units_visible_to

    qs = units_visible_to(actor).select_related("parent").order_by("path")
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    written = 0

    def rows():
        nonlocal written
        for u in qs.iterator(chunk_size=2000):
            written += 1
            yield [u.code, u.name, u.get_kind_display(), u.parent.code if u.parent else "", u.population,
                   u.contact_name, u.contact_phone, u.head_name, u.doc_code]

    if fmt == "csv":
        data, content_type = csv_bytes(COLUMNS, rows()), "text/csv; charset=utf-8"
    else:
        data = workbook_bytes("单位", COLUMNS, rows(), widths=[18, 24, 10, 18, 10, 10, 14, 10, 10])
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    audit.download(actor=actor, what="单位", rows=written, target=root or "全部", unit=root, format=fmt,
                   root=root.code if root else None)
    return data, content_type


TEMPLATE_ROWS = 2  # the example rows of template_sheet()


def template_sheet() -> bytes:
    example = [["370202001", "示例街道", "街道/镇", "370202", 52000, "王芳", "0532-88886666", "李强", ""],
               ["370202001001", "示例社区", "社区/村", "370202001", 8600, "赵敏", "13800000000", "陈刚", ""]]
    return workbook_bytes("单位", COLUMNS, example, widths=[18, 24, 10, 18, 10, 10, 14, 10, 10])

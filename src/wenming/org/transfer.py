"""Import and export of the unit tree (编码, 名称, 类型, 上级编码, 常住人口, 联系人, 联系电话, 主要负责人).

An import lands whole or not at all: every row is checked first and each problem is reported
with its row and column; only a clean sheet is written, in one transaction. A row whose code
already exists updates that unit's name, population and contacts (its kind and parent must stay)."""

from __future__ import annotations

from django.db import transaction

from wenming.core import access, audit
from wenming.core.sheets import ImportReport, RowError, csv_bytes, read_rows, workbook_bytes

from .models import Unit, UnitKind
from .services import place_unit, validate_unit_fields

COLUMNS = ["编码", "名称", "类型", "上级编码", "常住人口", "联系人", "联系电话", "主要负责人"]
REQUIRED = ["编码", "名称", "类型", "上级编码"]
FIELD_COLUMN = {"code": "编码", "name": "名称", "kind": "类型", "parent": "上级编码", "population": "常住人口",
                "contact_phone": "联系电话"}
KIND_ALIASES = {label: value for value, label in UnitKind.choices}
KIND_ALIASES.update({value: value for value in UnitKind.values})
KIND_ALIASES.update({"区": UnitKind.DISTRICT, "县": UnitKind.DISTRICT, "街道": UnitKind.STREET, "镇": UnitKind.STREET,
                     "乡": UnitKind.STREET, "社区": UnitKind.COMMUNITY, "村": UnitKind.COMMUNITY,
                     "部门": UnitKind.DEPARTMENT, "单位": UnitKind.DEPARTMENT})


def import_units(*, actor, data: bytes, filename: str) -> ImportReport:
    access.require(actor, "org.edit_units")
    header, body = read_rows(data, filename)
    report = ImportReport()
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        report.errors.append(RowError(1, "表头", f"缺少列：{'、'.join(missing)}（应为：{'、'.join(COLUMNS)}）"))
        return report
    if not body:
        report.errors.append(RowError(2, "全部", "表中没有数据行"))
        return report
    position = {name: header.index(name) for name in COLUMNS if name in header}

    def cell(row: list[str], column: str) -> str:
        index = position.get(column)
        return row[index] if index is not None and index < len(row) else ""

    scope = access.scope_for(actor)
    parsed: list[dict] = []
    seen_codes: dict[str, int] = {}
    for number, row in body:
        item = {"row": number, **{column: cell(row, column) for column in COLUMNS}}
        code = item["编码"]
        if code in seen_codes:
            report.errors.append(RowError(number, "编码", f"编码{code}与第{seen_codes[code]}行重复"))
        seen_codes.setdefault(code, number)
        kind_text = item["类型"]
        item["kind"] = KIND_ALIASES.get(kind_text)
        if item["kind"] is None:
            report.errors.append(RowError(number, "类型", f"类型“{kind_text}”无效，应为：{'、'.join(UnitKind.labels)}"))
        population_text = item["常住人口"].replace(",", "")
        item["population"] = 0
        if population_text:
            if population_text.isdigit():
                item["population"] = int(population_text)
            else:
                report.errors.append(RowError(number, "常住人口", f"“{item['常住人口']}”不是非负整数"))
        if not item["上级编码"]:
            report.errors.append(RowError(number, "上级编码", "上级编码不能为空"))
        parsed.append(item)

    existing = {u.code: u for u in Unit.objects.filter(code__in=[i["编码"] for i in parsed] +
                                                        [i["上级编码"] for i in parsed])}
    sheet_codes = {item["编码"]: item for item in parsed}

    # resolve parents: an existing unit, or another row of the sheet (any order)
    for item in parsed:
        if item["kind"] is None or not item["上级编码"]:
            continue
        parent_code = item["上级编码"]
        if parent_code in existing and parent_code not in sheet_codes:
            parent = existing[parent_code]
            if not scope.has("org.edit_units", parent) or not scope.sees_unit(parent):
                report.errors.append(RowError(item["row"], "上级编码", f"上级单位{parent_code}不在您的管理范围内"))
                continue
            parent_kind, parent_code_value = parent.kind, parent.code
        elif parent_code in sheet_codes:
            parent_item = sheet_codes[parent_code]
            parent_kind, parent_code_value = parent_item["kind"], parent_code
            if _cycle(item, sheet_codes):
                report.errors.append(RowError(item["row"], "上级编码", "上级关系形成循环"))
                continue
        else:
            report.errors.append(RowError(item["row"], "上级编码", f"找不到编码为{parent_code}的上级单位"))
            continue
        fake_parent = Unit(kind=parent_kind, code=parent_code_value) if parent_kind else None
        current = existing.get(item["编码"])
        errors = validate_unit_fields(name=item["名称"], kind=item["kind"], code=item["编码"], parent=fake_parent,
                                      population=item["population"], contact_phone=item["联系电话"],
                                      exclude_pk=current.pk if current else None)
        # the uniqueness check above only knows the database; a code of an existing unit is an update
        for field_name, message in errors.items():
            report.errors.append(RowError(item["row"], FIELD_COLUMN.get(field_name, field_name), message))
        if current is not None:
            if current.kind != item["kind"]:
                report.errors.append(RowError(item["row"], "类型", f"已有单位{current.code}的类型为{current.get_kind_display()}，导入不能修改类型"))
            if current.parent is None or current.parent.code != parent_code:
                report.errors.append(RowError(item["row"], "上级编码", f"已有单位{current.code}的上级不同，导入不能移动单位"))
            if not scope.sees_unit(current) or not scope.has("org.edit_units", current):
                report.errors.append(RowError(item["row"], "编码", f"单位{current.code}不在您的管理范围内"))

    report.errors.sort(key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else 99))
    if report.errors:
        return report

    with transaction.atomic():
        created: dict[str, Unit] = {}
        for item in _parents_first(parsed, sheet_codes):
            current = existing.get(item["编码"])
            if current is not None:
                current.name, current.population = item["名称"], item["population"]
                current.contact_name, current.contact_phone = item["联系人"], item["联系电话"]
                current.head_name = item["主要负责人"]
                current.save()
                report.updated += 1
                continue
            parent = created.get(item["上级编码"]) or existing[item["上级编码"]]
            unit = Unit.objects.create(parent=parent, name=item["名称"], kind=item["kind"], code=item["编码"],
                                       population=item["population"], contact_name=item["联系人"],
                                       contact_phone=item["联系电话"], head_name=item["主要负责人"])
            unit.parent = parent
            place_unit(unit)
            created[unit.code] = unit
            report.created += 1
        audit.record("org.units_import", actor=actor, target=filename,
                     detail={"created": report.created, "updated": report.updated, "rows": len(parsed)})
    return report


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
    rows = ([u.code, u.name, u.get_kind_display(), u.parent.code if u.parent else "", u.population,
             u.contact_name, u.contact_phone, u.head_name] for u in qs.iterator(chunk_size=2000))
    audit.record("org.units_export", actor=actor, target=root or "全部", unit=root, detail={"format": fmt})
    if fmt == "csv":
        return csv_bytes(COLUMNS, rows), "text/csv; charset=utf-8"
    return (workbook_bytes("单位", COLUMNS, rows, widths=[18, 24, 10, 18, 10, 10, 14, 10]),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def template_sheet() -> bytes:
    example = [["370202001", "示例街道", "街道/镇", "370202", 52000, "王芳", "0532-88886666", "李强"],
               ["370202001001", "示例社区", "社区/村", "370202001", 8600, "赵敏", "13800000000", "陈刚"]]
    return workbook_bytes("单位", COLUMNS, example, widths=[18, 24, 10, 18, 10, 10, 14, 10])

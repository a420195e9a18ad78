"""An index system as a file: YAML (the built-in template is one) and the Excel sheet with one row
per check item. Both are read into the same plain :class:`SystemData`, checked completely, and
only then written (by ``services.system_import``), so a file lands whole or not at all; every
problem found is reported with its row and column (Excel) or its place in the file (YAML).

Excel columns (first sheet, header in row 1) — :data:`COLUMNS`::

    一级指标编码 一级指标名称 二级指标编码 二级指标名称 三级指标编码 三级指标名称
    检查项编码 检查内容 判定规则 测评方法 适用点位类型 分值 计分方式 计分参数 等级条件 问题类别编码

An indicator's name is given on every row of its items (and must be the same each time); an item
hangs on the deepest indicator given on its row. 适用点位类型 lists type names or codes separated by
「、」. 计分参数 is the compact text of :mod:`wenming.standards.rules` (``符合=100%；不符合=0%``,
``依据=条件；A=100%≥3；…；合格=C``, ``每处扣0.5分``); 等级条件 holds one condition per line.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from wenming.core.sheets import RowError, SheetError, read_rows, safe_cell

from . import rules
from .models import Method

COLUMNS = ["一级指标编码", "一级指标名称", "二级指标编码", "二级指标名称", "三级指标编码", "三级指标名称",
           "检查项编码", "检查内容", "判定规则", "测评方法", "适用点位类型", "分值", "计分方式", "计分参数",
           "等级条件", "问题类别编码"]
REQUIRED = ["一级指标编码", "一级指标名称", "检查项编码", "检查内容", "适用点位类型", "分值", "计分方式"]
METHOD_CODES = {label: code for code, label in Method.choices}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
CODE_RULE = "只能由字母、数字、点、横线（-）、下划线（_）组成，以字母或数字开头"
POINT_TYPE_CODE_MAX = 10


def point_type_code_error(code: str) -> str | None:
    """Why a point type code is refused (the codes of indicators and items, at most 10 long)."""
    if not CODE_RE.match(code) or len(code) > POINT_TYPE_CODE_MAX:
        return f"点位类型编码「{code}」{CODE_RULE}，最长{POINT_TYPE_CODE_MAX}位"
    return None
MAX_ITEMS = 5000
MAX_SCORE = Decimal("1000")


@dataclass
class IndicatorData:
    code: str
    name: str
    level: int
    parent_code: str | None


@dataclass
class ItemData:
    code: str
    indicator_code: str
    content: str
    rule_text: str
    method: str
    point_types: list[str]          # codes
    score: Decimal
    rule_kind: str
    params: dict
    category_code: str = ""


@dataclass
class SystemData:
    name: str = ""
    version: str = ""
    description: str = ""
    point_types: list[tuple[str, str]] = field(default_factory=list)   # (code, name) to create if missing
    indicators: list[IndicatorData] = field(default_factory=list)
    items: list[ItemData] = field(default_factory=list)


class Checker:
    """Collects errors while a file is read; ``where`` is the sheet row (int) or a place in a YAML
    file (text, shown in the 列 column with row None)."""

    def __init__(self, known_types: dict[str, str], known_categories: set[str]):
        # name or code → code
        self.types = dict(known_types)
        self.categories = known_categories
        self.errors: list[RowError] = []
        self.indicators: dict[str, IndicatorData] = {}
        self.item_codes: set[str] = set()

    def error(self, row: int | None, column: str, message: str) -> None:
        self.errors.append(RowError(row=row, column=column, message=message))

    def code(self, row, column: str, value: str, what: str) -> str | None:
        value = (value or "").strip()
        if not value:
            self.error(row, column, f"{what}不能为空")
            return None
        if not CODE_RE.match(value):
            self.error(row, column, f"{what}「{value}」{CODE_RULE}，最长20位")
            return None
        return value

    def indicator(self, row, column: str, code: str, name: str, level: int, parent: str | None) -> bool:
        name = (name or "").strip()
        if not name:
            self.error(row, column.replace("编码", "名称"), f"{level}级指标名称不能为空")
            return False
        if len(name) > 100:
            self.error(row, column.replace("编码", "名称"), "指标名称最长100字")
            return False
        known = self.indicators.get(code)
        if known is None:
            self.indicators[code] = IndicatorData(code=code, name=name, level=level, parent_code=parent)
            return True
        if known.level != level or known.parent_code != parent:
            self.error(row, column, f"指标编码「{code}」已在别处用作另一个指标")
            return False
        if known.name != name:
            self.error(row, column.replace("编码", "名称"), f"指标「{code}」的名称与前面的行不一致（前面为「{known.name}」）")
            return False
        return True

    def item(self, row, where: str, *, code, indicator_code, content, rule_text, method, point_types, score,
             rule_kind, params, category_code) -> ItemData | None:
        """Check one item's fields; ``where`` prefixes the column name for YAML places."""
        ok = True
        col = (lambda name: f"{where}{name}") if where else (lambda name: name)
        code = self.code(row, col("检查项编码"), code, "检查项编码")
        if code is None:
            ok = False
        elif code in self.item_codes:
            self.error(row, col("检查项编码"), f"检查项编码「{code}」重复")
            ok = False
        else:
            self.item_codes.add(code)
        content = (content or "").strip()
        if not content:
            self.error(row, col("检查内容"), "检查内容不能为空")
            ok = False
        method_label = (method or "实地考察").strip()
        if method_label not in METHOD_CODES:
            self.error(row, col("测评方法"), f"测评方法「{method_label}」无效，可填：{'、'.join(METHOD_CODES)}")
            ok = False
        type_codes = []
        if not point_types:
            self.error(row, col("适用点位类型"), "至少填写一个适用点位类型")
            ok = False
        for value in point_types:
            found = self.types.get(value.strip())
            if found is None:
                self.error(row, col("适用点位类型"), f"点位类型「{value}」不存在，请先在“点位类型”中添加")
                ok = False
            elif found not in type_codes:
                type_codes.append(found)
        try:
            number = rules._number(score, "分值", minimum=Decimal(0), maximum=MAX_SCORE)
            if number == 0:
                raise rules.RuleError("分值应大于0")
            if number != number.quantize(Decimal("0.01")):
                raise rules.RuleError("分值最多两位小数")
        except rules.RuleError as error:
            self.error(row, col("分值"), str(error))
            ok = False
            number = None
        if params is None:
            ok = False
        category_code = (category_code or "").strip()
        if category_code and category_code not in self.categories:
            self.error(row, col("问题类别编码"), f"问题类别编码「{category_code}」不存在（须为二级类别编码）")
            ok = False
        if not ok:
            return None
        return ItemData(code=code, indicator_code=indicator_code, content=content, rule_text=(rule_text or "").strip(),
                        method=METHOD_CODES[method_label], point_types=type_codes, score=number,
                        rule_kind=rule_kind, params=params, category_code=category_code)


def _split_types(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[、,，;；/\s]+", text or "") if part.strip()]


# --- Excel ---------------------------------------------------------------------------------------

def read_sheet(data: bytes, filename: str, checker: Checker) -> SystemData:
    """Read the sheet; errors land in ``checker.errors`` (SheetError for an unreadable file)."""
    header, body = read_rows(data, filename)
    index = {name: position for position, name in enumerate(header) if name}
    missing = [name for name in REQUIRED if name not in index]
    if missing:
        raise SheetError("表头缺少必填列：" + "、".join(missing) + "（请使用下载的模板）")
    if not body:
        raise SheetError("表格中没有检查项")
    if len(body) > MAX_ITEMS:
        raise SheetError(f"一次最多导入{MAX_ITEMS}个检查项")
    system = SystemData()
    for row_number, row in body:
        def cell(name: str) -> str:
            position = index.get(name)
            return row[position].strip() if position is not None and position < len(row) else ""

        parent, deepest, ok = None, None, True
        for level, prefix in enumerate(("一级", "二级", "三级"), start=1):
            column = f"{prefix}指标编码"
            value = cell(column)
            if not value:
                if level == 1:
                    checker.error(row_number, column, "一级指标编码不能为空")
                    ok = False
                elif cell(f"{prefix}指标名称"):
                    checker.error(row_number, column, f"填写了{prefix}指标名称，但没有填编码")
                    ok = False
                break
            if level == 3 and not cell("二级指标编码"):
                break
            code = checker.code(row_number, column, value, f"{prefix}指标编码")
            if code is None or not checker.indicator(row_number, column, code, cell(f"{prefix}指标名称"), level, parent):
                ok = False
                break
            parent = deepest = code
        if cell("三级指标编码") and not cell("二级指标编码"):
            checker.error(row_number, "二级指标编码", "填写了三级指标，但没有填二级指标")
            ok = False
        params = kind = None
        try:
            kind, params = rules.from_text(cell("计分方式"), cell("计分参数"), cell("等级条件"))
        except rules.RuleError as error:
            column = "计分方式" if "计分方式只能是" in str(error) else "计分参数"
            checker.error(row_number, column, str(error))
        item = checker.item(row_number, "", code=cell("检查项编码"), indicator_code=deepest, content=cell("检查内容"),
                            rule_text=cell("判定规则"), method=cell("测评方法"),
                            point_types=_split_types(cell("适用点位类型")), score=cell("分值"), rule_kind=kind,
                            params=params, category_code=cell("问题类别编码"))
        if item is not None and ok:
            system.items.append(item)
    system.indicators = list(checker.indicators.values())
    return system


def sheet_rows(system) -> list[list]:
    """The sheet's data rows for a stored system (one query per relation, prefetched)."""
    indicators = {indicator.pk: indicator for indicator in system.indicators.all()}
    rows = []
    items = system.items.select_related("indicator").prefetch_related("point_types").order_by("sort", "id")
    for item in items:
        chain, node = [], indicators[item.indicator_id]
        while node is not None:
            chain.append(node)
            node = indicators.get(node.parent_id) if node.parent_id else None
        chain.reverse()
        cells = []
        for level in range(3):
            cells += [chain[level].code, chain[level].name] if level < len(chain) else ["", ""]
        text, conditions = rules.to_text(item.rule_kind, item.params)
        cells += [item.code, item.content, item.rule_text, item.get_method_display(),
                  "、".join(point_type.name for point_type in sorted(item.point_types.all(), key=lambda t: (t.sort, t.code))),
                  _plain_score(item.score), rules.KIND_LABELS[item.rule_kind], text, conditions, item.category_code]
        rows.append(cells)
    return rows


def _plain_score(value: Decimal):
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


WIDTHS = [9, 16, 9, 18, 9, 18, 10, 50, 50, 10, 20, 6, 8, 36, 30, 10]
GUIDE = [
    ("一级/二级/三级指标编码、名称", "指标树。每行填写该检查项所属的各级指标；同一编码在各行的名称须一致。二级、三级可不填。"),
    ("检查项编码", "在本体系内唯一，由字母、数字、点、横线、下划线组成，以字母或数字开头，如 JD01。"),
    ("检查内容", "检查什么（标准条文）。"),
    ("判定规则", "怎样判定，如“有禁烟标识且无吸烟现象为符合，否则为不符合”。"),
    ("测评方法", "实地考察、材料审核、问卷调查、网上申报、数据调取之一，默认实地考察。"),
    ("适用点位类型", "点位类型名称或编码，多个用“、”分隔。"),
    ("分值", "该检查项的分值，大于0，最多两位小数。"),
    ("计分方式", "判定、等级、扣分之一。"),
    ("计分参数（判定）", "如：符合=100%；基本符合=50%；不符合=0%（不允许“基本符合”时不写该项）。不适用须填写说明，且不计入应得分。"),
    ("计分参数（等级）", "如：依据=条件；A=100%≥3；B=80%≥2；C=60%≥1；C#=0%≥0；合格=C。依据为“比率”时，≥后为百分比。"),
    ("计分参数（扣分）", "如：每处扣0.5分（扣完为止）。"),
    ("等级条件", "按条件评等级时，每行一个条件。"),
    ("问题类别编码", "该项不合格时生成问题所用的二级问题类别编码，如 0101；不填为“其他”。"),
]


def workbook(rows: list[list], point_types: list[tuple[str, str]], title: str = "检查项") -> bytes:
    """The sheet (rows), a 填写说明 sheet and the list of point types."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    bold = Font(bold=True)
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = bold
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("填写说明")
    guide.append(["列", "说明"])
    for cell in guide[1]:
        cell.font = bold
    for row in GUIDE:
        guide.append(list(row))
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 100
    types = book.create_sheet("点位类型")
    types.append(["编码", "名称"])
    for cell in types[1]:
        cell.font = bold
    for code, name in point_types:
        types.append([code, name])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- YAML ----------------------------------------------------------------------------------------

def read_yaml(data: bytes | str, checker: Checker) -> SystemData:
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark is not None else ""
        raise SheetError(f"YAML 文件格式有误{where}，无法读取") from None
    if not isinstance(document, dict) or not isinstance(document.get("indicators"), list):
        raise SheetError("YAML 文件应包含 system、point_types 和 indicators 三部分")
    system = SystemData()
    head = document.get("system") or {}
    if not isinstance(head, dict):
        head = {}
        checker.error(None, "system", "system 应为映射（name、version、description）")
    system.name = str(head.get("name") or "").strip()
    system.version = str(head.get("version") or "").strip()
    system.description = str(head.get("description") or "").strip()
    for position, entry in enumerate(document.get("point_types") or [], start=1):
        if not isinstance(entry, dict) or not entry.get("code") or not entry.get("name"):
            checker.error(None, f"point_types 第{position}项", "点位类型须有 code 和 name")
            continue
        code, name = str(entry["code"]).strip(), str(entry["name"]).strip()
        if point_type_code_error(code):
            checker.error(None, f"point_types 第{position}项", point_type_code_error(code))
            continue
        if len(name) > 40:
            checker.error(None, f"point_types 第{position}项", f"点位类型名称「{name[:40]}…」最长40字")
            continue
        if checker.types.get(name, code) != code:
            checker.error(None, f"point_types 第{position}项", f"点位类型名称「{name}」已用于编码 {checker.types[name]}")
            continue
        checker.types[code] = code
        checker.types[name] = code
        system.point_types.append((code, name))

    def walk(nodes, level: int, parent: str | None, trail: str) -> None:
        if not isinstance(nodes, list):
            checker.error(None, trail or "indicators", "应为指标列表")
            return
        for position, node in enumerate(nodes, start=1):
            place = f"{trail}第{position}个{level}级指标"
            if not isinstance(node, dict):
                checker.error(None, place, "应为映射（code、name、children、items）")
                continue
            code = checker.code(None, place, str(node.get("code") or ""), f"{level}级指标编码")
            if code is None or not checker.indicator(None, place, code, str(node.get("name") or ""), level, parent):
                continue
            items = node.get("items") or []
            if not isinstance(items, list):
                checker.error(None, f"指标 {code}", "items 应为检查项列表")
                items = []
            for item_position, entry in enumerate(items, start=1):
                where = f"指标 {code} 第{item_position}项 "
                if not isinstance(entry, dict):
                    checker.error(None, where.strip(), "检查项应为映射")
                    continue
                kind = params = None
                try:
                    kind, params = rules.from_yaml(entry.get("scoring"))
                except rules.RuleError as error:
                    checker.error(None, f"{where}scoring", str(error))
                types = entry.get("point_types") or []
                if isinstance(types, str):
                    types = _split_types(types)
                item = checker.item(None, where, code=str(entry.get("code") or ""), indicator_code=code,
                                    content=str(entry.get("content") or ""), rule_text=str(entry.get("rule") or ""),
                                    method=str(entry.get("method") or "实地考察"),
                                    point_types=[str(t) for t in types], score=entry.get("score"),
                                    rule_kind=kind, params=params, category_code=str(entry.get("category") or ""))
                if item is not None:
                    system.items.append(item)
            children = node.get("children")
            if children:
                if level == 3:
                    checker.error(None, f"指标 {code}", "指标最多三级")
                else:
                    walk(children, level + 1, code, f"指标 {code} 下")

    walk(document["indicators"], 1, None, "")
    if not system.items and not checker.errors:
        checker.error(None, "indicators", "文件中没有检查项")
    system.indicators = list(checker.indicators.values())
    return system


def to_yaml(system) -> str:
    """A stored system as YAML text (what :func:`read_yaml` reads back)."""
    indicators = list(system.indicators.all())
    items = list(system.items.prefetch_related("point_types").order_by("sort", "id"))
    by_parent: dict[int | None, list] = {}
    for indicator in indicators:
        by_parent.setdefault(indicator.parent_id, []).append(indicator)
    items_of: dict[int, list] = {}
    for item in items:
        items_of.setdefault(item.indicator_id, []).append(item)
    used_types = {}
    for item in items:
        for point_type in item.point_types.all():
            used_types[point_type.code] = point_type

    def node(indicator) -> dict:
        entry = {"code": indicator.code, "name": indicator.name}
        if items_of.get(indicator.pk):
            entry["items"] = []
            for item in items_of[indicator.pk]:
                block = {"code": item.code, "content": item.content}
                if item.rule_text:
                    block["rule"] = item.rule_text
                block["method"] = item.get_method_display()
                block["point_types"] = [t.code for t in sorted(item.point_types.all(), key=lambda t: (t.sort, t.code))]
                block["score"] = _plain_score(item.score)
                block["scoring"] = rules.to_yaml(item.rule_kind, item.params)
                if item.category_code:
                    block["category"] = item.category_code
                entry["items"].append(block)
        if by_parent.get(indicator.pk):
            entry["children"] = [node(child) for child in by_parent[indicator.pk]]
        return entry

    document = {
        "system": {"name": system.name, "version": system.version, "description": system.description},
        "point_types": [{"code": t.code, "name": t.name} for t in sorted(used_types.values(), key=lambda t: (t.sort, t.code))],
        "indicators": [node(indicator) for indicator in by_parent.get(None, [])],
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)

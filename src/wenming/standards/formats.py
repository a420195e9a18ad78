"""An index system as a file: YAML (the built-in template is one) and the Excel sheet with one row
per check item. Both are read into the same plain :class:`SystemData`, checked completely, and
only then written (by ``services.system_import``), so a file lands whole or not at all; every
problem found is reported with its row and column (Excel) or its place in the file (YAML).

Excel columns (first sheet, header in row 1) — :data:`COLUMNS`::

    一级指标编码 一级指标名称 二级指标编码 二级指标名称 三级指标编码 三级指标名称
    检查项编码 简称 检查内容 判定规则 测评方法 适用点位类型 分值 计分方式 计分参数 等级条件 一票否决 问题类别编码

An indicator's name is given on every row of its items (and must be the same each time); an item
hangs on the deepest indicator given on its row. 适用点位类型 lists type names or codes separated by
「、」. 计分参数 is the compact text of :mod:`wenming.standards.rules` (``符合=100%；不符合=0%``,
``依据=条件；A=100%≥3；…；合格=C``, ``每处扣0.5分``, ``每处扣1分，最多扣5分``,
``不少于5处，每少一处扣2分``); 等级条件 holds one condition per line; 一票否决 is blank (or 否),
``是`` or ``是，封顶60分``. 简称 (at most 20 characters) names the item in problem titles. A sheet
written before 简称 and 一票否决 existed still imports: both columns are optional.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from wenming.core import importer
from wenming.core.importer import NUL_MESSAGE
from wenming.core.sheets import RowError, SheetError, safe_cell

from . import rules
from .models import SHORT_NAME_MAX, IndexSystem, Indicator, Method, PointType

COLUMNS = ["一级指标编码", "一级指标名称", "二级指标编码", "二级指标名称", "三级指标编码", "三级指标名称",
           "检查项编码", "简称", "检查内容", "判定规则", "测评方法", "适用点位类型", "分值", "计分方式", "计分参数",
           "等级条件", "一票否决", "问题类别编码"]
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
# The caps of one file (docs/user-guide.md §10.4), checked before the file's content is built or
# checked item by item: an import refused for its size costs no more than reading it.
MAX_ITEMS = 5000
MAX_INDICATORS = 5000
MAX_POINT_TYPES = 200           # a YAML file's point_types list (they are created for every system)
MAX_YAML_BYTES = 5 * 1024 * 1024
MAX_YAML_DEPTH = 32             # nesting of lists and mappings; an exported file uses 12
MAX_SCORE = Decimal("1000")
# Text is checked against its column and refused when longer, never cut.
NAME_MAX = IndexSystem._meta.get_field("name").max_length
VERSION_MAX = IndexSystem._meta.get_field("version").max_length
INDICATOR_NAME_MAX = Indicator._meta.get_field("name").max_length
POINT_TYPE_NAME_MAX = PointType._meta.get_field("name").max_length


def too_long(what: str, text: str, limit: int) -> str | None:
    """The refusal of a text longer than its column (None when it fits)."""
    if len(text) > limit:
        return f"{what}最长{limit}字（现为{len(text)}字），请改短后重试"
    return None


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
    short_name: str = ""


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
        self.refused_cells: set[tuple[int | None, str]] = set()   # a sheet's cells refused as such: no more on them
        self.indicators: dict[str, IndicatorData] = {}
        self.item_codes: set[str] = set()

    def error(self, row: int | None, column: str, message: str) -> None:
        if (row, column) not in self.refused_cells:
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

    def indicator(self, row, column: str, name_column: str, what: str, code: str, name: str, level: int,
                  parent: str | None) -> bool:
        """``column``/``name_column`` are where the code and the name are (the sheet's columns, or
        places in a YAML file); ``what`` names the name in messages (二级指标名称)."""
        name = (name or "").strip()
        if not name:
            self.error(row, name_column, f"{what}不能为空")
            return False
        if too_long(what, name, INDICATOR_NAME_MAX):
            self.error(row, name_column, too_long(what, name, INDICATOR_NAME_MAX))
            return False
        known = self.indicators.get(code)
        if known is None:
            if len(self.indicators) >= MAX_INDICATORS:
                raise SheetError(f"一个测评体系最多{MAX_INDICATORS}个指标")
            self.indicators[code] = IndicatorData(code=code, name=name, level=level, parent_code=parent)
            return True
        if known.level != level or known.parent_code != parent:
            self.error(row, column, f"指标编码「{code}」已在别处用作另一个指标")
            return False
        if known.name != name:
            self.error(row, name_column, f"指标「{code}」的名称与前面的行不一致（前面为「{known.name}」）")
            return False
        return True

    def item(self, row, where: str, *, code, indicator_code, content, rule_text, method, point_types, score,
             rule_kind, params, category_code, short_name="", rule_column="计分参数") -> ItemData | None:
        """Check one item's fields; ``where`` prefixes the column name for YAML places;
        ``rule_column`` is where the scoring rule is (the sheet's 计分参数, a YAML item's scoring)."""
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
        short_name = (short_name or "").strip()
        if too_long("简称", short_name, SHORT_NAME_MAX):
            self.error(row, col("简称"), too_long("简称", short_name, SHORT_NAME_MAX))
            ok = False
        elif any(char in short_name for char in "\r\n\t"):
            self.error(row, col("简称"), "简称应为一行文字，不能换行")
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
        elif number is not None:
            try:
                rules.check_score(rule_kind, params, number)
            except rules.RuleError as error:
                self.error(row, rule_column, str(error))
                ok = False
        category_code = (category_code or "").strip()
        if category_code and category_code not in self.categories:
            self.error(row, col("问题类别编码"), f"问题类别编码「{category_code}」不存在（须为二级类别编码）")
            ok = False
        if not ok:
            return None
        return ItemData(code=code, indicator_code=indicator_code, content=content, rule_text=(rule_text or "").strip(),
                        method=METHOD_CODES[method_label], point_types=type_codes, score=number,
                        rule_kind=rule_kind, params=params, category_code=category_code, short_name=short_name)


def _split_types(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[、,，;；/\s]+", text or "") if part.strip()]


# --- Excel ---------------------------------------------------------------------------------------

ALIASES = {"检查项编码": ("检查项目编码",), "测评方法": ("检查方法",), "适用点位类型": ("点位类型",), "分值": ("分数",),
           "简称": ("检查项简称", "问题简称"), "一票否决": ("是否一票否决", "否决项")}
MAX_LENGTHS = {"简称": SHORT_NAME_MAX}
SHEET = importer.SheetSpec(
    columns=tuple(importer.Column(name, aliases=ALIASES.get(name, ()), required=name in REQUIRED,
                                  max_length=MAX_LENGTHS.get(name)) for name in COLUMNS),
    max_rows=MAX_ITEMS, too_many="一次最多导入{max}个检查项")


def read_sheet(data: bytes, filename: str, checker: Checker) -> SystemData:
    """Read the sheet; errors land in ``checker.errors`` (SheetError for an unreadable file, and
    for one refused as a whole: its header, no rows, more than :data:`MAX_ITEMS`)."""
    sheet = importer.read_sheet(data, filename, SHEET)
    if sheet.refused:
        raise SheetError("；".join(error.message for error in sheet.errors))
    checker.errors.extend(sheet.errors)               # NUL characters, by row and column
    checker.refused_cells |= sheet.refused_cells
    system = SystemData()
    for row in sheet.rows:
        row_number, cell = row.number, row.text
        parent, deepest, ok = None, None, not row.refused
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
            name_column = f"{prefix}指标名称"
            if code is None or not checker.indicator(row_number, column, name_column, name_column, code,
                                                     cell(name_column), level, parent):
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
        try:
            veto = rules.veto_from_text(cell("一票否决"))
        except rules.RuleError as error:
            checker.error(row_number, "一票否决", str(error))
            params = None
        else:
            if params is not None and veto is not None:
                params = rules.normalise(kind, {**params, "veto": veto})
        item = checker.item(row_number, "", code=cell("检查项编码"), indicator_code=deepest, content=cell("检查内容"),
                            rule_text=cell("判定规则"), method=cell("测评方法"),
                            point_types=_split_types(cell("适用点位类型")), score=cell("分值"), rule_kind=kind,
                            params=params, category_code=cell("问题类别编码"), short_name=cell("简称"))
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
        cells += [item.code, item.short_name, item.content, item.rule_text, item.get_method_display(),
                  "、".join(point_type.name for point_type in sorted(item.point_types.all(), key=lambda t: (t.sort, t.code))),
                  _plain_score(item.score), rules.KIND_LABELS[item.rule_kind], text, conditions,
                  rules.veto_to_text(item.params), item.category_code]
        rows.append(cells)
    return rows


def _plain_score(value: Decimal):
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


WIDTHS = [9, 16, 9, 18, 9, 18, 10, 16, 50, 50, 10, 20, 6, 8, 36, 30, 12, 10]
GUIDE = [
    ("一级/二级/三级指标编码、名称", "指标树。每行填写该检查项所属的各级指标；同一编码在各行的名称须一致。二级、三级可不填。"),
    ("检查项编码", "在本体系内唯一，由字母、数字、点、横线、下划线组成，以字母或数字开头，如 JD01。"),
    ("简称", "选填，最多20字，一行，如“禁烟标识与吸烟”。该项不合格时生成的问题标题为“点位名称：简称”，结单公示等公开页面也显示简称。"
             "不填时取检查内容的第一句（不超过20字时），否则为“指标名称 检查项编码”。"),
    ("检查内容", "检查什么（标准条文）。"),
    ("判定规则", "怎样判定，如“有禁烟标识且无吸烟现象为符合，否则为不符合”。"),
    ("测评方法", "实地考察、材料审核、问卷调查、网上申报、数据调取之一，默认实地考察。"),
    ("适用点位类型", "点位类型名称或编码，多个用“、”分隔。"),
    ("分值", "该检查项的分值，大于0，最多两位小数。"),
    ("计分方式", "判定、等级、扣分、不少于之一。"),
    ("计分参数（判定）", "如：符合=100%；基本符合=50%；不符合=0%（不允许“基本符合”时不写该项）。不适用须填写说明，且不计入应得分。"),
    ("计分参数（等级）", "如：依据=条件；A=100%≥3；B=80%≥2；C=60%≥1；C#=0%≥0；合格=C。依据为“比率”时，≥后为百分比。"),
    ("计分参数（扣分）", "如：每处扣0.5分（扣完为止）；有扣分上限时写：每处扣1分，最多扣5分（最多扣分不能大于分值）。"),
    ("计分参数（不少于）", "如：不少于5处，每少一处扣2分。督查员填写实有数量，每少一处扣分，扣完为止；可加“，最多扣6分”。"
                      "前后量词须一致（不少于5块，每少一块扣2分）。"),
    ("等级条件", "按条件评等级时，每行一个条件。"),
    ("一票否决", "不填或填“否”：不否决。填“是”：该项不合格时本点位得分按0分计；填“是，封顶60分”：该项不合格时本点位得分最高按60分计"
               "（封顶分0–100，小于100）。"),
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
        types.append([safe_cell(code), safe_cell(name)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- YAML ----------------------------------------------------------------------------------------

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)     # libyaml when present: the same, faster


class StrictLoader(_SafeLoader):
    """``yaml.SafeLoader`` for uploaded index systems. Before anything is built it reads the file's
    events (nothing is constructed, so it costs little) and raises :class:`SheetError` for what
    such a file never needs and what would make it expensive: anchors and aliases (an 11 KB file of
    aliases expands into a million items), nesting deeper than :data:`MAX_YAML_DEPTH`, more items,
    indicators or point types than the caps, and NUL characters (PostgreSQL keeps none in text)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._source = stream

    def get_single_data(self):
        _check_events(_SafeLoader(self._source))
        return super().get_single_data()


def _line(event) -> str:
    mark = getattr(event, "start_mark", None)
    return f"第{mark.line + 1}行" if mark is not None else ""


def _check_events(parser) -> None:
    # One frame per open collection: [is a mapping, next node is a key, the key it is the value of].
    # A sequence's frame holds the key that owns it (items, children, point_types …).
    stack: list[list] = []
    items = indicators = point_types = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise SheetError(f"YAML 文件不能使用锚点（&）或别名（*）（{_line(event)}），请把内容直接写出")
            if not isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
                if isinstance(event, yaml.CollectionEndEvent):
                    stack.pop()
                continue
            if isinstance(event, yaml.ScalarEvent) and "\x00" in event.value:
                raise SheetError(f"YAML 文件{_line(event)}{NUL_MESSAGE}")
            owner = None
            if stack:
                frame = stack[-1]
                if frame[0] and frame[1]:                    # a key
                    frame[1] = False
                    frame[2] = event.value if isinstance(event, yaml.ScalarEvent) else None
                elif frame[0]:                               # a value
                    frame[1] = True
                    owner = frame[2]
                elif frame[2] == "items":
                    items += 1
                    if items > MAX_ITEMS:
                        raise SheetError(f"一次最多导入{MAX_ITEMS}个检查项")
                elif frame[2] in ("indicators", "children"):
                    indicators += 1
                    if indicators > MAX_INDICATORS:
                        raise SheetError(f"一个测评体系最多{MAX_INDICATORS}个指标")
                elif frame[2] == "point_types" and len(stack) == 2:
                    point_types += 1
                    if point_types > MAX_POINT_TYPES:
                        raise SheetError(f"一个文件最多列出{MAX_POINT_TYPES}个点位类型")
            if isinstance(event, yaml.MappingStartEvent):
                stack.append([True, True, None])
            elif isinstance(event, yaml.SequenceStartEvent):
                stack.append([False, False, owner])
            if len(stack) > MAX_YAML_DEPTH:
                raise SheetError(f"YAML 文件嵌套超过{MAX_YAML_DEPTH}层（{_line(event)}），无法读取")
    finally:
        parser.dispose()


def load_yaml(text: str):
    """The document of an uploaded YAML file (:class:`StrictLoader`); SheetError when it is refused."""
    if "\x00" in text:
        raise SheetError(f"YAML 文件第{text.count(chr(10), 0, text.index(chr(0))) + 1}行{NUL_MESSAGE}")
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 — a SafeLoader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark is not None else ""
        raise SheetError(f"YAML 文件格式有误{where}，无法读取") from None


def _text(checker: Checker, place: str, value) -> str | None:
    """A YAML value that is text: a string, or a number or date written without quotes. Lists,
    mappings and yes/no (read as true/false) are refused at ``place``; None when refused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal, datetime.date)) and not isinstance(value, bool):
        return str(value)
    checker.error(None, place, "应为文字")
    return None


def read_yaml(data: bytes | str, checker: Checker) -> SystemData:
    if isinstance(data, bytes):
        if len(data) > MAX_YAML_BYTES:
            raise SheetError("YAML 文件超过5MB")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SheetError("YAML 文件须为 UTF-8 编码") from None
    document = load_yaml(data)
    if not isinstance(document, dict) or not isinstance(document.get("indicators"), list):
        raise SheetError("YAML 文件应包含 system、point_types 和 indicators 三部分")
    system = SystemData()
    head = document.get("system") or {}
    if not isinstance(head, dict):
        head = {}
        checker.error(None, "system", "system 应为映射（name、version、description）")
    for attribute, place in (("name", "体系名称"), ("version", "版本"), ("description", "体系说明")):
        value = _text(checker, place, head.get(attribute))
        setattr(system, attribute, (value or "").strip())
    types = document.get("point_types") or []
    if not isinstance(types, list):
        checker.error(None, "point_types", "point_types 应为点位类型列表（code、name）")
        types = []
    for position, entry in enumerate(types, start=1):
        place = f"point_types 第{position}项"
        if not isinstance(entry, dict) or not entry.get("code") or not entry.get("name"):
            checker.error(None, place, "点位类型须有 code 和 name")
            continue
        code, name = _text(checker, f"{place} code", entry["code"]), _text(checker, f"{place} name", entry["name"])
        if code is None or name is None:
            continue
        code, name = code.strip(), name.strip()
        if point_type_code_error(code):
            checker.error(None, place, point_type_code_error(code))
            continue
        if too_long("点位类型名称", name, POINT_TYPE_NAME_MAX):
            checker.error(None, f"{place} name", too_long("点位类型名称", name, POINT_TYPE_NAME_MAX))
            continue
        if checker.types.get(name, code) != code:
            checker.error(None, place, f"点位类型名称「{name}」已用于编码 {checker.types[name]}")
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
            code, name = _text(checker, f"{place} code", node.get("code")), _text(checker, f"{place} name", node.get("name"))
            if code is None or name is None:
                continue
            code = checker.code(None, place, code, f"{level}级指标编码")
            if code is None or not checker.indicator(None, place, f"{place} name", f"{level}级指标名称", code, name,
                                                     level, parent):
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
                texts = {key: _text(checker, f"{where}{key}", entry.get(key))
                         for key in ("code", "short_name", "content", "rule", "method", "category")}
                types = entry.get("point_types") or []
                if isinstance(types, str):
                    types = _split_types(types)
                elif not isinstance(types, list) or not all(isinstance(t, (str, int)) for t in types):
                    checker.error(None, f"{where}point_types", "适用点位类型应为点位类型编码的列表")
                    continue
                if None in texts.values():
                    continue
                item = checker.item(None, where, code=texts["code"], indicator_code=code, content=texts["content"],
                                    rule_text=texts["rule"], method=texts["method"] or "实地考察",
                                    point_types=[str(t) for t in types], score=entry.get("score"),
                                    rule_kind=kind, params=params, category_code=texts["category"],
                                    short_name=texts["short_name"], rule_column=f"{where}scoring")
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


class _PlainDumper(yaml.SafeDumper):
    """Writes every value out in full: the reader refuses anchors and aliases (an alias can blow a
    small file up into millions of items), so what we write must never use them, even where the
    same object appears twice (a shared scoring block)."""

    def ignore_aliases(self, data) -> bool:
        return True


def dump_yaml(document: dict) -> str:
    """YAML text that :func:`read_yaml` accepts (no anchors or aliases)."""
    return yaml.dump(document, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=120)


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
                block = {"code": item.code}
                if item.short_name:
                    block["short_name"] = item.short_name
                block["content"] = item.content
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
    return dump_yaml(document)

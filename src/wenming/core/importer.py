"""The one way a spreadsheet is imported: a declarative :class:`SheetSpec` of the columns, then
:func:`read_sheet` and :func:`write_all_or_nothing`.

:func:`read_sheet` reads the file (:func:`~wenming.core.sheets.read_rows`, .xlsx or .csv in UTF-8
or GB18030), maps the header to the spec's columns (by the Chinese header or one of the aliases
offices use, ignoring spaces — full-width ones too — and a ``*`` or ``（必填）`` marker), and
refuses the sheet as a whole for a missing required column, a column given twice, an unknown column
(when the spec says so), no data rows, or more rows than the cap (known before any row is checked:
reading stops one row past it). Then every cell is checked the same way — no NUL character, no
longer than its column (refused, never cut), not blank where the spec says so, and typed by the
column's parser — and each refusal is a :class:`RowError` naming the row and column in Chinese.
The app's own rules (codes that must exist, scope, cross-field checks) stay in the app and add
their errors through :meth:`Sheet.error`, which keeps one message per refused cell.

:func:`write_all_or_nothing` writes only an error-free report, in one transaction; an
``IntegrityError`` (someone imported the same codes at the same moment) leaves nothing written and
becomes a RowError ending “未写入任何数据，请重新导入”. Exports stay formula-safe through
:func:`~wenming.core.sheets.safe_cell` (``workbook_bytes`` and ``csv_bytes`` call it)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

from .sheets import ImportReport, RowError, read_rows

NUL_MESSAGE = "含有空字符（\\0），请删除后重试"
TOO_MANY_ROWS = "表中数据超过{max}行，一次最多导入{max}行，请拆分后分批导入"
EMPTY_SHEET = "表中没有数据行"
_MARKS = re.compile(r"^[*＊]+|[*＊]+$|[（(](必填|选填)[)）]$")

T = TypeVar("T")


class CellInvalid(ValueError):
    """Raised by a column's parser; the message (Chinese) is the cell's error."""


def header_key(text: str) -> str:
    """A header cell as it is compared: no white space anywhere (``名　称``), no required-marks."""
    text = "".join(str(text or "").split())
    previous = None
    while previous != text:
        previous, text = text, _MARKS.sub("", text)
    return text


@dataclass(frozen=True)
class Column:
    """One column of a sheet. ``required``: the header must be there (a blank cell is another
    matter: ``blank=False`` refuses it as “<header>不能为空”). ``max_length``: longer text is
    refused, never cut. ``parse(text)`` turns a non-blank cell into its value or raises
    :class:`CellInvalid`; a blank cell (and a missing optional column) is ``default``."""

    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    blank: bool = True
    max_length: int | None = None
    parse: Callable[[str], Any] | None = None
    default: Any = ""


@dataclass
class SheetSpec:
    """The columns of a sheet, in the order of the template and of the error list. ``max_rows``
    caps the data rows of one file; ``too_many`` is its message (``{max}`` is the cap).
    ``unknown``: "ignore" columns the spec does not name (a 序号 or 备注 column), or "report"
    them and refuse the sheet."""

    columns: tuple[Column, ...]
    max_rows: int
    unknown: str = "ignore"
    too_many: str = TOO_MANY_ROWS

    def __post_init__(self) -> None:
        self.columns = tuple(self.columns)
        if self.unknown not in ("ignore", "report"):
            raise ValueError(f"unknown= must be 'ignore' or 'report', not {self.unknown!r}")
        self._lookup: dict[str, Column] = {}
        for column in self.columns:
            for name in (column.header, *column.aliases):
                key = header_key(name)
                if self._lookup.setdefault(key, column) is not column:
                    raise ValueError(f"header or alias {name!r} names two columns")

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def column_for(self, name: str) -> Column | None:
        return self._lookup.get(header_key(name))


@dataclass
class Row:
    """A data row: its number in the sheet (the header is row 1) and each column's value,
    keyed by the spec's header; a refused cell's value is None and its header is in ``refused``."""

    number: int
    values: dict[str, Any]
    refused: set[str] = field(default_factory=set)

    def __getitem__(self, header: str) -> Any:
        return self.values[header]

    def text(self, header: str) -> str:
        """A text column's value, "" for a refused cell (its error is reported already)."""
        value = self.values[header]
        return "" if value is None else value


@dataclass
class Sheet:
    """What :func:`read_sheet` found. ``refused``: the sheet as a whole was refused (header,
    no rows, too many rows), so ``rows`` is empty and ``errors`` holds why."""

    spec: SheetSpec
    errors: list[RowError]
    rows: list[Row] = field(default_factory=list)
    refused: bool = False
    refused_cells: set[tuple[int | None, str]] = field(default_factory=set)

    def error(self, row: int | None, column: str, message: str) -> None:
        """Add an app rule's error — unless the cell was already refused by the sheet checks,
        whose message says the more basic thing (too long, not a number, NUL)."""
        if (row, column) not in self.refused_cells:
            self.errors.append(RowError(row, column, message))

    def errors_by_field(self, row: int, errors: dict[str, str], columns: dict[str, str]) -> None:
        """:meth:`error` for each ``field -> message`` of a form-style check (``columns`` maps a
        field to its header; an unmapped field is named as it is)."""
        for name, message in errors.items():
            self.error(row, columns.get(name, name), message)

    def sort_errors(self) -> None:
        """Row by row, and within a row in the spec's column order."""
        order = {header: position for position, header in enumerate(self.spec.headers)}
        self.errors.sort(key=lambda e: (e.row or 0, order.get(e.column, len(order))))

    def _refuse_cell(self, row: int, column: str, message: str) -> None:
        self.refused_cells.add((row, column))
        self.errors.append(RowError(row, column, message))


def read_sheet(data: bytes, filename: str, spec: SheetSpec, errors: list[RowError] | None = None) -> Sheet:
    """Read and check ``data`` against ``spec`` (see the module docstring). Errors are appended to
    ``errors`` (a report's list, say) and are also ``Sheet.errors``. A file that cannot be read at
    all raises :class:`~wenming.core.sheets.SheetError`."""
    sheet = Sheet(spec=spec, errors=errors if errors is not None else [])
    header, body = read_rows(data, filename, max_rows=spec.max_rows)

    position: dict[str, int] = {}
    twice: list[str] = []
    unknown: list[str] = []
    for index, text in enumerate(header):
        if not header_key(text):
            continue
        column = spec.column_for(text)
        if column is None:
            unknown.append(text)
        elif column.header in position:
            twice.append(column.header)
        else:
            position[column.header] = index
    expected = "、".join(spec.headers)
    problems = []
    missing = [column.header for column in spec.columns if column.required and column.header not in position]
    if missing:
        problems.append(f"缺少列：{'、'.join(missing)}（应为：{expected}）")
    if twice:
        problems.append(f"“{'”“'.join(dict.fromkeys(twice))}”列出现了不止一次，请只保留一列")
    if unknown and spec.unknown == "report":
        problems.append(f"无法识别的列：{'、'.join(unknown)}（应为：{expected}）")
    if problems:
        sheet.refused = True
        sheet.errors.extend(RowError(1, "表头", problem) for problem in problems)
        return sheet
    if not body:
        sheet.refused = True
        sheet.errors.append(RowError(2, "全部", EMPTY_SHEET))
        return sheet
    if len(body) > spec.max_rows:
        sheet.refused = True
        sheet.errors.append(RowError(body[spec.max_rows][0], "全部", spec.too_many.format(max=spec.max_rows)))
        return sheet

    for number, cells in body:
        row = Row(number=number, values={})
        for column in spec.columns:
            index = position.get(column.header)
            text = cells[index] if index is not None and index < len(cells) else ""
            message = _cell_error(column, text)
            if message is None and text:
                try:
                    row.values[column.header] = column.parse(text) if column.parse is not None else text
                except CellInvalid as invalid:
                    message = str(invalid)
            elif message is None:
                row.values[column.header] = column.default
            if message is not None:
                row.values[column.header] = None
                row.refused.add(column.header)
                sheet._refuse_cell(number, column.header, message)
        sheet.rows.append(row)
    return sheet


def _cell_error(column: Column, text: str) -> str | None:
    if "\x00" in text:                              # PostgreSQL keeps no NUL in text
        return NUL_MESSAGE
    if column.max_length is not None and len(text) > column.max_length:
        return f"{column.header}不能超过{column.max_length}个字（现有{len(text)}个字）"
    if not text and not column.blank:
        return f"{column.header}不能为空"
    return None


def write_all_or_nothing(report: ImportReport, write: Callable[[], T], *, conflict: str, row: int | None = 1,
                         column: str = "全部") -> T | None:
    """Run ``write()`` in one transaction, only if ``report`` has no error; return what it returns.
    An ``IntegrityError`` on the way (another import took the same codes a moment ago) rolls all
    of it back, puts the report's counts back as they were and adds the RowError
    “<conflict>，未写入任何数据，请重新导入”; None is returned then, and when nothing was tried."""
    if report.errors:
        return None
    counts = {f.name: getattr(report, f.name) for f in dataclasses.fields(report) if f.name != "errors"}
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        for name, value in counts.items():
            setattr(report, name, value)
        report.errors.append(RowError(row, column, f"{conflict}，未写入任何数据，请重新导入"))
        return None

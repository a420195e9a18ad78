"""Reading and writing the spreadsheets people exchange: .xlsx (openpyxl) and .csv
(UTF-8 with or without BOM, or GB18030 as saved by Chinese Excel)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

MAX_IMPORT_BYTES = 20 * 1024 * 1024
FORMULA_PREFIXES = ("=", "+", "-", "@")


class SheetError(Exception):
    """The file as a whole cannot be read; the message is Chinese."""


@dataclass
class RowError:
    row: int | None  # the row number as the user sees it in the sheet (header is row 1); None: a place
    column: str      # in a file without rows (YAML), named in ``column``
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"「{self.column}」：{self.message}"
        return f"第{self.row}行「{self.column}」：{self.message}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in FORMULA_PREFIXES:
        text = text[1:]
    return text


def read_rows(data: bytes, filename: str, *, max_rows: int | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and data rows (with their sheet row numbers) of the first sheet, as text. With
    ``max_rows``, reading stops after ``max_rows + 1`` non-empty data rows: the caller refuses
    the file by its own cap without the rest being read (a small .xlsx can unpack to millions)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise SheetError("文件超过20MB，请拆分后分批导入")
    name = filename.lower()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise SheetError("无法识别CSV文件的编码，请另存为UTF-8或Excel格式")
        reader = csv.reader(io.StringIO(text))
        try:
            rows = _first_rows(reader, max_rows)
        except csv.Error:
            raise SheetError(f"CSV 文件第{reader.line_num}行无法读取：单元格超过{csv.field_size_limit()}个字符，"
                             "或引号不配对") from None
    elif name.endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, KeyError, OSError, ValueError, Exception) as exc:  # noqa: BLE001
            raise SheetError("文件不是有效的Excel（.xlsx）文件，请用Excel另存后重试") from exc
        try:      # a read-only workbook parses the sheet while it is read: broken XML shows only here
            rows = _first_rows(workbook.worksheets[0].iter_rows(values_only=True), max_rows)
        except Exception as exc:  # noqa: BLE001
            raise SheetError("文件不是有效的Excel（.xlsx）文件，请用Excel另存后重试") from exc
        finally:
            workbook.close()
    else:
        raise SheetError("只支持 .xlsx 或 .csv 文件")
    if not rows or not any(rows[0]):
        raise SheetError("文件是空的：第1行应为表头")
    header = rows[0]
    body = [(index + 2, row) for index, row in enumerate(rows[1:]) if any(row)]
    return header, body


def _first_rows(rows, max_rows: int | None) -> list[list]:
    """The header and up to ``max_rows + 1`` non-empty rows after it (all rows without a cap)."""
    kept, filled = [], 0
    for row in rows:
        row = [_cell_text(value) for value in row]
        kept.append(row)
        if len(kept) > 1 and any(row):
            filled += 1
            if max_rows is not None and filled > max_rows:
                break
    return kept


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is written with a leading apostrophe
    (CSV/formula injection); the importer strips it again."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def workbook_bytes(title: str, header: list[str], rows, widths: list[int] | None = None) -> bytes:
    """A one-sheet .xlsx in write-only mode (rows are streamed into the file, not held)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths or []):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    bold = Font(bold=True)
    from openpyxl.cell import WriteOnlyCell

    sheet.append([_bold_cell(sheet, text, bold, WriteOnlyCell) for text in header])
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _bold_cell(sheet, text, font, cell_class):
    cell = cell_class(sheet, value=text)
    cell.font = font
    return cell


def csv_bytes(header: list[str], rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data: bytes, name: str, fallback: str = "export.xlsx"):
    """A workbook handed out as a download under its Chinese ``name`` (RFC 6266 ``filename*``)."""
    from urllib.parse import quote

    from django.http import HttpResponse

    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return response

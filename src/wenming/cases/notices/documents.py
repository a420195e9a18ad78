"""督办单 / 督办函 as documents: the content once (:func:`notice_layout`), rendered as a Word
file laid out after GB/T 9704-2012《党政机关公文格式》(:func:`notice_docx`) and as the HTML
page of ``views_notices`` (which uses the same layout, so screen, print and .docx agree).

What GB/T 9704-2012 asks for and how it is done here (python-docx has no API for some of it,
so those parts are written as WordprocessingML elements):

* A4 paper; margins top 37 mm, bottom 35 mm, left (binding) 28 mm, right 26 mm, which leaves
  the 156 × 225 mm type area (版心);
* 22 lines × 28 characters in the type area: a fixed line pitch of 225 mm / 22 ≈ 28.95 pt
  (``w:docGrid w:linePitch`` plus exact line spacing) and a character grid whose pitch is
  156 mm / 28 (``w:docGrid w:type="linesAndChars" w:charSpace``);
* 版头: the issuing office's name in red, large, centred; the document number centred under it;
  a red separator line the width of the type area under the 版头 (a red bottom border, ``w:pBdr``,
  on the number's paragraph);
* title in 2号 (22 pt) 小标宋; body, 主送 and signature in 3号 (16 pt) 仿宋, body paragraphs
  indented two characters; signature block and date (Arabic numerals, month and day without a
  leading zero) on the right, the date's first character two characters right of the
  signature's;
* page number "— 1 —" in 4号 (14 pt) 宋体, right, one character from the edge.

Deliberate deviations, so that a usual notice (two body paragraphs and the facts table) fits on
one page of 22 lines: half a line (not two) between the office name and the number, one line
(not two) between the red line and the title, and the facts table in 4号 with 18 pt rows. A
long body or a 督办函 with many addressees runs onto a second page (page numbers are set).

Chinese fonts: python-docx's ``font.name`` only sets the Latin slots (``w:ascii``/``w:hAnsi``);
Word picks the font of Chinese text from ``w:eastAsia``, so :func:`_set_fonts` sets that too. On a
machine without 方正小标宋简体 / 仿宋_GB2312, Word and WPS substitute a similar font.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips

from wenming.core.dates import chinese_date, chinese_datetime

from ..models import NoticeKind, SupervisionNotice

# --- the page (GB/T 9704-2012 §5.2) --------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM = Mm(37), Mm(35)
MARGIN_LEFT, MARGIN_RIGHT = Mm(28), Mm(26)  # left is the binding edge (订口)
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28

# --- fonts and sizes (Chinese point sizes: 2号 = 22 pt, 3号 = 16 pt, 4号 = 14 pt) ------------------------

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
PAGE_NUMBER_FONT = "宋体"
MASTHEAD_SIZE = Pt(36)       # 发文机关标志: the standard only says "醒目、美观、庄重"; 36 pt unless too wide
TITLE_SIZE = Pt(22)          # 2号
BODY_SIZE = Pt(16)           # 3号
TABLE_SIZE = Pt(14)          # 4号 — tables may use a smaller size than the body
TABLE_LINE = Pt(18)          # exact line height in the facts table
PAGE_NUMBER_SIZE = Pt(14)    # 4号
RED = RGBColor(0xC0, 0x00, 0x00)

# the type area and the grid derived from it, in twips (1/20 pt), the unit Word stores
_TEXT_WIDTH_TW = round(PAGE_WIDTH.twips) - round(MARGIN_LEFT.twips) - round(MARGIN_RIGHT.twips)
_TEXT_HEIGHT_TW = round(PAGE_HEIGHT.twips) - round(MARGIN_TOP.twips) - round(MARGIN_BOTTOM.twips)
LINE_PITCH_TW = _TEXT_HEIGHT_TW // LINES_PER_PAGE        # 579 twips ≈ 28.95 pt: 22 lines fit exactly
LINE = Twips(LINE_PITCH_TW)                              # one line of the grid, as a python-docx Length
# w:charSpace is the pitch's difference from the 16 pt body size, in 1/4096 pt; rounded down so that
# 28 characters fit on the line (Word puts floor(width / pitch) characters on it)
CHAR_SPACE = math.floor((_TEXT_WIDTH_TW / 20 / CHARS_PER_LINE - BODY_SIZE.pt) * 4096)

SIGNATURE_SUFFIX = "创建全国文明城市工作领导小组办公室"
OFFICE_SUFFIX = "创建办"


# --- the content ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoticeLayout:
    """Everything a notice shows, in reading order; rendered by :func:`notice_docx` and by
    ``cases/notice.html``."""

    office: str                          # 版头: "甲区创建办"
    number: str                          # 发文字号: "甲创城督〔2026〕1号"
    title: str                           # "督办单" / "督办函"
    addressees: str                      # 主送 line, ending with "："
    paragraphs: list[str]                # the body, one item per paragraph
    facts: list[tuple[str, str]]         # (label, value) rows of the facts table
    signature: str                       # "甲区创建全国文明城市工作领导小组办公室"
    date: str                            # 成文日期 (core.dates): "2026年11月22日"


def _body_and_addressees(notice: SupervisionNotice) -> tuple[str, list[str]]:
    """Split the stored body into the 主送 line and paragraphs. ``notices.issue`` writes the 主送
    line as the body's first line (``notice.addressees`` is the same text, cut at 200
    characters), so that line is taken out of the body rather than printed twice."""
    lines = [line.strip() for line in notice.body.splitlines()]
    lines = [line for line in lines if line]
    addressees = (notice.addressees or notice.unit.name).strip()
    if lines and lines[0].endswith(("：", ":")) and lines[0].startswith(addressees[:20]):
        return lines[0].rstrip(":：") + "：", lines[1:]
    return addressees + "：", lines


def notice_facts(notice: SupervisionNotice) -> list[tuple[str, str]]:
    """The facts table: the problem's number, category, place and deadlines. 原整改期限 is the
    deadline the problem had missed, stored on the notice when it was issued (and the one the
    body cites), so a later extension or 退回重改 deadline does not rewrite an issued notice."""
    problem = notice.problem
    missed = notice.missed_deadline or problem.overdue_at or problem.deadline
    return [
        ("问题编号", problem.code),
        ("问题类别", str(problem.category)),
        ("问题地点", problem.address or problem.area.name),
        ("原整改期限", chinese_datetime(missed) if missed else "—"),
        ("本次整改期限", chinese_datetime(notice.deadline)),
    ]


def notice_layout(notice: SupervisionNotice) -> NoticeLayout:
    """The notice's content. Expects ``problem``, its ``category`` (and parent), ``area``,
    ``unit`` and ``issuer`` to be loaded or loadable."""
    addressees, paragraphs = _body_and_addressees(notice)
    return NoticeLayout(
        office=f"{notice.issuer.name}{OFFICE_SUFFIX}",
        number=notice.number,
        title=NoticeKind(notice.kind).label,
        addressees=addressees,
        paragraphs=paragraphs,
        facts=notice_facts(notice),
        signature=f"{notice.issuer.name}{SIGNATURE_SUFFIX}",
        date=chinese_date(notice.issued_at),
    )


def text_width(text: str) -> float:
    """Width in characters of the 3号 grid: CJK and full-width characters 1, ASCII ½."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1 for ch in text)


def signature_indents(signature: str, date: str) -> tuple[float, float]:
    """Right indents, in characters, of the signature and the date (GB/T 9704-2012 §7.3.5.2, a
    document without seal): the signature 右空二字, the date on the next line with its first
    character two characters right of the signature's first; a date longer than that pushes
    the signature left (the date then stays 右空二字)."""
    sig, day = text_width(signature), text_width(date)
    date_right = max(2.0, sig - day)
    return date_right + day + 2 - sig, date_right


# --- WordprocessingML helpers ---------------------------------------------------------------------------

# successors of the pPr children python-docx has no property for, in schema order (CT_PPr)
_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
               "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
               "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
               "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
               "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
_AFTER_SNAP = _AFTER_PBDR[_AFTER_PBDR.index("w:snapToGrid") + 1:]
# successors of w:docGrid in w:sectPr
_AFTER_DOCGRID = ("w:printerSettings", "w:sectPrChange")


def _set_fonts(target, name: str) -> None:
    """Set a run's or a style's font for Latin *and* Chinese text (``w:eastAsia``)."""
    target.font.name = name  # w:ascii and w:hAnsi
    r_fonts = target.element.get_or_add_rPr().get_or_add_rFonts()
    r_fonts.set(qn("w:eastAsia"), name)
    r_fonts.set(qn("w:cs"), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        r_fonts.attrib.pop(qn(theme), None)  # a theme font would win over the names


def _run(paragraph, text: str, *, font: str = BODY_FONT, size=BODY_SIZE, bold: bool = False, color=None):
    run = paragraph.add_run(text)
    _set_fonts(run, font)
    run.font.size = size
    if bold:
        run.bold = True
    if color is not None:
        run.font.color.rgb = color
    return run


def _paragraph(container, *, align=WD_ALIGN_PARAGRAPH.LEFT, line=LINE, before=0, after=0,
               first_line_chars: float = 0, right_chars: float = 0, snap: bool = True):
    """A paragraph with exact line spacing (``line``), spacing before/after and indents in
    characters of the 3号 grid (``w:firstLineChars`` for Word, a point value for other readers)."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before, fmt.space_after = Twips(before), Twips(after)
    ind = None
    if first_line_chars:
        fmt.first_line_indent = Pt(BODY_SIZE.pt * first_line_chars)
        ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:firstLineChars"), str(round(first_line_chars * 100)))
    if right_chars:
        fmt.right_indent = Pt(BODY_SIZE.pt * right_chars)
        ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:rightChars"), str(round(right_chars * 100)))
    if not snap:
        # large type (版头, title) and the 4号 table are not stretched onto the 3号 character grid
        snap_el = OxmlElement("w:snapToGrid")
        snap_el.set(qn("w:val"), "0")
        paragraph._p.get_or_add_pPr().insert_element_before(snap_el, *_AFTER_SNAP)
    return paragraph


def _red_rule(paragraph, space_pt: int = 11) -> None:
    """The red separator line under the 版头: a red bottom border on ``paragraph``, ``space_pt``
    points (≈ 4 mm) below its text, as wide as the type area."""
    p_bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "12")  # eighths of a point: 1.5 pt
    bottom.set(qn("w:space"), str(space_pt))
    bottom.set(qn("w:color"), str(RED))
    p_bdr.append(bottom)
    paragraph._p.get_or_add_pPr().insert_element_before(p_bdr, *_AFTER_PBDR)


def _page_number(section) -> None:
    """"— 1 —" in 4号宋体, right-aligned one character from the edge, ~7 mm under the type area."""
    paragraph = section.footer.paragraphs[0]
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    fmt.right_indent = PAGE_NUMBER_SIZE
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = fmt.space_after = Pt(0)

    def field_char(kind: str):
        run = _run(paragraph, "", font=PAGE_NUMBER_FONT, size=PAGE_NUMBER_SIZE)
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        run._r.append(char)

    _run(paragraph, "— ", font=PAGE_NUMBER_FONT, size=PAGE_NUMBER_SIZE)
    field_char("begin")
    instr = _run(paragraph, "", font=PAGE_NUMBER_FONT, size=PAGE_NUMBER_SIZE)
    instr_text = OxmlElement("w:instrText")
    instr_text.set(qn("xml:space"), "preserve")
    instr_text.text = " PAGE "
    instr._r.append(instr_text)
    field_char("separate")
    _run(paragraph, "1", font=PAGE_NUMBER_FONT, size=PAGE_NUMBER_SIZE)
    field_char("end")
    _run(paragraph, " —", font=PAGE_NUMBER_FONT, size=PAGE_NUMBER_SIZE)


def _setup(document) -> None:
    """Page, grid, default fonts and language."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance, section.footer_distance = Mm(15), Mm(22)

    # 22 lines × 28 characters (w:docGrid is the last-but-two child of w:sectPr)
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.insert_element_before(grid, *_AFTER_DOCGRID)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TW))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))

    # document defaults: 3号仿宋, Chinese language (line breaking, punctuation), no spacing
    styles = document.styles.element
    r_pr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    r_fonts = r_pr_default.find(qn("w:rFonts"))
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        r_fonts.attrib.pop(qn(theme), None)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_fonts.set(qn(slot), BODY_FONT)
    for size_tag in ("w:sz", "w:szCs"):
        r_pr_default.find(qn(size_tag)).set(qn("w:val"), str(int(BODY_SIZE.pt * 2)))
    lang = r_pr_default.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")

    normal = document.styles["Normal"]
    _set_fonts(normal, BODY_FONT)
    normal.font.size = BODY_SIZE
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = False  # 公文 pages are filled line by line


def _masthead(document, layout: NoticeLayout) -> None:
    """版头: office name (red, large, bold, centred), number (centred), red line."""
    # shrink the office name so that it stays on one line of the 156 mm type area
    width_chars = max(text_width(layout.office), 1)
    size = Pt(min(MASTHEAD_SIZE.pt, math.floor(_TEXT_WIDTH_TW / 20 / width_chars * 0.95)))
    office = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, line=Twips(round(size.pt * 20 * 1.2)),
                        snap=False)
    _run(office, layout.office, font=TITLE_FONT, size=size, bold=True, color=RED)
    # 发文字号 half a line under the 标志 (the standard has two blank lines; see the module doc)
    number = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, before=LINE_PITCH_TW // 2)
    _run(number, layout.number)
    _red_rule(number)


def _facts_table(document, facts: list[tuple[str, str]]) -> None:
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = (Mm(34), Mm(122))  # together the 156 mm of the type area
    for label, value in facts:
        cells = table.add_row().cells
        for cell, text, width, align in ((cells[0], label, widths[0], WD_ALIGN_PARAGRAPH.CENTER),
                                         (cells[1], value, widths[1], WD_ALIGN_PARAGRAPH.LEFT)):
            cell.width = width
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            fmt = paragraph.paragraph_format
            fmt.alignment = align
            fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, TABLE_LINE
            snap_el = OxmlElement("w:snapToGrid")
            snap_el.set(qn("w:val"), "0")
            paragraph._p.get_or_add_pPr().insert_element_before(snap_el, *_AFTER_SNAP)
            _run(paragraph, text, size=TABLE_SIZE)
    for column, width in zip(table.columns, widths):
        column.width = width


def notice_docx(notice: SupervisionNotice) -> bytes:
    """The notice as a .docx file (bytes)."""
    layout = notice_layout(notice)
    document = Document()
    _setup(document)
    _page_number(document.sections[0])
    # the template's document starts with no paragraph; everything below is appended in order
    _masthead(document, layout)

    # title: 2号小标宋, centred, one blank line under the red line (GB/T: 空二行, see the module doc)
    title = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, before=LINE_PITCH_TW, snap=False)
    _run(title, layout.title, font=TITLE_FONT, size=TITLE_SIZE)

    # 主送: one blank line under the title, flush left
    _run(_paragraph(document, before=LINE_PITCH_TW), layout.addressees)
    for text in layout.paragraphs:
        _run(_paragraph(document, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2), text)

    # the facts, after a third of a line
    _paragraph(document, line=Twips(LINE_PITCH_TW // 3))
    _facts_table(document, layout.facts)

    # signature and date: one blank line under the text, on the right
    sig_right, date_right = signature_indents(layout.signature, layout.date)
    _run(_paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT, before=LINE_PITCH_TW, right_chars=sig_right),
         layout.signature)
    _run(_paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=date_right), layout.date)

    properties = document.core_properties
    properties.title = f"{layout.title} {layout.number}"
    properties.author = properties.last_modified_by = layout.office
    properties.subject = notice.problem.code
    properties.comments = ""
    properties.created = properties.modified = notice.issued_at
    properties.language = "zh-CN"

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

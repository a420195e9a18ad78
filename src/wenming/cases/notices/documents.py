"""督办单 / 督办函 as documents: the content once (:func:`notice_layout`), rendered as a Word
file laid out after GB/T 9704-2012《党政机关公文格式》(:func:`notice_docx`) and as the HTML
page of ``views_notices`` (which uses the same layout, so screen, print and .docx agree).

What GB/T 9704-2012 asks for and how it is done here (python-docx has no API for some of it,
so those parts are written as WordprocessingML elements; the geometry, fonts and those helpers
are shared with the 通报 and live in :mod:`wenming.core.gongwen`):

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
Word picks the font of Chinese text from ``w:eastAsia``, so ``core.gongwen.set_fonts`` sets that too. On a
machine without 方正小标宋简体 / 仿宋_GB2312, Word and WPS substitute a similar font.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, Twips

from wenming.core.dates import chinese_date, chinese_datetime
from wenming.core.gongwen import (  # noqa: F401  (RED, text_width, signature_indents: used by views and tests)
    AFTER_SNAP,
    BODY_FONT,
    BODY_SIZE,
    CHAR_SPACE,
    LINE_PITCH_TW,
    MASTHEAD_SIZE,
    PAGE_NUMBER_FONT,
    PAGE_NUMBER_SIZE,
    RED,
    TABLE_SIZE,
    TEXT_WIDTH_TW,
    TITLE_FONT,
    TITLE_SIZE,
    page_number_runs,
    red_rule,
    set_fonts,
    setup_defaults,
    setup_page,
    signature_indents,
    text_width,
)

from ..models import NoticeKind, SupervisionNotice

TABLE_LINE = Pt(18)          # exact line height in the facts table
LINE = Twips(LINE_PITCH_TW)  # one line of the grid, as a python-docx Length
_TEXT_WIDTH_TW = TEXT_WIDTH_TW

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
    if notice.task_id:
        task = notice.task
        return [
            ("工作方案", task.plan.title),
            ("任务", f"第{task.seq}项 {task.content[:60]}{'…' if len(task.content) > 60 else ''}"),
            ("目标", task.target_text or "—"),
            ("原完成时限", chinese_datetime(notice.missed_deadline) if notice.missed_deadline else "—"),
            ("本次期限", chinese_datetime(notice.deadline)),
        ]
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


# --- WordprocessingML helpers ---------------------------------------------------------------------------

_set_fonts = set_fonts
_AFTER_SNAP = AFTER_SNAP


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
    red_rule(paragraph._p.get_or_add_pPr(), space_pt)


def _page_number(section) -> None:
    """"— 1 —" in 4号宋体, right-aligned one character from the edge, ~7 mm under the type area."""
    paragraph = section.footer.paragraphs[0]
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    fmt.right_indent = PAGE_NUMBER_SIZE
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = fmt.space_after = Pt(0)
    page_number_runs(paragraph, lambda p, text: _run(p, text, font=PAGE_NUMBER_FONT, size=PAGE_NUMBER_SIZE))


def _setup(document) -> None:
    """Page, grid, default fonts and language."""
    setup_page(document.sections[0])
    setup_defaults(document)


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
    properties.subject = notice.subject
    properties.comments = ""
    properties.created = properties.modified = notice.issued_at
    properties.language = "zh-CN"

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

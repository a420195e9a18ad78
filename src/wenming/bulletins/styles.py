"""The named Word styles a 通报 is made of. The template (``make_template``) defines them and the
renderer only names them, so an office changes a font, size, colour or spacing by modifying the
style in Word (开始 → 样式 → 修改), never in code. A template that lacks one of them (an office
built its own from scratch) gets the default definition at render time (:func:`ensure_styles`);
a style the template has is never changed.

Sizes in Chinese points: 2号 22 pt, 3号 16 pt, 4号 14 pt, 5号 10.5 pt (GB/T 9704-2012 §7).
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from wenming.core.gongwen import (
    BODY_FONT,
    BODY_SIZE,
    HEADING_FONT,
    MASTHEAD_SIZE,
    PAGE_NUMBER_FONT,
    PAGE_NUMBER_SIZE,
    RED,
    TABLE_SIZE,
    TITLE_FONT,
    TITLE_SIZE,
    line,
    red_rule,
    set_fonts,
    set_indent_chars,
    set_snap_to_grid,
)

COMPACT_TABLE_SIZE = Pt(10.5)  # 5号, for tables too wide for 4号

# the style names the renderer and the template use (what Word shows in its style list)
MASTHEAD = "公文版头"
NUMBER = "公文发文字号"
TITLE = "公文标题"
ADDRESSEES = "公文主送"
BODY = "公文正文"
HEADING = "公文一级标题"
TABLE_CAPTION = "公文表题"
TABLE_HEAD = "公文表头"
TABLE_TEXT = "公文表格文字"
TABLE_HEAD_COMPACT = "公文表头（小）"
TABLE_TEXT_COMPACT = "公文表格文字（小）"
PICTURE = "公文图片"
PICTURE_CAPTION = "公文图注"
SIGNATURE = "公文落款"
DATE = "公文成文日期"
RECORD = "公文版记"
PAGE_NUMBER = "公文页码"
TABLE_STYLE = "公文表格"
RECORD_TABLE_STYLE = "公文版记表"
PHOTO_TABLE_STYLE = "公文照片表"


@dataclass(frozen=True)
class ParagraphStyle:
    name: str
    style_id: str
    font: str = BODY_FONT
    size: Pt = BODY_SIZE
    bold: bool = False
    red: bool = False
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.LEFT
    first_line_chars: float = 0
    left_chars: float = 0
    right_chars: float = 0
    line_pt: float | None = None       # exact line height in points; None: one line of the grid
    at_least: bool = False             # line height at least (large type that an office may enlarge)
    single: bool = False               # single line spacing (pictures: exact spacing would clip them)
    before_lines: float = 0
    after_lines: float = 0
    snap: bool = True                  # on the 3号 character grid
    keep_next: bool = False
    outline_level: int | None = None   # shown in Word's navigation pane
    red_rule: bool = False             # the red separator line under it


PARAGRAPH_STYLES = (
    ParagraphStyle(MASTHEAD, "GwMasthead", font=TITLE_FONT, size=MASTHEAD_SIZE, bold=True, red=True,
                   align=WD_ALIGN_PARAGRAPH.CENTER, at_least=True, snap=False),
    # 发文字号: two lines under the 版头, the red line 4 mm under it (GB/T 9704-2012 §7.2.4, §7.2.6)
    ParagraphStyle(NUMBER, "GwNumber", align=WD_ALIGN_PARAGRAPH.CENTER, before_lines=2, red_rule=True),
    # title: two lines under the red line
    ParagraphStyle(TITLE, "GwTitle", font=TITLE_FONT, size=TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER,
                   before_lines=2, snap=False, keep_next=True),
    # 主送: one line under the title, flush left
    ParagraphStyle(ADDRESSEES, "GwAddressees", before_lines=1),
    ParagraphStyle(BODY, "GwBody", align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2),
    ParagraphStyle(HEADING, "GwHeading1", font=HEADING_FONT, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                   first_line_chars=2, keep_next=True, outline_level=0),
    ParagraphStyle(TABLE_CAPTION, "GwTableCaption", font=HEADING_FONT, size=TABLE_SIZE,
                   align=WD_ALIGN_PARAGRAPH.CENTER, before_lines=0.5, snap=False, keep_next=True),
    ParagraphStyle(TABLE_HEAD, "GwTableHead", font=HEADING_FONT, size=TABLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER,
                   line_pt=20, snap=False),
    ParagraphStyle(TABLE_TEXT, "GwTableText", size=TABLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=20,
                   snap=False),
    ParagraphStyle(TABLE_HEAD_COMPACT, "GwTableHeadSmall", font=HEADING_FONT, size=COMPACT_TABLE_SIZE,
                   align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=14, snap=False),
    ParagraphStyle(TABLE_TEXT_COMPACT, "GwTableTextSmall", size=COMPACT_TABLE_SIZE,
                   align=WD_ALIGN_PARAGRAPH.CENTER, line_pt=14, snap=False),
    ParagraphStyle(PICTURE, "GwPicture", align=WD_ALIGN_PARAGRAPH.CENTER, single=True, snap=False, keep_next=True),
    ParagraphStyle(PICTURE_CAPTION, "GwPictureCaption", size=TABLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER,
                   line_pt=22, snap=False),
    # 署名: one line under the body, on the right (the renderer sets the exact right indents)
    ParagraphStyle(SIGNATURE, "GwSignature", align=WD_ALIGN_PARAGRAPH.RIGHT, before_lines=1, right_chars=2,
                   keep_next=True),
    ParagraphStyle(DATE, "GwDate", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2),
    # 版记: 4号仿宋, one character in from both ends (GB/T 9704-2012 §7.4)
    ParagraphStyle(RECORD, "GwRecord", size=TABLE_SIZE, left_chars=1, right_chars=1, snap=False),
    ParagraphStyle(PAGE_NUMBER, "GwPageNumber", font=PAGE_NUMBER_FONT, size=PAGE_NUMBER_SIZE, single=True,
                   snap=False),
)

# table styles: (name, id, borders as {edge: (eighths of a point, colour) or None}, cell margins in twips)
_BLACK = "000000"
TABLE_STYLES = (
    (TABLE_STYLE, "GwTable",
     {edge: (4, _BLACK) for edge in ("top", "left", "bottom", "right", "insideH", "insideV")}, 57),
    # 版记: the first and last rules 0.35 mm (1 pt), the ones between 0.25 mm (0.75 pt)
    (RECORD_TABLE_STYLE, "GwRecordTable",
     {"top": (8, _BLACK), "bottom": (8, _BLACK), "insideH": (6, _BLACK)}, 0),
    (PHOTO_TABLE_STYLE, "GwPhotoTable", {}, 57),
)


def _free_id(document, style_id: str) -> str:
    """``style_id``, or with a number after it when the template uses that id for another style."""
    candidate, number = style_id, 1
    while document.styles.element.get_by_id(candidate) is not None:
        number += 1
        candidate = f"{style_id}{number}"
    return candidate


def _add_paragraph_style(document, spec: ParagraphStyle) -> None:
    style_id = _free_id(document, spec.style_id)
    style = document.styles.add_style(spec.name, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = style_id
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    set_fonts(style, spec.font)
    style.font.size = spec.size
    style.font.bold = spec.bold
    if spec.red:
        style.font.color.rgb = RED
    fmt = style.paragraph_format
    fmt.alignment = spec.align
    if spec.single:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.AT_LEAST if spec.at_least else WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(spec.line_pt) if spec.line_pt else line()
    fmt.space_before, fmt.space_after = line(spec.before_lines), line(spec.after_lines)
    fmt.keep_with_next = spec.keep_next
    p_pr = style.element.get_or_add_pPr()
    if spec.first_line_chars or spec.left_chars or spec.right_chars:
        set_indent_chars(p_pr, first_line=spec.first_line_chars, left=spec.left_chars, right=spec.right_chars,
                         size_pt=spec.size.pt)
    if not spec.snap:
        set_snap_to_grid(p_pr, False)
    if spec.red_rule:
        red_rule(p_pr)
    if spec.outline_level is not None:
        level = OxmlElement("w:outlineLvl")
        level.set(qn("w:val"), str(spec.outline_level))
        p_pr.insert_element_before(level, "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _add_table_style(document, name: str, style_id: str, borders: dict, margin_tw: int) -> None:
    style_id = _free_id(document, style_id)
    style = document.styles.add_style(name, WD_STYLE_TYPE.TABLE)
    style.style_id = style_id
    try:
        style.base_style = document.styles["Normal Table"]
    except KeyError:
        pass
    tbl_pr = OxmlElement("w:tblPr")
    jc = OxmlElement("w:jc")
    jc.set(qn("w:val"), "center")
    tbl_pr.append(jc)
    tbl_borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        border = OxmlElement(f"w:{edge}")
        if edge in borders:
            size, color = borders[edge]
            border.set(qn("w:val"), "single")
            border.set(qn("w:sz"), str(size))
            border.set(qn("w:space"), "0")
            border.set(qn("w:color"), color)
        else:
            border.set(qn("w:val"), "nil")
        tbl_borders.append(border)
    tbl_pr.append(tbl_borders)
    cell_margins = OxmlElement("w:tblCellMar")
    for edge, value in (("top", 0), ("left", margin_tw), ("bottom", 0), ("right", margin_tw)):
        margin = OxmlElement(f"w:{edge}")
        margin.set(qn("w:w"), str(value))
        margin.set(qn("w:type"), "dxa")
        cell_margins.append(margin)
    tbl_pr.append(cell_margins)
    # CT_Style children in schema order: name, ..., pPr, rPr, tblPr, trPr, tcPr, tblStylePr
    anchor = style.element.find(qn("w:trPr")) or style.element.find(qn("w:tcPr"))
    if anchor is not None:
        anchor.addprevious(tbl_pr)
    else:
        style.element.append(tbl_pr)


def _has_style(document, name: str) -> bool:
    try:
        document.styles[name]
    except KeyError:
        return False
    return True


def ensure_styles(document) -> list[str]:
    """Add each of the 通报's styles that ``document`` lacks; return the names added."""
    added = []
    for spec in PARAGRAPH_STYLES:
        if not _has_style(document, spec.name):
            _add_paragraph_style(document, spec)
            added.append(spec.name)
    for name, style_id, borders, margin in TABLE_STYLES:
        if not _has_style(document, name):
            _add_table_style(document, name, style_id, borders, margin)
            added.append(name)
    return added


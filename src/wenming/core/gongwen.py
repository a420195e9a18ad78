"""GB/T 9704-2012《党政机关公文格式》 in python-docx: the page, the grid, the fonts and the few
WordprocessingML pieces python-docx has no API for. Shared by every document the product writes
as a 公文 (督办单/督办函 in ``cases.notices.documents``, 通报 in ``bulletins``).

* A4 paper; margins top 37 mm, bottom 35 mm, left (binding) 28 mm, right 26 mm, which leaves
  the 156 × 225 mm type area (版心);
* 22 lines × 28 characters in the type area: a fixed line pitch of 225 mm / 22 ≈ 28.95 pt
  (``w:docGrid w:linePitch`` plus exact line spacing) and a character grid whose pitch is
  156 mm / 28 (``w:docGrid w:type="linesAndChars" w:charSpace``);
* the red separator line under the 版头: a red bottom border (``w:pBdr``) on the paragraph of the
  document number, as wide as the type area;
* page number "— 1 —" in 4号 (14 pt) 宋体 (a ``PAGE`` field between two 一字线).

Chinese fonts: python-docx's ``font.name`` only sets the Latin slots (``w:ascii``/``w:hAnsi``);
Word picks the font of Chinese text from ``w:eastAsia``, so :func:`set_fonts` sets that too.
"""

from __future__ import annotations

import math

from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips

# --- the page (GB/T 9704-2012 §5.2) --------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM = Mm(37), Mm(35)
MARGIN_LEFT, MARGIN_RIGHT = Mm(28), Mm(26)  # left is the binding edge (订口)
HEADER_DISTANCE, FOOTER_DISTANCE = Mm(15), Mm(22)  # the page number ~7 mm under the type area
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28

# --- fonts and sizes (Chinese point sizes: 2号 = 22 pt, 3号 = 16 pt, 4号 = 14 pt, 5号 = 10.5 pt) -------------

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
PAGE_NUMBER_FONT = "宋体"
MASTHEAD_SIZE = Pt(36)       # 发文机关标志: the standard only says "醒目、美观、庄重"; 36 pt unless too wide
TITLE_SIZE = Pt(22)          # 2号
BODY_SIZE = Pt(16)           # 3号
TABLE_SIZE = Pt(14)          # 4号 — tables may use a smaller size than the body
PAGE_NUMBER_SIZE = Pt(14)    # 4号
RED = RGBColor(0xC0, 0x00, 0x00)

# the type area and the grid derived from it, in twips (1/20 pt), the unit Word stores
TEXT_WIDTH_TW = round(PAGE_WIDTH.twips) - round(MARGIN_LEFT.twips) - round(MARGIN_RIGHT.twips)
TEXT_HEIGHT_TW = round(PAGE_HEIGHT.twips) - round(MARGIN_TOP.twips) - round(MARGIN_BOTTOM.twips)
LINE_PITCH_TW = TEXT_HEIGHT_TW // LINES_PER_PAGE        # 579 twips ≈ 28.95 pt: 22 lines fit exactly
# w:charSpace is the pitch's difference from the 16 pt body size, in 1/4096 pt; rounded down so that
# 28 characters fit on the line (Word puts floor(width / pitch) characters on it)
CHAR_SPACE = math.floor((TEXT_WIDTH_TW / 20 / CHARS_PER_LINE - BODY_SIZE.pt) * 4096)

# --- WordprocessingML element order ---------------------------------------------------------------------

# successors of the pPr children python-docx has no property for, in schema order (CT_PPr)
AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
              "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
              "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
              "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
              "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
AFTER_SNAP = AFTER_PBDR[AFTER_PBDR.index("w:snapToGrid") + 1:]
# successors of w:docGrid in w:sectPr
AFTER_DOCGRID = ("w:printerSettings", "w:sectPrChange")
_THEME_FONT_SLOTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


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


def set_fonts(target, name: str) -> None:
    """Set a run's or a style's font for Latin *and* Chinese text (``w:eastAsia``)."""
    target.font.name = name  # w:ascii and w:hAnsi
    r_fonts = target.element.get_or_add_rPr().get_or_add_rFonts()
    r_fonts.set(qn("w:eastAsia"), name)
    r_fonts.set(qn("w:cs"), name)
    for theme in _THEME_FONT_SLOTS:
        r_fonts.attrib.pop(qn(theme), None)  # a theme font would win over the names


def set_snap_to_grid(p_pr, snap: bool) -> None:
    """``w:snapToGrid`` on a paragraph's (or paragraph style's) ``w:pPr``: large type (版头, title)
    and the smaller type of tables are not stretched onto the 3号 character grid."""
    element = p_pr.find(qn("w:snapToGrid"))
    if element is None:
        element = OxmlElement("w:snapToGrid")
        p_pr.insert_element_before(element, *AFTER_SNAP)
    element.set(qn("w:val"), "1" if snap else "0")


def set_indent_chars(p_pr, *, first_line: float = 0, left: float = 0, right: float = 0,
                     size_pt: float = BODY_SIZE.pt) -> None:
    """Indents in characters (``w:firstLineChars`` etc., which Word and WPS honour) together with
    their point values for readers that ignore the ``…Chars`` attributes."""
    ind = p_pr.get_or_add_ind()
    for attr, chars_attr, chars in (("w:firstLine", "w:firstLineChars", first_line),
                                    ("w:left", "w:leftChars", left), ("w:right", "w:rightChars", right)):
        if chars:
            ind.set(qn(attr), str(round(chars * size_pt * 20)))
            ind.set(qn(chars_attr), str(round(chars * 100)))
        else:
            ind.attrib.pop(qn(attr), None)
            ind.attrib.pop(qn(chars_attr), None)


def paragraph_border(p_pr, *, top: tuple[int, int, str] | None = None,
                     bottom: tuple[int, int, str] | None = None) -> None:
    """Top/bottom paragraph borders as (width in eighths of a point, space in points, hex colour)."""
    existing = p_pr.find(qn("w:pBdr"))
    if existing is not None:
        p_pr.remove(existing)
    p_bdr = OxmlElement("w:pBdr")
    for tag, spec in (("w:top", top), ("w:bottom", bottom)):
        if spec is None:
            continue
        size, space, color = spec
        border = OxmlElement(tag)
        border.set(qn("w:val"), "single")
        border.set(qn("w:sz"), str(size))
        border.set(qn("w:space"), str(space))
        border.set(qn("w:color"), color)
        p_bdr.append(border)
    p_pr.insert_element_before(p_bdr, *AFTER_PBDR)


def red_rule(p_pr, space_pt: int = 11) -> None:
    """The red separator line under the 版头: a red 1.5 pt bottom border on the paragraph,
    ``space_pt`` points (≈ 4 mm) below its text, as wide as the type area."""
    paragraph_border(p_pr, bottom=(12, space_pt, str(RED)))


def setup_page(section) -> None:
    """A4 portrait, the GB/T margins and the 22 × 28 document grid on a python-docx section."""
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance, section.footer_distance = HEADER_DISTANCE, FOOTER_DISTANCE
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.insert_element_before(grid, *AFTER_DOCGRID)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TW))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))


def setup_defaults(document) -> None:
    """Document defaults and the Normal style: 3号仿宋, Chinese language (line breaking,
    punctuation), exact grid line spacing, no paragraph spacing, no widow control."""
    styles = document.styles.element
    r_pr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    r_fonts = r_pr_default.find(qn("w:rFonts"))
    for theme in _THEME_FONT_SLOTS:
        r_fonts.attrib.pop(qn(theme), None)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_fonts.set(qn(slot), BODY_FONT)
    for size_tag in ("w:sz", "w:szCs"):
        r_pr_default.find(qn(size_tag)).set(qn("w:val"), str(int(BODY_SIZE.pt * 2)))
    lang = r_pr_default.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")

    normal = document.styles["Normal"]
    set_fonts(normal, BODY_FONT)
    normal.font.size = BODY_SIZE
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, line()
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = False  # 公文 pages are filled line by line


def line(count: float = 1):
    """``count`` lines of the grid, as a python-docx Length (twips)."""
    return Twips(round(LINE_PITCH_TW * count))


def page_number_runs(paragraph, add_run) -> None:
    """"— n —" into ``paragraph``: the two 一字线 around a ``PAGE`` field. ``add_run(paragraph,
    text)`` makes a formatted run (the caller's font and size)."""

    def field_char(kind: str):
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        add_run(paragraph, "")._r.append(char)

    add_run(paragraph, "— ")
    field_char("begin")
    instr_text = OxmlElement("w:instrText")
    instr_text.set(qn("xml:space"), "preserve")
    instr_text.text = " PAGE "
    add_run(paragraph, "")._r.append(instr_text)
    field_char("separate")
    add_run(paragraph, "1")
    field_char("end")
    add_run(paragraph, " —")

"""通报 as documents: a :class:`~wenming.bulletins.content.BulletinContent` rendered into an
editable Word template (:func:`bulletin_docx`, with docxtpl) and converted to PDF by LibreOffice
(:func:`bulletin_pdf`).

The template (``templates/bulletins/bulletin.docx``, written by ``make_template``; an office may
upload its own) carries the GB/T 9704-2012 page, the named styles (``styles``) and the frame with
Jinja tags: ``{{ office_name }}``, ``{{ doc_number }}``, ``{{ title }}``, ``{{ addressees }}``,
``{{p body }}``, ``{{ signature }}``, ``{{ issued_on }}``, ``{{ cc }}``, ``{{ printer }}``,
``{{ printed_on }}``. The body — headings, paragraphs, tables, photos — is built here as a
docxtpl sub-document whose paragraphs and tables only *name* the template's styles, so fonts,
sizes and spacing come from the template. Two things are measured here rather than styled: the
版头 is made smaller when the office name would not fit on one line, and the 署名/成文日期 get the
right indents of GB/T 9704-2012 §7.3.5.2 for their lengths.

Safety: every text of the content is passed as data, escaped, never as template source; the
template itself runs in Jinja's sandbox (an uploaded template cannot reach Python objects) with
undefined names refused. A template that cannot be used raises :class:`TemplateError` listing its
problems in Chinese (:func:`check_template` lists them without raising).
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import jinja2
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Pt, Twips
from docxtpl import DocxTemplate
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape
from PIL import Image, ImageOps

from wenming.core.dates import chinese_date
from wenming.core.gongwen import (
    LINE_PITCH_TW,
    MASTHEAD_SIZE,
    TEXT_WIDTH_TW,
    set_indent_chars,
    signature_indents,
    text_width,
)

from . import styles
from .content import BulletinContent, Paragraph, PhotoPair, Section, Table
from .errors import PdfFailed, PdfUnavailable, TemplateError

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
DEFAULT_TEMPLATE = HERE / "templates" / "bulletins" / "bulletin.docx"
FONT_ALIASES = HERE / "fonts" / "65-wenming-gongwen.conf"
MAX_TEMPLATE_BYTES = 10 * 1024 * 1024    # an office's template as uploaded
MAX_UNPACKED_BYTES = 60 * 1024 * 1024    # … and its parts unpacked

# the names a template may use
FIELDS = {
    "office_name": "版头（发文机关）",
    "doc_number": "发文字号",
    "title": "标题",
    "addressees": "主送机关",
    "body": "正文",
    "signature": "署名",
    "issued_on": "成文日期",
    "cc": "抄送机关",
    "printer": "印发机关",
    "printed_on": "印发日期",
}
_BODY_TAG = re.compile(r"\{\{p\s*body\s*\}\}")

HIGHLIGHT_FILL = "FADBD8"          # shaded rows (warning list): pale red, light grey in black and white
PHOTO_MAX_SIDE = 1400              # px: ~450 dpi at the 76 mm a photo gets; larger ones are scaled down
PHOTO_KEEP_BYTES = 600 * 1024      # a JPEG at most this large and PHOTO_MAX_SIDE is embedded as it is
PHOTO_ASPECT = 3 / 4               # a photo's box: the cell's width, three quarters of it high
MISSING_PHOTO = "（无照片）"
BROKEN_PHOTO = "（照片无法读取）"

# characters XML 1.0 does not allow (python-docx and lxml refuse them); \t and \n are kept
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


# --- text -----------------------------------------------------------------------------------------------

def clean_text(value) -> str:
    """Text as the document can hold it: line ends as ``\\n``, characters XML forbids removed."""
    text = "" if value is None else str(value)
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _data(value) -> Markup:
    """A value for the template: escaped for XML, and ``{`` ``}`` ``%`` as character references, so
    that no step of docxtpl (which rewrites ``{_{`` and the like in its output) can take user text
    for a tag."""
    xml = str(escape(clean_text(value)))
    return Markup(xml.replace("{", "&#123;").replace("}", "&#125;").replace("%", "&#37;"))


class _Body:
    """The body sub-document as a template value (its XML, with braces as character references)."""

    def __init__(self, subdoc):
        self.subdoc = subdoc

    def __html__(self) -> str:
        return str(self.subdoc).replace("{", "&#123;").replace("}", "&#125;").replace("%", "&#37;")

    __str__ = __html__


def _strip(text: str, *endings: str) -> str:
    text = clean_text(text).strip()
    while text and text[-1] in endings:
        text = text[:-1].rstrip()
    return text


# --- the template ----------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def default_template() -> bytes:
    """The shipped template's bytes."""
    return DEFAULT_TEMPLATE.read_bytes()


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)


def _template_sources(tpl: DocxTemplate) -> list[tuple[str, str]]:
    """(where, Jinja source) of the body, the headers and the footers, prepared as docxtpl
    prepares them for rendering."""
    document = tpl.docx
    sources = [("正文", document.element.body)]
    for label, uri in (("页眉", tpl.HEADER_URI), ("页脚", tpl.FOOTER_URI)):
        for _, part in tpl.get_headers_footers(uri):
            sources.append((label, part.element))
    out = []
    for label, element in sources:
        xml = tpl.patch_xml(tpl.xml_to_string(element))
        out.append((label, re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)))
    return out


def _near(source: str, lineno: int | None) -> str:
    """The document text around a line of the Jinja source, to say where a broken tag is."""
    if not lineno:
        return ""
    lines = source.splitlines()[max(lineno - 2, 0): lineno + 1]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", " ".join(lines))).strip()
    return text[:60] + ("…" if len(text) > 60 else "")


def _syntax_problem(label: str, exc: jinja2.TemplateSyntaxError, source: str) -> str:
    message = exc.message or ""
    if "unknown tag" in message or "Encountered unknown tag" in message:
        what = "有无法识别的 {% %} 标记"
    elif "end of template" in message:
        what = "有没有闭合的标记（缺少 }} 或 %}，或 {% if %}/{% for %} 缺少对应的 endif/endfor）"
    elif "filter" in message:
        what = "使用了不存在的过滤器"
    else:
        what = "有写法错误的标记（{{ }} 或 {% %} 不完整、不配对或含有多余的字符）"
    near = _near(source, exc.lineno)
    return f"{label}中{what}" + (f"，位置在“{near}”附近" if near else "")


_TAG_TOKEN = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_CLOSING = {"{{": "}}", "{%": "%}", "{#": "#}"}


def _unbalanced_tags(tpl: DocxTemplate) -> list[str]:
    """Paragraphs whose tags do not close within the paragraph. docxtpl needs each tag inside one
    paragraph, and its clean-up of Word's markup would silently swallow text up to the next
    closing brace after an unclosed ``{{``, so this is checked on the text itself."""
    elements = [("正文", tpl.docx.element.body)]
    for label, uri in (("页眉", tpl.HEADER_URI), ("页脚", tpl.FOOTER_URI)):
        elements += [(label, part.element) for _, part in tpl.get_headers_footers(uri)]
    problems = []
    for label, element in elements:
        for p in element.iter(qn("w:p")):
            text = "".join(t.text or "" for t in p.iter(qn("w:t")))
            expected = None
            broken = False
            for token in _TAG_TOKEN.findall(text):
                if token in _CLOSING:
                    broken = broken or expected is not None
                    expected = _CLOSING[token]
                else:
                    broken = broken or token != expected
                    expected = None
            if broken or expected is not None:
                near = text.strip()
                near = near[:40] + ("…" if len(near) > 40 else "")
                problems.append(f"{label}中有没有闭合或不配对的标记（{{{{ 要用 }}}} 结束，{{% 要用 %}} 结束，"
                                f"且在同一段内），位置在“{near}”")
    return problems


def _static_problems(data: bytes) -> tuple[list[str], DocxTemplate | None]:
    """What can be seen without rendering: the file, the tags' syntax, unknown fields, the body's
    place. Returns the problems and, when the file opens, the template object."""
    if not data or not zipfile.is_zipfile(io.BytesIO(data)):
        return ["文件不是 Word 文档（.docx），无法打开；请在 Word 中“另存为 Word 文档（*.docx）”后重新上传"], None
    try:
        unpacked = sum(entry.file_size for entry in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return ["文件不是有效的 Word 文档（.docx），可能已损坏，或是其他格式的文件"], None
    if unpacked > MAX_UNPACKED_BYTES:  # a few kilobytes can unpack to gigabytes: not opened
        return [f"文件解压后超过{MAX_UNPACKED_BYTES // 1024 // 1024}MB，不像是通报模板；请删除其中的大图片后重新上传"], None
    tpl = DocxTemplate(io.BytesIO(data))
    try:
        tpl.init_docx()
    except Exception:  # python-docx: not a WordprocessingML package, a missing or broken part …
        return ["文件不是有效的 Word 文档（.docx），可能已损坏，或是其他格式的文件"], None
    problems = _unbalanced_tags(tpl)
    if problems:
        return problems, tpl
    env = _environment()
    names: set[str] = set()
    for label, source in _template_sources(tpl):
        try:
            names |= meta.find_undeclared_variables(env.parse(source))
        except jinja2.TemplateSyntaxError as exc:
            problems.append(_syntax_problem(label, exc, source))
    unknown = sorted(names - set(FIELDS))
    if unknown:
        known = "、".join(f"{name}（{meaning}）" for name, meaning in FIELDS.items())
        problems.append(f"使用了不存在的字段：{'、'.join(unknown)}；可用的字段有 {known}")
    body_text = "\n".join(p.text for p in tpl.docx.paragraphs)
    if not _BODY_TAG.search(body_text):
        problems.append("缺少正文的位置：请在要放正文的地方单独一段写 {{p body }}")
    return problems, tpl


def _render_problem(exc: Exception) -> str:
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return "含有不允许的写法（模板中只能使用填充字段和简单的 if/for 标记）"
    if isinstance(exc, jinja2.UndefinedError):
        return "有无法填充的字段写法（如字段后面多了属性或下标）"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return "有写法错误的标记"
    if isinstance(exc, jinja2.TemplateError):
        return "填充时出错，请检查 {{ }} 和 {% %} 标记"
    return "按模板生成文档时出错，请检查模板中的标记（特别是表格中的 {%tr %} 标记）是否完整"


def check_template(data: bytes) -> list[str]:
    """The problems (Chinese, one sentence each) that make ``data`` unusable as a bulletin
    template; an empty list when it can be used. Renders a small sample bulletin with it."""
    problems, _ = _static_problems(data)
    if problems:
        return problems
    try:
        _render(_sample_content(), data)
    except Exception as exc:  # noqa: BLE001 — any failure of an office's template is reported, not raised
        log.info("bulletin template failed its trial render", exc_info=True)
        return [_render_problem(exc)]
    return []


def _sample_content() -> BulletinContent:
    day = date(2026, 1, 1)
    return BulletinContent(
        office_name="某某市创建全国文明城市工作指挥部办公室", doc_number="创文办通〔2026〕1号",
        title="关于模板检查的通报", addressees="各区创建办",
        sections=[Section("一、测评排名", [Paragraph("示例正文。"),
                                           Table("表1", ["排名", "单位"], [["1", "示例单位"]], {0}),
                                           PhotoPair("示例照片", None, None)])],
        signature="某某市创建全国文明城市工作指挥部办公室", issued_on=day, cc="市委办公室",
        printer="某某市创建全国文明城市工作指挥部办公室", printed_on=day)


# --- the body -------------------------------------------------------------------------------------------

class _Builder:
    """Appends the sections to the sub-document, naming the template's styles."""

    def __init__(self, document, subdoc):
        self.subdoc = subdoc
        self.style_ids = {}
        self.styles = document.styles
        section = document.sections[-1]
        try:
            width = round(section.page_width.twips - section.left_margin.twips - section.right_margin.twips)
        except (AttributeError, TypeError):
            width = TEXT_WIDTH_TW
        self.width_tw = width if width > 1000 else TEXT_WIDTH_TW

    def style_id(self, name: str) -> str:
        if name not in self.style_ids:
            self.style_ids[name] = self.styles[name].style_id
        return self.style_ids[name]

    def size_pt(self, name: str, default: float) -> float:
        style = self.styles[name]
        while style is not None:
            if style.font.size is not None:
                return style.font.size.pt
            style = style.base_style
        return default

    def paragraph(self, container, style: str, text: str = ""):
        paragraph = container.add_paragraph()
        paragraph._p.style = self.style_id(style)
        if text:
            paragraph.add_run(clean_text(text))
        return paragraph

    def spacer(self):
        """Half a line after a table, which also keeps two tables from running together."""
        paragraph = self.subdoc.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Twips(LINE_PITCH_TW // 2)
        fmt.first_line_indent = Pt(0)

    def section(self, section: Section) -> None:
        if section.heading and section.heading.strip():
            self.paragraph(self.subdoc, styles.HEADING, section.heading.strip())
        for block in section.blocks:
            if isinstance(block, Paragraph):
                self.paragraph(self.subdoc, styles.BODY, block.text)
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, PhotoPair):
                self.photos(block)
            else:
                raise TypeError(f"unknown bulletin block: {type(block).__name__}")

    # tables

    def column_widths(self, header: list[str], rows: list[list[str]], size_pt: float) -> list[int] | None:
        """Column widths in twips filling the type area, or None when the table's natural widths
        (its longest cell per column, up to 16 characters before wrapping) do not fit at ``size_pt``."""
        columns = len(header)
        natural = [1.0] * columns
        for row in [header, *rows]:
            for index, text in enumerate(row):
                longest = max((text_width(part) for part in str(text).split("\n")), default=0)
                natural[index] = max(natural[index], min(longest, 16))
        padding_tw = 2 * 57 + 40  # the style's cell margins and a little air
        needed = [math.ceil(chars * size_pt * 20) + padding_tw for chars in natural]
        if sum(needed) > self.width_tw:
            return None
        spare = self.width_tw - sum(needed)
        widths = [n + spare * n // sum(needed) for n in needed]
        widths[-1] += self.width_tw - sum(widths)
        return widths

    def wrapped_widths(self, header: list[str], rows: list[list[str]], size_pt: float) -> list[int]:
        """Widths for a table too wide even at 5号: short columns keep their natural width, the long
        ones share the rest (their text wraps)."""
        columns = len(header)
        natural = [1.0] * columns
        for row in [header, *rows]:
            for index, text in enumerate(row):
                natural[index] = max(natural[index], text_width(str(text)))
        need = [chars * size_pt * 20 + 154 for chars in natural]
        fixed: dict[int, float] = {}
        while True:
            free = [i for i in range(columns) if i not in fixed]
            share = (self.width_tw - sum(fixed.values())) / max(len(free), 1)
            small = [i for i in free if need[i] <= share]
            if not small or len(small) == len(free):
                for i in free:
                    fixed[i] = need[i] if need[i] <= share else share
                break
            for i in small:
                fixed[i] = need[i]
        widths = [max(int(fixed[i]), 400) for i in range(columns)]
        scale = self.width_tw / sum(widths)
        widths = [int(w * scale) for w in widths]
        widths[-1] += self.width_tw - sum(widths)
        return widths

    def table(self, block: Table) -> None:
        header = [clean_text(text) for text in block.header]
        rows = [[clean_text(text) for text in row] for row in block.rows]
        columns = max([len(header), *(len(row) for row in rows)]) if (header or rows) else 1
        header += [""] * (columns - len(header))
        rows = [row + [""] * (columns - len(row)) for row in rows]

        head_style, text_style = styles.TABLE_HEAD, styles.TABLE_TEXT
        widths = self.column_widths(header, rows, self.size_pt(styles.TABLE_TEXT, 14))
        if widths is None:
            head_style, text_style = styles.TABLE_HEAD_COMPACT, styles.TABLE_TEXT_COMPACT
            size = self.size_pt(styles.TABLE_TEXT_COMPACT, 10.5)
            widths = self.column_widths(header, rows, size) or self.wrapped_widths(header, rows, size)

        if block.caption and block.caption.strip():
            self.paragraph(self.subdoc, styles.TABLE_CAPTION, block.caption.strip())
        table = self.subdoc.add_table(rows=0, cols=columns)
        table.style = self.styles[styles.TABLE_STYLE]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for column, width in zip(table.columns, widths):
            column.width = Twips(width)

        def add_row(texts: list[str], style: str, *, head: bool = False, shaded: bool = False):
            row = table.add_row()
            tr_pr = row._tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:cantSplit"))
            if head:  # repeated at the top of every page
                tr_pr.append(OxmlElement("w:tblHeader"))
            for cell, text in zip(row.cells, texts):
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                paragraph = cell.paragraphs[0]
                paragraph._p.style = self.style_id(style)
                if text:
                    paragraph.add_run(text)
                if shaded:
                    shd = OxmlElement("w:shd")
                    shd.set(qn("w:val"), "clear")
                    shd.set(qn("w:color"), "auto")
                    shd.set(qn("w:fill"), HIGHLIGHT_FILL)
                    cell._tc.get_or_add_tcPr().insert_element_before(
                        shd, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
            return row

        add_row(header, head_style, head=True)
        highlight = set(block.highlight_rows or ())
        for index, texts in enumerate(rows):
            add_row(texts, text_style, shaded=index in highlight)
        if not rows:
            row = add_row(["无"] + [""] * (columns - 1), text_style)
            if columns > 1:
                row.cells[0].merge(row.cells[-1])
        self.spacer()

    # photos

    def photos(self, block: PhotoPair) -> None:
        table = self.subdoc.add_table(rows=3, cols=2)
        table.style = self.styles[styles.PHOTO_TABLE_STYLE]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        half = self.width_tw // 2
        for column in table.columns:
            column.width = Twips(half)
            for cell in column.cells:
                cell.width = Twips(half)
        box_w = Twips(half - 2 * 57 - 60)
        box_h = Emu(int(box_w * PHOTO_ASPECT))
        for row in table.rows:
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for index, (photo, label) in enumerate(((block.before, block.before_label), (block.after, block.after_label))):
            picture = table.cell(0, index).paragraphs[0]
            picture._p.style = self.style_id(styles.PICTURE)
            prepared = _prepare_photo(photo) if photo else None
            if prepared is None:
                picture.add_run(MISSING_PHOTO if not photo else BROKEN_PHOTO)
            else:
                data, width_px, height_px = prepared
                scale = min(box_w / width_px, box_h / height_px)
                picture.add_run().add_picture(io.BytesIO(data), width=Emu(int(width_px * scale)),
                                              height=Emu(int(height_px * scale)))
            caption = table.cell(1, index).paragraphs[0]
            caption._p.style = self.style_id(styles.PICTURE_CAPTION)
            caption.paragraph_format.keep_with_next = True
            if label:
                caption.add_run(clean_text(label))
        merged = table.cell(2, 0).merge(table.cell(2, 1))
        caption = merged.paragraphs[0]
        caption._p.style = self.style_id(styles.PICTURE_CAPTION)
        if block.caption:
            caption.add_run(clean_text(block.caption))
        self.spacer()


def _prepare_photo(data: bytes) -> tuple[bytes, int, int] | None:
    """(JPEG or PNG bytes, width, height) ready to embed, or None when Pillow cannot read it.
    Large photos are scaled down and re-encoded (the page shows them 76 mm wide)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            width, height = image.size
            if (fmt == "JPEG" and max(width, height) <= PHOTO_MAX_SIDE and len(data) <= PHOTO_KEEP_BYTES
                    and image.getexif().get(0x0112, 1) == 1):
                return data, width, height
            if fmt == "JPEG":
                image.draft("RGB", (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, "white")
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            return out.getvalue(), image.width, image.height
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        log.warning("a bulletin photo could not be read; printed as %s", BROKEN_PHOTO, exc_info=True)
        return None


# --- after rendering: the two measured things -------------------------------------------------------

def _style_name(paragraph) -> str | None:
    try:
        return paragraph.style.name if paragraph.style is not None else None
    except (KeyError, ValueError):
        return None


def _fit_masthead(document, builder: _Builder) -> None:
    """Make the 版头 smaller when the office name would not fit on one line of the type area."""
    size = builder.size_pt(styles.MASTHEAD, MASTHEAD_SIZE.pt)
    available_pt = builder.width_tw / 20 * 0.95
    for paragraph in document.paragraphs:
        if _style_name(paragraph) != styles.MASTHEAD:
            continue
        for line_text in paragraph.text.split("\n"):
            chars = text_width(line_text)
            if chars and chars * size > available_pt:
                fitted = math.floor(available_pt / chars * 2) / 2
                for run in paragraph.runs:
                    run.font.size = Pt(fitted)


def _place_signature(document, builder: _Builder) -> None:
    """署名 右空二字, the 成文日期 under it starting two characters further right."""
    signature = date_paragraph = None
    for paragraph in document.paragraphs:
        name = _style_name(paragraph)
        if name == styles.SIGNATURE:
            signature = paragraph
        elif name == styles.DATE:
            date_paragraph = paragraph
    if signature is None or date_paragraph is None or "\n" in signature.text:
        return
    sig_right, date_right = signature_indents(signature.text.strip(), date_paragraph.text.strip())
    size = builder.size_pt(styles.SIGNATURE, 16)
    set_indent_chars(signature._p.get_or_add_pPr(), right=sig_right, size_pt=size)
    set_indent_chars(date_paragraph._p.get_or_add_pPr(), right=date_right, size_pt=size)


# --- rendering ------------------------------------------------------------------------------------------

def _render(content: BulletinContent, data: bytes) -> bytes:
    tpl = DocxTemplate(io.BytesIO(data))
    tpl.init_docx()
    document = tpl.docx
    styles.ensure_styles(document)
    subdoc = tpl.new_subdoc()
    builder = _Builder(document, subdoc)
    for section in content.sections:
        builder.section(section)

    context = {
        "office_name": _data(content.office_name.strip()),
        "doc_number": _data(content.doc_number.strip()),
        "title": _data(content.title.strip()),
        "addressees": _data(_strip(content.addressees, "：", ":")),
        "body": _Body(subdoc),
        "signature": _data(content.signature.strip()),
        "issued_on": _data(chinese_date(content.issued_on)),
        "cc": _data(_strip(content.cc, "。", ".")),
        "printer": _data(content.printer.strip()),
        "printed_on": _data(chinese_date(content.printed_on)),
    }
    tpl.render(context, jinja_env=_environment())
    _fit_masthead(document, builder)
    _place_signature(document, builder)

    properties = document.core_properties
    properties.title = clean_text(f"{content.doc_number} {content.title}".strip())[:250]
    properties.subject = "通报"
    properties.author = properties.last_modified_by = clean_text(content.office_name)[:250]
    properties.comments = ""
    properties.language = "zh-CN"
    issued = datetime.combine(content.issued_on, datetime.min.time()) if not isinstance(
        content.issued_on, datetime) else content.issued_on
    properties.created = properties.modified = issued

    buffer = io.BytesIO()
    tpl.save(buffer)
    return buffer.getvalue()


def bulletin_docx(content: BulletinContent, template: bytes | None = None) -> bytes:
    """The bulletin as a .docx file (bytes), from ``template`` (the bytes of an office's own .docx
    template) or the default one. Raises :class:`TemplateError` (code ``template_unusable``) with
    the problems in Chinese when the template cannot be used."""
    data = default_template() if template is None else template
    problems, _ = _static_problems(data)
    if problems:
        raise TemplateError(problems)
    if template is None:
        return _render(content, data)  # the shipped template: a failure here is a defect, not a refusal
    try:
        return _render(content, data)
    except Exception as exc:  # noqa: BLE001 — an office's template may fail in any way; say so in Chinese
        log.info("bulletin template failed to render", exc_info=True)
        raise TemplateError([_render_problem(exc)]) from exc


# --- PDF ------------------------------------------------------------------------------------------------

def find_soffice() -> str | None:
    """LibreOffice's command: ``WENMING_SOFFICE``, else ``soffice`` or ``libreoffice`` on the PATH."""
    explicit = os.environ.get("WENMING_SOFFICE")
    if explicit and os.access(explicit, os.X_OK):
        return explicit
    return shutil.which("soffice") or shutil.which("libreoffice")


def fontconfig_file(directory: Path) -> Path:
    """A fontconfig configuration for LibreOffice: the system's (or ``FONTCONFIG_FILE``'s) plus the
    公文 font aliases (``fonts/65-wenming-gongwen.conf``): 方正小标宋简体, 仿宋_GB2312, 黑体 … fall
    back to Noto Serif/Sans CJK SC when they are not installed, and are used when they are."""
    system = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    path = directory / "fonts.conf"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        f'  <include ignore_missing="yes">{escape(system)}</include>\n'
        f'  <include ignore_missing="yes">{escape(str(FONT_ALIASES))}</include>\n</fontconfig>\n',
        encoding="utf-8")
    return path


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def for_libreoffice(docx: bytes) -> bytes:
    """The .docx with its character grid made LibreOffice-proof. GB/T 9704 puts 28 3号 characters
    on a 156 mm line, so the grid's pitch (15.75 pt) is narrower than the 16 pt characters; Word
    narrows the characters to the pitch, LibreOffice instead gives each such character *two* grid
    cells (14 characters a line). So for LibreOffice the grid keeps its lines but not its
    characters (``w:type="lines"``), and the characters get the same pitch as a negative
    character spacing in the document defaults. Anything else is left as it is."""
    from lxml import etree

    source = zipfile.ZipFile(io.BytesIO(docx))
    try:
        document_xml = etree.fromstring(source.read("word/document.xml"))
        styles_xml = etree.fromstring(source.read("word/styles.xml"))
    except (KeyError, etree.XMLSyntaxError):
        return docx
    spacing_tw = None
    for grid in document_xml.iter(f"{{{_W}}}docGrid"):
        if grid.get(f"{{{_W}}}type") != "linesAndChars":
            continue
        char_space = int(grid.get(f"{{{_W}}}charSpace") or 0)
        grid.set(f"{{{_W}}}type", "lines")
        grid.attrib.pop(f"{{{_W}}}charSpace", None)
        if char_space < 0:
            spacing_tw = math.floor(char_space / 4096 * 20)
    if spacing_tw is None and document_xml.find(f".//{{{_W}}}docGrid") is None:
        return docx
    if spacing_tw is not None:
        r_pr = styles_xml.find(f"{{{_W}}}docDefaults/{{{_W}}}rPrDefault/{{{_W}}}rPr")
        if r_pr is not None and r_pr.find(f"{{{_W}}}spacing") is None:
            spacing = etree.SubElement(r_pr, f"{{{_W}}}spacing")
            spacing.set(f"{{{_W}}}val", str(spacing_tw))
            # CT_RPr order: …, w:color, w:spacing, w:w, w:kern, w:position, w:sz, …
            for tag in ("w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd",
                        "fitText", "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath"):
                later = r_pr.find(f"{{{_W}}}{tag}")
                if later is not None:
                    later.addprevious(spacing)
                    break
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "word/document.xml":
                data = etree.tostring(document_xml, xml_declaration=True, encoding="UTF-8", standalone=True)
            elif info.filename == "word/styles.xml":
                data = etree.tostring(styles_xml, xml_declaration=True, encoding="UTF-8", standalone=True)
            else:
                data = source.read(info.filename)
            target.writestr(info, data)
    return out.getvalue()


def bulletin_pdf(docx: bytes, timeout: float = 120) -> bytes:
    """The .docx converted to PDF by LibreOffice (headless, with a profile of its own in a temporary
    directory, so conversions may run side by side). Raises :class:`PdfUnavailable` when
    LibreOffice is not installed and :class:`PdfFailed` when it fails or runs over ``timeout``
    seconds."""
    if find_soffice() is None:
        raise PdfUnavailable()
    with tempfile.TemporaryDirectory(prefix="wenming-pdf-") as tmp:
        work = Path(tmp)
        source = work / "bulletin.docx"
        try:
            source.write_bytes(for_libreoffice(docx))
        except zipfile.BadZipFile as exc:
            raise PdfFailed("文件不是有效的 Word 文档（.docx），无法生成 PDF") from exc
        pdf = office_to_pdf([source], work, timeout=timeout)[source]
        if pdf is None:
            raise PdfFailed()
        return pdf.read_bytes()


def office_to_pdf(sources: list[Path], work: Path, timeout: float = 120) -> dict[Path, Path | None]:
    """Office documents (Word, Excel, PowerPoint, WPS) converted to PDF by one LibreOffice run, in
    ``work`` (a temporary directory of the caller's): source → its PDF, or None where LibreOffice gave
    none. Raises :class:`PdfUnavailable` without LibreOffice and :class:`PdfFailed` past ``timeout``."""
    soffice = find_soffice()
    if soffice is None:
        raise PdfUnavailable()
    out_dir = work / "out"
    env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(work)), "SAL_USE_VCLPLUGIN": "svp"}
    command = [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--invisible",
               "--nologo", "--norestore", "--nodefault", "--nolockcheck",
               "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, sources)]
    try:
        process = subprocess.Popen(command, cwd=work, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise PdfUnavailable() from exc
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise PdfFailed(f"生成 PDF 超时（超过 {int(timeout)} 秒），请稍后重试；如反复出现请联系管理员") from None
    found: dict[Path, Path | None] = {}
    for source in sources:
        pdf = out_dir / (source.stem + ".pdf")
        found[source] = pdf if pdf.is_file() and pdf.stat().st_size else None
    if process.returncode != 0 or not all(found.values()):
        log.error("LibreOffice gave no PDF for some files (exit %s): %s %s", process.returncode,
                  stdout.decode(errors="replace")[-2000:], stderr.decode(errors="replace")[-2000:])
    return found


def _kill_group(process: subprocess.Popen) -> None:
    """Stop LibreOffice and whatever it started (its own session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()

"""Write the default 通报 template, ``templates/bulletins/bulletin.docx``:

    python -m wenming.bulletins.make_template [path]

The file is what an office opens in Word to make its own template: the GB/T 9704-2012 page
(A4, margins 37/35/28/26 mm, 22 lines × 28 characters), the named styles of ``styles``, the
page numbers in the footers (odd pages right, even pages left) and the frame of the document
with its Jinja tags (docxtpl):

    {{ office_name }}                         版头 (公文版头: red 小标宋)
    {{ doc_number }}                          发文字号, the red line under it (公文发文字号)
    {{ title }}                               标题 (公文标题: 2号小标宋)
    {{ addressees }}：                        主送, only when there is one
    {{p body }}                               the sections: headings, paragraphs, tables, photos
    {{ signature }} / {{ issued_on }}         署名 and 成文日期, on the right
    抄送：{{ cc }}。 / {{ printer }} {{ printed_on }}印发      版记, between rules

The output is byte-for-byte reproducible (fixed document dates and zip timestamps), so the
shipped file changes only when this script does; a test checks that they agree.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.shared import Pt, Twips

from wenming.core import gongwen

from . import styles

TEMPLATE_PATH = Path(__file__).resolve().parent / "templates" / "bulletins" / "bulletin.docx"
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
# the document properties, fixed (python-docx would stamp the time of the run)
CORE_PROPERTIES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>通报模板</dc:title><dc:subject>通报</dc:subject><dc:creator>文明城市创建管理平台</dc:creator>"
    "<dc:description>GB/T 9704-2012 通报模板</dc:description><dc:language>zh-CN</dc:language>"
    "<cp:revision>1</cp:revision>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:modified>'
    "</cp:coreProperties>"
).encode("utf-8")


def build() -> bytes:
    document = Document()
    section = document.sections[0]
    gongwen.setup_page(section)
    gongwen.setup_defaults(document)
    styles.ensure_styles(document)

    # page numbers: odd pages on the right, even pages on the left (GB/T 9704-2012 §7.5)
    document.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = document.styles[styles.PAGE_NUMBER]
        fmt = paragraph.paragraph_format
        fmt.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            fmt.right_indent = gongwen.PAGE_NUMBER_SIZE
        else:
            fmt.left_indent = gongwen.PAGE_NUMBER_SIZE
        gongwen.page_number_runs(paragraph, lambda p, text: p.add_run(text))

    # the frame; the template's body starts empty
    def tagged(text: str, style: str | None = None):
        paragraph = document.add_paragraph(style=style)
        paragraph.add_run(text)
        return paragraph

    tagged("{{ office_name }}", styles.MASTHEAD)
    tagged("{{ doc_number }}", styles.NUMBER)
    tagged("{{ title }}", styles.TITLE)
    tagged("{%p if addressees %}")
    tagged("{{ addressees }}：", styles.ADDRESSEES)
    tagged("{%p endif %}")
    tagged("{{p body }}")
    tagged("{{ signature }}", styles.SIGNATURE)
    tagged("{{ issued_on }}", styles.DATE)
    document.add_paragraph()  # a blank line above the 版记

    # 版记: one column between rules; the 抄送 row only when there is one
    width = Twips(gongwen.TEXT_WIDTH_TW)
    record = document.add_table(rows=4, cols=1)
    record.style = document.styles[styles.RECORD_TABLE_STYLE]
    record.alignment = WD_TABLE_ALIGNMENT.CENTER
    record.autofit = False
    record.columns[0].width = width
    texts = ["{%tr if cc %}", "抄送：{{ cc }}。", "{%tr endif %}", None]
    for row, text in zip(record.rows, texts):
        cell = row.cells[0]
        cell.width = width
        paragraph = cell.paragraphs[0]
        paragraph.style = document.styles[styles.RECORD]
        if text is not None:
            paragraph.add_run(text)
            continue
        # 印发机关 on the left, 印发日期 on the right (a right tab one character from the end)
        stop = width - gongwen.TABLE_SIZE
        paragraph.paragraph_format.tab_stops.add_tab_stop(stop, WD_TAB_ALIGNMENT.RIGHT)
        paragraph.add_run("{{ printer }}\t{{ printed_on }}印发")
    # the body must end with a paragraph; a 1 pt one, so that it never makes a page of its own
    end = document.add_paragraph()
    end.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    end.paragraph_format.line_spacing = Pt(1)
    end.add_run().font.size = Pt(1)

    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same package with every member's timestamp fixed, so the bytes are reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            data = CORE_PROPERTIES if info.filename == "docProps/core.xml" else source.read(info.filename)
            target.writestr(member, data)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else TEMPLATE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build())
    print(f"已生成通报模板 wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

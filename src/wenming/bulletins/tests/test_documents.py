"""通报 documents: the .docx laid out per GB/T 9704-2012 from the Word template, the PDF through
LibreOffice, broken templates refused in Chinese, user text printed as it is."""

import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Emu
from PIL import Image

from wenming.bulletins import documents, make_template, styles
from wenming.bulletins.content import BulletinContent, Paragraph, PhotoPair, Section, Table
from wenming.bulletins.errors import PdfFailed, PdfUnavailable, TemplateError
from wenming.bulletins.specimen import HEADER, NUMBER, OFFICE, PAIRS, TITLE, UNITS, specimen
from wenming.core import gongwen


def _small() -> BulletinContent:
    return specimen(sections=[Section("", [Paragraph("各单位要对照问题清单，立即整改。"),
                                           Paragraph("请于12月10日前报送整改情况。")])])


@pytest.fixture(scope="module")
def big_docx() -> bytes:
    return documents.bulletin_docx(specimen())


@pytest.fixture(scope="module")
def big_pdf(big_docx) -> bytes:
    if documents.find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: ./run test installs libreoffice-writer-nogui")
    return documents.bulletin_pdf(big_docx)


def _paragraph(document, text):
    return next(p for p in document.paragraphs if p.text == text)


def _style_fonts(style):
    """(eastAsia font, size in pt) of a style, following its base styles."""
    font = size = None
    while style is not None and (font is None or size is None):
        r_pr = style.element.rPr
        if font is None and r_pr is not None and r_pr.rFonts is not None:
            font = r_pr.rFonts.get(qn("w:eastAsia"))
        if size is None and style.font.size is not None:
            size = style.font.size.pt
        style = style.base_style
    return font, size


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


# --- the .docx ------------------------------------------------------------------------------------------

def test_page_margins_and_grid(big_docx):
    document = docx.Document(io.BytesIO(big_docx))
    section = document.sections[0]
    assert round(section.page_width.mm, 1) == 210.0 and round(section.page_height.mm, 1) == 297.0
    assert [round(m.mm, 1) for m in (section.top_margin, section.bottom_margin,
                                     section.left_margin, section.right_margin)] == [37.0, 35.0, 28.0, 26.0]
    width_pt = Emu(section.page_width - section.left_margin - section.right_margin).pt
    height_pt = Emu(section.page_height - section.top_margin - section.bottom_margin).pt
    assert round(width_pt / 72 * 25.4) == 156 and round(height_pt / 72 * 25.4) == 225
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    line_pitch, char_space = int(grid.get(qn("w:linePitch"))), int(grid.get(qn("w:charSpace")))
    assert (line_pitch, char_space) == (579, gongwen.CHAR_SPACE)
    assert int(height_pt * 20) // line_pitch == 22                 # 22 lines
    char_pitch = 16 + char_space / 4096                             # 3号 plus the grid's spacing
    assert int(width_pt / char_pitch) == 28                          # 28 characters


def test_masthead_number_title_and_body(big_docx):
    document = docx.Document(io.BytesIO(big_docx))
    office = _paragraph(document, OFFICE)
    assert office.style.name == styles.MASTHEAD
    assert office.style.font.color.rgb == gongwen.RED
    assert office.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    # the 19-character office name is made smaller so that it stays on one 156 mm line
    assert all(run.font.size.pt * 19 <= 442 for run in office.runs)

    number = _paragraph(document, NUMBER)
    assert number.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    rule = number.style.element.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))   # the red separator line
    assert rule.get(qn("w:color")) == "C00000" and rule.get(qn("w:val")) == "single"

    title = _paragraph(document, TITLE)
    assert _style_fonts(title.style) == ("方正小标宋简体", 22)
    assert title.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER

    body = _paragraph(document, "各单位要对照问题清单，立即整改。")
    assert _style_fonts(body.style) == ("仿宋_GB2312", 16)
    assert body.style.element.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    heading = _paragraph(document, "一、测评排名")
    assert _style_fonts(heading.style) == ("黑体", 16)
    assert _paragraph(document, "各区创建办，市直各单位：").style.name == styles.ADDRESSEES

    signature, day = _paragraph(document, OFFICE + ""), _paragraph(document, "2026年12月4日")
    assert day.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert day.paragraph_format.right_indent is not None
    assert signature is not None


def test_page_numbers_and_record(big_docx):
    document = docx.Document(io.BytesIO(big_docx))
    section = document.sections[0]
    assert document.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert "PAGE" in "".join(t.text for t in paragraph._p.iter(qn("w:instrText")))
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert 'w:fldCharType="begin"' in xml
        assert paragraph.alignment == align
        assert _style_fonts(paragraph.style) == ("宋体", 14)

    record = document.tables[-1]
    texts = [row.cells[0].text for row in record.rows]
    assert texts == ["抄送：市委办公室，市政府办公室。", f"{OFFICE}\t2026年12月4日印发"]
    style = record.style.element.find(qn("w:tblPr")).find(qn("w:tblBorders"))
    assert style.find(qn("w:top")).get(qn("w:sz")) == "8" and style.find(qn("w:insideH")).get(qn("w:sz")) == "6"


def test_without_addressees_and_cc():
    document = docx.Document(io.BytesIO(documents.bulletin_docx(replace(_small(), addressees="", cc=""))))
    assert not [p for p in document.paragraphs if p.text.endswith("：") or "{%" in p.text]
    assert [row.cells[0].text for row in document.tables[-1].rows] == [f"{OFFICE}\t2026年12月4日印发"]


def test_ranking_table_and_photos(big_docx):
    document = docx.Document(io.BytesIO(big_docx))
    ranking = next(t for t in document.tables if t.rows[0].cells[0].text == "排名")
    assert len(ranking.rows) == 1 + UNITS
    assert [c.text for c in ranking.rows[0].cells] == HEADER
    assert ranking.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None      # repeated on each page
    assert ranking.rows[150].cells[1].text == "某某区第150街道办事处"
    widths = [int(col.get(qn("w:w"))) for col in ranking._tbl.tblGrid.iter(qn("w:gridCol"))]
    assert sum(widths) == gongwen.TEXT_WIDTH_TW                                # the type area's width
    size = _style_fonts(ranking.rows[1].cells[0].paragraphs[0].style)[1]
    assert size <= 14                                                          # 4号 or smaller
    shaded = [i for i, row in enumerate(ranking.rows[1:]) if row.cells[0]._tc.tcPr.find(qn("w:shd")) is not None]
    assert shaded == [147, 148, 149]

    with zipfile.ZipFile(io.BytesIO(big_docx)) as package:
        media = [name for name in package.namelist() if name.startswith("word/media/")]
    assert len(media) == 2 * PAIRS
    assert len(document.inline_shapes) == 2 * PAIRS
    assert all(round(shape.width.mm) <= 78 for shape in document.inline_shapes)   # two side by side
    text = _text(document)
    assert "问题10：某某路占道经营" in text and text.count("整改前") == PAIRS


def test_missing_and_broken_photos():
    content = specimen(sections=[Section("二、典型问题", [PhotoPair("无照片", None, b"not an image")])])
    document = docx.Document(io.BytesIO(documents.bulletin_docx(content)))
    assert "（无照片）" in _text(document) and "（照片无法读取）" in _text(document)


def test_shipped_template_is_what_make_template_writes():
    assert make_template.build() == documents.DEFAULT_TEMPLATE.read_bytes(), \
        "run: python -m wenming.bulletins.make_template"
    assert documents.check_template(documents.DEFAULT_TEMPLATE.read_bytes()) == []


def test_a_template_without_the_styles_gets_them():
    """An office's own template, made in Word with nothing but the tags: the styles are added."""
    document = docx.Document()
    for tag in ("{{ doc_number }}", "{{ title }}", "{{p body }}", "{{ signature }}"):
        document.add_paragraph(tag)
    buffer = io.BytesIO()
    document.save(buffer)
    assert documents.check_template(buffer.getvalue()) == []
    rendered = docx.Document(io.BytesIO(documents.bulletin_docx(_small(), template=buffer.getvalue())))
    assert _paragraph(rendered, "请于12月10日前报送整改情况。").style.name == styles.BODY
    assert _paragraph(rendered, NUMBER)


# --- user text is data, never template source ---------------------------------------------------------------

def test_user_text_is_printed_verbatim():
    tricky = "{{ 7*7 }} {% if true %}是{% endif %} {# 注 #} {_{ x }_} {_% y %_} <b>&amp;</b> & < > \"引号\" '单' \t制表"
    long = "很长的文字" * 2000
    content = specimen(
        title=tricky, addressees=tricky, cc=tricky, printer=tricky, signature=tricky,
        sections=[Section(tricky, [Paragraph(tricky), Paragraph(long),
                                   Table(tricky, [tricky, "b"], [[tricky, long[:300]]]),
                                   PhotoPair(tricky, None, None, before_label=tricky)])])
    document = docx.Document(io.BytesIO(documents.bulletin_docx(content)))
    text = _text(document)
    assert "49" not in text
    assert text.count(tricky) >= 8
    assert long in text
    assert _paragraph(document, tricky + "：")            # the 主送 line, with its colon


# --- broken templates -----------------------------------------------------------------------------------------

def _template_with(old: str, new: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(documents.DEFAULT_TEMPLATE.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            target.writestr(info, data)
    return out.getvalue()


def test_not_a_docx_is_refused_in_chinese():
    with pytest.raises(TemplateError) as refused:
        documents.bulletin_docx(_small(), template=b"%PDF-1.4 not a word file")
    assert refused.value.code == "template_unusable" and refused.value.status == 400
    assert refused.value.message.startswith("模板无法使用：") and "Word" in refused.value.message
    assert documents.check_template(b"") and documents.check_template(b"PK\x03\x04broken")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("hello.txt", "not a docx")
    assert "Word" in documents.check_template(zipped.getvalue())[0]


def test_unclosed_tag_is_refused_with_its_place():
    broken = _template_with("{{ title }}", "{{ title ")
    problems = documents.check_template(broken)
    assert len(problems) == 1 and "标记" in problems[0] and "正文" in problems[0]
    with pytest.raises(TemplateError) as refused:
        documents.bulletin_docx(_small(), template=broken)
    assert refused.value.message == "模板无法使用：" + problems[0]
    assert refused.value.errors == {"template": problems}


def test_unknown_field_missing_body_and_unsafe_tags():
    problems = documents.check_template(_template_with("{{ title }}", "{{ titel }}"))
    assert any("titel" in p and "不存在的字段" in p for p in problems)
    problems = documents.check_template(_template_with("{{p body }}", "正文"))
    assert problems == ["缺少正文的位置：请在要放正文的地方单独一段写 {{p body }}"]
    unsafe = _template_with("{{ title }}", "{{ title.__class__.__mro__ }}")
    assert "不允许" in documents.check_template(unsafe)[0]
    with pytest.raises(TemplateError, match="^模板无法使用：含有不允许的写法"):
        documents.bulletin_docx(_small(), template=unsafe)


# --- PDF ------------------------------------------------------------------------------------------------------

def _pdf_pages(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def _need_poppler():
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed: ./run test installs it")


def test_pdf_of_a_bulletin_with_150_units_and_20_photos(big_pdf, tmp_path):
    _need_poppler()
    assert big_pdf.startswith(b"%PDF-")
    # page 1: the frame and 7 rows; 29 rows a page after it (4号 in 20 pt rows plus the repeated
    # header) until row 150 on page 6; two photo pairs a page on pages 7–11 with 三、 and the
    # signature; the 版记 on page 12
    assert _pdf_pages(big_pdf, tmp_path) == 12
    path = tmp_path / "b.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert TITLE in flat and NUMBER in flat and "某某区第150街道办事处" in flat and "印发" in flat
    assert "—1—" in flat and "—12—" in flat
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True)
    with Image.open(next(tmp_path.glob("page*.png"))) as page:
        width, height = page.size
    assert abs(height / width - 297 / 210) < 0.01                                  # A4


def test_pdf_of_a_short_bulletin_is_one_page(tmp_path):
    if documents.find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: ./run test installs libreoffice-writer-nogui")
    _need_poppler()
    assert _pdf_pages(documents.bulletin_pdf(documents.bulletin_docx(_small())), tmp_path) == 1


def test_pdf_errors(monkeypatch):
    if documents.find_soffice() is not None:
        with pytest.raises(PdfFailed, match="^生成 PDF 超时"):
            documents.bulletin_pdf(documents.bulletin_docx(_small()), timeout=0.01)
        with pytest.raises(PdfFailed, match="无法生成 PDF"):
            documents.bulletin_pdf(b"not a docx")
    monkeypatch.setattr(documents, "find_soffice", lambda: None)
    with pytest.raises(PdfUnavailable) as missing:
        documents.bulletin_pdf(b"")
    assert missing.value.message == "未安装 LibreOffice，无法生成 PDF" and missing.value.code == "pdf_unavailable"

"""A full-size 通报 for measuring and checking the renderer: the ranking of 150 units (the last three
on the 黄牌榜, shaded) and ten before/after photo pairs (20 distinct photos, 1600 × 1200 JPEG as a
phone takes them). ``wenming bench ranking`` times its .docx and PDF; bulletins/tests/test_documents.py
checks its pages."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image, ImageDraw

from .content import BulletinContent, Paragraph, PhotoPair, Section, Table

NUMBER = "创文办通〔2026〕12号"
TITLE = "关于2026年11月全市文明城市创建工作测评情况的通报"
OFFICE = "某某市创建全国文明城市工作指挥部办公室"
HEADER = ["排名", "单位", "类别", "得分", "上期排名", "变化"]
UNITS, PAIRS = 150, 10


def photo(index: int) -> bytes:
    """A distinct JPEG (python-docx stores identical images once)."""
    image = Image.new("RGB", (1600, 1200), ((index * 37) % 256, (index * 91) % 256, 120))
    ImageDraw.Draw(image).rectangle([100, 100, 100 + index * 40, 600], fill=(250, 250, 250))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def specimen(**changes) -> BulletinContent:
    rows = [[str(i + 1), f"某某区第{i + 1}街道办事处", "街道", f"{95 - i * 0.1:.2f}", str(i + 2), "↑1"]
            for i in range(UNITS)]
    values = dict(
        office_name=OFFICE, doc_number=NUMBER, title=TITLE, addressees="各区创建办，市直各单位",
        sections=[
            Section("一、测评排名", [Paragraph(f"11月，市创建办组织对全市{UNITS}个单位进行了实地测评。现将有关情况通报如下。"),
                                      Table("表1 测评排名", HEADER, rows, {UNITS - 3, UNITS - 2, UNITS - 1})]),
            Section("二、典型问题", [PhotoPair(f"问题{i + 1}：某某路占道经营", photo(2 * i), photo(2 * i + 1))
                                      for i in range(PAIRS)]),
            Section("三、下一步要求", [Paragraph("各单位要对照问题清单，立即整改。")]),
        ],
        signature=OFFICE, issued_on=date(2026, 12, 4), cc="市委办公室，市政府办公室",
        printer=OFFICE, printed_on=date(2026, 12, 4))
    values.update(changes)
    return BulletinContent(**values)

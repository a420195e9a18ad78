"""Evidence files judged by their content (core.uploads)."""

import io

import pytest
from docx import Document
from openpyxl import Workbook
from PIL import Image

from wenming.core.errors import ValidationFailed
from wenming.core.uploads import check_upload


def docx_bytes() -> bytes:
    out = io.BytesIO()
    Document().save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, fmt)
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize("name, data, kind", [
    ("材料.pdf", lambda: b"%PDF-1.7\n%%EOF", "pdf"),
    ("现场.JPG", lambda: image("JPEG"), "jpeg"),
    ("截图.png", lambda: image("PNG"), "png"),
    ("纪要.docx", docx_bytes, "ooxml"),
    ("台账.xlsx", xlsx_bytes, "ooxml"),
    ("旧纪要.doc", lambda: OLE, "ole"),
    ("旧台账.xls", lambda: OLE, "ole"),
])
def test_documents_and_images_are_accepted(name, data, kind):
    checked = check_upload(data(), name)
    assert checked.kind == kind and checked.size == len(data()) and len(checked.sha256) == 64


@pytest.mark.parametrize("name, data, message", [
    ("说明.pdf", lambda: b"MZ\x90\x00", "内容是Windows 程序"),
    ("说明.docx", lambda: b"\x7fELF\x02\x01", "内容是Linux 程序"),
    ("台账.xlsx", docx_bytes, "内容与扩展名 .xlsx 不符"),     # a Word file named as a sheet
    ("纪要.docx", lambda: b"PK\x03\x04junk", "内容与扩展名 .docx 不符"),
    ("照片.png", lambda: image("JPEG"), "内容与扩展名 .png 不符"),
    ("程序.exe", lambda: b"hello", "只能上传PDF"),
    ("无扩展名", lambda: b"%PDF-1.7", "只能上传PDF"),
    ("空.pdf", lambda: b"", "是空的"),
])
def test_anything_else_is_refused_in_chinese(name, data, message):
    with pytest.raises(ValidationFailed) as refused:
        check_upload(data(), name)
    assert message in refused.value.message


def test_the_size_cap(settings):
    settings.WENMING_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    with pytest.raises(ValidationFailed) as refused:
        check_upload(b"%PDF-" + b"0" * (2 * 1024 * 1024), "大.pdf")
    assert "超过2MB" in refused.value.message

"""Evidence files people upload (progress reports, 创城档案 materials): judged by their content, never
by their name or the browser's content type (DESIGN.md §3 Files, §11).

:func:`check_upload` accepts PDF, JPEG and PNG images, Office documents (Word, Excel, PowerPoint —
the current .docx/.xlsx/.pptx and the older .doc/.xls/.ppt, WPS's .wps/.et) whose bytes are what
their extension says, under a size cap; anything else — a program with a document's name, a
script, an archive, a file whose content and extension disagree — is refused with a Chinese
message. Nothing is ever executed or converted here; the files are stored as they came and
served as downloads with :func:`safe_headers`."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings

from .errors import ValidationFailed

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED = 200 * 1024 * 1024      # an Office document's parts, unpacked

PDF, JPEG, PNG, OOXML, OLE = "pdf", "jpeg", "png", "ooxml", "ole"
# extension → (kind, the OOXML folder that proves it, content type)
EXTENSIONS = {
    "pdf": (PDF, None, "application/pdf"),
    "jpg": (JPEG, None, "image/jpeg"), "jpeg": (JPEG, None, "image/jpeg"),
    "png": (PNG, None, "image/png"),
    "docx": (OOXML, "word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (OOXML, "xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": (OOXML, "ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "doc": (OLE, None, "application/msword"), "wps": (OLE, None, "application/vnd.ms-works"),
    "xls": (OLE, None, "application/vnd.ms-excel"), "et": (OLE, None, "application/vnd.ms-excel"),
    "ppt": (OLE, None, "application/vnd.ms-powerpoint"),
}
ACCEPTED = "PDF、JPG、PNG、Word（doc/docx）、Excel（xls/xlsx）、PowerPoint（ppt/pptx）、WPS（wps/et）"
# the first bytes of programs and scripts: named as what they are when refused
PROGRAMS = ((b"MZ", "Windows 程序"), (b"\x7fELF", "Linux 程序"), (b"#!", "脚本"), (b"\xca\xfe\xba\xbe", "程序"),
            (b"\xcf\xfa\xed\xfe", "程序"), (b"\xfe\xed\xfa", "程序"))


@dataclass(frozen=True)
class Checked:
    kind: str
    extension: str
    content_type: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(getattr(settings, "WENMING_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if data.startswith(b"PK\x03\x04"):
        return OOXML  # proven below
    return None


def check_upload(data: bytes, filename: str, *, field: str = "file", label: str = "文件") -> Checked:
    """The file's kind, content type, size and SHA-256, or :class:`ValidationFailed` saying why not."""
    name = (filename or "").strip()
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not data:
        raise ValidationFailed(f"{label}“{name}”是空的", field=field)
    limit = max_bytes()
    if len(data) > limit:
        raise ValidationFailed(f"{label}“{name}”超过{limit // 1024 // 1024}MB，请压缩或拆分后上传", field=field)
    program = next((what for magic, what in PROGRAMS if data.startswith(magic)), None)
    if program:
        raise ValidationFailed(f"{label}“{name}”的内容是{program}，不是文档或图片，已拒绝（只能上传{ACCEPTED}）", field=field)
    if extension not in EXTENSIONS:
        raise ValidationFailed(f"不能上传“{name}”：只能上传{ACCEPTED}", field=field)
    kind, folder, content_type = EXTENSIONS[extension]
    found = _sniff(data)
    if found == OOXML and not _is_office(data, folder):
        found = None
    if found != kind:
        raise ValidationFailed(f"{label}“{name}”的内容与扩展名 .{extension} 不符（可能是改了扩展名的其他文件），已拒绝",
                               field=field)
    return Checked(kind, extension, content_type, len(data), hashlib.sha256(data).hexdigest())


def _is_office(data: bytes, folder: str | None) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED:
        return False
    names = {entry.filename for entry in entries}
    return "[Content_Types].xml" in names and folder is not None and any(n.startswith(folder) for n in names)


def safe_headers(response):
    """A stored upload handed out: always a download, never rendered or sniffed by the browser."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def read_all(files, *, label: str = "文件") -> list[tuple[bytes, str]]:
    """The uploaded files of a request as (bytes, name), refusing — before reading it — any file over the cap,
    so that a huge upload is never held in memory."""
    limit = max_bytes()
    for upload in files:
        if upload.size > limit:
            raise ValidationFailed(f"{label}“{upload.name}”超过{limit // 1024 // 1024}MB，请压缩或拆分后上传", field="files")
    return [(upload.read(), upload.name) for upload in files]


def download(stored, *, actor, what: str, unit=None):
    """Hand out a stored upload (a model with ``file``, ``filename``, ``content_type``): audited as a download,
    always an attachment with :func:`safe_headers`; 404 when its file is gone."""
    from django.http import FileResponse, Http404

    from . import audit

    try:
        handle = stored.file.open("rb")
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise Http404("文件不存在。") from exc
    audit.download(actor=actor, what=what, rows=0, target=stored, unit=unit, filename=stored.filename)
    return safe_headers(FileResponse(handle, as_attachment=True, filename=stored.filename,
                                     content_type=stored.content_type))

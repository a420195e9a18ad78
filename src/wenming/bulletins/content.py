"""What a 通报 says, independent of any model: the services build a :class:`BulletinContent` from
scores, rankings, problems and photos, and :func:`wenming.bulletins.documents.bulletin_docx`
renders it. All text is plain text (no markup): it is passed to the template as data, never as
template source, so ``{{``, ``{%``, ``<`` or ``&`` in it are printed as they are. A line break
(``\\n``) in any text is a line break in the document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Paragraph:
    """A body paragraph (3号仿宋, first line indented two characters)."""

    text: str


@dataclass
class Table:
    """A table with a caption above it; ``header`` and each row have the same number of cells.
    ``highlight_rows`` are indexes into ``rows`` (0-based) printed shaded, e.g. the warning list's
    units in a ranking. The header repeats at the top of each page."""

    caption: str
    header: list[str]
    rows: list[list[str]]
    highlight_rows: set[int] = field(default_factory=set)


@dataclass
class PhotoPair:
    """Two photos side by side (typically before and after 整改), each labelled, with a caption
    under them. A photo is JPEG or PNG bytes; ``None`` prints "（无照片）" in its place."""

    caption: str
    before: bytes | None
    after: bytes | None
    before_label: str = "整改前"
    after_label: str = "整改后"


Block = Paragraph | Table | PhotoPair


@dataclass
class Section:
    """A part of the body: an optional 一级标题 ("一、测评排名", 3号黑体) and its blocks in order."""

    heading: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class BulletinContent:
    """Everything one 通报 shows, in reading order.

    ``office_name`` is the 版头 (发文机关标志), ``doc_number`` the 发文字号 ("创文办通〔2026〕12号"),
    ``addressees`` the 主送 line (without the closing "：", may be empty), ``signature`` the
    发文机关署名 and ``issued_on`` the 成文日期; ``cc`` (抄送, without the closing "。", may be
    empty), ``printer`` and ``printed_on`` make the 版记 at the end."""

    office_name: str
    doc_number: str
    title: str
    addressees: str
    sections: list[Section]
    signature: str
    issued_on: date
    cc: str
    printer: str
    printed_on: date

"""Hash chains over append-only tables, their verification, and anchors kept outside the database.

A chained table numbers its rows 1, 2, 3 … (``seq``) and stores with each row ``prev_hash`` and
``hash`` = SHA-256 of the row's canonical content and ``prev_hash``. One row of
``AuditChainHead`` per chain holds the last number and hash; locking it serialises appends. The
audit log is chain ``audit`` (head row 1, see ``core.audit``); apps register theirs in their
``AppConfig.ready`` (the problem timeline: ``cases.timeline``, head row 2). An append to any
chain first locks head row 1, so two writers always take the head locks in the same order.

:func:`verify` recomputes a chain: an edited row no longer matches its hash, a removed row
leaves a gap or a broken link, rows removed from the end leave the head pointing past the last
row. A privileged user can rewrite the rows and the head together; the **anchor**
(:func:`anchor_line`, ``wenming audit-anchor``) — each chain's length and last hash written to
a file kept elsewhere — is what catches that: the chain must still extend its last anchor."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable

from django.apps import apps
from django.db import connection
from django.utils import timezone

from .models import AuditChainHead, canonical_json

GENESIS = "0" * 64
AUDIT_HEAD = 1


@dataclass(frozen=True)
class Chain:
    key: str                 # the name in an anchor line ("audit", "timeline")
    noun: str                # how messages name the table (Chinese)
    model: str               # "app_label.ModelName"
    head_pk: int
    seq_field: str
    canonical: Callable      # (row, extra) -> str: the text hashed, prev_hash included
    extras: Callable | None = None  # (rows) -> {row pk: extra} for content kept in other tables

    def model_class(self):
        return apps.get_model(self.model)


_CHAINS: dict[str, Chain] = {}


def register(chain: Chain) -> None:
    _CHAINS[chain.key] = chain


def chains() -> list[Chain]:
    """Every registered chain, the audit log first."""
    return sorted(_CHAINS.values(), key=lambda c: c.head_pk)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(values: list) -> str:
    return canonical_json(values)


@dataclass
class Head:
    """A chain head as locked: its last number and hash."""

    pk: int
    last_seq: int
    last_hash: str


def _head_sql(count: int) -> str:
    """The head lock as plain SQL: on the hot path of every problem intake, where composing the
    ORM query cost more than running it (docs/performance.md)."""
    quote = connection.ops.quote_name
    meta = AuditChainHead._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("id", "last_seq", "last_hash"))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} IN "
            f"({', '.join(['%s'] * count)}) ORDER BY {quote(meta.pk.column)}{lock}")


def lock_head(head_pk: int) -> Head:
    """Lock head row 1 (the audit log's) and then ``head_pk``, creating them if missing (a test
    database emptied by a flush); returns row ``head_pk`` as locked. Call inside a transaction."""
    wanted = sorted({AUDIT_HEAD, head_pk})

    def locked() -> dict[int, Head]:
        with connection.cursor() as cursor:
            cursor.execute(_head_sql(len(wanted)), wanted)
            return {row[0]: Head(*row) for row in cursor.fetchall()}

    rows = locked()
    if len(rows) < len(wanted):
        for pk in wanted:
            AuditChainHead.objects.get_or_create(pk=pk)
        rows = locked()
    return rows[head_pk]


def advance_head(head_pk: int, last_seq: int, last_hash: str) -> None:
    """Move a locked head on to the chain's new last row (plain SQL, as :func:`lock_head`)."""
    quote = connection.ops.quote_name
    meta = AuditChainHead._meta
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(meta.db_table)} SET {quote(meta.get_field('last_seq').column)} = %s, "
                       f"{quote(meta.get_field('last_hash').column)} = %s WHERE {quote(meta.pk.column)} = %s",
                       [last_seq, last_hash, head_pk])


def restart(head_pk: int) -> None:
    """Start the chain again from nothing (after a deliberate purge of all its rows)."""
    AuditChainHead.objects.filter(pk=head_pk).update(last_seq=0, last_hash=GENESIS)


# --- verification ----------------------------------------------------------------------------------

@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    last_hash: str = GENESIS
    chain: str = "audit"


def verify(chain: Chain, *, batch: int = 5000, start: tuple[int, str] | None = None) -> ChainReport:
    """Walk the chain in order and recompute every hash. With ``start=(n, hash)`` (an anchor
    trusted as checked before), begin there: row ``n`` must still carry that hash, and only the
    rows after it are walked (``checked`` still counts from row 1)."""
    model = chain.model_class()
    seq = chain.seq_field
    where = chain.noun if chain.key != "audit" else ""
    prev_hash, last = GENESIS, 0
    if start is not None and start[0] > 0:
        last, prev_hash = start
        row = model.objects.filter(**{seq: last}).only("hash").first()
        if row is None or row.hash != prev_hash:
            return ChainReport(False, 0, last, f"{where}第 {last} 条记录与锚点不符，记录被改动或删除",
                               chain=chain.key)
    expected = last + 1
    while True:
        rows = list(model.objects.filter(**{f"{seq}__gt": last}).order_by(seq)[:batch])
        if not rows:
            break
        extras = chain.extras(rows) if chain.extras else {}
        for row in rows:
            number = getattr(row, seq)
            if number != expected:
                return ChainReport(False, expected - 1, expected, f"{where}第 {expected} 条记录缺失", chain=chain.key)
            if row.prev_hash != prev_hash:
                return ChainReport(False, expected - 1, number,
                                   f"{where}第 {number} 条记录的前序哈希不符，之前的记录被改动或删除", chain=chain.key)
            if digest(chain.canonical(row, extras.get(row.pk))) != row.hash:
                return ChainReport(False, expected - 1, number, f"{where}第 {number} 条记录的内容与哈希不符，记录被篡改",
                                   chain=chain.key)
            prev_hash = row.hash
            expected += 1
        last = getattr(rows[-1], seq)
    checked = expected - 1
    head = AuditChainHead.objects.filter(pk=chain.head_pk).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev_hash):
        return ChainReport(False, checked, checked + 1,
                           f"{where or '日志'}末尾的记录被删除（与链头不符，链头记有 {head.last_seq} 条）", chain=chain.key)
    return ChainReport(True, checked, last_hash=prev_hash, chain=chain.key)


# --- anchors ---------------------------------------------------------------------------------------

class AnchorError(Exception):
    """The anchor file cannot be read or written; the message (Chinese) says why."""


@dataclass
class Anchor:
    at: str
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)  # chain key -> (count, hash)
    line: int = 0


def anchor_line(reports: list[ChainReport]) -> str:
    """One JSON line: the time, the audit log's length and last hash (``count``, ``hash``), and
    the same for every other chain under its key."""
    line: dict = {"at": timezone.now().astimezone(UTC).isoformat(timespec="seconds")}
    for report in reports:
        head = {"count": report.checked, "hash": report.last_hash}
        if report.chain == "audit":
            line.update(head)
        else:
            line[report.chain] = head
    return json.dumps(line, ensure_ascii=False, sort_keys=True)


def read_last_anchor(path: Path) -> Anchor | None:
    """The last anchor written to ``path``; None when the file does not exist or is empty."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise AnchorError(f"无法读取锚点文件 {path}：{error}") from error
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        return None
    number, line = lines[-1]
    try:
        data = json.loads(line)
        heads = {"audit": (int(data["count"]), str(data["hash"]))}
        for key, value in data.items():
            if isinstance(value, dict):
                heads[key] = (int(value["count"]), str(value["hash"]))
        return Anchor(at=str(data.get("at", "")), heads=heads, line=number)
    except (ValueError, KeyError, TypeError) as error:
        raise AnchorError(f"锚点文件 {path} 第 {number} 行格式不正确，无法核对") from error


def check_anchor(chain: Chain, report: ChainReport, anchor: Anchor) -> str:
    """'' when the verified chain extends the anchor, else why not (Chinese)."""
    if chain.key not in anchor.heads:
        return ""  # anchored before this chain existed
    count, anchored_hash = anchor.heads[chain.key]
    name = "审计日志" if chain.key == "audit" else chain.noun
    if report.checked < count:
        return (f"{name}现有 {report.checked} 条记录，少于 {anchor.at} 锚定时的 {count} 条："
                f"锚定之后有记录被删除")
    if count == 0:
        return ""
    row = chain.model_class().objects.filter(**{chain.seq_field: count}).only("hash").first()
    if row is None or row.hash != anchored_hash:
        return (f"{name}第 {count} 条记录的哈希与 {anchor.at} 的锚点不符："
                f"锚定时已有的记录被改写或整条链被重建")
    return ""


def write_anchor(path: Path, line: str) -> None:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError as error:
        raise AnchorError(f"无法写入锚点文件 {path}：{error}") from error

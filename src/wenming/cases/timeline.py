"""The problem timeline as a hash chain (``core.chain``), like the audit log.

Every ``ProblemEvent`` gets a number ``seq`` (1, 2, 3 … over all problems, in the order written),
the previous event's hash and its own: SHA-256 of what the event says — problem, action, who
(id and role), when, from and to which state, note, data, the ids of its photos — and the
previous hash. ``wenming audit-verify`` recomputes the chain, so an event edited, deleted or
stripped of a photo in the database is found, and ``wenming audit-anchor`` anchors its length
and last hash with the audit log's. The table and its photo links are append-only at the
database level too (``core.appendonly``).

Writers link events before inserting them: :func:`link` for model instances (``ProblemEvent.save``
does it for one event; ``events.record``, the Excel import and the demo generator call it
for what they insert without ``save``), :func:`link_rows` for the plain rows of bulk inserts."""

from __future__ import annotations

import json
from contextlib import contextmanager

from django.db import connection

from wenming.core import appendonly, audit, chain

HEAD = 2  # the timeline's row in core.AuditChainHead (1 is the audit log's)
TABLES = ("cases_problemevent", "cases_problemevent_photos")


def _plain(value):
    """``value`` as the database gives it back: JSON types only, and a float without a fraction
    as an int (PostgreSQL's jsonb keeps 1e16 as 10000000000000000)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def content(values: dict, photo_ids) -> str:
    """The text hashed for one event, from its field values (attnames) and photo ids."""
    data = _plain(json.loads(json.dumps(values.get("data") or {})))
    return chain.canonical([
        values["seq"], values["problem_id"], values["action"], values.get("actor_id"), values.get("actor_role") or "",
        chain.utc_text(values["at"]), values.get("from_state") or "", values.get("to_state") or "",
        values.get("note") or "", data, sorted(int(pk) for pk in photo_ids or ()), values["prev_hash"],
    ])


def _canonical(event, photo_ids) -> str:
    return content(event.__dict__, photo_ids)


def _photo_ids(events) -> dict[int, list[int]]:
    from .models import ProblemEvent

    through = ProblemEvent.photos.through
    found: dict[int, list[int]] = {}
    for event_id, photo_id in through.objects.filter(problemevent_id__in=[e.pk for e in events]).values_list(
            "problemevent_id", "photo_id"):
        found.setdefault(event_id, []).append(photo_id)
    return found


CHAIN = chain.Chain(key="timeline", noun="问题时间线", model="cases.ProblemEvent", head_pk=HEAD, seq_field="seq",
                    canonical=_canonical, extras=_photo_ids)
chain.register(CHAIN)


def link_rows(rows: list[dict], photo_ids: list | None = None) -> None:
    """Give each row (a dict of field attnames, for a bulk insert) its ``seq``, ``prev_hash`` and
    ``hash``, in order, under the chain head's lock; the rows must be inserted in the same
    transaction. ``photo_ids[i]`` are the photos the i-th row will be linked to."""
    if not rows:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("timeline events are linked inside the transaction that inserts them")
    head = chain.lock_head(HEAD)
    seq, prev_hash = head.last_seq, head.last_hash
    for index, row in enumerate(rows):
        seq += 1
        row["seq"], row["prev_hash"] = seq, prev_hash
        row["hash"] = prev_hash = chain.digest(content(row, photo_ids[index] if photo_ids else ()))
    chain.advance_head(HEAD, seq, prev_hash)


def link(events: list, photo_ids: list | None = None) -> None:
    """:func:`link_rows` for unsaved ``ProblemEvent`` instances."""
    rows = [event.__dict__ for event in events]
    for event in events:
        if event.at is None:
            raise ValueError("a timeline event needs its time before it is linked")
    link_rows(rows, photo_ids)


@contextmanager
def purging(reason: str):
    """For emptying the whole timeline on purpose (``wenming demo --reset``): lifts the
    append-only guards for the block, checks that no event is left, starts a new chain and
    records in the audit log how long the old one was and its last hash. An anchor taken before
    no longer matches afterwards — rightly: the history it vouched for is gone."""
    from .models import ProblemEvent

    with appendonly.lifted(TABLES):
        head = chain.lock_head(HEAD)
        old = (head.last_seq, head.last_hash)
        yield
        if ProblemEvent.objects.exists():
            raise RuntimeError("the timeline is purged whole or not at all")
        chain.restart(HEAD)
        audit.record("cases.timeline_purge", username="cli", target="问题时间线",
                     detail={"events": old[0], "last_hash": old[1], "reason": reason})

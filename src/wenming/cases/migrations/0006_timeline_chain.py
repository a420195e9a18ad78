"""The problem timeline becomes a hash chain (cases.timeline) and append-only in the database
(core.appendonly): the events already there are chained in id order, the chain's head is row 2
of core.AuditChainHead, then the guard triggers go on the events and their photo links."""

import hashlib
import json
from datetime import UTC

import django.db.models.deletion
from django.db import migrations, models

from wenming.core.appendonly import install_statements, uninstall_statements

GENESIS = "0" * 64
HEAD = 2
TABLES = ("cases_problemevent", "cases_problemevent_photos")


def _plain(value):  # as cases.timeline._plain (a migration keeps its own copy of what it hashes)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _content(event, photo_ids) -> str:
    data = _plain(json.loads(json.dumps(event.data or {})))
    values = [event.seq, event.problem_id, event.action, event.actor_id, event.actor_role or "",
              event.at.astimezone(UTC).isoformat(timespec="microseconds"), event.from_state or "",
              event.to_state or "", event.note or "", data, sorted(photo_ids), event.prev_hash]
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def chain_existing(apps, schema_editor):
    ProblemEvent = apps.get_model("cases", "ProblemEvent")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    through = ProblemEvent.photos.through
    seq, prev_hash, last_id = 0, GENESIS, 0
    while True:
        events = list(ProblemEvent.objects.filter(id__gt=last_id).order_by("id")[:2000])
        if not events:
            break
        photos: dict[int, list[int]] = {}
        for event_id, photo_id in through.objects.filter(problemevent_id__in=[e.pk for e in events]).values_list(
                "problemevent_id", "photo_id"):
            photos.setdefault(event_id, []).append(photo_id)
        for event in events:
            seq += 1
            event.seq, event.prev_hash = seq, prev_hash
            event.hash = prev_hash = hashlib.sha256(_content(event, photos.get(event.pk, [])).encode()).hexdigest()
        ProblemEvent.objects.bulk_update(events, ["seq", "prev_hash", "hash"])
        last_id = events[-1].pk
    AuditChainHead.objects.update_or_create(pk=HEAD, defaults={"last_seq": seq, "last_hash": prev_hash})


def guard(apps, schema_editor):
    for table in TABLES:
        for statement in install_statements(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)


def unguard(apps, schema_editor):
    for table in TABLES:
        for statement in uninstall_statements(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0005_outbound_message_to_core"),
        ("core", "0005_audit_guards"),
    ]

    operations = [
        migrations.AddField("problemevent", "seq", models.BigIntegerField(null=True, editable=False)),
        migrations.AddField("problemevent", "prev_hash", models.CharField(max_length=64, default="", editable=False),
                            preserve_default=False),
        migrations.AddField("problemevent", "hash", models.CharField(max_length=64, default="", editable=False),
                            preserve_default=False),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField("problemevent", "seq", models.BigIntegerField(unique=True, editable=False)),
        migrations.AlterField(
            "problemevent", "problem",
            models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="events", to="cases.problem"),
        ),
        migrations.RunPython(guard, unguard),
    ]

"""The record of outbound messages moves to core (core.OutboundMessage, see core.outbound): its
rows are copied there, oldest first, with their times, and the cases table is dropped.

Old rows map as: "sent" → sent (one attempt, sent when recorded); "failed" → failed (one
attempt); "queued" — left by the old in-request sender when its process died between recording
and sending, or by a backend that never sent it — → failed, since nobody knows whether it left
and sending it days later would be worse than not sending it."""

from contextlib import contextmanager

from django.db import migrations

BATCH = 1000
UNKNOWN = "升级前未确认是否发出，未重发"


@contextmanager
def keeping_created_at(model):
    """auto_now_add would stamp the copies with the migration's time; these historical models
    belong to this migration alone, so the flag is lifted while copying."""
    field = model._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def copy_in_batches(rows, model) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


def forward(apps, schema_editor):
    Old = apps.get_model("cases", "OutboundMessage")
    New = apps.get_model("core", "OutboundMessage")

    def converted():
        for old in Old.objects.order_by("id").iterator(chunk_size=BATCH):
            sent = old.status == "sent"
            yield New(channel=old.channel if old.channel in ("sms", "email") else "sms", to=old.to,
                      subject=old.subject, body=old.body, status="sent" if sent else "failed", attempts=1,
                      last_error="" if sent or old.status == "failed" else UNKNOWN,
                      created_at=old.created_at, sent_at=old.created_at if sent else None)

    with keeping_created_at(New):
        copy_in_batches(converted(), New)


def backward(apps, schema_editor):
    Old = apps.get_model("cases", "OutboundMessage")
    New = apps.get_model("core", "OutboundMessage")
    rows = (Old(channel=m.channel, to=m.to, subject=m.subject, body=m.body, created_at=m.created_at,
                status="sent" if m.status == "sent" else "failed")
            for m in New.objects.order_by("created_at", "id").iterator(chunk_size=BATCH))
    with keeping_created_at(Old):
        copy_in_batches(rows, Old)
    New.objects.all().delete()  # moved back: applying this migration again must not copy them twice


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0004_notice_missed_deadline"),
        ("core", "0006_outbound_message"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(name="OutboundMessage"),
    ]

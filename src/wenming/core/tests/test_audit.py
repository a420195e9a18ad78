"""The audit log is append-only and tamper-evident."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wenming.core import audit
from wenming.core.models import AuditEvent


def _tamper(sql: str, params=()):
    """What a DBA with full rights could do: lift the append-only trigger and change rows."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
        else:
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change")
        cursor.execute(sql, params)


@pytest.fixture
def events(db):
    for index in range(5):
        audit.record("test.event", username=f"user{index}", detail={"n": index, "名称": "测试"})
    return list(AuditEvent.objects.order_by("id"))


def test_chain_passes_on_untouched_log(events, capsys):
    report = audit.verify_chain()
    assert report.ok and report.checked == 5
    assert [e.id for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64 and events[1].prev_hash == events[0].hash
    call_command("audit_verify")
    assert "共 5 条记录" in capsys.readouterr().out


def test_orm_refuses_changes(events):
    event = events[2]
    event.action = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=1).update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_database_refuses_update(events):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditevent SET action = 'x' WHERE id = 1")


def test_tampered_row_is_detected(events):
    _tamper("UPDATE core_auditevent SET actor_username = 'someone_else' WHERE id = 3")
    report = audit.verify_chain()
    assert not report.ok and report.first_bad_id == 3 and "篡改" in report.reason
    with pytest.raises(CommandError, match="审计日志校验失败"):
        call_command("audit_verify")


def test_rehashed_row_breaks_the_next_link(events):
    # a forger who also recomputes the row's own hash still breaks row 4's link
    forged = AuditEvent.objects.get(pk=3)
    forged.detail = {"n": 99}
    new_hash = audit.compute_hash(forged)
    _tamper("UPDATE core_auditevent SET detail = %s, hash = %s WHERE id = 3", ['{"n": 99}', new_hash])
    report = audit.verify_chain()
    assert not report.ok and report.first_bad_id == 4


def test_deleted_rows_are_detected(events):
    _tamper("DELETE FROM core_auditevent WHERE id = 2")
    report = audit.verify_chain()
    assert not report.ok and report.first_bad_id == 2 and "缺失" in report.reason


def test_deleted_last_row_is_detected(events):
    _tamper("DELETE FROM core_auditevent WHERE id = 5")
    report = audit.verify_chain()
    assert not report.ok and "末尾" in report.reason

"""The audit log is append-only and tamper-evident."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wenming.core import audit
from wenming.core.models import AuditEvent
from wenming.core.tests.helpers import tamper


def _tamper(sql: str, params=None):
    """What a DBA with full rights could do: lift the append-only triggers and change rows."""
    tamper("core_auditevent", sql, params)


@pytest.fixture(autouse=True)
def _no_anchor_file(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors.jsonl"


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


def test_database_refuses_delete(events):
    from django.db import DatabaseError, transaction

    for sql in ("DELETE FROM core_auditevent WHERE id = 5", "DELETE FROM core_auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert AuditEvent.objects.count() == 5


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="TRUNCATE is PostgreSQL's")
def test_database_refuses_truncate(events):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE core_auditevent")
    assert AuditEvent.objects.count() == 5


def test_truncated_log_is_detected(events):
    _tamper("TRUNCATE core_auditevent" if connection.vendor == "postgresql" else "DELETE FROM core_auditevent")
    report = audit.verify_chain()
    assert not report.ok and report.checked == 0 and "末尾" in report.reason and "5 条" in report.reason
    with pytest.raises(CommandError, match="审计日志校验失败"):
        call_command("audit_verify")


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
    _tamper("UPDATE core_auditevent SET detail_json = %s, hash = %s WHERE id = 3", [forged.detail_json, new_hash])
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


def test_numbers_survive_the_round_trip(db):
    # a JSON column may turn 1e16 into an int; the stored canonical text is what is hashed
    audit.record("test.numbers", username="x", detail={"big": 1e16, "rate": 95.55, "n": 3, "名称": "得分率"})
    report = audit.verify_chain()
    assert report.ok and AuditEvent.objects.get().detail == {"big": 1e16, "rate": 95.55, "n": 3, "名称": "得分率"}


def test_chain_head_is_seeded_by_migration(db):
    from wenming.core.models import AuditChainHead

    assert AuditChainHead.objects.filter(pk=1, last_seq=0).exists()


def test_audit_log_is_scoped(login, personas, org, client):
    from django.urls import reverse

    from wenming.org.models import Membership, Role

    # a refusal and a failed login of district A's handler, a login failure of an unknown name
    login("handler_street_a1").get(reverse("org:accounts"))
    client.post(reverse("login"), {"username": "handler_street_a1", "password": "wrong-password-1"})
    client.post(reverse("login"), {"username": "nobody_here", "password": "wrong-password-1"})
    # district B's handler is refused too
    login("outsider")  # no membership: his events have no unit
    Membership.objects.create(user=personas["outsider"], unit=org["street_b1"], role=Role.HANDLER)
    login("outsider").get(reverse("org:accounts"))

    def seen(persona):
        page = login(persona).get(reverse("audit_log"))
        return {(e.actor_username, e.action, e.result) for e in page.context["page"]}

    district = seen("office_district_a")
    assert ("handler_street_a1", "access.refused", "denied") in district
    assert ("handler_street_a1", "auth.login", "failure") in district
    assert not any(name in {"outsider", "nobody_here"} for name, _, _ in district)
    city = seen("office_city")
    assert {("outsider", "access.refused", "denied"), ("nobody_here", "auth.login", "failure")} <= city
    # an admin at a street sees that street only
    Membership.objects.create(user=personas["grid_worker"], unit=org["street_b1"], role=Role.ADMIN)
    street_admin = seen("grid_worker")
    assert ("outsider", "access.refused", "denied") in street_admin
    assert not any(name == "handler_street_a1" for name, _, _ in street_admin)

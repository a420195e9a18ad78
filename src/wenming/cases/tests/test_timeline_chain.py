"""The problem timeline is append-only in the database and hash-chained: `wenming audit-verify`
finds an event edited, deleted or stripped of a photo by someone who lifted the triggers, and
an anchor finds the newest events removed together with the chain head."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from wenming.cases import timeline
from wenming.cases.intake import services as intake_services
from wenming.cases.ledger import transfer
from wenming.cases.models import Problem, ProblemEvent
from wenming.cases.workflow import services
from wenming.core import chain
from wenming.core.models import AuditChainHead, AuditEvent
from wenming.core.tests.helpers import tamper


@pytest.fixture(autouse=True)
def _anchor_file(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors.jsonl"
    return settings.AUDIT_ANCHOR_FILE


@pytest.fixture
def walked(personas, org, intake, make_photo):
    """Two problems: one reported with a photo, accepted and assigned; one just reported."""
    inspector, district = personas["inspector"], personas["office_district_a"]
    problem, _ = intake_services.problem_report(actor=inspector, intake=intake(), photos=[make_photo(inspector)])
    problem = services.problem_accept(actor=district, problem=problem)
    problem = services.problem_assign(actor=district, problem=problem, unit=org["street_a1"])
    other, _ = intake_services.problem_report(actor=inspector, intake=intake(title="暴露垃圾", address="人民路1号"))
    return problem, other


def _events():
    return list(ProblemEvent.objects.order_by("seq"))


def _verify_fails(match: str):
    with pytest.raises(CommandError, match=match):
        call_command("audit_verify")


def test_events_are_chained_in_the_order_written(walked, capsys):
    events = _events()
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert [e.action for e in events] == ["report", "accept", "assign", "report"]
    assert events[0].prev_hash == chain.GENESIS and all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert events[0].photos.count() == 1
    head = AuditChainHead.objects.get(pk=timeline.HEAD)
    assert (head.last_seq, head.last_hash) == (4, events[-1].hash)
    report = chain.verify(timeline.CHAIN)
    assert report.ok and report.checked == 4
    call_command("audit_verify")
    assert "问题时间线完整：共 4 条记录" in capsys.readouterr().out


def test_database_refuses_update_and_delete(walked):
    statements = ["UPDATE cases_problemevent SET note = 'x' WHERE seq = 1",
                  "DELETE FROM cases_problemevent WHERE seq = 4",
                  "DELETE FROM cases_problemevent_photos"]
    if connection.vendor == "postgresql":
        statements += ["TRUNCATE cases_problemevent CASCADE", "TRUNCATE cases_problemevent_photos"]
    for sql in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                if sql.startswith("TRUNCATE"):  # (PostgreSQL checks the test's own deferred foreign keys first)
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(sql)
    assert ProblemEvent.objects.count() == 4 and ProblemEvent.photos.through.objects.count() == 1
    assert ProblemEvent.objects.get(seq=1).note == "水果摊占用人行道"


def test_orm_refuses_to_edit_or_delete(walked):
    problem, other = walked
    event = ProblemEvent.objects.get(seq=4)
    event.note = "改过"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(ProtectedError):  # deleting a problem would take its timeline with it
        Problem.objects.filter(pk=other.pk).delete()
    assert Problem.objects.count() == 2 and ProblemEvent.objects.count() == 4


def test_edited_event_is_detected(walked):
    tamper("cases_problemevent", "UPDATE cases_problemevent SET note = '已整改' WHERE seq = 2")
    _verify_fails("审计日志校验失败：问题时间线第 2 条记录的内容与哈希不符，记录被篡改")


def test_rehashed_event_breaks_the_next_link(walked):
    forged = ProblemEvent.objects.get(seq=2)
    forged.note = "已整改"
    new_hash = chain.digest(timeline.content(forged.__dict__, []))
    tamper("cases_problemevent", "UPDATE cases_problemevent SET note = %s, hash = %s WHERE seq = 2",
           [forged.note, new_hash])
    _verify_fails("问题时间线第 3 条记录的前序哈希不符")


def test_deleted_event_is_detected(walked):
    tamper("cases_problemevent", "DELETE FROM cases_problemevent WHERE seq = 2")
    _verify_fails("问题时间线第 2 条记录缺失")


def test_deleted_newest_event_is_detected(walked):
    tamper("cases_problemevent", "DELETE FROM cases_problemevent WHERE seq = 4")
    _verify_fails("问题时间线末尾的记录被删除.*链头记有 4 条")


def test_removed_photo_is_detected(walked):
    tamper("cases_problemevent_photos", "DELETE FROM cases_problemevent_photos")
    _verify_fails("问题时间线第 1 条记录的内容与哈希不符")


def test_anchor_catches_newest_events_removed_with_the_head(walked, _anchor_file):
    call_command("audit_anchor")
    line = json.loads(_anchor_file.read_text().splitlines()[-1])
    assert line["timeline"] == {"count": 4, "hash": ProblemEvent.objects.get(seq=4).hash}
    # a careful forger deletes the last event and its problem's report, and rewinds the head
    tamper("cases_problemevent", "DELETE FROM cases_problemevent WHERE seq = 4")
    third = ProblemEvent.objects.get(seq=3)
    AuditChainHead.objects.filter(pk=timeline.HEAD).update(last_seq=3, last_hash=third.hash)
    assert chain.verify(timeline.CHAIN).ok
    _verify_fails("问题时间线现有 3 条记录，少于 .* 锚定时的 4 条")


def test_import_and_saved_events_are_chained(personas, org, category):
    from wenming.cases.tests.test_transfer import GOOD_ROWS, xlsx

    office = personas["office_district_a"]
    report = transfer.import_problems(actor=office, data=xlsx(GOOD_ROWS), filename="反馈清单.xlsx")
    assert report.ok, report.errors
    problem = Problem.objects.order_by("id").first()
    from django.utils import timezone

    ProblemEvent.objects.create(problem=problem, action="warn", at=timezone.now(), note="即将到期")
    assert [e.action for e in _events()] == ["report", "report", "assign", "report", "warn"]
    report = chain.verify(timeline.CHAIN)
    assert report.ok and report.checked == 5


def test_demo_reset_purges_the_timeline_and_starts_a_new_chain(walked, personas, intake):
    from wenming.demo.build import _reset_cases

    old_head = AuditChainHead.objects.get(pk=timeline.HEAD).last_hash
    _reset_cases()
    assert not ProblemEvent.objects.exists() and not Problem.objects.exists()
    purge = AuditEvent.objects.get(action="cases.timeline_purge")
    assert purge.detail["events"] == 4 and purge.detail["last_hash"] == old_head
    intake_services.problem_report(actor=personas["inspector"], intake=intake())
    assert [e.seq for e in _events()] == [1]
    call_command("audit_verify")
    # and the guards are back
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cases_problemevent")

"""Anchors: the audit chain's length and last hash, written to a file kept outside the database,
catch what the chain alone cannot — rows removed from the end together with the chain head, or
a whole chain rebuilt."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wenming.core import audit
from wenming.core.models import AuditChainHead, AuditEvent
from wenming.core.tests.helpers import tamper


@pytest.fixture
def anchor_file(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "default-anchors.jsonl"
    return tmp_path / "offsite" / "anchors.jsonl"


@pytest.fixture
def events(db):
    for index in range(6):
        audit.record("test.event", username=f"user{index}", detail={"n": index})
    return list(AuditEvent.objects.order_by("id"))


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _cut_tail_and_head(keep: int):
    """A careful forger: removes the newest rows and points the chain head at the last one kept."""
    tamper("core_auditevent", "DELETE FROM core_auditevent WHERE id > %s", [keep])
    last = AuditEvent.objects.get(pk=keep)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1", [keep, last.hash])


def test_anchor_appends_count_hash_and_time(events, anchor_file, capsys):
    call_command("audit_anchor", "--file", str(anchor_file))
    assert "已锚定：审计日志 6 条" in capsys.readouterr().out
    audit.record("test.event", username="later")
    call_command("audit_anchor", "--file", str(anchor_file))
    first, second = _lines(anchor_file)
    assert (first["count"], first["hash"]) == (6, events[-1].hash)
    assert (second["count"], second["hash"]) == (7, AuditEvent.objects.get(pk=7).hash)
    assert first["at"].endswith("+00:00") and second["at"] >= first["at"]


def test_default_anchor_file_comes_from_settings(events, anchor_file, settings):
    call_command("audit_anchor")
    assert _lines(settings.AUDIT_ANCHOR_FILE)[0]["count"] == 6
    call_command("audit_verify")  # the default file is checked when it exists


def test_verify_passes_while_the_chain_extends_the_anchor(events, anchor_file, capsys):
    call_command("audit_anchor", "--file", str(anchor_file))
    audit.record("test.event", username="later")
    call_command("audit_verify", "--anchor", str(anchor_file))
    out = capsys.readouterr().out
    assert "共 7 条记录" in out and "与锚点一致" in out


def test_deleting_the_newest_rows_after_an_anchor_is_detected(events, anchor_file):
    call_command("audit_anchor", "--file", str(anchor_file))
    _cut_tail_and_head(keep=4)
    # the chain alone is consistent again: the forger rewrote its head
    assert audit.verify_chain().ok and audit.verify_chain().checked == 4
    with pytest.raises(CommandError, match="审计日志校验失败：审计日志现有 4 条记录，少于 .* 锚定时的 6 条"):
        call_command("audit_verify", "--anchor", str(anchor_file))


def test_a_rebuilt_chain_is_detected(events, anchor_file):
    call_command("audit_anchor", "--file", str(anchor_file))
    # everything deleted and a forged history of the same length and more written in its place
    tamper("core_auditevent", "DELETE FROM core_auditevent")
    AuditChainHead.objects.filter(pk=1).update(last_seq=0, last_hash=audit.GENESIS)
    for index in range(8):
        audit.record("test.event", username=f"forged{index}")
    assert audit.verify_chain().ok
    with pytest.raises(CommandError, match="第 6 条记录的哈希与 .* 的锚点不符"):
        call_command("audit_verify", "--anchor", str(anchor_file))


def test_anchor_refuses_a_chain_that_no_longer_extends_the_last_anchor(events, anchor_file):
    call_command("audit_anchor", "--file", str(anchor_file))
    _cut_tail_and_head(keep=4)
    audit.record("test.event", username="after the cut")
    with pytest.raises(CommandError, match="未写入锚点：第 6 条记录与锚点不符"):
        call_command("audit_anchor", "--file", str(anchor_file))
    assert len(_lines(anchor_file)) == 1


def test_anchor_refuses_a_broken_chain(events, anchor_file):
    tamper("core_auditevent", "UPDATE core_auditevent SET actor_username = 'x' WHERE id = 2")
    with pytest.raises(CommandError, match="未写入锚点：第 2 条记录的内容与哈希不符"):
        call_command("audit_anchor", "--file", str(anchor_file))
    assert not anchor_file.exists()


def test_missing_or_unreadable_anchor_file(events, anchor_file, capsys):
    with pytest.raises(CommandError, match="锚点文件 .* 不存在或为空"):
        call_command("audit_verify", "--anchor", str(anchor_file))
    call_command("audit_verify")  # no default file yet: the chain is checked, the anchor is not
    assert "未核对锚点" in capsys.readouterr().out
    anchor_file.parent.mkdir(parents=True)
    anchor_file.write_text('{"count": 3, "hash": "abc"}\nnot json\n', encoding="utf-8")
    with pytest.raises(CommandError, match="第 2 行格式不正确"):
        call_command("audit_verify", "--anchor", str(anchor_file))
    with pytest.raises(CommandError, match="未写入锚点：.*第 2 行格式不正确"):
        call_command("audit_anchor", "--file", str(anchor_file))

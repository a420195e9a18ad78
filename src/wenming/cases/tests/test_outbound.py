"""Text messages of the rectification loop leave after the action's transaction commits, through
the task queue — never while the problem row (and, on SQLite, the database) is locked."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from wenming.cases.intake import services as intake_services
from wenming.cases.models import Problem, State
from wenming.cases.workflow import services
from wenming.core.models import OutboundMessage
from wenming.core.tests.helpers import LocalGateway, run_pending_tasks


@pytest.fixture
def reported(personas, intake):
    problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    return problem


def assign(personas, org, problem):
    return services.problem_assign(actor=personas["office_district_a"], problem=problem, unit=org["street_a1"],
                                   deadline=timezone.now() + timedelta(days=3))


@pytest.mark.django_db
def test_no_sms_leaves_when_the_action_rolls_back(settings, personas, org, reported,
                                                  django_capture_on_commit_callbacks):
    with LocalGateway() as gateway:
        settings.OUTBOUND_BACKEND, settings.SMS_URL = "sms-http", gateway.url
        with django_capture_on_commit_callbacks(execute=True):
            with pytest.raises(RuntimeError), transaction.atomic():
                assign(personas, org, reported)
                raise RuntimeError("a later step of the same request fails")
        run_pending_tasks()
    reported.refresh_from_db()
    assert reported.state == State.REPORTED
    assert gateway.calls == []
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db
def test_the_assignment_sms_is_queued_and_sent_after_commit(settings, personas, org, reported,
                                                            django_capture_on_commit_callbacks):
    with LocalGateway() as gateway:
        settings.OUTBOUND_BACKEND, settings.SMS_URL = "sms-http", gateway.url
        with django_capture_on_commit_callbacks(execute=True):
            assign(personas, org, reported)
        assert gateway.calls == []  # the action itself sent nothing
        message = OutboundMessage.objects.get()
        assert (message.channel, message.to, message.status, message.attempts) == ("sms", "13800001234", "queued", 0)
        assert run_pending_tasks() == 1
    assert [payload["phone"] for payload, _ in gateway.calls] == ["13800001234"]
    assert gateway.calls[0][0]["text"].startswith(f"【创城办】交办：{reported.code}")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, "")
    assert message.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_failing_gateway_is_called_only_after_the_action_committed(settings, personas, org, intake):
    """Real commits: the gateway, reading the database over its own connection when it is called,
    must already see the problem 已交办 — the action did not wait for it, nor hold its lock."""
    problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())

    def state_seen():
        return Problem.objects.get(pk=problem.pk).state

    with LocalGateway(statuses=[503], observe=state_seen) as gateway:
        settings.OUTBOUND_BACKEND, settings.SMS_URL = "sms-http", gateway.url
        assign(personas, org, problem)
        assert gateway.calls == []
        assert Problem.objects.get(pk=problem.pk).state == State.ASSIGNED
        assert run_pending_tasks() == 1
    assert [seen for _, seen in gateway.calls] == [State.ASSIGNED]
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts, message.last_error) == ("queued", 1, "短信网关返回 HTTP 503")
    assert message.next_attempt_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_recorded_messages_to_core_and_back():
    """From main before the move (the record in cases) to core, keeping each row's time; a queued
    row of the old in-request sender, never confirmed, is not sent again. And back."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("cases", "0004_notice_missed_deadline")]
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    executor.loader.build_graph()
    Old = executor.loader.project_state(before).apps.get_model("cases", "OutboundMessage")
    at = timezone.now() - timedelta(days=30)
    for status in ("sent", "failed", "queued"):
        old = Old.objects.create(channel="sms", to="13912345678", body=f"【创城办】{status}", status=status)
        Old.objects.filter(pk=old.pk).update(created_at=at)
    Old.objects.create(channel="email", to="zhang@example.gov.cn", subject="督办提醒", body="请整改")

    executor = MigrationExecutor(connection)
    executor.migrate(leaves)
    rows = {m.body: m for m in OutboundMessage.objects.all()}
    assert {body: (m.channel, m.to, m.status, m.attempts, m.last_error) for body, m in rows.items()} == {
        "【创城办】sent": ("sms", "13912345678", "sent", 1, ""),
        "【创城办】failed": ("sms", "13912345678", "failed", 1, ""),
        "【创城办】queued": ("sms", "13912345678", "failed", 1, "升级前未确认是否发出，未重发"),
        "请整改": ("email", "zhang@example.gov.cn", "sent", 1, ""),
    }
    assert rows["【创城办】sent"].created_at == rows["【创城办】sent"].sent_at == at
    assert rows["请整改"].subject == "督办提醒"
    assert "cases_outboundmessage" not in connection.introspection.table_names()

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert not OutboundMessage.objects.exists()
    Old = executor.loader.project_state(before).apps.get_model("cases", "OutboundMessage")
    assert sorted(Old.objects.values_list("body", "status")) == [
        ("【创城办】failed", "failed"), ("【创城办】queued", "failed"), ("【创城办】sent", "sent"), ("请整改", "sent")]
    MigrationExecutor(connection).migrate(leaves)
    assert OutboundMessage.objects.count() == 4

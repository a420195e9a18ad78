"""The outbound channel: messages recorded in the asking transaction, delivered after commit by the
task queue, retried with backoff, their failures shown (masked) to the city office."""

import logging
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from wenming.core import outbound
from wenming.core.models import AuditEvent, OutboundMessage
from wenming.core.tests.helpers import LocalGateway, run_pending_tasks

PHONE = "13912345678"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Clock:
    """The time as Django (and the task queue's "is it due yet?") reads it, moved by the test."""

    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


@contextmanager
def clock_at(at):
    clock = Clock(at)
    with mock.patch("django.utils.timezone.now", clock):
        yield clock


@pytest.fixture
def gateway_settings(settings):
    settings.OUTBOUND_BACKEND = "sms-http"
    settings.OUTBOUND_MAX_ATTEMPTS = 3
    settings.OUTBOUND_RETRY_SECONDS = 60
    return settings


def queue_sms(capture, phone=PHONE, text="【创城办】测试短信"):
    with capture(execute=True):
        return outbound.send_sms(phone, text)


@pytest.mark.django_db
def test_failing_gateway_is_retried_with_backoff_until_the_last_attempt(gateway_settings,
                                                                       django_capture_on_commit_callbacks):
    with LocalGateway(statuses=[503]) as gateway, clock_at(T0) as clock:
        gateway_settings.SMS_URL = gateway.url
        message = queue_sms(django_capture_on_commit_callbacks)

        assert run_pending_tasks() == 1  # attempt 1
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == ("queued", 1, "短信网关返回 HTTP 503")
        assert message.next_attempt_at == T0 + timedelta(seconds=60)

        assert run_pending_tasks() == 0  # not due yet: the gateway is left alone
        assert len(gateway.calls) == 1

        clock.at = message.next_attempt_at  # attempt 2, then the delay doubles
        assert run_pending_tasks() == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("queued", 2)
        assert message.next_attempt_at == clock.at + timedelta(seconds=120)

        clock.at = message.next_attempt_at - timedelta(seconds=1)
        assert run_pending_tasks() == 0
        clock.at = message.next_attempt_at  # attempt 3 of 3: given up
        assert run_pending_tasks() == 1
        assert run_pending_tasks() == 0
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("failed", 3, "短信网关返回 HTTP 503")
    assert message.next_attempt_at is None and message.sent_at is None
    assert [payload for payload, _ in gateway.calls] == [{"phone": PHONE, "text": "【创城办】测试短信"}] * 3


@pytest.mark.django_db
def test_a_gateway_that_recovers_gets_the_message_on_the_retry(gateway_settings, django_capture_on_commit_callbacks):
    with LocalGateway(statuses=[500, 200]) as gateway, clock_at(T0) as clock:
        gateway_settings.SMS_URL = gateway.url
        message = queue_sms(django_capture_on_commit_callbacks)
        run_pending_tasks()
        clock.at = T0 + timedelta(seconds=60)
        assert run_pending_tasks() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == ("sent", 2, T0 + timedelta(seconds=60))
    assert message.last_error == "短信网关返回 HTTP 500"  # what went wrong on the way stays on record
    assert message.next_attempt_at is None and len(gateway.calls) == 2


@pytest.mark.django_db
def test_an_unreachable_gateway_is_a_failed_attempt(gateway_settings, django_capture_on_commit_callbacks):
    with LocalGateway() as gateway:
        url = gateway.url
    gateway_settings.SMS_URL = url  # nobody listens there any more
    gateway_settings.OUTBOUND_MAX_ATTEMPTS = 1
    message = queue_sms(django_capture_on_commit_callbacks)
    assert run_pending_tasks() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error.startswith("无法连接短信网关")
    assert PHONE not in message.last_error


@pytest.mark.django_db
def test_no_gateway_configured_fails_with_a_clear_reason(gateway_settings, django_capture_on_commit_callbacks):
    gateway_settings.SMS_URL = ""
    gateway_settings.OUTBOUND_MAX_ATTEMPTS = 1
    message = queue_sms(django_capture_on_commit_callbacks)
    run_pending_tasks()
    message.refresh_from_db()
    assert (message.status, message.last_error) == ("failed", "未配置短信网关地址（WENMING_SMS_URL）")


@pytest.mark.django_db
def test_nothing_is_recorded_or_sent_when_the_transaction_rolls_back(gateway_settings,
                                                                     django_capture_on_commit_callbacks):
    with LocalGateway() as gateway:
        gateway_settings.SMS_URL = gateway.url
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                outbound.send_sms(PHONE, "不该发出")
                raise RuntimeError
        assert callbacks == [] and run_pending_tasks() == 0
    assert gateway.calls == [] and not OutboundMessage.objects.exists()


@pytest.mark.django_db
def test_record_backend_marks_sent_without_leaving(settings, django_capture_on_commit_callbacks):
    settings.OUTBOUND_BACKEND = "record"
    settings.SMS_URL = "http://127.0.0.1:9/never-called"
    message = queue_sms(django_capture_on_commit_callbacks)
    assert OutboundMessage.objects.get().status == "queued"
    assert run_pending_tasks() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, "")


@pytest.mark.django_db
def test_email_backend_sends_through_django_mail(settings, django_capture_on_commit_callbacks):
    settings.OUTBOUND_BACKEND = "sms-http,email"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        message = outbound.send_email("zhang@example.gov.cn", "督办提醒", "请于本周五前整改完毕")
    assert mail.outbox == []  # not before the queue runs
    run_pending_tasks()
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [(["zhang@example.gov.cn"], "督办提醒", "请于本周五前整改完毕")]
    message.refresh_from_db()
    assert (message.channel, message.status, message.attempts) == ("email", "sent", 1)


class RefusingBackend:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"mailbox unavailable")})


@pytest.mark.django_db
def test_email_failures_keep_the_address_out_of_the_error(settings, django_capture_on_commit_callbacks):
    settings.OUTBOUND_BACKEND = "email"
    settings.OUTBOUND_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        message = outbound.send_email("zhang@example.gov.cn", "督办提醒", "请整改")
    run_pending_tasks()
    message.refresh_from_db()
    assert message.status == "failed" and message.last_error.startswith("邮件发送失败：SMTPRecipientsRefused")
    assert "zhang@example.gov.cn" not in message.last_error and "z***@example.gov.cn" in message.last_error


@pytest.mark.django_db
def test_phone_numbers_never_reach_the_log(gateway_settings, django_capture_on_commit_callbacks, caplog):
    gateway_settings.OUTBOUND_MAX_ATTEMPTS = 1
    with LocalGateway(statuses=[502]) as gateway, caplog.at_level(logging.DEBUG):
        gateway_settings.SMS_URL = gateway.url
        message = queue_sms(django_capture_on_commit_callbacks)
        run_pending_tasks()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"outbound message {message.pk} (sms to 139****5678) attempt 1/1 failed" in logged
    assert PHONE not in logged


@pytest.mark.django_db
def test_a_second_task_for_the_same_attempt_sends_nothing(settings, django_capture_on_commit_callbacks):
    settings.OUTBOUND_BACKEND = "sms-http"
    with LocalGateway() as gateway:
        settings.SMS_URL = gateway.url
        message = queue_sms(django_capture_on_commit_callbacks)
        outbound.deliver.enqueue(message.pk, 1)  # e.g. queued again by the sweeper while the first waited
        assert run_pending_tasks() == 2
    assert len(gateway.calls) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


@pytest.mark.django_db
def test_sweep_requeues_what_no_worker_took(settings):
    settings.OUTBOUND_MAX_ATTEMPTS = 3
    with clock_at(T0) as clock:
        lost = outbound.send_sms(PHONE, "队列不可用时提交的短信")  # its on-commit never ran: no task
        dead = OutboundMessage.objects.create(channel="sms", to=PHONE, body="发送中任务进程中断", attempts=3,
                                              next_attempt_at=T0 + outbound.CLAIM_LEASE)
        waiting = OutboundMessage.objects.create(channel="sms", to=PHONE, body="等待重试", attempts=1,
                                                 last_error="短信网关返回 HTTP 503",
                                                 next_attempt_at=T0 + timedelta(hours=1))
        assert outbound.resubmit_stale() == 0
        clock.at = T0 + timedelta(minutes=30)
        assert outbound.resubmit_stale() == 2
        assert run_pending_tasks() == 1
    lost.refresh_from_db()
    dead.refresh_from_db()
    waiting.refresh_from_db()
    assert (lost.status, lost.attempts) == ("sent", 1)
    assert (dead.status, dead.attempts, dead.last_error) == ("failed", 3, "最后一次发送未完成（任务进程中断），未再重试")
    assert (waiting.status, waiting.attempts) == ("queued", 1)


def test_mask_recipient():
    assert outbound.mask_recipient("sms", "13912345678") == "139****5678"
    assert outbound.mask_recipient("sms", "0571-87654321") == "0571-87****21"
    assert outbound.mask_recipient("email", "zhang@example.gov.cn") == "z***@example.gov.cn"


# --- the city office's page ------------------------------------------------------------------------

@pytest.fixture
def messages_of_all_kinds(db):
    def make(**values):
        return OutboundMessage.objects.create(**{"channel": "sms", "to": PHONE, "body": "【创城办】交办：WT2026-000001",
                                                 **values})

    return {
        "failed": make(status="failed", attempts=5, last_error="短信网关返回 HTTP 503"),
        "failed_email": make(channel="email", to="zhang@example.gov.cn", subject="督办提醒", status="failed",
                             attempts=5, last_error="邮件发送失败：SMTPServerDisconnected"),
        "retrying": make(status="queued", attempts=2, last_error="无法连接短信网关：TimeoutError: timed out",
                         next_attempt_at=timezone.now() + timedelta(minutes=4)),
        "waiting": make(status="queued", next_attempt_at=timezone.now()),
        "sent": make(status="sent", attempts=1, sent_at=timezone.now()),
    }


@pytest.mark.django_db
def test_office_sees_failed_and_retrying_messages_masked(login, messages_of_all_kinds):
    response = login("office_city").get(reverse("outbound"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "外发消息异常" in page
    assert page.count('class="outbound-row"') == 3  # the two failed and the one being retried
    assert "发送失败 2 条" in page and "重试中 1 条" in page
    assert "139****5678" in page and "z***@example.gov.cn" in page
    assert PHONE not in page and "zhang@example.gov.cn" not in page
    assert "短信网关返回 HTTP 503" in page and '<span class="badge">重试中</span>' in page

    page = login("office_city").get(reverse("outbound") + "?status=retrying").content.decode()
    assert page.count('class="outbound-row"') == 1 and "TimeoutError" in page
    page = login("office_city").get(reverse("outbound") + "?status=failed").content.decode()
    assert page.count('class="outbound-row"') == 2


@pytest.mark.django_db
def test_a_bad_filter_gets_a_chinese_message(login, messages_of_all_kinds):
    response = login("admin").get(reverse("outbound") + "?status=<b>&page=abc")
    page = response.content.decode()
    assert response.status_code == 200
    assert "状态筛选无效" in page and page.count('class="outbound-row"') == 3


@pytest.mark.django_db
def test_refused_to_everyone_but_the_city_office_and_admin(login, messages_of_all_kinds):
    for persona in ["office_district_a", "handler_street_a1", "leader", "inspector", "citizen", "outsider"]:
        response = login(persona).get(reverse("outbound"))
        assert response.status_code == 403, persona
        assert PHONE not in response.content.decode()
    assert AuditEvent.objects.filter(action="access.refused", actor_username="office_district_a",
                                     detail_json__contains="outbound.view").count() == 1


@pytest.mark.django_db
def test_home_page_counts_the_failures_for_the_city_office(login, messages_of_all_kinds):
    page = login("office_city").get(reverse("home")).content.decode()
    assert "发送失败的短信/邮件" in page and "正在重试的短信/邮件" in page
    context = login("office_city").get(reverse("home")).context
    counts = {item["label"]: item["count"] for item in context["attention"]}
    assert counts["发送失败的短信/邮件"] == 2 and counts["正在重试的短信/邮件"] == 1
    page = login("office_district_a").get(reverse("home")).content.decode()
    assert "发送失败的短信/邮件" not in page

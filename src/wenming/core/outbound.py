"""The outbound channel: SMS and e-mail to people, sent after commit through the task queue.

A service calls :func:`send_sms` or :func:`send_email` inside its transaction. That only records
the message (``core.OutboundMessage``, status ``queued``) and asks ``transaction.on_commit`` to
queue :func:`deliver`: a message asked for by a transaction that rolls back is never recorded nor
sent, and no network call is made while the service holds its locks (DESIGN.md §3, "effects
after commit").

:func:`deliver` runs in the task queue (``wenming worker``). It claims one attempt, sends through
the channel's transport and records the outcome. A failed attempt is retried with exponential
backoff — ``OUTBOUND_RETRY_SECONDS`` × 2^(n−1) after the n-th attempt — up to
``OUTBOUND_MAX_ATTEMPTS`` attempts, after which the message is ``failed``; the city office sees
both kinds on the 外发消息异常 page. :func:`resubmit_stale` (run by ``wenming sweep``) queues again
a message whose due attempt no worker took (a lost queue entry, a worker that died mid-send).

Transports, chosen by ``OUTBOUND_BACKEND`` (WENMING_OUTBOUND, one or more names, comma-separated):

* ``record`` (the default, for development and tests): nothing leaves; the message is marked sent;
* ``sms-http``: SMS are POSTed as JSON ``{"phone", "text"}`` to ``SMS_URL`` (timeout
  ``SMS_TIMEOUT`` seconds); any 2xx answer is success;
* ``email``: e-mails go through Django's mail settings (``EMAIL_*``).

A channel whose transport is not configured is handled as ``record``.

Phone numbers and addresses are personal data: kept in the table because they are needed to
send, never written to a log — logs name the message id and the masked recipient.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .jobs import task
from .masking import mask_phone
from .models import OutboundChannel, OutboundMessage, OutboundStatus

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=10)  # an attempt a worker took and never finished is given up after this


class DeliveryFailed(Exception):
    """One attempt failed; ``str(error)`` is what ``last_error`` records (no recipient in it)."""


# --- asking for a message (inside a service's transaction) ----------------------------------------

def send_sms(phone: str, text: str) -> OutboundMessage | None:
    """Record an SMS to ``phone`` and queue its delivery for when the current transaction commits."""
    phone = (phone or "").strip()
    if not phone:
        return None
    return _queue(OutboundChannel.SMS, phone, text)


def send_email(address: str, subject: str, text: str) -> OutboundMessage | None:
    """Record an e-mail to ``address`` and queue its delivery for when the current transaction commits."""
    address = (address or "").strip()
    if not address:
        return None
    return _queue(OutboundChannel.EMAIL, address, text, subject=subject)


def _queue(channel: str, to: str, body: str, subject: str = "") -> OutboundMessage:
    to_field = OutboundMessage._meta.get_field("to")
    subject_field = OutboundMessage._meta.get_field("subject")
    message = OutboundMessage.objects.create(channel=channel, to=to[:to_field.max_length],
                                             subject=subject[:subject_field.max_length], body=body,
                                             status=OutboundStatus.QUEUED, next_attempt_at=timezone.now())
    transaction.on_commit(partial(_submit, message.pk, 1))
    return message


def _submit(message_id: int, attempt: int, run_after=None) -> None:
    """Hand attempt ``attempt`` of a message to the task queue. If the queue is down the message
    stays queued and :func:`resubmit_stale` tries again later."""
    try:
        target = deliver.using(run_after=run_after) if run_after is not None else deliver
        target.enqueue(message_id, attempt)
    except Exception:
        log.exception("could not queue outbound message %s (attempt %s)", message_id, attempt)


# --- delivering it (in the task queue) ------------------------------------------------------------

def retry_delay(attempt: int) -> timedelta:
    """How long after failed attempt ``attempt`` (1, 2, …) the next one is due."""
    return timedelta(seconds=settings.OUTBOUND_RETRY_SECONDS * 2 ** (attempt - 1))


@task()
def deliver(message_id: int, attempt: int) -> dict:
    """Attempt ``attempt`` of one message: claimed by a conditional update (a duplicate task for
    the same attempt, or one for a message already sent, does nothing), sent with no transaction
    open, its outcome recorded."""
    now = timezone.now()
    claimed = OutboundMessage.objects.filter(pk=message_id, status=OutboundStatus.QUEUED,
                                             attempts=attempt - 1).update(
        attempts=attempt, next_attempt_at=now + CLAIM_LEASE)
    if not claimed:
        return {"message": message_id, "attempt": attempt, "status": "skipped"}
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        _transport(message)
    except DeliveryFailed as error:
        return _failed(message, attempt, str(error))
    except Exception as error:  # noqa: BLE001 — whatever a transport raises is one failed attempt
        # no traceback in the log: its text may carry the recipient
        return _failed(message, attempt, _without_recipient(message, f"{type(error).__name__}: {error}"))
    OutboundMessage.objects.filter(pk=message_id).update(status=OutboundStatus.SENT, sent_at=timezone.now(),
                                                         next_attempt_at=None)
    return {"message": message_id, "attempt": attempt, "status": OutboundStatus.SENT}


def _failed(message: OutboundMessage, attempt: int, error: str) -> dict:
    error = error[:OutboundMessage._meta.get_field("last_error").max_length]
    final = attempt >= settings.OUTBOUND_MAX_ATTEMPTS
    log.warning("outbound message %s (%s to %s) attempt %s/%s failed: %s", message.pk, message.channel,
                mask_recipient(message.channel, message.to), attempt, settings.OUTBOUND_MAX_ATTEMPTS, error)
    if final:
        OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundStatus.FAILED, last_error=error,
                                                             next_attempt_at=None)
        return {"message": message.pk, "attempt": attempt, "status": OutboundStatus.FAILED}
    due = timezone.now() + retry_delay(attempt)
    OutboundMessage.objects.filter(pk=message.pk).update(last_error=error, next_attempt_at=due)
    _submit(message.pk, attempt + 1, run_after=due)
    return {"message": message.pk, "attempt": attempt, "status": "retrying", "next_attempt_at": due.isoformat()}


def backends() -> set[str]:
    value = getattr(settings, "OUTBOUND_BACKEND", "record") or "record"
    names = value if isinstance(value, (list, tuple, set)) else str(value).split(",")
    return {name.strip() for name in names if name.strip()}


def _transport(message: OutboundMessage) -> None:
    enabled = backends()
    if message.channel == OutboundChannel.SMS and "sms-http" in enabled:
        _sms_http(message)
    elif message.channel == OutboundChannel.EMAIL and "email" in enabled:
        _email(message)
    # otherwise "record": kept in the table only, nothing leaves


def _sms_http(message: OutboundMessage) -> None:
    if not settings.SMS_URL:
        raise DeliveryFailed("未配置短信网关地址（WENMING_SMS_URL）")
    payload = json.dumps({"phone": message.to, "text": message.body}, ensure_ascii=False).encode()
    request = urllib.request.Request(settings.SMS_URL, data=payload, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=settings.SMS_TIMEOUT) as response:  # noqa: S310 (operator's URL)
            status = response.status
    except urllib.error.HTTPError as error:  # a non-2xx answer
        raise DeliveryFailed(f"短信网关返回 HTTP {error.code}") from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise DeliveryFailed(_without_recipient(message, f"无法连接短信网关：{type(error).__name__}: {error}")) from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"短信网关返回 HTTP {status}")


def _email(message: OutboundMessage) -> None:
    try:
        send_mail(message.subject, message.body, None, [message.to])
    except Exception as error:  # noqa: BLE001 — SMTP errors come in many classes; each is one failed attempt
        # SMTPRecipientsRefused and friends put the address in their text
        raise DeliveryFailed(_without_recipient(message, f"邮件发送失败：{type(error).__name__}: {error}")) from None


def _without_recipient(message: OutboundMessage, text: str) -> str:
    return text.replace(message.to, mask_recipient(message.channel, message.to)) if message.to else text


# --- housekeeping (wenming sweep) -----------------------------------------------------------------

def resubmit_stale(now=None, grace: timedelta = timedelta(minutes=15)) -> int:
    """Queue again the messages whose due attempt has waited ``grace`` past its time: its queue
    entry was lost (the queue was down at commit) or the worker that took it died. The claim in
    :func:`deliver` keeps a late original and this copy from both sending."""
    now = now or timezone.now()
    stale = list(OutboundMessage.objects.filter(status=OutboundStatus.QUEUED, next_attempt_at__lt=now - grace)
                 .values_list("pk", "attempts")[:500])
    for pk, attempts in stale:
        if attempts >= settings.OUTBOUND_MAX_ATTEMPTS:  # its last attempt's worker died
            OutboundMessage.objects.filter(pk=pk, status=OutboundStatus.QUEUED, attempts=attempts).update(
                status=OutboundStatus.FAILED, next_attempt_at=None,
                last_error="最后一次发送未完成（任务进程中断），未再重试")
            continue
        # a stale claim (attempts already counted) and a lost submission both go to the next attempt
        OutboundMessage.objects.filter(pk=pk, status=OutboundStatus.QUEUED, attempts=attempts).update(
            next_attempt_at=now)
        _submit(pk, attempts + 1)
    return len(stale)


# --- showing it ----------------------------------------------------------------------------------

def mask_recipient(channel: str, to: str) -> str:
    """138****5678 for a phone (core's one ``mask_phone``); z***@example.gov.cn for an address."""
    if channel == OutboundChannel.EMAIL and "@" in to:
        local, _, domain = to.partition("@")
        return f"{local[:1]}***@{domain}"
    return mask_phone(to)


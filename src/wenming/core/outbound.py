"""The outbound channel: SMS and email to people outside the app. The backend is chosen by
WENMING_OUTBOUND (settings.OUTBOUND_BACKEND): "record" (default: only kept in the database, for
development and tests), "sms-http" (POST to the city's SMS gateway at WENMING_SMS_URL) or
"email" (Django's mail settings). Every message is recorded whatever the backend."""

from __future__ import annotations

import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail

log = logging.getLogger(__name__)


def _record(channel: str, to: str, body: str, subject: str = "", status: str = "sent"):
    from wenming.cases.models import OutboundMessage

    return OutboundMessage.objects.create(channel=channel, to=to, subject=subject, body=body, status=status)


def send_sms(phone: str, text: str) -> None:
    backend = getattr(settings, "OUTBOUND_BACKEND", "record")
    status = "sent" if backend == "record" else "queued"
    message = _record("sms", phone, text, status=status)
    if backend != "sms-http":
        return
    payload = json.dumps({"phone": phone, "text": text}).encode()
    request = urllib.request.Request(settings.SMS_URL, data=payload, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (operator-configured URL)
            ok = 200 <= response.status < 300
    except OSError as error:
        log.warning("SMS gateway failed: %s", error)
        ok = False
    type(message).objects.filter(pk=message.pk).update(status="sent" if ok else "failed")


def send_email(address: str, subject: str, text: str) -> None:
    backend = getattr(settings, "OUTBOUND_BACKEND", "record")
    message = _record("email", address, text, subject=subject)
    if backend == "email":
        try:
            send_mail(subject, text, None, [address])
        except OSError as error:
            log.warning("email failed: %s", error)
            type(message).objects.filter(pk=message.pk).update(status="failed")

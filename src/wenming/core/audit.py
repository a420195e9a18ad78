"""Writing and verifying the audit log (who, what, when, from where, result)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from .middleware import current_request, client_ip
from .models import AuditChainHead, AuditEvent, AuditResult, canonical_json

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> str:
    at = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = [
        event.id, at, event.actor_id, event.actor_username, event.unit_id, event.unit_path,
        event.action, event.target, event.result, event.ip, event.detail_json, event.prev_hash,
    ]
    return canonical_json(payload)


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event).encode("utf-8")).hexdigest()


def _target_label(target) -> str:
    if target is None:
        return ""
    if isinstance(target, str):
        return target[:200]
    meta = target._meta
    return f"{meta.app_label}.{meta.model_name}:{target.pk} {target}"[:200]


def home_unit(user):
    """The unit of the user's first active membership (his 'home' for the audit log)."""
    from wenming.org.models import Membership

    membership = (Membership.objects.filter(user_id=user.pk, is_active=True).select_related("unit")
                  .order_by("id").first())
    return membership.unit if membership else None


def record(
    action: str,
    *,
    actor=None,
    target=None,
    result: str = AuditResult.SUCCESS,
    unit=None,
    detail: dict | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one event. Runs inside the caller's transaction when there is one, so an
    audited change and its audit line commit or roll back together."""
    request = current_request()
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        if request.user.is_authenticated:
            actor = request.user
    ip = client_ip(request) if request is not None else ""
    if unit is None and actor is not None and getattr(actor, "pk", None):
        unit = home_unit(actor)  # so the office of the actor's unit sees his refusals and logins
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1)
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            id=head.last_seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_username=(getattr(actor, "username", "") or username)[:150],
            unit_id=getattr(unit, "pk", None),
            unit_path=getattr(unit, "path", "") or "",
            action=action,
            target=_target_label(target),
            result=str(result),
            ip=ip or "",
            detail_json=canonical_json(detail or {}),
            prev_hash=head.last_hash,
        )
        event.hash = compute_hash(event)
        event.save()
        AuditChainHead.objects.filter(pk=1).update(last_seq=event.id, last_hash=event.hash)
    return event


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the whole log in id order and recompute every hash."""
    prev_hash = GENESIS
    expected_id = 1
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            break
        for event in rows:
            if event.id != expected_id:
                return ChainReport(False, checked, expected_id, f"第 {expected_id} 条记录缺失")
            if event.prev_hash != prev_hash:
                return ChainReport(False, checked, event.id, f"第 {event.id} 条记录的前序哈希不符，之前的记录被改动或删除")
            if compute_hash(event) != event.hash:
                return ChainReport(False, checked, event.id, f"第 {event.id} 条记录的内容与哈希不符，记录被篡改")
            prev_hash = event.hash
            expected_id += 1
            checked += 1
        last_id = rows[-1].id
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev_hash):
        return ChainReport(False, checked, checked + 1, "日志末尾的记录被删除（与链头不符）")
    return ChainReport(True, checked)

"""Writing and verifying the audit log (who, what, when, from where, result)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from . import chain
from .chain import GENESIS, ChainReport
from .masking import scrub
from .middleware import client_ip, current_request
from .models import AuditChainHead, AuditEvent, AuditResult, canonical_json

__all__ = ["GENESIS", "ChainReport", "compute_hash", "download", "home_unit", "record", "verify_chain"]


def _canonical(event: AuditEvent, extra=None) -> str:  # noqa: ARG001 — the row holds all it covers
    payload = [
        event.id, chain.utc_text(event.at), event.actor_id, event.actor_username, event.unit_id, event.unit_path,
        event.action, event.target, event.result, event.ip, event.detail_json, event.prev_hash,
    ]
    return canonical_json(payload)


def compute_hash(event: AuditEvent) -> str:
    return chain.digest(_canonical(event))


CHAIN = chain.Chain(key="audit", noun="审计日志", model="core.AuditEvent", head_pk=chain.AUDIT_HEAD,
                    seq_field="id", canonical=_canonical)
chain.register(CHAIN)


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
    audited change and its audit line commit or roll back together. Mobile numbers and
    身份证号 in ``detail`` and ``target`` are masked (``core.masking.scrub``): the log is kept
    for good and shown to auditors, so personal data never enters it in clear."""
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
            target=scrub(_target_label(target)),
            result=str(result),
            ip=ip or "",
            detail_json=canonical_json(scrub(detail or {})),
            prev_hash=head.last_hash,
        )
        event.hash = compute_hash(event)
        event.save()
        AuditChainHead.objects.filter(pk=1).update(last_seq=event.id, last_hash=event.hash)
    return event


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the whole log in id order and recompute every hash."""
    return chain.verify(CHAIN, batch=batch)


def download(*, actor, what: str, rows: int, target=None, unit=None, **detail) -> AuditEvent:
    """The audit line of a file handed to a user (an export, a template, a 督办 document, a
    finished background export): ``export.download`` with what it was (Chinese) and how many
    data rows it holds, so that one filter of the audit log lists every download."""
    return record("export.download", actor=actor, target=target if target is not None else what, unit=unit,
                  detail={"what": what, "rows": rows, **detail})

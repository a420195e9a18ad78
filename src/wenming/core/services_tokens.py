"""Creating and revoking API tokens (core/tokens.py): the city office only, audited."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from wenming.org.models import Membership, Unit, User

from . import access, audit, tokens
from .errors import ValidationFailed
from .models_tokens import TOKEN_ROLES, ApiToken
from .parsing import nul_free

MAX_DAYS = 3650


def _refuse_unless_manager(actor, what: str) -> None:
    if not tokens.may_manage(actor):
        access.refuse_forbidden(actor, what)


def token_create(*, actor, name: str, unit: Unit | None, role: str, permissions: list[str],
                 days: int | None = None) -> tuple[ApiToken, str]:
    """A new token and its dedicated service account (``role`` at ``unit``). Returns the token
    and its secret, which is shown once and never stored."""
    _refuse_unless_manager(actor, "core.api_token_create")
    errors: dict[str, str] = {}
    name = nul_free(str(name or ""), field="name").strip()
    if not name:
        errors["name"] = "请填写名称（如“12345热线”）"
    elif len(name) > 100:
        errors["name"] = "名称不能超过100个字"
    if unit is None or not unit.is_active or not access.scope_for(actor).sees_unit(unit):
        errors["unit"] = "单位编码无效，或不在您的范围内"
    if role not in TOKEN_ROLES:
        errors["role"] = "身份无效"
    unknown = [p for p in permissions if p not in tokens.PERMISSIONS]
    if not permissions:
        errors["permissions"] = "请至少选择一项允许的操作"
    elif unknown:
        errors["permissions"] = f"无效的操作：{'、'.join(unknown)}"
    if days is not None and not 1 <= days <= MAX_DAYS:
        errors["days"] = f"有效期应为1到{MAX_DAYS}天"
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors=errors)
    secret = tokens.new_secret()
    with transaction.atomic():
        user = User(username=_service_username(), full_name=f"接口：{name}"[:50], post="对接系统服务账号")
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, unit=unit, role=role)
        token = ApiToken.objects.create(
            name=name, prefix=secret[:10], token_hash=tokens.digest(secret), user=user, unit=unit, role=role,
            permissions=[p for p in tokens.PERMISSIONS if p in permissions], created_by=actor,
            expires_at=timezone.now() + timedelta(days=days) if days else None)
        audit.record("api_token.create", actor=actor, target=token, unit=unit,
                     detail={"name": name, "unit": unit.code, "role": role, "permissions": token.permissions,
                             "service_account": user.username,
                             "expires_at": token.expires_at.isoformat() if token.expires_at else None})
    return token, secret


def _service_username() -> str:
    while True:
        username = f"api-{secrets.token_hex(4)}"
        if not User.objects.filter(username=username).exists():
            return username


def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke the token for good and deactivate its service account. Revoking twice changes
    nothing and writes no second line."""
    _refuse_unless_manager(actor, "core.api_token_revoke")
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().select_related("user", "unit").get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        User.objects.filter(pk=locked.user_id).update(is_active=False)
        audit.record("api_token.revoke", actor=actor, target=locked, unit=locked.unit,
                     detail={"name": locked.name, "service_account": locked.user.username})
    return locked

"""Per-integration API tokens (DESIGN.md §3: hashed, scoped, revocable, audited).

* **Secret.** ``wm_`` + 43 URL-safe characters (256 random bits). Only its SHA-256 is stored, so
  a copy of the database reveals no token; the secret is shown once, when it is created. A fast
  hash is enough for a random secret of that length (nothing to guess), and lets the request
  find its token with one indexed lookup.
* **Scope.** A token acts as its own service account, created with it, whose one membership
  (the token's role at its unit) is what :func:`core.access.scope_for` sees: every selector and
  service applies the same scope rules as for a person, so a token never sees beyond its unit.
* **Permissions.** The token's ``permissions`` narrow what the account may do through the API
  (:func:`require`); the apps register the names they check (:func:`register_permission`; the
  cases app registers reading, reporting and each workflow action).
* **Audit.** Creating and revoking are audited by the services (core/services_tokens.py); every
  request made with a token appends one ``api_token.use`` line (:func:`authenticate`), with
  its unit given so that no further query is needed.
* **Refusal.** An unknown, revoked or expired token, or one whose account was deactivated,
  answers 401 (``token_invalid``); a permission the token lacks answers 403
  (``token_not_allowed``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from . import access, audit
from .errors import TokenInvalid, TokenNotAllowed
from .models import AuditResult
from .models_tokens import ApiToken

PREFIX = "wm_"
MAX_LENGTH = 200  # longer Authorization values are not looked up at all
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often

# permission name → Chinese label, in the order the token page lists them
PERMISSIONS: dict[str, str] = {}


def register_permission(name: str, label: str) -> None:
    """Called from an app's ``AppConfig.ready()``."""
    PERMISSIONS.setdefault(name, label)


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def may_manage(user) -> bool:
    """Tokens are created and revoked by the city's office (the root unit's 创建办) only."""
    return access.scope_for(user).is_root_office


def authenticate(secret: str, request=None) -> ApiToken:
    """The active token with this secret — recorded as used — or TokenInvalid."""
    secret = secret.strip()
    if not secret.startswith(PREFIX) or len(secret) > MAX_LENGTH or "\x00" in secret:
        raise TokenInvalid()
    token = ApiToken.objects.select_related("user", "unit").filter(token_hash=digest(secret)).first()
    if token is None:
        raise TokenInvalid()
    problem = ("接口令牌已被吊销" if token.revoked_at is not None else "接口令牌已过期" if token.is_expired
               else "接口令牌的服务账号已停用" if not token.user.is_active else None)
    detail = {"method": getattr(request, "method", ""), "path": getattr(request, "path", "")[:200]}
    if problem is not None:
        audit.record("api_token.refused", actor=token.user, target=token, unit=token.unit,
                     result=AuditResult.DENIED, detail={**detail, "reason": problem})
        raise TokenInvalid(problem)
    audit.record("api_token.use", actor=token.user, target=token, unit=token.unit, detail=detail)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_of(request) -> ApiToken | None:
    return getattr(request, "api_token", None)


def allows(request, permission: str) -> bool:
    """Whether the request may do this: always for a person's session (his roles decide), for a
    token only if it was granted the permission."""
    token = token_of(request)
    return token is None or permission in token.permissions


def require(request, permission: str) -> None:
    """403 ``token_not_allowed`` (audited) if the request's token lacks the permission."""
    if not allows(request, permission):
        token = token_of(request)
        audit.record("access.refused", actor=token.user, target=token, unit=token.unit, result=AuditResult.DENIED,
                     detail={"status": 403, "permission": permission})
        raise TokenNotAllowed(f"该接口令牌未被授予此操作：{PERMISSIONS.get(permission, permission)}")

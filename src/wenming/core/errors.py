"""The one error tree (DESIGN.md §3): every refusal the product answers is one of these classes.

Each class carries a stable machine-readable ``code`` and the HTTP ``status`` the API answers
with; the instance carries the Chinese ``message`` shown as is, and per-field messages
(``field`` for one, ``errors`` for several). The API turns any of them into
``{"code": …, "message": …, "errors": {field: [message, …]}}`` (core.api) with the class's
status — never a status chosen by reading the message. docs/api.md lists every code
(a test compares the table with :func:`all_codes`).

    WenmingError                       400 error
    ├── ServiceError                   400 rule_refused     a business rule refused the action
    │   ├── ValidationFailed           400 validation_failed   bad input, with field messages
    │   │   └── MalformedRequest       400 malformed_request   a body that cannot be read at all
    │   └── Conflict                   409 conflict         the object changed meanwhile
    ├── Unauthenticated                401 unauthenticated  no login, or the login timed out
    │   └── TokenInvalid               401 token_invalid    unknown, revoked or expired token
    ├── Forbidden                      403 forbidden        visible, but not allowed (also a PermissionDenied)
    │   ├── CsrfFailed                 403 csrf_failed      session request without the CSRF token
    │   └── TokenNotAllowed            403 token_not_allowed  the token was not granted this operation
    ├── NotFound                       404 not_found        absent, or outside the user's scope (also an Http404)
    ├── MethodNotAllowed               405 method_not_allowed
    ├── PayloadTooLarge                413 payload_too_large
    └── ServerError                    500 internal_error   a defect: logged, never expected

``Forbidden`` and ``NotFound`` are also Django's ``PermissionDenied`` and ``Http404``, so the
pages' handlers (403/404 templates) keep working when a service raises them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404


class WenmingError(Exception):
    """Base of the tree. ``message`` is Chinese and shown as is."""

    code = "error"
    status = 400
    default_message = "请求有误"

    def __init__(self, message: str | None = None, *, field: str | None = None,
                 errors: dict[str, list[str] | str] | None = None):
        message = message or self.default_message
        super().__init__(message)
        self.message = message
        self.field = field
        self._errors = errors

    @property
    def errors(self) -> dict[str, list[str]]:
        """Messages per field: ``errors`` as given (single strings made lists), else the
        message under ``field``, else none."""
        if self._errors:
            return {name: list(value) if isinstance(value, (list, tuple)) else [str(value)]
                    for name, value in self._errors.items()}
        if self.field:
            return {self.field: [self.message]}
        return {}

    def as_json(self) -> dict:
        return {"code": self.code, "message": self.message, "errors": self.errors}


class ServiceError(WenmingError):
    """A business rule refused the action; the message is shown to the user as is (Chinese)."""

    code = "rule_refused"
    default_message = "操作未能完成"


class ValidationFailed(ServiceError):
    """The input is wrong; ``errors`` says where."""

    code = "validation_failed"
    default_message = "提交的内容有误"


class MalformedRequest(ValidationFailed):
    """The request cannot be read at all (not JSON, a broken form, wrong content type)."""

    code = "malformed_request"
    default_message = "请求格式有误，无法读取"


class Conflict(ServiceError):
    """The object changed since the user read it (another person acted first)."""

    code = "conflict"
    status = 409
    default_message = "可能已有他人处理，请刷新后查看"


class Unauthenticated(WenmingError):
    code = "unauthenticated"
    status = 401
    default_message = "请先登录"


class TokenInvalid(Unauthenticated):
    code = "token_invalid"
    default_message = "接口令牌无效"


class Forbidden(WenmingError, PermissionDenied):
    code = "forbidden"
    status = 403
    default_message = "您没有执行此操作的权限"


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    default_message = "请求缺少有效的CSRF令牌（请在请求头 X-CSRFToken 中带上 Cookie csrftoken 的值）"


class TokenNotAllowed(Forbidden):
    code = "token_not_allowed"
    default_message = "该接口令牌未被授予此操作"


class NotFound(WenmingError, Http404):
    code = "not_found"
    status = 404
    default_message = "未找到该对象，或您无权查看"


class MethodNotAllowed(WenmingError):
    code = "method_not_allowed"
    status = 405
    default_message = "不支持该请求方法"


class PayloadTooLarge(WenmingError):
    code = "payload_too_large"
    status = 413
    default_message = "请求体过大"


class ServerError(WenmingError):
    code = "internal_error"
    status = 500
    default_message = "服务器内部错误，请稍后重试；如反复出现请联系管理员"


def all_classes() -> list[type[WenmingError]]:
    """Every class of the tree (those of other modules too, once imported), depth first."""
    found: list[type[WenmingError]] = []

    def walk(cls):
        found.append(cls)
        for sub in cls.__subclasses__():
            walk(sub)

    walk(WenmingError)
    return found


def all_codes() -> dict[str, int]:
    """code → HTTP status, for every class of the tree (the table in docs/api.md)."""
    codes: dict[str, int] = {}
    for cls in all_classes():
        codes.setdefault(cls.code, cls.status)
    return codes


def for_status(status: int) -> type[WenmingError]:
    """The general class answering this status (for refusals that reach the API as a bare
    status: Django's 404 for an unknown address, a 405, a body too large …)."""
    general = {400: MalformedRequest, 401: Unauthenticated, 403: Forbidden, 404: NotFound,
               405: MethodNotAllowed, 409: Conflict, 413: PayloadTooLarge}
    if status in general:
        return general[status]
    return ServerError if status >= 500 else WenmingError


def show_on_form(form, error: WenmingError) -> None:
    """A refusal on a Django form: each field's messages at that field, or the message over the form
    when the refusal names none of the form's fields."""
    placed = False
    for field, texts in error.errors.items():
        if field in form.fields:
            for text in texts:
                form.add_error(field, text)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def form_refusals(form) -> str:
    """A form's refusals as one message (for forms posted from a page that shows them as a message)."""
    return "；".join(f"{form.fields[name].label if name in form.fields else '表单'}：{'，'.join(errors)}"
                    for name, errors in form.errors.items())

"""The API layer's plumbing (django-ninja; the API itself is assembled in config/api.py from the
apps' routers): authentication, request bodies, the JSON error answer, pagination.

* **Authentication** (:data:`AUTH`): ``Authorization: Bearer <token>`` (core/tokens.py; no CSRF)
  or the browser's session, whose unsafe requests need the CSRF token as the pages do
  (header ``X-CSRFToken``). No credentials → 401.
* **Errors**: every refusal is answered as :class:`ErrorOut` — ``{"code", "message",
  "errors": {field: [messages]}}`` — with the status of its class in core/errors.py;
  :func:`install` maps ninja's and Django's own exceptions (unreadable body, schema validation,
  401) onto that tree, and :class:`ApiErrorMiddleware` turns whatever else answers an
  ``/api/`` address with an error (Django's 404 for an unknown address, a 405, a 500) into the
  same JSON.
* **Input**: schemas derive from :class:`ApiSchema`, which refuses NUL characters in any text;
  pydantic's messages are replaced by Chinese ones (:func:`field_errors`). A body may be JSON or
  a form (:func:`read_body`; forms for photos), and :func:`body_doc` documents both.
* **Pagination**: ``limit``/``offset`` (:class:`PageQuery`) and ``count`` (:func:`page`).
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Annotated, Any, ClassVar

import pydantic
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import Field
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf
from pydantic import AfterValidator, StringConstraints

from . import errors, tokens
from .errors import (
    CsrfFailed,
    MalformedRequest,
    PayloadTooLarge,
    ServerError,
    TokenInvalid,
    Unauthenticated,
    ValidationFailed,
    WenmingError,
)
from .parsing import NUL_MESSAGE

logger = logging.getLogger("wenming.api")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}


# --- input --------------------------------------------------------------------------------------

def _nul_free(value: str) -> str:
    if "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


def Text(max_length: int | None = None):  # noqa: N802 — used as a type
    """A string without NUL characters, at most ``max_length`` characters."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_nul_free)]


class ApiSchema(pydantic.BaseModel):
    """Base of the API's schemas. A plain pydantic model (not ninja's Schema, whose wrapper reads
    every field through a Django-aware getter: a tenth of a millisecond per request on the
    intake's fast path, docs/performance.md). Text fields are :func:`Text` (no NUL character);
    ``blank_is_none`` names the optional fields where an empty string (a form's empty input)
    means "not given"."""

    blank_is_none: ClassVar[tuple[str, ...]] = ()

    @pydantic.model_validator(mode="before")
    @classmethod
    def _blanks(cls, data):
        if cls.blank_is_none and isinstance(data, dict):
            blank = [name for name in cls.blank_is_none if isinstance(data.get(name), str) and not data[name].strip()]
            if blank:
                data = {key: value for key, value in data.items() if key not in blank}
        return data


# pydantic's error types → Chinese ("{…}" from the error's context)
MESSAGES = {
    "missing": "必填",
    "string_type": "应为文本",
    "string_too_long": "不能超过{max_length}个字符",
    "string_too_short": "至少{min_length}个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "float_type": "应为数字", "float_parsing": "应为数字",
    "decimal_type": "应为数字", "decimal_parsing": "应为数字",
    "decimal_max_digits": "数字位数过多", "decimal_max_places": "小数位数过多",
    "decimal_whole_digits": "整数部分位数过多",
    "finite_number": "应为有限的数字（不能是 NaN 或无穷大）",
    "greater_than_equal": "不能小于{ge}", "greater_than": "应大于{gt}",
    "less_than_equal": "不能大于{le}", "less_than": "应小于{lt}",
    "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false",
    "literal_error": "取值无效，可选：{expected}", "enum": "取值无效，可选：{expected}",
    "list_type": "应为列表", "dict_type": "应为JSON对象", "model_type": "应为JSON对象",
    "model_attributes_type": "应为JSON对象", "extra_forbidden": "不认识的字段",
    "json_invalid": "不是有效的JSON", "json_type": "不是有效的JSON",
    "too_long": "最多{max_length}项", "too_short": "至少{min_length}项",
    "datetime_type": "应为日期时间", "datetime_parsing": "日期时间格式不正确",
}
SOURCES = {"body", "query", "path", "header", "form", "file", "cookie"}


def _message(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in {"value_error", "assertion_error"} and "error" in ctx:
        return str(ctx["error"])
    template = MESSAGES.get(kind, "格式不正确")
    try:
        return template.format(**{k: _plain(v) for k, v in ctx.items()})
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：") or "格式不正确"


def _plain(value):
    return format(value, "f").rstrip("0").rstrip(".") if isinstance(value, Decimal) and "." in format(value, "f") \
        else str(value).replace("'", "")


def field_errors(pydantic_errors: list[dict], *, skip: tuple = ()) -> dict[str, list[str]]:
    """Chinese messages per field from pydantic's (or ninja's) error list. The location's source
    (body, query …) and the parameter's own name (``skip``) are left out; the body itself as
    a whole is ``__all__``."""
    result: dict[str, list[str]] = {}
    for error in pydantic_errors:
        loc = [str(part) for part in error.get("loc", ())]
        while loc and (loc[0] in SOURCES or loc[0] in skip):
            loc.pop(0)
        field = ".".join(loc) or "__all__"
        message = _message(error)
        if message not in result.setdefault(field, []):
            result[field].append(message)
    return result


def validate(schema: type[pydantic.BaseModel], data: Any):
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as error:
        found = field_errors(error.errors(include_url=False))
        if set(found) == {"__all__"}:
            raise MalformedRequest("请求体应为JSON对象") from None
        raise ValidationFailed(errors=found) from None


def read_body(request, schema: type[pydantic.BaseModel]):
    """The request's body as ``schema``: JSON (``application/json``), a form
    (``multipart/form-data`` — with photos — or ``application/x-www-form-urlencoded``), or an
    empty body. Anything unreadable is a 400 (``malformed_request``), a body larger than
    DATA_UPLOAD_MAX_MEMORY_SIZE (files aside) a 413, with Chinese messages."""
    content_type = request.content_type or ""
    try:
        if content_type in FORM_TYPES:
            data = {key: values[-1] if len(values) == 1 or key not in _list_fields(schema) else values
                    for key, values in request.POST.lists()}
            for key in _list_fields(schema):
                if key in data and not isinstance(data[key], list):
                    data[key] = [data[key]]
        elif content_type == "application/json" or content_type.endswith("+json"):
            raw = request.body
            data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        elif not request.body:
            data = {}
        else:
            raise MalformedRequest("请求体应为 JSON（Content-Type: application/json）或表单（multipart/form-data）")
    except WenmingError:
        raise
    except Exception as error:  # noqa: BLE001 — every failure to read the body is the client's
        raise body_error(error) from None
    if not isinstance(data, dict):
        raise MalformedRequest("请求体应为JSON对象")
    return validate(schema, data)


def _list_fields(schema) -> set[str]:
    return {name for name, info in schema.model_fields.items()
            if getattr(info.annotation, "__origin__", None) in (list, tuple)}


def body_error(error: Exception) -> WenmingError:
    """The tree's answer to an exception raised while reading a request body."""
    if isinstance(error, RequestDataTooBig):
        return PayloadTooLarge(f"请求体过大（表单字段或JSON不超过 {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB，"
                               f"照片另计）")
    if isinstance(error, (TooManyFieldsSent, TooManyFilesSent)):
        return MalformedRequest("表单字段或文件过多")
    if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
        return MalformedRequest("请求体不是有效的JSON（须为 UTF-8 编码的 JSON 对象）")
    if isinstance(error, MultiPartParserError):
        return MalformedRequest("表单格式有误，无法读取（multipart/form-data 须带 boundary）")
    if isinstance(error, (UnreadablePostError, OSError)):
        return MalformedRequest("请求体未能完整接收，请重试")
    if isinstance(error, (SuspiciousOperation, BadRequest, ValueError)):
        return MalformedRequest()
    return ServerError()


def body_doc(schema: type[pydantic.BaseModel], *, files: dict[str, str] | None = None,
             required: bool = True) -> dict:
    """``openapi_extra`` documenting a body that :func:`read_body` reads: JSON, or a form
    whose extra ``files`` (name → description) are uploads."""
    json_schema = schema.model_json_schema(ref_template="#/components/schemas/{model}")
    json_schema.pop("$defs", None)  # the enums it names are components already (the output schemas use them)
    form_schema = json.loads(json.dumps(json_schema))
    for name, description in (files or {}).items():
        form_schema.setdefault("properties", {})[name] = {
            "type": "array", "items": {"type": "string", "format": "binary"}, "description": description}
    content = {"application/json": {"schema": json_schema},
               "multipart/form-data": {"schema": form_schema}}
    return {"requestBody": {"required": required, "content": content}}


# --- output --------------------------------------------------------------------------------------

class ErrorOut(pydantic.BaseModel):
    code: str = Field(description="稳定的错误代码，见 docs/api.md 的错误代码表")
    message: str = Field(description="中文说明")
    errors: dict[str, list[str]] = Field(description="按字段列出的错误（字段名 → 说明列表）；没有则为空对象")


ERRORS = {status: ErrorOut for status in (400, 401, 403, 404, 405, 409, 413)}


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


def json_response(data, status: int = 200) -> JsonResponse:
    """An answer written as is, without ninja validating it against the operation's response
    schema again — for the intake's fast path; the schema still documents it, and the fuzzing
    test (cases/tests/test_api_fuzz.py) checks every answer against it."""
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def error_response(error: WenmingError) -> JsonResponse:
    return JsonResponse(error.as_json(), status=error.status, json_dumps_params={"ensure_ascii": False})


class PageQuery(ApiSchema):
    limit: int = Field(50, ge=1, le=200, description="每页条数，1–200，默认50")
    offset: int = Field(0, ge=0, le=1_000_000, description="跳过的条数，默认0")


def page(queryset, query: PageQuery, serialize) -> dict:
    """``{"count": total, "limit", "offset", "results": [...]}``."""
    items = list(queryset[query.offset:query.offset + query.limit])
    count = queryset.count() if items or query.offset else 0
    return {"count": count, "limit": query.limit, "offset": query.offset,
            "results": [serialize(item) for item in items]}


# --- authentication ------------------------------------------------------------------------------

class TokenAuth(HttpBearer):
    """``Authorization: Bearer wm_…``: the token's service account becomes ``request.user``."""

    def __call__(self, request):
        header = request.headers.get("Authorization")
        if not header:
            return None  # then the session is tried
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise TokenInvalid("Authorization 请求头应为 Bearer <接口令牌>")
        token = tokens.authenticate(secret, request)
        request.user = token.user
        request.api_token = token
        return token

    def authenticate(self, request, token):  # pragma: no cover — __call__ does the work
        return None


class SessionAuth(APIKeyCookie):
    """The browser's login (the session cookie); unsafe methods need the CSRF token, checked
    only once the user is known, so that a caller without a login is told 401, not 403."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self):
        super().__init__(csrf=True)  # so that the docs page sends the CSRF token; checked below

    def _get_key(self, request):
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return user


AUTH = [TokenAuth(), SessionAuth()]


# --- errors -------------------------------------------------------------------------------------

def install(api) -> None:
    """Answer every exception the API meets as the tree's JSON error."""

    def wenming_error(request, exc: WenmingError):
        if exc.status >= 500:
            logger.error("API %s %s: %s", request.method, request.path, exc)
        return error_response(exc)

    def ninja_validation(request, exc: NinjaValidationError):
        found = field_errors(exc.errors)
        if set(found) == {"__all__"}:
            return error_response(MalformedRequest("请求体应为JSON对象"))
        return error_response(ValidationFailed(errors=found))

    def http_error(request, exc: HttpError):
        if isinstance(exc.__cause__, WenmingError):
            return error_response(exc.__cause__)
        if exc.__cause__ is not None:  # ninja could not read the body
            return error_response(body_error(exc.__cause__))
        if isinstance(exc, AuthenticationError):
            return error_response(Unauthenticated("请先登录，或在请求头 Authorization 中带上接口令牌"))
        return error_response(errors.for_status(exc.status_code)())

    def not_found(request, exc):
        return error_response(exc if isinstance(exc, WenmingError) else errors.NotFound())

    def forbidden(request, exc):
        return error_response(exc if isinstance(exc, WenmingError) else errors.Forbidden())

    def unreadable(request, exc):
        return error_response(body_error(exc))

    def unexpected(request, exc):
        logger.exception("API %s %s failed", request.method, request.path, exc_info=exc)
        return error_response(ServerError())

    api.add_exception_handler(WenmingError, wenming_error)
    api.add_exception_handler(NinjaValidationError, ninja_validation)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PermissionDenied, forbidden)
    for kind in (RequestDataTooBig, SuspiciousOperation, BadRequest, MultiPartParserError, UnreadablePostError,
                 json.JSONDecodeError, UnicodeDecodeError):
        api.add_exception_handler(kind, unreadable)
    api.add_exception_handler(Exception, unexpected)


class ApiErrorMiddleware:
    """Under ``/api/``, an error answer that is not yet the JSON error (Django's 404 for an
    unknown address, ninja's 405, a 400 from a middleware, a 500) becomes one, by status.
    Outermost but for SecurityMiddleware, so it sees every other layer's answer."""

    prefix = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code >= 400 and request.path.startswith(self.prefix) and \
                response.get("Content-Type", "").split(";")[0] != "application/json":
            replaced = error_response(errors.for_status(response.status_code)())
            replaced.status_code = response.status_code  # the answer's status stands; the body is the tree's
            if response.has_header("Allow"):
                replaced["Allow"] = response["Allow"]
            return replaced
        return response


def not_found_view(request, *args, **kwargs) -> HttpResponse:
    """The answer for an address under /api/ that no endpoint has."""
    return error_response(errors.NotFound("接口地址不存在，见 /api/docs"))

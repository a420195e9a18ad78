from __future__ import annotations

import contextvars
import time

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

_request: contextvars.ContextVar = contextvars.ContextVar("wenming_request", default=None)


def current_request():
    return _request.get()


def client_ip(request) -> str:
    """The client's address. Behind the documented reverse proxy the proxy appends the real
    client to X-Forwarded-For, so the last entry is the one the proxy saw."""
    if request is None:
        return ""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    """Makes the current request available to services for the audit log's 'from where'."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


class SessionIdleMiddleware:
    """The inactivity timeout (``SESSION_IDLE_MINUTES``) without a session write on every request.

    A session row expires ``SESSION_COOKIE_AGE`` (the idle time) after it was last saved, and the
    database refuses an expired row, so the timeout only needs the row saved again while the user
    is active. Saving it on every request (``SESSION_SAVE_EVERY_REQUEST``) made every request a
    write transaction; instead this middleware marks the session modified — so that Django's
    session middleware saves it — when ``SESSION_TOUCH_SECONDS`` (60) or more have passed since
    it last did. A session therefore always ends after the idle time without a request, at most
    ``SESSION_TOUCH_SECONDS`` earlier than if it were saved every time. Must come after
    ``SessionMiddleware``."""

    key = "_wenming_touched"

    def __init__(self, get_response):
        self.get_response = get_response
        self.interval = int(getattr(settings, "SESSION_TOUCH_SECONDS", 60))

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None:
            touched = session.get(self.key)  # loads the session (no query without a session cookie)
            now = int(time.time())
            if session.session_key and (not isinstance(touched, int) or not 0 <= now - touched < self.interval):
                session[self.key] = now  # saved, with a new expiry, by SessionMiddleware
        return self.get_response(request)

    @classmethod
    def mark(cls, session) -> None:
        """At login (the session is saved then anyway): the next requests need not save it."""
        session[cls.key] = int(time.time())


class ScreenAccountMiddleware:
    """A 大屏展示账号 (org ``Role.SCREEN`` held alone; flagged in its session at login by
    core.signals) opens the pages an app registered for it (core.extensions.screen_pages: the
    dashboard), the login, logout and password pages — and nothing else: its home page is the
    screen, every other address answers 403 (audited). Its session was given
    ``SCREEN_SESSION_DAYS`` at login instead of the idle timeout, so a wall display stays signed
    in; that is why it must not reach anything but the read-only screen. Must come after
    ``AuthenticationMiddleware``; costs no query for other accounts."""

    key = "_wenming_screen"
    always = {"login", "logout", "password_change"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or user is None or not session.get(self.key) or not user.is_authenticated:
            return self.get_response(request)
        from django.urls import Resolver404, resolve

        from . import access, extensions

        if request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)  # the ordinary 404
        pages = extensions.screen_pages
        if match.view_name == "home" and pages.home:
            return redirect(pages.home)
        if match.view_name in self.always or (match.namespace in pages.namespaces
                                              and access.scope_for(user).is_screen_only):
            return self.get_response(request)
        from .errors import Forbidden

        try:
            access.refuse_forbidden(user, "screen.only", target=request.path[:200])
        except Forbidden as refused:
            from .views import permission_denied

            return permission_denied(request, refused)
        return self.get_response(request)  # pragma: no cover

    @classmethod
    def mark(cls, request, user) -> None:
        """At login: a screen account's session is flagged and outlives the idle timeout."""
        from . import access

        if access.scope_for(user).is_screen_only:
            request.session[cls.key] = True
            request.session.set_expiry(int(settings.SCREEN_SESSION_DAYS) * 86400)


class ForcePasswordChangeMiddleware:
    """An account whose password was set by the office must choose its own before anything else."""

    allowed = ("password_change", "logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            allowed_paths = {reverse(name) for name in self.allowed}
            if request.path not in allowed_paths and not request.path.startswith(settings.STATIC_URL):
                return redirect("password_change")
        return self.get_response(request)


class HtmxRedirectMiddleware:
    """A redirect answering an htmx request (a session that timed out, a forced password
    change) must move the whole page, not be swapped into a fragment."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") and response.status_code in (301, 302, 303, 307, 308):
            location = response["Location"]
            response = HttpResponse(status=204)
            response["HX-Redirect"] = location
        return response


class RefuseNulMiddleware:
    """NUL characters, which no page can use and PostgreSQL refuses in every text it is given:
    a path or a query string holding one is refused (400, a Chinese page; under /api/ the API's
    JSON error, by ApiErrorMiddleware) before any view, and a cookie holding one is ignored (it
    cannot be a session we issued; refusing would lock the visitor out until he cleared it).
    The API reads its own query strings and names the field; forms refuse NUL at the field
    (Django's validator, message in core/locale). Placed before the session middleware."""

    MESSAGE = "请求中含有空字符（\\0），无法处理。请检查链接或输入后重试。"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items()):
            request.COOKIES = {key: value for key, value in request.COOKIES.items()
                               if "\x00" not in key and "\x00" not in value}
        if "\x00" in request.path_info or "\x00" in request.path:
            return self._refuse(request)
        query = request.META.get("QUERY_STRING", "")
        if not request.path.startswith("/api/") and ("%00" in query or "\x00" in query):
            if any("\x00" in key or any("\x00" in value for value in values)
                   for key, values in request.GET.lists()):
                return self._refuse(request)
        return self.get_response(request)

    def _refuse(self, request):
        from .views import bad_request

        return bad_request(request, message=self.MESSAGE)

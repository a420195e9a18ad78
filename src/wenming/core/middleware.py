from __future__ import annotations

import contextvars

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

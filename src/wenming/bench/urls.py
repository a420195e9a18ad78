"""The project's URLs plus the baseline the intake benchmark compares with: a bare Django JSON
view that reads the same JSON body as the problem API and answers with JSON, behind the same
middleware (sessions, CSRF, authentication) — everything except the application's work."""

import json

from django.http import JsonResponse
from django.urls import path

from wenming.config.urls import handler403, handler404, urlpatterns as project_urlpatterns  # noqa: F401


def ping(request):
    body = json.loads(request.body or b"{}") if request.method == "POST" else {}
    return JsonResponse({"ok": True, "fields": len(body)}, status=201 if request.method == "POST" else 200)


urlpatterns = [path("bench/ping/", ping, name="bench_ping"), *project_urlpatterns]

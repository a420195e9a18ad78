"""The project's URLs plus the baseline the benchmarks compare with: a bare Django view behind the
same middleware (sessions, CSRF, authentication) — everything except the application's work.

* a JSON body (``wenming bench intake``) is read and decoded as the problem API reads it;
* a multipart form (``wenming bench inspect``: the inspection form with its photos) is parsed as
  Django parses any form — fields into ``request.POST``, files into ``request.FILES`` (in memory,
  as the real view receives them) — and the photos' bytes are read, but not decoded or stored.

It answers 201 with a small JSON document."""

import json

from django.http import JsonResponse
from django.urls import path

from wenming.config.urls import handler403, handler404  # noqa: F401
from wenming.config.urls import urlpatterns as project_urlpatterns


def ping(request):
    if request.method != "POST":
        return JsonResponse({"ok": True})
    if request.content_type == "multipart/form-data":
        files = [upload for name in request.FILES for upload in request.FILES.getlist(name)]
        size = sum(len(upload.read()) for upload in files)
        return JsonResponse({"ok": True, "fields": len(request.POST), "files": len(files), "bytes": size}, status=201)
    body = json.loads(request.body or b"{}")
    return JsonResponse({"ok": True, "fields": len(body)}, status=201)


urlpatterns = [path("bench/ping/", ping, name="bench_ping"), *project_urlpatterns]

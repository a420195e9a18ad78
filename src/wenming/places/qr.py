"""QR codes of points. A code carries the absolute URL of ``/points/q/<token>/``: scanning it on a
phone opens the point (or the inspector's form there); a new token retires printed codes."""

from __future__ import annotations

import segno
from django.urls import reverse
from django.utils.safestring import mark_safe

from .models import Point


def point_url(request, point: Point) -> str:
    """The URL a point's QR code encodes, absolute, from the request's scheme and host."""
    return request.build_absolute_uri(reverse("places:qr", args=[point.qr_token]))


def svg(url: str) -> str:
    """An inline SVG (scales with CSS through its viewBox; no text from the point inside)."""
    code = segno.make(url, error="m")
    return mark_safe(code.svg_inline(omitsize=True, border=2, svgclass="qr", lineclass=None))  # noqa: S308

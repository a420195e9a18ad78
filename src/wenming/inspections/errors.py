"""The inspections side's refusal: a business rule of rounds or inspections said no."""

from __future__ import annotations

from wenming.core.errors import ServiceError


class InspectionError(ServiceError):
    """A refused change; the message is Chinese. ``field`` names the form field when there is one;
    ``errors`` gives messages per field (for an inspection's answers: per check item, keyed by the
    item's id as text)."""

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message, field=field, errors=errors)

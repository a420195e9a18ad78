"""The inspections side's refusal: a business rule of rounds or inspections said no."""

from __future__ import annotations

from wenming.core.errors import ServiceError


class InspectionError(ServiceError):
    """A refused change; the message is Chinese. ``field`` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field)

"""The assessment side's refusal: a rule of schemes, periods or entries said no."""

from __future__ import annotations

from wenming.core.errors import ServiceError


class ScoringError(ServiceError):
    """A refused change; the message is Chinese, ``field`` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message, field=field, errors=errors)

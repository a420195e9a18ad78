"""Reading values people and other systems type: one function per kind of value, shared by the
API's schemas and the pages' forms. Each returns the value or raises
:class:`~wenming.core.errors.ValidationFailed` with a Chinese message under the field's name —
never a ``ValueError``/``OverflowError`` that would end as a server error."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import dateparse, timezone

from .errors import ValidationFailed

# Dates outside these years are typing errors, and near the ends of Python's range (years 1 and
# 9999) converting between time zones or adding a few hours overflows.
MIN_YEAR, MAX_YEAR = 1900, 2999
NUL_MESSAGE = "不能包含空字符（\\0），请删除后重新输入。"  # as Django's forms say it (core/locale)
DATETIME_EXAMPLE = "2026-12-01T17:30:00+08:00"


def nul_free(value: str, *, field: str | None = None) -> str:
    """``value`` unchanged, or ValidationFailed if it holds a NUL character (PostgreSQL refuses
    them in text; nobody types one)."""
    if "\x00" in value:
        raise ValidationFailed(NUL_MESSAGE, field=field)
    return value


def datetime_check(parsed: datetime, *, field: str | None = None, label: str = "时间") -> datetime:
    """An aware datetime (a naive one is taken as local time) whose UTC and local forms exist
    and whose year is within MIN_YEAR–MAX_YEAR."""
    try:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        parsed.astimezone(UTC)
        timezone.localtime(parsed)
    except (OverflowError, ValueError):
        raise ValidationFailed(f"{label}超出可用范围（{MIN_YEAR}–{MAX_YEAR}年）", field=field) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR or not MIN_YEAR <= parsed.astimezone(UTC).year <= MAX_YEAR:
        raise ValidationFailed(f"{label}超出可用范围（{MIN_YEAR}–{MAX_YEAR}年）", field=field)
    return parsed


def parse_datetime(text, *, field: str | None = None, label: str = "时间") -> datetime:
    """ISO 8601 text (``2026-12-01T17:30:00+08:00``; without an offset it is local time) → an
    aware datetime. Impossible dates and times (2月30日, month 13, hour 25), offsets beyond a day
    (``+99:00``) and dates that leave the calendar when converted (``9999-12-31T23:00:00-05:00``)
    are refused with a Chinese message."""
    if not isinstance(text, str):
        raise ValidationFailed(f"{label}应为文本，格式如 {DATETIME_EXAMPLE}", field=field)
    nul_free(text, field=field)
    try:
        parsed = dateparse.parse_datetime(text.strip())
    except ValueError:  # well formed, but no such date, time or offset
        raise ValidationFailed(f"{label}不是有效的日期和时间（如 {DATETIME_EXAMPLE}）", field=field) from None
    if parsed is None:
        raise ValidationFailed(f"{label}格式应为 ISO 8601，如 {DATETIME_EXAMPLE}", field=field)
    return datetime_check(parsed, field=field, label=label)


def parse_date_or_datetime(text, *, field: str | None = None, label: str = "时间") -> date | datetime:
    """A date alone (``2026-12-01``) → that ``date`` (within MIN_YEAR–MAX_YEAR); anything else as
    :func:`parse_datetime`. For deadlines, where a date means the end of that office day."""
    if isinstance(text, str) and "\x00" not in text:
        try:
            day = dateparse.parse_date(text.strip())
        except ValueError:  # 2026-02-30
            raise ValidationFailed(f"{label}不是有效的日期（如 2026-12-01）", field=field) from None
        if day is not None and len(text.strip()) <= 10:
            if not MIN_YEAR <= day.year <= MAX_YEAR:
                raise ValidationFailed(f"{label}超出可用范围（{MIN_YEAR}–{MAX_YEAR}年）", field=field)
            return day
    return parse_datetime(text, field=field, label=label)


def parse_decimal(value, *, field: str | None = None, label: str = "数值", minimum=None, maximum=None,
                  places: int | None = None) -> Decimal:
    """A finite decimal within [minimum, maximum], rounded to ``places`` decimals. NaN,
    Infinity and values like ``1e999999`` are refused with a Chinese message."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValidationFailed(f"{label}应为数字", field=field)
    if isinstance(value, str):
        nul_free(value, field=field)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{label}应为数字", field=field) from None
    if not number.is_finite():
        raise ValidationFailed(f"{label}应为有限的数字", field=field)
    if (minimum is not None and number < Decimal(str(minimum))) or \
            (maximum is not None and number > Decimal(str(maximum))):
        raise ValidationFailed(f"{label}应在{minimum}到{maximum}之间", field=field)
    if places is not None:
        try:
            number = number.quantize(Decimal(1).scaleb(-places))
        except InvalidOperation:  # more digits than the decimal context holds
            raise ValidationFailed(f"{label}超出可用范围", field=field) from None
    return number


_DAY = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(?:0{1,2}:00(?::00)?)?\s*$")


def parse_day(text: str, *, field: str | None = None, label: str = "日期") -> date:
    """A day as offices write it in a sheet or a form: ``2026-06-30``, ``2026/6/30``, ``2026.6.30``,
    ``2026年6月30日`` (an Excel date cell reads as ``2026-06-30 00:00:00``). Impossible days and years
    outside MIN_YEAR–MAX_YEAR are refused with a Chinese message."""
    if not isinstance(text, str):
        raise ValidationFailed(f"{label}应为日期，如 2026-06-30", field=field)
    nul_free(text, field=field)
    match = _DAY.match(text)
    if match is None:
        raise ValidationFailed(f"{label}“{text.strip()[:20]}”不是日期，应写成 2026-06-30 或 2026年6月30日", field=field)
    year, month, day = (int(part) for part in match.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(f"{label}超出可用范围（{MIN_YEAR}–{MAX_YEAR}年）", field=field)
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationFailed(f"{label}“{text.strip()[:20]}”不是有效的日期（没有这一天）", field=field) from None


def parse_id(text) -> int | None:
    """A row id from a query string or form (``?unit=12``): a plain positive number, else None."""
    text = str(text or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None

"""Dates and times as Chinese official documents write them — the one formatter for every
document, notice text, message and export that writes a date in words.

GB/T 9704-2012 §7.3.5.1 (成文日期): Arabic numerals, the year in full, month and day without a
leading zero — ``2026年12月2日``, never ``2026年12月02日``. The standard says nothing of clock
times; documents here write them the same way, in 时 and 分 without leading zeros, and leave out
0分: ``2026年12月2日9时``, ``2026年1月5日9时5分``, ``2026年12月2日17时30分``.

An aware datetime is shown in the local time zone (settings.TIME_ZONE, Asia/Shanghai); a naive
one and a ``date`` are taken as they are.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def chinese_date(value: date | datetime, *, year: bool = True) -> str:
    """``2026年12月2日``; ``12月2日`` with ``year=False`` (short texts: messages, timeline notes)."""
    day = _local(value)
    text = f"{day.month}月{day.day}日"
    return f"{day.year}年{text}" if year else text


def chinese_time(value: datetime | time) -> str:
    """``9时``, ``9时5分``, ``0时``, ``17时30分``."""
    moment = _local(value) if isinstance(value, datetime) else value
    return f"{moment.hour}时{moment.minute}分" if moment.minute else f"{moment.hour}时"


def chinese_datetime(value: datetime, *, year: bool = True) -> str:
    """``2026年12月2日9时``, ``2026年1月5日9时5分``; without the year with ``year=False``."""
    moment = _local(value)
    return f"{chinese_date(moment, year=year)}{chinese_time(moment)}"

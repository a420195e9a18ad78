"""core/parsing.py: values typed by people and systems, refused in Chinese instead of failing."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from wenming.core.errors import ValidationFailed
from wenming.core.parsing import nul_free, parse_date_or_datetime, parse_datetime, parse_decimal


@pytest.mark.parametrize("text,expected", [
    ("2026-12-01T17:30:00+08:00", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
    ("2026-12-01T17:30:00Z", datetime(2026, 12, 1, 17, 30, tzinfo=UTC)),
    ("2026-12-01 17:30", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),  # no offset: local time (Asia/Shanghai)
    (" 2026-12-01T17:30:00-05:00 ", datetime(2026, 12, 1, 22, 30, tzinfo=UTC)),
])
def test_iso_datetimes_are_read(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text,says", [
    ("2026-02-30T10:00:00+08:00", "不是有效的日期和时间"), ("2026-13-01T10:00:00+08:00", "不是有效的日期和时间"),
    ("2026-12-01T25:00:00+08:00", "不是有效的日期和时间"), ("2026-12-01T10:00:00+99:00", "不是有效的日期和时间"),
    ("9999-12-31T23:00:00-05:00", "超出可用范围"), ("0001-01-01T00:00:00+08:00", "超出可用范围"),
    ("3000-01-01T00:00:00+08:00", "超出可用范围"), ("tomorrow", "格式应为 ISO 8601"), ("", "格式应为 ISO 8601"),
    ("2026-12-01T10:00\x00", "空字符"), (20261201, "应为文本"),
])
def test_impossible_datetimes_are_refused_in_chinese(text, says):
    with pytest.raises(ValidationFailed) as refused:
        parse_datetime(text, field="deadline", label="期限")
    assert says in refused.value.message and refused.value.field == "deadline"


@pytest.mark.parametrize("text,expected", [
    ("2026-12-01", date(2026, 12, 1)), (" 2027-01-08 ", date(2027, 1, 8)),   # a date alone stays a date
    ("2026-12-01T17:30:00+08:00", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),  # anything else: a datetime
    ("2026-12-01 09:00", datetime(2026, 12, 1, 1, 0, tzinfo=UTC)),
])
def test_a_date_alone_or_a_datetime(text, expected):
    parsed = parse_date_or_datetime(text)
    assert parsed == expected and type(parsed) is type(expected)


@pytest.mark.parametrize("text,says", [
    ("2026-02-30", "不是有效的日期"), ("0001-01-01", "超出可用范围"), ("3000-01-01", "超出可用范围"),
    ("2026-12-01\x00", "空字符"), ("2026-02-30T10:00:00+08:00", "不是有效的日期和时间"), ("tomorrow", "ISO 8601"),
])
def test_a_date_alone_or_a_datetime_refused_in_chinese(text, says):
    with pytest.raises(ValidationFailed) as refused:
        parse_date_or_datetime(text, field="deadline", label="期限")
    assert says in refused.value.message and refused.value.field == "deadline"


@pytest.mark.parametrize("value,expected", [("30.25", Decimal("30.250000")), (120, Decimal("120.000000")),
                                            (-89.5, Decimal("-89.500000")), (" 1e1 ", Decimal("10.000000"))])
def test_finite_decimals_are_read(value, expected):
    assert parse_decimal(value, minimum=-180, maximum=180, places=6) == expected


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-inf", "1e999999", float("nan"), float("inf"), "abc",
                                   "", "1\x00", True, None, [1]])
def test_other_numbers_are_refused(value):
    with pytest.raises(ValidationFailed):
        parse_decimal(value, field="latitude", label="纬度", minimum=-90, maximum=90, places=6)


def test_huge_numbers_without_bounds_are_refused_not_crashing():
    with pytest.raises(ValidationFailed, match="超出可用范围"):
        parse_decimal("1e999999", places=6)


def test_nul_free():
    assert nul_free("甲乙") == "甲乙"
    with pytest.raises(ValidationFailed, match="空字符"):
        nul_free("甲\x00乙", field="title")


def test_a_naive_datetime_is_local_time():
    assert parse_datetime("2026-06-01T08:00:00").utcoffset() == timedelta(hours=8)
    assert parse_datetime("2026-06-01T08:00:00").tzinfo is not None
    assert parse_datetime("2026-06-01T08:00:00+00:00").astimezone(timezone.utc).hour == 8

"""Dates and times written the GB/T 9704-2012 way: no leading zeros, in the local time zone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from wenming.core.dates import chinese_date, chinese_datetime, chinese_time

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_dates_have_no_leading_zeros():
    assert chinese_date(date(2026, 12, 2)) == "2026年12月2日"
    assert chinese_date(date(2026, 1, 5)) == "2026年1月5日"
    assert chinese_date(date(2026, 10, 20)) == "2026年10月20日"
    assert chinese_date(date(2026, 1, 5), year=False) == "1月5日"


def test_times_in_hours_and_minutes_without_leading_zeros():
    assert chinese_datetime(datetime(2026, 1, 5, 9, 5, tzinfo=SHANGHAI)) == "2026年1月5日9时5分"
    assert chinese_datetime(datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)) == "2026年12月2日9时"
    assert chinese_datetime(datetime(2026, 12, 2, 17, 30, tzinfo=SHANGHAI)) == "2026年12月2日17时30分"
    assert chinese_datetime(datetime(2026, 12, 2, 0, 0, tzinfo=SHANGHAI)) == "2026年12月2日0时"
    assert chinese_datetime(datetime(2026, 1, 5, 9, 5, tzinfo=SHANGHAI), year=False) == "1月5日9时5分"
    assert chinese_time(time(8, 0)) == "8时" and chinese_time(time(8, 9)) == "8时9分"
    assert "09" not in chinese_datetime(datetime(2026, 9, 9, 9, 9, tzinfo=SHANGHAI))


def test_aware_values_are_shown_in_local_time():
    # 2026-01-04 17:05 UTC is 2026-01-05 01:05 in Beijing: the date turns over too
    moment = datetime(2026, 1, 4, 17, 5, tzinfo=UTC)
    assert chinese_date(moment) == "2026年1月5日"
    assert chinese_datetime(moment) == "2026年1月5日1时5分"
    # a naive value is taken as it is
    assert chinese_datetime(datetime(2026, 1, 4, 17, 5)) == "2026年1月4日17时5分"

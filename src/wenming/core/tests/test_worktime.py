"""Working-time arithmetic pinned against the official 2026 calendar (chinesecalendar 1.11.0).

2026 facts used below (国务院办公厅 2026 holiday notice, as encoded in the library):
  元旦       1-1..1-3 off, Sunday 1-4 worked
  春节       2-15..2-23 off, Saturday 2-14 and Saturday 2-28 worked
  中秋       Friday 9-25..Sunday 9-27 off, Sunday 9-20 worked
  国庆       10-1..10-7 off, Saturday 10-10 worked
No pytest-django marks: nothing here touches the database.
"""

import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from wenming.core.worktime import (
    OutOfRange,
    Schedule,
    WorkIndex,
    add_working_days,
    add_working_hours,
    calendar_covers,
    holidays_computed,
    is_working_day,
    next_office_moment,
    office_day_end,
    office_periods,
    statutory_holidays,
    working_hours_between,
)

SH = ZoneInfo("Asia/Shanghai")
S = Schedule()


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


# ------------------------------------------------------------------ calendar


@pytest.mark.parametrize("day, working", [
    (date(2026, 9, 20), True),    # Sunday, make-up day for 中秋
    (date(2026, 9, 25), False),   # Friday, 中秋
    (date(2026, 9, 30), True),    # Wednesday
    (date(2026, 10, 1), False),   # 国庆
    (date(2026, 10, 7), False),
    (date(2026, 10, 8), True),    # Thursday
    (date(2026, 10, 10), True),   # Saturday, make-up day for 国庆
    (date(2026, 10, 11), False),  # Sunday
    (date(2026, 2, 14), True),    # Saturday, make-up day for 春节
    (date(2026, 2, 23), False),   # Monday, last day of 春节
    (date(2026, 2, 24), True),
    (date(2026, 1, 4), True),     # Sunday, make-up day for 元旦
    (date(2026, 3, 14), False),   # ordinary Saturday
])
def test_is_working_day_follows_official_calendar(day, working):
    assert is_working_day(day, S) is working
    assert chinese_calendar.is_workday(day) is working  # the library agrees: the pins are real data


def test_calendar_coverage_and_the_computed_holidays_of_2027():
    assert calendar_covers(2004) and calendar_covers(2026)
    assert not calendar_covers(2003) and not calendar_covers(2027)
    assert holidays_computed(2027) and not holidays_computed(2026) and not holidays_computed(2003)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))
    # 2027 is not in the library: Monday–Friday less the statutory holidays. 元旦 is a Friday.
    assert is_working_day(date(2027, 1, 1), S) is False
    assert is_working_day(date(2027, 1, 2), S) is False  # Saturday
    assert is_working_day(date(2027, 1, 4), S) is True   # Monday
    assert is_working_day(date(2003, 6, 2), S) is True   # Monday, before the library's range: Monday–Friday
    assert is_working_day(date(2003, 1, 1), S) is True   # (the regulation then in force is not modelled)


# 2027 by the regulation as amended in 2024 (in force from 2025), the lunar dates from the lunar
# calendar: 除夕 2-5 (正月初一 2-6), 清明 4-5, 端午 (五月初五) 6-9, 中秋 (八月十五) 9-15.
HOLIDAYS_2027 = {
    date(2027, 1, 1): "元旦",
    date(2027, 2, 5): "春节", date(2027, 2, 6): "春节", date(2027, 2, 7): "春节", date(2027, 2, 8): "春节",
    date(2027, 4, 5): "清明节",
    date(2027, 5, 1): "劳动节", date(2027, 5, 2): "劳动节",
    date(2027, 6, 9): "端午节",
    date(2027, 9, 15): "中秋节",
    date(2027, 10, 1): "国庆节", date(2027, 10, 2): "国庆节", date(2027, 10, 3): "国庆节",
}


def test_statutory_holidays_of_2027():
    assert dict(statutory_holidays(2027)) == HOLIDAYS_2027
    # the weekdays among them are days off; the weekend ones are off anyway (补假 is the State Council's)
    for day in HOLIDAYS_2027:
        assert is_working_day(day, S) is False, day
    assert is_working_day(date(2027, 2, 4), S) is True    # Thursday before 除夕 (a bridge day only if announced)
    assert is_working_day(date(2027, 2, 9), S) is True    # Tuesday after 初三
    assert is_working_day(date(2027, 9, 14), S) is True   # Tuesday before 中秋
    assert is_working_day(date(2027, 10, 4), S) is True   # Monday after 国庆 (its 补假 is announced, not computed)


def test_statutory_holidays_when_two_coincide_and_in_a_hard_lunar_year():
    # 2028: 中秋 (八月十五) is 10-3, inside 国庆: 12 days, not 13
    holidays_2028 = statutory_holidays(2028)
    assert len(holidays_2028) == 12 and holidays_2028[date(2028, 10, 3)] == "中秋节、国庆节"
    assert [d for d, name in holidays_2028.items() if name == "春节"] == [date(2028, 1, 25) + timedelta(days=i)
                                                                         for i in range(4)]
    # 2033 (the “2033年问题” of the lunar calendar): 中秋 9-8, 春节 from 除夕 1-30
    holidays_2033 = statutory_holidays(2033)
    assert holidays_2033[date(2033, 9, 8)] == "中秋节" and holidays_2033[date(2033, 1, 30)] == "春节"


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rule_gives_the_statutory_days_the_library_has(year):
    """Under the current regulation (2025 on), every day the rule computes is a day off in the
    official arrangement the library encodes, under the same festival (the arrangement adds the
    调休 bridge days, which are not statutory)."""
    names = {"元旦": "New Year's Day", "春节": "Spring Festival", "清明节": "Tomb-sweeping Day",
             "劳动节": "Labour Day", "端午节": "Dragon Boat Festival", "中秋节": "Mid-autumn Festival",
             "国庆节": "National Day"}
    computed = statutory_holidays(year)
    assert len(computed) == 13
    for day, name in computed.items():
        holiday, library_name = chinese_calendar.get_holiday_detail(day)
        assert holiday and not chinese_calendar.is_workday(day), (day, name)
        if library_name is not None:  # the library names no plain weekend
            assert library_name == names[name], (day, name, library_name)


@pytest.mark.parametrize("year", range(2008, 2027))
def test_the_lunar_festivals_match_the_library_since_2008(year):
    """正月初一, 清明, 端午 and 中秋 have been holidays since 2008: the lunar calendar library and the
    solar term give the days the official arrangements (in chinese_calendar) gave them."""
    computed = statutory_holidays(year)
    festivals = {name: [day for day, n in computed.items() if name in n.split("、")]
                 for name in ("春节", "清明节", "端午节", "中秋节")}
    new_year = festivals["春节"][1]  # 正月初一 (除夕 was not statutory before 2025)
    expected = {new_year: "Spring Festival", festivals["清明节"][0]: "Tomb-sweeping Day",
                festivals["端午节"][0]: "Dragon Boat Festival", festivals["中秋节"][0]: "Mid-autumn Festival"}
    for day, name in expected.items():
        holiday, library_name = chinese_calendar.get_holiday_detail(day)
        assert holiday, (day, name)
        # a festival on a weekend is not named; 中秋 within 国庆 (2009: 10-3, 2020: 10-1) is named 国庆
        assert library_name == name or (library_name is None and day.weekday() >= 5) or \
            (library_name == "National Day" and day.month == 10 and day.day <= 3), (day, name, library_name)


def test_the_end_of_an_office_day():
    assert office_day_end(date(2027, 1, 4), S) == at(2027, 1, 4, 17, 30)
    assert office_day_end(date(2027, 1, 1), S) == at(2027, 1, 1, 17, 30)  # the date given, working day or not
    late = Schedule(periods=(("08:00", "12:00"), ("15:00", "18:00")))
    assert office_day_end(date(2026, 12, 7), late) == at(2026, 12, 7, 18)
    with pytest.raises(TypeError):
        office_day_end(at(2026, 12, 7, 9), S)


def test_overrides_win_over_library_and_fallback():
    schedule = Schedule(overrides={date(2026, 3, 14): True,    # ordinary Saturday made a working day
                                   date(2026, 3, 16): False,   # ordinary Monday made a day off
                                   date(2027, 1, 1): False})   # 元旦 2027 entered before the library has it
    assert is_working_day(date(2026, 3, 14), schedule) is True
    assert is_working_day(date(2026, 3, 16), schedule) is False
    assert is_working_day(date(2027, 1, 1), schedule) is False
    assert is_working_day(date(2026, 3, 14), S) is False  # default schedule untouched


def test_is_working_day_accepts_aware_datetime_in_schedule_zone():
    # 2026-03-13 17:00 UTC is Saturday 01:00 in Shanghai.
    assert is_working_day(datetime(2026, 3, 13, 17, 0, tzinfo=timezone.utc), S) is False
    assert is_working_day(datetime(2026, 3, 13, 15, 0, tzinfo=timezone.utc), S) is True


# ------------------------------------------------------------------ add_working_days


def test_national_day_2026_three_working_days():
    # Wed 9-30 16:00 → 10-8 Thu (1), 10-9 Fri (2), 10-10 Sat make-up (3).
    assert add_working_days(at(2026, 9, 30, 16), 3, S) == at(2026, 10, 10, 17, 30)
    # One more day skips Sunday 10-11.
    assert add_working_days(at(2026, 9, 30, 16), 4, S) == at(2026, 10, 12, 17, 30)


def test_three_working_days_over_ordinary_weekend():
    due = add_working_days(at(2026, 3, 13, 16), 3, S)  # Friday 16:00
    assert due == at(2026, 3, 18, 17, 30)              # Wednesday 17:30
    assert due.tzinfo is SH
    # The start's day never counts, whatever the hour (Friday evening, Saturday).
    assert add_working_days(at(2026, 3, 13, 20), 3, S) == at(2026, 3, 18, 17, 30)
    assert add_working_days(at(2026, 3, 14, 10), 3, S) == at(2026, 3, 18, 17, 30)


def test_mid_autumn_2026_make_up_sunday_counts():
    # Fri 9-18 10:00: Sun 9-20 (make-up, 1), Mon 9-21 (2); Thu 9-24 (5), then 9-25..27 off, Mon 9-28 (6).
    assert add_working_days(at(2026, 9, 18, 10), 1, S) == at(2026, 9, 20, 17, 30)
    assert add_working_days(at(2026, 9, 18, 10), 2, S) == at(2026, 9, 21, 17, 30)
    assert add_working_days(at(2026, 9, 18, 10), 6, S) == at(2026, 9, 28, 17, 30)


def test_spring_festival_2026_crossing():
    # Fri 2-13 10:00: Sat 2-14 make-up (1), then 2-15..2-23 off, Tue 2-24 (2), Wed 2-25 (3).
    assert add_working_days(at(2026, 2, 13, 10), 3, S) == at(2026, 2, 25, 17, 30)
    # 15 working days (难点) from Thu 2-12: 2-13, 2-14, 2-24..2-27 (6), Sat 2-28 make-up (7),
    # 3-2..3-6 (12), 3-9, 3-10, 3-11 (15).
    assert add_working_days(at(2026, 2, 12, 9), 15, S) == at(2026, 3, 11, 17, 30)


def test_same_day_zero_working_days():
    assert add_working_days(at(2026, 3, 10, 9), 0, S) == at(2026, 3, 10, 17, 30)
    assert add_working_days(at(2026, 3, 10, 17, 29), 0, S) == at(2026, 3, 10, 17, 30)
    # At/after the end of office hours "today" is over: end of the next working day, never before the start.
    assert add_working_days(at(2026, 3, 10, 17, 30), 0, S) == at(2026, 3, 11, 17, 30)
    assert add_working_days(at(2026, 3, 13, 20), 0, S) == at(2026, 3, 16, 17, 30)  # Friday night → Monday
    # Non-working day: end of the next working day.
    assert add_working_days(at(2026, 10, 1, 10), 0, S) == at(2026, 10, 8, 17, 30)


def test_override_saturday_working_shortens_deadline():
    schedule = Schedule(overrides={date(2026, 3, 14): True})
    # Fri 3-13 16:00: Sat 3-14 (1), Mon 3-16 (2), Tue 3-17 (3).
    assert add_working_days(at(2026, 3, 13, 16), 3, schedule) == at(2026, 3, 17, 17, 30)
    assert add_working_hours(at(2026, 3, 13, 16), 3, schedule) == at(2026, 3, 14, 10, 0)


def test_a_deadline_across_new_year_2027_skips_yuandan():
    # Thu 2026-12-31 10:00, 2 working days: Fri 2027-01-01 is 元旦, so Mon 1-4 (1), Tue 1-5 (2).
    assert add_working_days(at(2026, 12, 31, 10), 2, S) == at(2027, 1, 5, 17, 30)
    assert add_working_days(at(2026, 12, 31, 10), 3, S) == at(2027, 1, 6, 17, 30)
    # 8 working hours from Thursday 16:00: 1.5 h on 12-31, then 6.5 h on Monday 1-4
    assert add_working_hours(at(2026, 12, 31, 16), 8, S) == at(2027, 1, 4, 17, 0)
    assert working_hours_between(at(2026, 12, 31, 9), at(2027, 1, 5, 9), S) == 7.0 - 0.5 + 7.0 + 0.5
    # an office override still wins: a 调休 working Saturday the State Council might announce
    with_saturday = Schedule(overrides={date(2027, 1, 2): True})
    assert add_working_days(at(2026, 12, 31, 10), 2, with_saturday) == at(2027, 1, 4, 17, 30)
    # ordinary weeks of the uncovered year: Mon–Fri
    assert add_working_days(at(2027, 3, 5, 9), 1, S) == at(2027, 3, 8, 17, 30)
    assert working_hours_between(at(2027, 3, 1), at(2027, 3, 8), S) == 35.0
    # 春节 2027 (2-5 .. 2-8): from Thursday 2-4 one working day is Tuesday 2-9
    assert add_working_days(at(2027, 2, 4, 9), 1, S) == at(2027, 2, 9, 17, 30)


def test_add_working_days_rejects_bad_input():
    with pytest.raises(ValueError):
        add_working_days(at(2026, 3, 10, 9), -1, S)
    with pytest.raises(TypeError):
        add_working_days(at(2026, 3, 10, 9), 1.5, S)
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 3, 10, 9), 1, S)  # naive


# ------------------------------------------------------------------ add_working_hours


def test_four_hours_from_friday_1100_fit_in_friday():
    # 11:00–12:00 (1 h) + 14:00–17:00 (3 h): no weekend needed.
    assert add_working_hours(at(2026, 3, 13, 11), 4, S) == at(2026, 3, 13, 17, 0)


def test_hours_across_an_ordinary_weekend():
    # Friday 11:00, 6 h: 1 h + 3.5 h on Friday, 1.5 h on Monday from 08:30.
    assert add_working_hours(at(2026, 3, 13, 11), 6, S) == at(2026, 3, 16, 10, 0)


def test_hours_across_lunch():
    assert add_working_hours(at(2026, 3, 10, 10), 3, S) == at(2026, 3, 10, 15, 0)
    assert add_working_hours(at(2026, 3, 10, 11, 30), Decimal("0.5"), S) == at(2026, 3, 10, 12, 0)
    assert add_working_hours(at(2026, 3, 10, 11, 30), Decimal("0.75"), S) == at(2026, 3, 10, 14, 15)
    # Starting during lunch counts from 14:00.
    assert add_working_hours(at(2026, 3, 10, 12, 30), 1, S) == at(2026, 3, 10, 15, 0)


def test_deadline_landing_on_period_end_stays_there():
    assert add_working_hours(at(2026, 3, 10, 14), 3.5, S) == at(2026, 3, 10, 17, 30)
    assert add_working_hours(at(2026, 3, 10, 8, 30), 7, S) == at(2026, 3, 10, 17, 30)


def test_start_in_the_evening_counts_from_next_morning():
    assert add_working_hours(at(2026, 3, 10, 20), 2, S) == at(2026, 3, 11, 10, 30)
    assert add_working_hours(at(2026, 3, 10, 17, 30), 1, S) == at(2026, 3, 11, 9, 30)
    assert add_working_hours(at(2026, 3, 11, 6), 1, S) == at(2026, 3, 11, 9, 30)


def test_zero_hours_is_next_office_moment():
    assert add_working_hours(at(2026, 3, 10, 10), 0, S) == at(2026, 3, 10, 10)
    assert add_working_hours(at(2026, 3, 10, 20), 0, S) == at(2026, 3, 11, 8, 30)
    assert add_working_hours(at(2026, 3, 10, 12), 0, S) == at(2026, 3, 10, 14)
    assert add_working_hours(at(2026, 10, 1, 9), 0, S) == at(2026, 10, 8, 8, 30)


def test_hours_over_national_day_and_spring_festival():
    # Wed 9-30 16:00: 1.5 h that day, 2.5 h on Thu 10-8.
    assert add_working_hours(at(2026, 9, 30, 16), 4, S) == at(2026, 10, 8, 11, 0)
    # Sat 2-14 (make-up) 16:00: 1.5 h that day, 2.5 h on Tue 2-24.
    assert add_working_hours(at(2026, 2, 14, 16), 4, S) == at(2026, 2, 24, 11, 0)
    # Starting on a holiday: 2-16 is 春节 → counting from 2-24 08:30.
    assert add_working_hours(at(2026, 2, 16, 10), 8, S) == at(2026, 2, 25, 9, 30)


def test_other_time_zone_in_schedule_zone_out():
    start = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
    due = add_working_hours(start, 3, S)
    assert due == at(2026, 3, 10, 15, 0)
    assert due.tzinfo is SH


def test_add_working_hours_rejects_bad_input():
    for bad in (-1, float("nan"), float("inf"), Decimal("-0.5"), Decimal("NaN")):
        with pytest.raises(ValueError):
            add_working_hours(at(2026, 3, 10, 9), bad, S)
    with pytest.raises(TypeError):
        add_working_hours(at(2026, 3, 10, 9), "3", S)
    with pytest.raises(ValueError):
        add_working_hours(datetime(2026, 3, 10, 9), 3, S)


# ------------------------------------------------------------------ working_hours_between


def test_between_over_the_national_day_week():
    assert working_hours_between(at(2026, 9, 30, 8, 30), at(2026, 10, 9, 17, 30), S) == 21.0
    assert working_hours_between(at(2026, 9, 28), at(2026, 10, 12), S) == 42.0  # 9-28..9-30, 10-8..10-10
    assert working_hours_between(at(2026, 9, 30, 16), at(2026, 10, 8, 11), S) == 4.0


def test_between_partial_periods_and_order():
    assert working_hours_between(at(2026, 3, 10, 11), at(2026, 3, 10, 15), S) == 2.0
    assert working_hours_between(at(2026, 3, 10, 12, 15), at(2026, 3, 10, 13, 45), S) == 0.0  # lunch
    assert working_hours_between(at(2026, 3, 10, 15), at(2026, 3, 10, 11), S) == 0.0        # b < a
    assert working_hours_between(at(2026, 3, 10, 15), at(2026, 3, 10, 15), S) == 0.0


def test_between_a_whole_year_matches_library_workday_count():
    workdays_2026 = len(chinese_calendar.get_workdays(date(2026, 1, 1), date(2026, 12, 31)))
    assert workdays_2026 == 248
    assert working_hours_between(at(2026, 1, 1), at(2027, 1, 1), S) == 248 * 7.0


@pytest.mark.parametrize("start", [at(2026, 9, 30, 16), at(2026, 2, 13, 11, 7), at(2026, 3, 10, 20),
                                   at(2026, 12, 30, 12, 30)])
@pytest.mark.parametrize("hours", [0.25, 4, 7, 15.5, 100])
def test_between_is_inverse_of_add(start, hours):
    due = add_working_hours(start, hours, S)
    assert working_hours_between(start, due, S) == pytest.approx(hours, abs=1e-9)


# ------------------------------------------------------------------ schedule, helpers


def test_custom_schedule_and_helpers():
    summer = Schedule(periods=(("08:00", "12:00"), ("15:00", "18:00")), tz="Asia/Shanghai")
    assert summer.periods == ((time(8), time(12)), (time(15), time(18)))
    assert summer.tz is SH
    assert summer.daily_hours == 7.0
    assert S.daily_hours == 7.0
    assert add_working_hours(at(2026, 3, 10, 11), 2, summer) == at(2026, 3, 10, 16, 0)
    assert add_working_days(at(2026, 3, 10, 11), 1, summer) == at(2026, 3, 11, 18, 0)
    assert next_office_moment(at(2026, 3, 10, 12, 30), summer) == at(2026, 3, 10, 15, 0)
    assert office_periods(date(2026, 10, 10), S) == [(at(2026, 10, 10, 8, 30), at(2026, 10, 10, 12)),
                                                    (at(2026, 10, 10, 14), at(2026, 10, 10, 17, 30))]
    assert office_periods(date(2026, 10, 11), S) == []


def test_next_office_moment():
    assert next_office_moment(at(2026, 3, 10, 8, 30), S) == at(2026, 3, 10, 8, 30)  # start inclusive
    assert next_office_moment(at(2026, 3, 10, 17, 30), S) == at(2026, 3, 11, 8, 30)  # end exclusive
    assert next_office_moment(at(2026, 3, 13, 18), S) == at(2026, 3, 16, 8, 30)      # Friday → Monday
    assert next_office_moment(at(2026, 9, 30, 18), S) == at(2026, 10, 8, 8, 30)      # over 国庆


def test_schedule_validation_and_immutability():
    with pytest.raises(ValueError):
        Schedule(periods=())
    with pytest.raises(ValueError):
        Schedule(periods=((time(12), time(8)),))
    with pytest.raises(ValueError):
        Schedule(periods=((time(14), time(17)), (time(8), time(12))))  # out of order
    with pytest.raises(TypeError):
        Schedule(overrides={datetime(2026, 3, 14): True})
    source = {date(2026, 3, 14): True}
    schedule = Schedule(overrides=source)
    source[date(2026, 3, 14)] = False           # the schedule keeps its own copy
    assert is_working_day(date(2026, 3, 14), schedule) is True
    with pytest.raises(TypeError):
        schedule.overrides[date(2026, 3, 15)] = True  # read-only
    assert Schedule() == S and hash(Schedule()) == hash(S)
    assert schedule != S
    hash(schedule)  # hashable despite holding a mapping


# ------------------------------------------------------------------ the index (the one implementation)
#
# The functions answer through a WorkIndex; both are checked here against a reference written
# straight from the definitions, walking the office periods day by day.


def _reference_periods_from(moment, schedule):
    day = moment.date()
    while True:
        for start, end in office_periods(day, schedule):
            if end > moment:
                yield start, end
        day += timedelta(days=1)


def reference_add_hours(start, hours, schedule):
    remaining = timedelta(hours=hours) if not isinstance(hours, Decimal) else \
        timedelta(microseconds=int((hours * 3_600_000_000).to_integral_value()))
    moment = start.astimezone(schedule.tz)
    for period_start, period_end in _reference_periods_from(moment, schedule):
        begin = max(moment, period_start)
        if remaining <= period_end - begin:
            return begin + remaining
        remaining -= period_end - begin


def reference_add_days(start, days, schedule):
    moment = start.astimezone(schedule.tz)
    day = moment.date()
    close = schedule.periods[-1][1]
    if days == 0 and is_working_day(day, schedule) and moment < datetime.combine(day, close, tzinfo=schedule.tz):
        return datetime.combine(day, close, tzinfo=schedule.tz)
    for _ in range(max(days, 1)):
        day += timedelta(days=1)
        while not is_working_day(day, schedule):
            day += timedelta(days=1)
    return datetime.combine(day, close, tzinfo=schedule.tz)


def reference_between(a, b, schedule):
    a, b = a.astimezone(schedule.tz), b.astimezone(schedule.tz)
    total, day = timedelta(), a.date()
    while day <= b.date():
        for period_start, period_end in office_periods(day, schedule):
            total += max(timedelta(), min(b, period_end) - max(a, period_start))
        day += timedelta(days=1)
    return total / timedelta(hours=1)


def _moments(rng, count, first=at(2025, 12, 1), days=430):
    """Random moments, a third of them on a period's bounds (where the conventions matter)."""
    bounds = [time(8, 30), time(12), time(14), time(17, 30), time(0)]
    for _ in range(count):
        moment = first + timedelta(minutes=rng.randint(0, days * 24 * 60), microseconds=rng.randint(0, 999_999))
        if rng.random() < 0.35:
            moment = datetime.combine(moment.date(), rng.choice(bounds), tzinfo=SH)
        yield moment


SCHEDULES = [S, Schedule(overrides={date(2026, 3, 14): True, date(2026, 3, 16): False, date(2027, 1, 1): False}),
             Schedule(periods=(("08:00", "12:00"), ("15:00", "18:00")))]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_index_and_functions_agree_with_the_reference(schedule):
    # 2025-12 .. 2027-02: the official calendar, its holidays and make-up days, then the fallback year
    index = WorkIndex(schedule, date(2025, 11, 1), date(2027, 12, 31))
    rng = random.Random(7)
    for a in _moments(rng, 400):
        b = a + timedelta(minutes=rng.randint(0, 25 * 24 * 60))
        expected = reference_between(a, b, schedule)
        assert index.working_hours_between(a, b) == expected == working_hours_between(a, b, schedule), (a, b)
        assert index.working_hours_between(b, a) == 0.0 == working_hours_between(b, a, schedule)
        days = rng.randint(0, 16)
        expected = reference_add_days(a, days, schedule)
        assert index.add_working_days(a, days) == expected == add_working_days(a, days, schedule), (a, days)
        hours = rng.choice([0, 0.5, 3.5, 7, rng.uniform(0.01, 60), Decimal(rng.randint(1, 4000)) / 100])
        expected = reference_add_hours(a, hours, schedule)
        assert index.add_working_hours(a, hours) == expected == add_working_hours(a, hours, schedule), (a, hours)
        assert index.next_office_moment(a) == reference_add_hours(a, 0, schedule) == next_office_moment(a, schedule)
        assert index.is_working_day(a.date()) is is_working_day(a.date(), schedule)
        # offsets are office time: the difference of two is the time between
        assert (index.offset(b) - index.offset(a)) / 3_600_000_000 == reference_between(a, b, schedule)


def test_index_positions_at_period_bounds():
    index = WorkIndex(S, date(2026, 3, 9), date(2026, 3, 20))  # Monday .. Friday of the next week
    monday, noon = at(2026, 3, 9, 8, 30), at(2026, 3, 9, 12)
    assert index.offset(monday) == 0 and index.offset(at(2026, 3, 9, 6)) == 0
    assert index.offset(noon) == index.offset(at(2026, 3, 9, 13)) == index.offset(at(2026, 3, 9, 14))
    assert index.offset(noon) == 3.5 * 3_600_000_000
    assert index.moment(index.offset(noon)) == at(2026, 3, 9, 14)              # the next period starts
    assert index.moment(index.offset(noon), at_end=True) == noon               # a deadline stays at the end
    friday_close = index.offset(at(2026, 3, 13, 17, 30))
    assert friday_close == 5 * 7 * 3_600_000_000
    assert index.moment(friday_close) == at(2026, 3, 16, 8, 30)
    assert index.moment(friday_close, at_end=True) == at(2026, 3, 13, 17, 30)


def test_index_refuses_what_leaves_its_range_and_the_functions_grow():
    index = WorkIndex(S, date(2026, 3, 9), date(2026, 3, 13))
    with pytest.raises(OutOfRange):
        index.offset(at(2026, 3, 14, 9))
    with pytest.raises(OutOfRange):
        index.add_working_days(at(2026, 3, 12, 9), 2)  # Monday 3-16 is past the range
    with pytest.raises(OutOfRange):
        index.add_working_hours(at(2026, 3, 13, 17), 1)
    with pytest.raises(OutOfRange):
        index.next_office_moment(at(2026, 3, 13, 18))
    assert index.add_working_days(at(2026, 3, 12, 9), 1) == at(2026, 3, 13, 17, 30)
    with pytest.raises(ValueError):
        WorkIndex(S, date(2026, 3, 13), date(2026, 3, 9))
    with pytest.raises(ValueError):
        index.offset(datetime(2026, 3, 10, 9))  # naive
    # the functions are not bounded by any range: far back, far ahead, long spans
    assert add_working_days(at(1999, 12, 31, 9), 1, S) == at(2000, 1, 3, 17, 30)  # fallback, Monday
    assert add_working_days(at(2080, 6, 6, 9), 1, S) == at(2080, 6, 7, 17, 30)    # a Thursday
    far = add_working_hours(at(2026, 3, 10, 9), 20_000, S)
    assert far == reference_add_hours(at(2026, 3, 10, 9), 20_000, S)
    assert working_hours_between(at(2026, 3, 10, 9), far, S) == 20_000
    assert working_hours_between(at(2004, 1, 1), at(2027, 1, 1), S) == reference_between(at(2004, 1, 1), at(2027, 1, 1), S)


def test_working_days_follow_the_library_on_every_covered_day():
    day = date(min(chinese_calendar.holidays).year, 1, 1)
    last = date(max(chinese_calendar.holidays).year, 12, 31)
    while day <= last:
        assert is_working_day(day, S) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)

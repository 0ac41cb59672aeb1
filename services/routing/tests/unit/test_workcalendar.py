"""Working-day calendar: lunar dates, holidays, working-hour and working-day arithmetic, stopped clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.routing.domain.workcalendar import (
    DEFAULT_CALENDAR,
    VN_TZ,
    WorkCalendar,
    YearConfig,
    add_working_days,
    add_working_hours,
    is_working_day,
    lunar_to_solar,
    working_hours_between,
)


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """An aware datetime in Vietnam time."""
    return datetime(y, mo, d, h, mi, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    "year, tet",
    [
        (1985, date(1985, 1, 21)),  # Vietnam's Tết a month before China's (1985-02-20)
        (2007, date(2007, 2, 17)),  # China: 2007-02-18
        (2024, date(2024, 2, 10)),
        (2025, date(2025, 1, 29)),
        (2026, date(2026, 2, 17)),
        (2027, date(2027, 2, 6)),
    ],
)
def test_lunar_new_year_at_utc_plus_7(year, tet):
    assert lunar_to_solar(1, 1, year) == tet


@pytest.mark.parametrize("year, china", [(1985, date(1985, 2, 20)), (2007, date(2007, 2, 18))])
def test_vietnamese_tet_differs_from_chinese_in_some_years(year, china):
    assert lunar_to_solar(1, 1, year, tz_hours=8) == china
    assert lunar_to_solar(1, 1, year) != china


@pytest.mark.parametrize(
    "year, gio_to",
    [
        (2024, date(2024, 4, 18)),
        (2025, date(2025, 4, 7)),
        (2026, date(2026, 4, 26)),
        (2027, date(2027, 4, 16)),
    ],
)
def test_gio_to_hung_vuong_is_10th_of_3rd_lunar_month(year, gio_to):
    assert lunar_to_solar(10, 3, year) == gio_to
    assert DEFAULT_CALENDAR.holidays(year)[gio_to] == "Giỗ Tổ Hùng Vương"


def test_leap_month_2023_and_missing_leap_month():
    assert lunar_to_solar(1, 2, 2023, leap=True) == date(2023, 3, 22)
    assert lunar_to_solar(1, 3, 2023) == date(2023, 4, 20)
    with pytest.raises(ValueError, match="no leap month"):
        lunar_to_solar(1, 5, 2023, leap=True)


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2026, 3, 6), True),  # Friday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2026, 1, 1), False),  # Tết Dương lịch
        (date(2026, 2, 13), True),  # Friday before Tết 2026
        (date(2026, 2, 16), False),  # 30 Tết (default span: the day before + mùng 1–4)
        (date(2026, 2, 17), False),  # mùng 1 Tết Bính Ngọ
        (date(2026, 2, 20), False),  # mùng 4
        (date(2026, 2, 23), True),  # back to work
        (date(2027, 2, 5), False),  # 30 Tết 2027 (Friday)
        (date(2027, 2, 9), False),  # mùng 4 (Tuesday)
        (date(2027, 2, 10), False),  # nghỉ bù for mùng 1 on Saturday
        (date(2027, 2, 11), False),  # nghỉ bù for mùng 2 on Sunday
        (date(2027, 2, 12), True),
        (date(2026, 4, 26), False),  # Giỗ Tổ on a Sunday …
        (date(2026, 4, 27), False),  # … compensated on Monday
        (date(2026, 4, 28), True),
        (date(2027, 4, 16), False),  # Giỗ Tổ 2027, Friday
        (date(2026, 4, 29), True),
        (date(2026, 4, 30), False),
        (date(2026, 5, 1), False),
        (date(2027, 5, 3), False),  # 1/5/2027 is a Saturday → Monday off
        (date(2026, 9, 1), False),  # default companion day of 2/9: the day before
        (date(2026, 9, 2), False),
        (date(2026, 9, 3), True),
    ],
)
def test_default_calendar_working_days(day, working):
    assert is_working_day(day) is working


def test_national_day_companion_after_and_configured_days():
    cal = WorkCalendar(
        years={
            2026: YearConfig(
                national_day_extra="after",
                days_off=frozenset({date(2026, 1, 2)}),  # announced compensatory day (Friday)
                working_days=frozenset({date(2026, 1, 10)}),  # swapped: Saturday made a working day
            )
        }
    )
    assert cal.is_working_day(date(2026, 9, 1)) and not cal.is_working_day(date(2026, 9, 3))
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.is_working_day(date(2026, 1, 10))
    assert DEFAULT_CALENDAR.is_working_day(date(2026, 1, 2)) and not DEFAULT_CALENDAR.is_working_day(
        date(2026, 1, 10)
    )


def test_announced_tet_span_replaces_default_and_auto_compensation_can_be_off():
    span = tuple(date(2027, 2, d) for d in (4, 5, 8, 9, 10))
    cal = WorkCalendar(years={2027: YearConfig(tet_days=span, auto_compensate=False)})
    assert [d for d in (date(2027, 2, n) for n in range(3, 13)) if cal.is_working_day(d)] == [
        date(2027, 2, 3),
        date(2027, 2, 11),
        date(2027, 2, 12),
    ]


@pytest.mark.parametrize(
    "years",
    [
        {2026: YearConfig(days_off=frozenset({date(2027, 1, 4)}))},
        {
            2026: YearConfig(
                days_off=frozenset({date(2026, 1, 3)}), working_days=frozenset({date(2026, 1, 3)})
            )
        },
    ],
)
def test_bad_year_config_is_refused(years):
    with pytest.raises(ValueError, match="year config 2026"):
        WorkCalendar(years=years)


@pytest.mark.parametrize(
    "start, hours, due",
    [
        (vn(2026, 3, 4, 8, 0), 2, vn(2026, 3, 4, 10, 0)),  # inside the morning
        (vn(2026, 3, 4, 10, 0), 1.5, vn(2026, 3, 4, 11, 30)),  # exact end of a period stays there
        (vn(2026, 3, 4, 11, 0), 1, vn(2026, 3, 4, 14, 0)),  # across lunch
        (vn(2026, 3, 6, 16, 0), 2, vn(2026, 3, 9, 8, 30)),  # across a weekend
        (vn(2026, 3, 7, 10, 0), 1, vn(2026, 3, 9, 8, 30)),  # start on Saturday
        (vn(2026, 3, 4, 6, 0), 1, vn(2026, 3, 4, 8, 30)),  # before opening
        (vn(2026, 3, 4, 12, 15), 1, vn(2026, 3, 4, 14, 30)),  # during lunch
        (vn(2026, 3, 4, 18, 0), 0.5, vn(2026, 3, 5, 8, 0)),  # after closing
        (vn(2026, 3, 4, 8, 0), 7.5, vn(2026, 3, 5, 8, 0)),  # one full working day
        (vn(2026, 2, 13, 16, 0), 2, vn(2026, 2, 23, 8, 30)),  # across Tết 2026
        (vn(2027, 2, 4, 16, 0), 2, vn(2027, 2, 12, 8, 30)),  # across Tết 2027 and its compensatory days
        (vn(2026, 4, 24, 16, 0), 2, vn(2026, 4, 28, 8, 30)),  # across Giỗ Tổ 2026 (Sun) + nghỉ bù (Mon)
        (vn(2027, 4, 15, 16, 0), 2, vn(2027, 4, 19, 8, 30)),  # across Giỗ Tổ 2027 (Fri)
        (vn(2026, 4, 29, 16, 0), 2, vn(2026, 5, 4, 8, 30)),  # across 30/4–1/5
        (vn(2026, 8, 31, 16, 0), 2, vn(2026, 9, 3, 8, 30)),  # across 1/9–2/9
        (vn(2026, 3, 4, 9, 0), 0, vn(2026, 3, 4, 9, 0)),
    ],
)
def test_add_working_hours(start, hours, due):
    assert add_working_hours(start, hours) == due


def test_add_working_hours_accepts_any_timezone_and_answers_in_vietnam_time():
    due = add_working_hours(datetime(2026, 3, 6, 2, 0, tzinfo=UTC), 1)  # 09:00 in Hà Tĩnh
    assert due == vn(2026, 3, 6, 10, 0) and due.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    "start, days, due",
    [
        (vn(2026, 3, 2, 10, 0), 1, vn(2026, 3, 3, 17, 0)),  # Monday → end of Tuesday
        (vn(2026, 3, 6, 10, 0), 1, vn(2026, 3, 9, 17, 0)),  # Friday → end of Monday
        (vn(2026, 3, 6, 18, 0), 1, vn(2026, 3, 9, 17, 0)),  # Friday evening: same
        (vn(2026, 3, 7, 10, 0), 1, vn(2026, 3, 9, 17, 0)),  # Saturday: Monday is day 1
        (vn(2026, 3, 6, 15, 0), 7, vn(2026, 3, 17, 17, 0)),
        (vn(2027, 2, 4, 9, 0), 7, vn(2027, 2, 22, 17, 0)),  # over Tết 2027
        (vn(2026, 2, 12, 9, 0), 3, vn(2026, 2, 24, 17, 0)),  # Fri 13 is day 1, then Tết: Mon 23, Tue 24
    ],
)
def test_add_working_days_ends_at_close_of_nth_working_day(start, days, due):
    assert add_working_days(start, days) == due


@pytest.mark.parametrize(
    "a, b, hours",
    [
        (vn(2026, 3, 2, 7, 30), vn(2026, 3, 3, 7, 30), 7.5),
        (vn(2026, 3, 6, 16, 0), vn(2026, 3, 9, 8, 30), 2.0),
        (vn(2026, 3, 7, 0, 0), vn(2026, 3, 8, 23, 0), 0.0),
        (vn(2026, 3, 4, 11, 0), vn(2026, 3, 4, 14, 0), 1.0),
        (vn(2026, 3, 9, 8, 30), vn(2026, 3, 6, 16, 0), -2.0),
    ],
)
def test_working_hours_between(a, b, hours):
    assert working_hours_between(a, b) == pytest.approx(hours)


def test_stopped_clock_spanning_a_weekend():
    start = vn(2026, 3, 6, 9, 0)  # Friday
    pause = (vn(2026, 3, 6, 15, 0), vn(2026, 3, 9, 10, 0))  # waiting on the citizen until Monday 10:00
    assert add_working_hours(start, 8) == vn(2026, 3, 9, 9, 30)
    assert add_working_hours(start, 8, [pause]) == vn(2026, 3, 9, 16, 0)
    assert working_hours_between(*pause) == pytest.approx(4.5)
    assert DEFAULT_CALENDAR.shift_for_pause(vn(2026, 3, 9, 9, 30), *pause) == vn(2026, 3, 9, 16, 0)
    assert working_hours_between(start, vn(2026, 3, 9, 16, 0), [pause]) == pytest.approx(8)


def test_stopped_clock_with_working_days_and_overlapping_pauses():
    start = vn(2026, 3, 2, 10, 0)  # Monday; 2 days → end of Wednesday without pauses
    pauses = [(vn(2026, 3, 3, 7, 0), vn(2026, 3, 3, 12, 0)), (vn(2026, 3, 3, 11, 0), vn(2026, 3, 3, 14, 30))]
    assert add_working_days(start, 2) == vn(2026, 3, 4, 17, 0)
    assert add_working_days(start, 2, pauses) == vn(2026, 3, 5, 14, 30)  # 5 h lost on Tuesday


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_hours(datetime(2026, 3, 2, 9, 0), 1),
        lambda: add_working_hours(vn(2026, 3, 2, 9), 1, [(vn(2026, 3, 2, 10), vn(2026, 3, 2, 9))]),
        lambda: add_working_hours(vn(2026, 3, 2, 9), -1),
        lambda: add_working_days(vn(2026, 3, 2, 9), -1),
        lambda: WorkCalendar(periods=((time(13, 0), time(12, 0)),)),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_custom_working_hours():
    cal = WorkCalendar(periods=((time(8, 0), time(12, 0)), (time(13, 0), time(17, 0))))
    assert cal.hours_per_day == 8
    assert cal.add_working_hours(vn(2026, 3, 6, 11, 0), 2) == vn(2026, 3, 6, 14, 0)
    assert cal.add_working_days(vn(2026, 3, 6, 11, 0), 1) == vn(2026, 3, 9, 17, 0)


def test_deadline_beyond_ten_years_fails_loudly():
    with pytest.raises(ValueError, match="no working time"):
        add_working_hours(vn(2026, 1, 5, 8), 7.5 * 3000)

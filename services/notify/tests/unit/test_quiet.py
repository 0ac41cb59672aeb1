"""Quiet hours for non-urgent citizen messages."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from services.notify.domain.quiet import DEFAULT_QUIET_HOURS, QuietHours, deliver_at

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(day: int, hh: int, mm: int = 0) -> datetime:
    """A Vietnam wall-clock time in March 2026."""
    return datetime(2026, 3, day, hh, mm, tzinfo=VN)


@pytest.mark.parametrize(
    ("now", "urgent", "expected"),
    [
        (vn(10, 12), False, vn(10, 12)),  # day time: now
        (vn(10, 20, 59), False, vn(10, 20, 59)),
        (vn(10, 21), False, vn(11, 7)),  # window starts at 21:00 sharp
        (vn(10, 23, 30), False, vn(11, 7)),
        (vn(11, 0, 0), False, vn(11, 7)),  # after midnight: same morning
        (vn(11, 6, 59), False, vn(11, 7)),
        (vn(11, 7), False, vn(11, 7)),  # window ends at 07:00 sharp
        (vn(31, 22), False, datetime(2026, 4, 1, 7, tzinfo=VN)),  # month boundary
        (vn(10, 23, 30), True, vn(10, 23, 30)),  # urgent skips the wait
        (vn(11, 3), True, vn(11, 3)),
    ],
)
def test_default_window(now, urgent, expected):
    assert deliver_at(now, urgent, DEFAULT_QUIET_HOURS) == expected


def test_result_keeps_the_callers_timezone():
    now_utc = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 22:00 in Vietnam
    got = deliver_at(now_utc, False)
    assert got.tzinfo is UTC
    assert got == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)  # 07:00 in Vietnam


@pytest.mark.parametrize(
    ("quiet", "now", "expected"),
    [
        (QuietHours(time(12), time(13, 30)), vn(10, 12, 15), vn(10, 13, 30)),  # same-day window
        (QuietHours(time(12), time(13, 30)), vn(10, 13, 30), vn(10, 13, 30)),
        (QuietHours(time(12), time(13, 30)), vn(10, 22), vn(10, 22)),
        (QuietHours(time(22), time(22)), vn(10, 23), vn(10, 23)),  # empty window: off
        (None, vn(10, 23), vn(10, 23)),  # no quiet hours configured
        (QuietHours(time(21), time(7), tz="Europe/Berlin"), vn(10, 23), vn(10, 23)),  # 17:00 in Berlin
    ],
)
def test_configured_windows(quiet, now, expected):
    assert deliver_at(now, False, quiet) == expected


def test_window_in_another_zone_wakes_at_its_local_end():
    quiet = QuietHours(time(21), time(7), tz="Europe/Berlin")
    now = datetime(2026, 3, 10, 23, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert (
        deliver_at(now, False, quiet) == now.replace(day=11, hour=7) and deliver_at(now, False, quiet) > now
    )


def test_never_earlier_than_now():
    start = vn(10, 0)
    for minutes in range(0, 24 * 60, 17):
        now = start + timedelta(minutes=minutes)
        assert deliver_at(now, False) >= now


def test_naive_now_and_unknown_zone_are_refused():
    with pytest.raises(ValueError):
        deliver_at(datetime(2026, 3, 10, 22, 0), False)
    with pytest.raises(ZoneInfoNotFoundError):
        QuietHours(tz="Mars/Olympus_Mons")

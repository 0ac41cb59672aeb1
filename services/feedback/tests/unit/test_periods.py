"""Periods: local days as instants, months clipped to the period, defaults and limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from libs.contracts.feedback import StatsQuery
from services.feedback.domain.periods import (
    MAX_DAYS,
    Period,
    PeriodError,
    buckets,
    local_today,
    months,
    resolve,
)

TODAY = date(2026, 3, 18)


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, (date(2026, 3, 1), TODAY)),  # nothing: this month so far
        ({"month": "2024-02"}, (date(2024, 2, 1), date(2024, 2, 29))),
        ({"month": "2025-12"}, (date(2025, 12, 1), date(2025, 12, 31))),
        ({"date_from": "2025-11-15"}, (date(2025, 11, 15), TODAY)),
        ({"date_to": "2026-01-20"}, (date(2026, 1, 1), date(2026, 1, 20))),
        ({"date_from": "2026-01-02", "date_to": "2026-01-02"}, (date(2026, 1, 2), date(2026, 1, 2))),
    ],
)
def test_resolve(query, expected):
    period = resolve(StatsQuery(**query), TODAY)
    assert (period.first, period.last) == expected


@pytest.mark.parametrize(
    "query, field",
    [
        ({"date_from": "2019-01-01"}, "date_from"),
        ({"date_to": "2026-03-31", "date_from": "2020-01-01"}, "date_from"),
        ({"date_from": "2026-04-01"}, "date_from"),  # after today, the default end
    ],
)
def test_resolve_refuses_and_names_the_field(query, field):
    with pytest.raises(PeriodError) as err:
        resolve(StatsQuery(**query), TODAY)
    assert err.value.field == field


def test_a_local_day_starts_at_17h_utc_the_day_before():
    period = Period(date(2026, 3, 1), date(2026, 3, 1))
    assert period.start == datetime(2026, 2, 28, 17, 0, tzinfo=UTC)
    assert period.end - period.start == timedelta(days=1)
    assert local_today(datetime(2026, 3, 18, 17, 30, tzinfo=UTC)) == date(2026, 3, 19)


def test_months_are_clipped_to_the_period_and_contiguous():
    got = months(Period(date(2025, 11, 20), date(2026, 2, 3)))
    assert [b.label for b in got] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert got[0].start == Period(date(2025, 11, 20), date(2025, 11, 20)).start
    assert got[-1].end == Period(date(2026, 2, 3), date(2026, 2, 3)).end
    assert all(a.end == b.start for a, b in zip(got, got[1:]))


def test_longest_period_and_one_bucket_without_months():
    first = date(2021, 1, 1)
    longest = Period(first, first + timedelta(days=MAX_DAYS - 1))
    assert len(months(longest)) <= 61
    [whole] = buckets(longest, by_month=False)
    assert (whole.label, whole.start, whole.end) == (None, longest.start, longest.end)

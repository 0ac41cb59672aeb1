"""Rows from the database's counts: overdue, median in hours, response rate, months kept, empty groups
dropped."""

from __future__ import annotations

import pytest

from libs.contracts.feedback import StatsRow
from services.feedback.domain.figures import COUNTED, arrange, is_empty, stats_row


def counts(key=None, **values) -> dict:
    return {"key": key, "median_processing_seconds": None, **{c: 0 for c in COUNTED}, **values}


def test_derived_figures():
    row = stats_row(
        "UBND_18073",
        counts(
            resolved=10,
            on_time=6,
            resolved_late=4,
            open_overdue=3,
            rated=6,
            hai_long=3,
            chap_nhan=2,
            khong_hai_long=1,
            response_base=9,
            median_processing_seconds=9000,
            processing_measured=10,
        ),
    )
    assert (row.overdue, row.median_processing_calendar_hours, row.response_rate) == (7, 2.5, 0.6667)
    assert (row.key, row.rated, row.response_base) == ("UBND_18073", 6, 9)


def test_no_base_means_no_rate_and_no_median():
    row = stats_row(None, counts(received=4))
    assert (row.response_rate, row.median_processing_calendar_hours, row.received) == (None, None, 4)


def test_every_month_is_listed_in_order_with_zeros():
    rows = arrange("month", [counts("2026-02", received=2)], ["2026-01", "2026-02", "2026-03"])
    assert [(r.key, r.received) for r in rows] == [("2026-01", 0), ("2026-02", 2), ("2026-03", 0)]


def test_total_is_one_row_even_when_nothing_was_counted():
    assert arrange("total", [], []) == [StatsRow()]
    assert arrange("total", [counts(received=1)], [])[0].received == 1


@pytest.mark.parametrize("group_by", ["agency", "ward", "category"])
def test_groups_with_nothing_in_the_period_are_left_out(group_by):
    rows = arrange(group_by, [counts("A", received=1), counts("B"), counts(None, open_overdue=1)], [])
    assert [r.key for r in rows] == ["A", None]
    assert is_empty(StatsRow(key="B")) and not is_empty(rows[1])

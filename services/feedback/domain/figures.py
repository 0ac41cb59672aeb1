"""Rows of the statistics from the counts the database aggregated (pure): derived figures, empty groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from libs.contracts.feedback import GroupBy, StatsRow

# Figures the SQL counts directly (column name = StatsRow field).
COUNTED = (
    "received",
    "accepted",
    "rejected",
    "routed",
    "with_extension",
    "resolved",
    "on_time",
    "resolved_late",
    "open_overdue",
    "processing_measured",
    "rated",
    "hai_long",
    "chap_nhan",
    "khong_hai_long",
    "response_base",
)


def stats_row(key: str | None, counts: Mapping[str, Any]) -> StatsRow:
    """One row: the counts, overdue (late + open overdue), the median in hours, the response rate."""
    median = counts.get("median_processing_seconds")
    values = {name: int(counts.get(name) or 0) for name in COUNTED}
    base = values["response_base"]
    return StatsRow(
        key=key,
        **values,
        overdue=values["resolved_late"] + values["open_overdue"],
        median_processing_calendar_hours=None if median is None else round(float(median) / 3600, 2),
        response_rate=round(values["rated"] / base, 4) if base else None,
    )


def is_empty(row: StatsRow) -> bool:
    """True when nothing was counted in this group."""
    return not any(getattr(row, name) for name in COUNTED)


def arrange(
    group_by: GroupBy, counted: Sequence[Mapping[str, Any]], month_labels: Sequence[str]
) -> list[StatsRow]:
    """The report's rows: every month of the period in order (zeros included), else the non-empty groups."""
    rows = [stats_row(c["key"], c) for c in counted]
    if group_by == "month":
        by_label = {r.key: r for r in rows}
        return [by_label.get(label) or StatsRow(key=label) for label in month_labels]
    if group_by == "total":
        return rows[:1] or [StatsRow()]
    return [r for r in rows if not is_empty(r)]

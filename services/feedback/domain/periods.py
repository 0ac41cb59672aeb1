"""Periods of the statistics: local days (Asia/Ho_Chi_Minh) as UTC instants, and their months (pure).

Vietnam has kept UTC+07:00 without daylight saving since 1975, so a fixed offset is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from libs.contracts.feedback import StatsQuery

VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
MAX_DAYS = 5 * 366  # a longer period would be a different report (and a long scan)


class PeriodError(ValueError):
    """The period cannot be used; `field` names the query field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Bucket:
    """A half-open interval of instants [start, end) and its label (YYYY-MM for months, None for the
    period)."""

    label: str | None
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Period:
    """Local days `first`..`last`, both inclusive."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1))


def local_midnight(day: date) -> datetime:
    """The instant a local day begins."""
    return datetime.combine(day, time(0), VN_TZ)


def local_today(now: datetime) -> date:
    """Today's date in Vietnam."""
    return now.astimezone(VN_TZ).date()


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def resolve(query: StatsQuery, today: date) -> Period:
    """The period a query asks for: its month, its dates, or this month; may raise PeriodError."""
    if query.month:
        year, month = (int(p) for p in query.month.split("-"))
        first = date(year, month, 1)
        return Period(first, _month_end(first))
    last = query.date_to or today
    first = query.date_from or last.replace(day=1)
    if last < first:
        raise PeriodError(
            "date_to" if query.date_to else "date_from",
            f"the period ends ({last}) before it starts ({first})",
        )
    if (last - first).days >= MAX_DAYS:
        raise PeriodError(
            "date_from" if query.date_from else "date_to", f"the period may span at most {MAX_DAYS} days"
        )
    return Period(first, last)


def months(period: Period) -> list[Bucket]:
    """One bucket per calendar month the period touches, clipped to the period."""
    buckets, first = [], period.first
    while first <= period.last:
        last = min(_month_end(first), period.last)
        buckets.append(
            Bucket(f"{first:%Y-%m}", local_midnight(first), local_midnight(last + timedelta(days=1)))
        )
        first = last + timedelta(days=1)
    return buckets


def buckets(period: Period, by_month: bool) -> list[Bucket]:
    """The intervals a query counts in: its months, or the whole period as one."""
    return months(period) if by_month else [Bucket(None, period.start, period.end)]

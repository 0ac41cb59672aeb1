"""W3C datetime parsing and formatting with Vietnam's fixed offset (+07:00)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7))  # Vietnam has no DST, so a fixed offset is exact

# A client that forgets to percent-encode '+' sends '2026-03-16T08:30:00 07:00'.
_SPACE_OFFSET = re.compile(r"^(.*T[\d:.]+) (\d{2}(?::?\d{2})?)$")
_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def to_w3c(value: datetime | str | None) -> str | None:
    """Format an instant as W3C with +07:00 and whole seconds; None stays None."""
    if value is None:
        return None
    moment = parse_w3c(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive values from storage are UTC by convention
    return moment.astimezone(VN_TZ).replace(microsecond=0).isoformat()


def parse_w3c(text: str, *, upper: bool = False) -> datetime:
    """Parse a W3C/ISO-8601 datetime into an aware datetime; may raise ValueError.

    Reduced precision (YYYY, YYYY-MM, YYYY-MM-DD) means the whole period: its first instant, or
    with ``upper=True`` its last instant (so ``end_date=2026-03-16`` includes that day).
    A value without an offset is read in Vietnam time.
    """
    text = text.strip()
    text = _SPACE_OFFSET.sub(r"\1+\2", text)
    if _YEAR.match(text):
        start, end = datetime(int(text), 1, 1), datetime(int(text) + 1, 1, 1)
    elif match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        start = datetime(year, month, 1)  # may raise ValueError for month 13
        end = datetime(year + month // 12, month % 12 + 1, 1)
    elif _DATE.match(text):
        start = datetime.fromisoformat(text)
        end = start + timedelta(days=1)
    else:
        moment = datetime.fromisoformat(text)
        return _convertible(moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ))
    chosen = end - timedelta(microseconds=1) if upper else start
    return _convertible(chosen.replace(tzinfo=VN_TZ))


def _convertible(moment: datetime) -> datetime:
    """`moment` if it has a UTC value (year 1 at +07:00 has none); may raise ValueError."""
    try:
        moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the instant is out of range") from exc
    return moment

"""Quiet hours: non-urgent citizen messages wait until morning (local time of the province)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class QuietHours:
    """A daily window [start, end) in local time; it may wrap past midnight (21:00–07:00)."""

    start: time = time(21, 0)
    end: time = time(7, 0)
    tz: str = DEFAULT_TZ

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # may raise ZoneInfoNotFoundError: fail at configuration, not at 21:00

    @property
    def zone(self) -> ZoneInfo:
        """The window's time zone."""
        return ZoneInfo(self.tz)

    def contains(self, local: time) -> bool:
        """Whether a local wall-clock time falls inside the window."""
        if self.start == self.end:
            return False  # an empty window switches quiet hours off
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


DEFAULT_QUIET_HOURS = QuietHours()


def deliver_at(now: datetime, urgent: bool, quiet: QuietHours | None = DEFAULT_QUIET_HOURS) -> datetime:
    """When to send a citizen message: now, or the end of the current quiet window (same tzinfo as `now`)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")  # a naive time would be read in the host's zone
    if urgent or quiet is None:
        return now
    local = now.astimezone(quiet.zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return now
    end_day = local.date()
    if local.time().replace(tzinfo=None) >= quiet.end:
        end_day += timedelta(days=1)  # evening part of a window that wraps past midnight
    wake = datetime.combine(end_day, quiet.end, tzinfo=quiet.zone)
    return wake.astimezone(now.tzinfo)

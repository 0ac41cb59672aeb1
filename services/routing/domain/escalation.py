"""Which warnings a case is due: due soon (level 0), overdue → agency leader (1), → escalation agency/IOC (2).

Pure: the sweep asks `firings` for each candidate and stores what fired, so each (case, deadline, due date,
level) fires once. A new due date (extension, resumed clock, re-route) starts a new series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from libs.contracts.directory import DeadlineSettings

from .cases import TRACKED, CaseClock
from .workcalendar import WorkCalendar

Deadline = Literal["accept", "process"]


@dataclass(frozen=True)
class Firing:
    """One warning to send."""

    deadline: Deadline
    level: Literal[0, 1, 2]
    due_at: datetime


def deadlines_running(clock: CaseClock) -> list[tuple[Deadline, datetime]]:
    """The deadlines whose clock runs now: accept until the agency accepts, process until the result."""
    if clock.status not in TRACKED or clock.agency_code is None or clock.paused_at is not None:
        return []
    running: list[tuple[Deadline, datetime]] = []
    if clock.status == "DA_CHUYEN_XU_LY" and clock.accepted_at is None and clock.accept_due_at is not None:
        running.append(("accept", clock.accept_due_at))
    if clock.due_at is not None:
        running.append(("process", clock.due_at))
    return running


def firings(
    clock: CaseClock, settings: DeadlineSettings, calendar: WorkCalendar, now: datetime
) -> list[Firing]:
    """Every level that applies at `now` (the caller skips those already fired); overdue skips 'due soon'."""
    out: list[Firing] = []
    for deadline, due in deadlines_running(clock):
        if now >= due:
            out.append(Firing(deadline, 1, due))
            if calendar.working_hours_between(due, now) >= getattr(settings.level2_after, deadline):
                out.append(Firing(deadline, 2, due))
        elif calendar.working_hours_between(now, due) <= getattr(settings.due_soon_before, deadline):
            out.append(Firing(deadline, 0, due))
    return out


def horizon(settings: DeadlineSettings, calendar: WorkCalendar, now: datetime) -> datetime:
    """Nothing due after this instant can warn now: a generous pre-filter (one working day of margin) for the
    sweep's query; `firings` makes the exact call."""
    ahead = max(settings.due_soon_before.accept, settings.due_soon_before.process) + calendar.hours_per_day
    return calendar.add_working_hours(now, ahead)

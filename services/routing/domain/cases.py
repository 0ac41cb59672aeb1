"""The clock of an open case as routing tracks it, and how intake's status changes move it (pure).

Deadlines are always recomputed from facts — when the clock started, the pauses (waiting on the citizen), the
approved extensions, the priority, the deadline an operator set on reopening — on the calendar of the
decision's directory version, so the result is the same however often or in whatever order it is recomputed.

Routing owns the deadlines: intake's only deadline of its own is the operator's date for a reopened case,
which it sends in `report.status_changed` (`reopen_due_at`); routing adopts it here and announces it like any
other."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from .rules import DirectorySnapshot, compute_deadlines

TRACKED = frozenset({"DA_CHUYEN_XU_LY", "DANG_XU_LY"})  # the agency's clock runs (workflow.json overdue_rule)
CLOSED = frozenset({"DA_XU_LY", "DA_CONG_KHAI", "DA_DANH_GIA", "DONG", "TU_CHOI"})
REROUTABLE = frozenset(
    {"DA_TIEP_NHAN", "DA_CHUYEN_XU_LY", "DANG_XU_LY"}
)  # returned cases wait for an operator
DeadlineReason = Literal["clock_resumed", "extension_approved", "priority_changed", "reopened"]
Pause = tuple[datetime, datetime]


@dataclass(frozen=True)
class CaseClock:
    """What the deadlines of one case depend on, and their current values."""

    category: str
    priority: str
    status: str
    agency_code: str | None
    clock_started_at: datetime | None
    accepted_at: datetime | None = None
    paused_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()
    extension_days: int = 0
    accept_due_at: datetime | None = None
    due_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_due_at: datetime | None = None  # the operator's deadline of a reopened case (extensions add to it)


@dataclass(frozen=True)
class StatusChange:
    """The part of intake's `report.status_changed` that moves the clock."""

    at: datetime
    to_status: str
    clock: Literal["stop", "resume"] | None = None
    extension_working_days: int | None = None
    priority: str | None = None
    reopen_due_at: datetime | None = None
    stale: bool = False  # intake made a later step that was applied already (events may arrive out of order)


def stale_step(
    applied_sequence: int, clock_started_at: datetime | None, sequence: int | None, at: datetime
) -> bool:
    """Whether a step of intake comes from before where this case already is: older than a step applied here
    (`sequence`), or made before the current routing started the clock (a request for information or its
    answer delivered after the routing, a step toward the agency the case was taken from). Such a step moves
    no status and no pause."""
    return (sequence is not None and sequence <= applied_sequence) or (
        clock_started_at is not None and at < clock_started_at
    )


def recompute(clock: CaseClock, snapshot: DirectorySnapshot) -> CaseClock:
    """Deadlines from the facts; unchanged while paused, without an agency, or for a retired category."""
    category = snapshot.categories.get(clock.category)
    if clock.clock_started_at is None or clock.agency_code is None or category is None or clock.paused_at:
        return clock
    accept, due, _, _ = compute_deadlines(
        snapshot,
        category,
        clock.priority,  # type: ignore[arg-type]  # a PriorityCode, stored as text
        clock.clock_started_at,
        clock.pauses,
        clock.extension_days,
    )
    if clock.reopen_due_at is not None:  # reopened: the operator's date, plus extensions approved since
        cal = snapshot.calendar
        return replace(
            clock, due_at=cal.add_working_hours(clock.reopen_due_at, clock.extension_days * cal.hours_per_day)
        )
    return replace(clock, accept_due_at=accept, due_at=due)


def apply_status_change(
    clock: CaseClock, change: StatusChange, snapshot: DirectorySnapshot
) -> tuple[CaseClock, DeadlineReason | None]:
    """The clock after one status change, and why its deadlines moved (None when they did not).

    A stale change (intake made a later step this clock already follows) moves no status, acceptance, closing,
    pause or priority; its extension still counts, and a reopen not seen yet still sets the deadline (keeping
    the extensions already counted: a late answer may grant time, never take it away)."""
    reasons: list[DeadlineReason]
    if change.stale:
        new, reasons = clock, []
        if change.reopen_due_at is not None and clock.reopen_due_at is None:
            new, reasons = replace(clock, reopen_due_at=change.reopen_due_at), ["reopened"]
    else:
        new, reasons = _follow(clock, change)
    if change.extension_working_days:
        new = replace(new, extension_days=new.extension_days + change.extension_working_days)
        reasons.append("extension_approved")
    if not reasons:
        return new, None
    moved = recompute(new, snapshot)
    changed = (moved.accept_due_at, moved.due_at) != (clock.accept_due_at, clock.due_at)
    return moved, reasons[0] if changed else None


def _follow(clock: CaseClock, change: StatusChange) -> tuple[CaseClock, list[DeadlineReason]]:
    """The status part of a current change: acceptance, closing, reopen or rework, pauses, priority."""
    new = replace(clock, status=change.to_status)
    if change.to_status == "DANG_XU_LY" and clock.status == "DA_CHUYEN_XU_LY" and new.accepted_at is None:
        new = replace(new, accepted_at=change.at)
    reasons: list[DeadlineReason] = []
    if change.to_status in CLOSED:
        new = replace(new, closed_at=new.closed_at or change.at)
    elif change.reopen_due_at is not None and clock.status in CLOSED:  # reopened: the operator's new deadline
        new = replace(new, closed_at=None, reopen_due_at=change.reopen_due_at, extension_days=0)
        reasons.append("reopened")
    elif clock.closed_at is not None:  # sent back for rework: the original deadline still holds
        new = replace(new, closed_at=None)
    if change.clock == "stop" and new.paused_at is None:
        new = replace(new, paused_at=change.at)
    elif change.clock == "resume" and new.paused_at is not None:
        resumed = max(
            change.at, new.paused_at
        )  # a resume stamped before its stop is a clock skew, not negative time
        new = replace(new, pauses=(*new.pauses, (new.paused_at, resumed)), paused_at=None)
        reasons.append("clock_resumed")
    if change.priority and change.priority != clock.priority:
        new = replace(new, priority=change.priority)
        reasons.append("priority_changed")
    return new, reasons

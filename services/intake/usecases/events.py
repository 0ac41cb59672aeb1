"""Use case: routing's answers move the case — routed, unroutable, new deadlines, overdue; media attaches
files.

Each handler takes the worker's unit of work and the validated event, and commits; the service runs it once
per event id (`libs.platform.events.consumes`), and a step the state machine refuses is recorded and dropped,
never requeued forever."""

from __future__ import annotations

import logging

from libs.contracts.common import utcnow
from libs.contracts.events import (
    MediaStoredV1,
    ReportDeadlineChangedV1,
    ReportOverdueV1,
    ReportRoutedV1,
    ReportUnroutableV1,
)
from libs.platform.errors import ServiceError

from ..domain.case_rows import case_state
from ..domain.workflow import HANDLING_STATES, Action, Actor, Flag, Kind, Role, State
from ..repository import reports as repo
from .casefile import perform

log = logging.getLogger(__name__)
ROUTER = Actor(role=Role.SYSTEM, subject="routing")
ROUTE_KIND = {
    State.DA_TIEP_NHAN: Kind.ROUTE,
    State.TRA_LAI: Kind.REROUTE,
    State.DA_CHUYEN_XU_LY: Kind.REASSIGN,
    State.DANG_XU_LY: Kind.REASSIGN,
}


def newer_deadlines(event: ReportRoutedV1 | ReportDeadlineChangedV1, row) -> bool:
    """Routing owns the deadlines: its dates replace ours only when they are newer than those we hold (events
    may arrive late or out of order); an event without a version predates versions and is taken as it
    comes."""
    return event.deadline_version is None or event.deadline_version > row.deadline_version


def deadline_columns(event: ReportRoutedV1 | ReportDeadlineChangedV1, row) -> dict:
    """The deadline columns an event of routing sets on a row (none when the row holds newer ones)."""
    if not newer_deadlines(event, row):
        return {}
    version = {"deadline_version": event.deadline_version} if event.deadline_version else {}
    return {"accept_due_at": event.accept_due_at, "due_at": event.due_at, **version}


def stale_warning(event: ReportOverdueV1, row) -> bool:
    """An overdue warning about a deadline the case no longer has (moved later by an extension, a reopen, a
    re-route) while it was in flight."""
    current = row.due_at if event.deadline == "process" else row.accept_due_at
    return current is not None and current > event.due_at


def routed_note(event: ReportRoutedV1) -> str:
    """The public timeline note of a routing: the agency's names (its code when routing sent none)."""
    return (
        f"Chuyển {event.agency_name or event.agency_code} / "
        f"routed to {event.agency_name_en or event.agency_name or event.agency_code}"
    )


def report_routed(db, event: ReportRoutedV1) -> None:
    """Move an accepted, returned or re-routed case to the agency routing chose; keep the agency history."""
    row = repo.get(db, event.report_id, lock=True)
    kind = row and ROUTE_KIND.get(State(row.status))
    if kind is None:
        log.warning("report.routed for %s in state %s: ignored", event.report_id, row and row.status)
        db.commit()
        return
    now = utcnow()
    deadlines = deadline_columns(event, row)
    columns = dict(
        ward_code=event.ward_code,
        ward_approximate=event.ward_approximate,
        queue_reason=None,
        **{k: v for k, v in deadlines.items() if k != "due_at"},
    )
    if kind is Kind.REASSIGN and event.agency_code == row.agency_code:  # same agency: new deadlines only
        repo.update(
            db,
            row.id,
            **columns,
            due_at=deadlines.get("due_at", row.due_at),
            updated_at=now,
            co_agencies=list(event.co_handlers) or list(row.co_agencies),
        )
        db.commit()
        return
    case = case_state(row).model_copy(update={"ward": event.ward_code})
    action = Action(
        kind=kind,
        agency=event.agency_code,
        co_agencies=tuple(event.co_handlers),
        due_at=deadlines.get("due_at", row.due_at),
        note=event.note or routed_note(event),
    )
    try:
        perform(db, row, ROUTER, action, now, case=case, **columns)
    except ServiceError as exc:  # refused before anything was written: logged, not retried
        log.warning("report.routed for %s refused: %s", event.report_id, exc.detail)
        db.commit()
        return
    if kind is Kind.REASSIGN:
        repo.close_spell(db, row.id, now, "rerouted")
    repo.open_spell(db, row.id, event.agency_code, event.reason, now)
    db.commit()


def report_unroutable(db, event: ReportUnroutableV1) -> None:
    """Routing found no agency: the case waits in the operator's queue, with the reason."""
    row = repo.get(db, event.report_id, lock=True)
    if row is not None and State(row.status) in (State.DA_TIEP_NHAN, State.TRA_LAI):
        now = utcnow()
        repo.update(db, row.id, queue_reason=f"unroutable:{event.reason}", updated_at=now)
        repo.add_step(
            db,
            row.id,
            now,
            Role.SYSTEM.value,
            row.status,
            row.status,
            action="unroutable",
            note=f"Không định tuyến được / unroutable: {event.reason}",
            visibility="internal",
            actor_subject="routing",
        )
    db.commit()


def report_deadline_changed(db, event: ReportDeadlineChangedV1) -> None:
    """Routing recomputed the deadlines (extension approved, reopened, re-routed...): newer ones replace
    ours."""
    row = repo.get(db, event.report_id, lock=True)
    if row is not None and newer_deadlines(event, row):
        now = utcnow()
        values = {k: v for k, v in deadline_columns(event, row).items() if v}
        if event.due_at and event.due_at > now and Flag.QUA_HAN.value in (row.flags or ()):
            values["flags"] = [f for f in row.flags if f != Flag.QUA_HAN.value]
        if values:
            repo.update(db, row.id, **values, updated_at=now)
    db.commit()


def report_overdue(db, event: ReportOverdueV1) -> None:
    """Past the processing deadline: the QUA_HAN flag; escalations are noted for staff."""
    row = repo.get(db, event.report_id, lock=True)
    current = row is not None and event.agency_code == row.agency_code and not stale_warning(event, row)
    if current and State(row.status) in HANDLING_STATES:
        now = utcnow()
        if event.deadline == "process" and Flag.QUA_HAN.value not in (row.flags or ()):
            repo.update(db, row.id, flags=sorted({*row.flags, Flag.QUA_HAN.value}), updated_at=now)
        what = "xử lý" if event.deadline == "process" else "tiếp nhận"
        repo.add_step(
            db,
            row.id,
            now,
            Role.SYSTEM.value,
            row.status,
            row.status,
            action="overdue",
            note=f"Quá hạn {what} (cấp {event.level}) / {event.deadline} deadline passed "
            f"(level {event.level})",
            visibility="staff",
            actor_subject="routing",
        )
    db.commit()


def media_stored(db, event: MediaStoredV1) -> None:
    """Attach a file that passed the media checks."""
    if repo.get(db, event.report_id) is not None:
        repo.attach_media(db, event.media_id, event.report_id, event.role, event.content_type, utcnow())
    db.commit()

"""One case's row ⇄ the state machine and the access policy: the facts they need of a row, the columns,
timeline entry and event a transition makes (pure: rows are any objects with the report's columns as
attributes)."""

from __future__ import annotations

from uuid import UUID

from libs.contracts.common import Actor as StaffActor
from libs.contracts.common import Location, Priority, Status
from libs.contracts.events import ReportStatusChangedV1
from libs.privacy.masking import mask_personal_data
from libs.privacy.visibility import is_public

from .access import CaseAccess
from .workflow import TERMINAL_STATES, Actor, CaseState, Flag, Kind, Role, State, Transition

CLOCK_EVENTS = {"stop", "resume"}  # "start" (routing) is routing's own business


def reporter_key(report_id: UUID) -> str:
    """The subject a citizen acts as once their tracking token matched."""
    return f"reporter:{report_id}"


def case_state(row) -> CaseState:
    """What the state machine knows about a row."""
    return CaseState(
        case_id=str(row.id),
        state=State(row.status),
        flags=frozenset(Flag(f) for f in row.flags or ()),
        category=row.category,
        ward=row.ward_code,
        priority=row.priority,
        assigned_agency=row.agency_code,
        past_agencies=tuple(row.past_agencies or ()),
        co_agencies=tuple(row.co_agencies or ()),
        due_at=row.due_at,
        info_due_at=row.info_due_at,
        base_working_days=row.base_working_days,
        extension_count=row.extension_count,
        extension_pending_days=row.extension_pending_days,
        published_at=row.published_at,
        rating=row.rating,
        reopen_count=row.reopen_count,
        reopen_requested=row.reopen_requested,
        verified=row.verified_at is not None,
    )


def row_is_public(row) -> bool:
    """libs.privacy.visibility's rule 1 on a report row."""
    return is_public(row.status, row.verified_at is not None)


def case_access(row) -> CaseAccess:
    """What the access policy knows about a row."""
    return CaseAccess(
        case_id=str(row.id),
        state=State(row.status),
        assigned_agency=row.agency_code,
        past_agencies=tuple(row.past_agencies or ()),
        co_agencies=tuple(row.co_agencies or ()),
        reporter_key=reporter_key(row.id),
        public=row_is_public(row),
    )


def staff_actor(ref: StaffActor) -> Actor:
    """The state machine's actor for an authenticated staff member."""
    return Actor(role=Role(ref.role), subject=ref.sub, agency=ref.agency)


def columns_after(t: Transition) -> dict:
    """The report columns a transition sets."""
    a = t.after
    columns = dict(
        status=a.state.value,
        flags=sorted(f.value for f in a.flags),
        category=a.category,
        ward_code=a.ward,
        priority=a.priority,
        agency_code=a.assigned_agency,
        past_agencies=list(a.past_agencies),
        co_agencies=list(a.co_agencies),
        due_at=a.due_at,
        info_due_at=a.info_due_at,
        extension_count=a.extension_count,
        extension_pending_days=a.extension_pending_days,
        published_at=a.published_at,
        rating=a.rating,
        reopen_count=a.reopen_count,
        reopen_requested=a.reopen_requested,
        updated_at=t.at,
    )
    if t.newly_verified:
        columns["verified_at"] = t.at
    closed_before, closed_after = t.from_state in TERMINAL_STATES, t.to_state in TERMINAL_STATES
    if closed_before != closed_after:  # closing starts the retention clock; a reopen stops it
        columns["closed_at"] = t.at if closed_after else None
    return columns


def status_changed(row, t: Transition, sequence: int | None = None) -> ReportStatusChangedV1:
    """The event every transition emits (no personal data; the note only when it is public, and masked);
    `sequence` is its timeline entry's id (the row is locked while a step is made, so later steps are
    larger)."""
    return ReportStatusChangedV1(
        report_id=row.id,
        code=row.code,
        category=t.after.category or row.category,
        from_status=Status(t.from_state),
        to_status=Status(t.to_state),
        ward_code=t.after.ward,
        agency_code=t.after.assigned_agency or t.agency,
        actor_role=t.actor_role.value,
        actor_agency=t.actor_agency,
        public_note=mask_personal_data(t.note) if t.public and t.note else None,
        priority=Priority(t.after.priority),
        clock=t.clock if t.clock in CLOCK_EVENTS else None,
        extension_working_days=t.extension_days if t.action is Kind.APPROVE_EXTENSION else None,
        rating=t.rating if t.action is Kind.RATE else None,
        reopen_due_at=t.after.due_at if t.action is Kind.APPROVE_REOPEN else None,
        sequence=sequence,
    )


def step_of(report_id: UUID, t: Transition) -> dict:
    """The timeline entry a transition writes (the arguments of `repository.reports.add_step`)."""
    return dict(
        report_id=report_id,
        at=t.at,
        actor_role=t.actor_role.value,
        from_status=t.from_state.value,
        to_status=t.to_state.value,
        note=t.note,
        actor_agency=t.actor_agency,
        visibility=t.visibility,
        action=t.action.value,
        reason=t.reason,
        actor_subject=t.actor_subject,
        media_ids=[UUID(m) for m in t.media_ids],
        changes={k: list(v) for k, v in t.changes.items()} or None,
    )


def location_of(row) -> Location:
    """Where a report is."""
    return Location(lat=row.lat, lon=row.lon)

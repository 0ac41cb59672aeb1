"""One case's row ⇄ the state machine: build its state and access facts, perform a verb, record the result.

`CaseFile` is the base mixin of the service's use-case mixins; everything else about a step (who may, which
state, which guard) is decided by the pure modules `access` and `workflow`.
"""
from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

from libs.contracts.common import Location, Priority, Status
from libs.contracts.errors import ErrorCode
from libs.contracts.events import ReportStatusChangedV1
from libs.contracts.common import utcnow
from libs.contracts.common import Actor as StaffActor
from libs.contracts.reports import ClientInfo
from libs.platform.errors import ServiceError
from libs.privacy.masking import mask_personal_data
from libs.privacy.visibility import is_public

from . import repo_people as people
from . import repository as repo
from .access import ActionForbidden, CaseAccess, CaseNotFound, authorize
from .ratelimit import blocked, record
from .workflow import (TERMINAL_STATES, Action, Actor, CaseState, Flag, InvalidAction, Kind, Role, State, Transition,
                       TransitionNotAllowed, apply)

log = logging.getLogger(__name__)

# workflow field → the contract field a client sent
FIELD_NAMES = {"ward": "ward_code", "agency": "agency_code", "duplicate_of": "into", "co_agencies": "agencies",
               "days": "days", "due_at": "due_in_days"}
CLOCK_EVENTS = {"stop", "resume"}  # "start" (routing) is routing's own business


def reporter_key(report_id: UUID) -> str:
    """The subject a citizen acts as once their tracking token matched."""
    return f"reporter:{report_id}"


def case_state(row) -> CaseState:
    """What the state machine knows about a row."""
    return CaseState(
        case_id=str(row.id), state=State(row.status), flags=frozenset(Flag(f) for f in row.flags or ()),
        category=row.category, ward=row.ward_code, priority=row.priority, assigned_agency=row.agency_code,
        past_agencies=tuple(row.past_agencies or ()), co_agencies=tuple(row.co_agencies or ()), due_at=row.due_at,
        info_due_at=row.info_due_at, base_working_days=row.base_working_days, extension_count=row.extension_count,
        extension_pending_days=row.extension_pending_days, published_at=row.published_at, rating=row.rating,
        reopen_count=row.reopen_count, reopen_requested=row.reopen_requested, verified=row.verified_at is not None)


def row_is_public(row) -> bool:
    """libs.privacy.visibility's rule 1 on a report row."""
    return is_public(row.status, row.verified_at is not None)


def case_access(row) -> CaseAccess:
    """What the access policy knows about a row."""
    return CaseAccess(case_id=str(row.id), state=State(row.status), assigned_agency=row.agency_code,
                      past_agencies=tuple(row.past_agencies or ()), co_agencies=tuple(row.co_agencies or ()),
                      reporter_key=reporter_key(row.id), public=row_is_public(row))


def staff_actor(ref: StaffActor) -> Actor:
    """The state machine's actor for an authenticated staff member."""
    return Actor(role=Role(ref.role), subject=ref.sub, agency=ref.agency)


def columns_after(t: Transition) -> dict:
    """The report columns a transition sets."""
    a = t.after
    columns = dict(status=a.state.value, flags=sorted(f.value for f in a.flags), category=a.category,
                   ward_code=a.ward, priority=a.priority, agency_code=a.assigned_agency,
                   past_agencies=list(a.past_agencies), co_agencies=list(a.co_agencies), due_at=a.due_at,
                   info_due_at=a.info_due_at, extension_count=a.extension_count,
                   extension_pending_days=a.extension_pending_days, published_at=a.published_at, rating=a.rating,
                   reopen_count=a.reopen_count, reopen_requested=a.reopen_requested, updated_at=t.at)
    if t.newly_verified:
        columns["verified_at"] = t.at
    closed_before, closed_after = t.from_state in TERMINAL_STATES, t.to_state in TERMINAL_STATES
    if closed_before != closed_after:  # closing starts the retention clock; a reopen stops it
        columns["closed_at"] = t.at if closed_after else None
    return columns


def status_changed(row, t: Transition, sequence: int | None = None) -> ReportStatusChangedV1:
    """The event every transition emits (no personal data; the note only when it is public, and masked);
    `sequence` is its timeline entry's id (the row is locked while a step is made, so later steps are larger)."""
    return ReportStatusChangedV1(
        report_id=row.id, code=row.code, category=t.after.category or row.category, from_status=Status(t.from_state),
        to_status=Status(t.to_state), ward_code=t.after.ward, agency_code=t.after.assigned_agency or t.agency,
        actor_role=t.actor_role.value, actor_agency=t.actor_agency,
        public_note=mask_personal_data(t.note) if t.public and t.note else None, priority=Priority(t.after.priority),
        clock=t.clock if t.clock in CLOCK_EVENTS else None,
        extension_working_days=t.extension_days if t.action is Kind.APPROVE_EXTENSION else None,
        rating=t.rating if t.action is Kind.RATE else None,
        reopen_due_at=t.after.due_at if t.action is Kind.APPROVE_REOPEN else None, sequence=sequence)


def step_of(report_id: UUID, t: Transition) -> dict:
    """The timeline entry a transition writes (the arguments of `repository.add_step`)."""
    return dict(report_id=report_id, at=t.at, actor_role=t.actor_role.value, from_status=t.from_state.value,
                to_status=t.to_state.value, note=t.note, actor_agency=t.actor_agency, visibility=t.visibility,
                action=t.action.value, reason=t.reason, actor_subject=t.actor_subject,
                media_ids=[UUID(m) for m in t.media_ids],
                changes={k: list(v) for k, v in t.changes.items()} or None)


def load_report(db, report_id: UUID, lock: bool = False):
    """The row, or REPORT_NOT_FOUND."""
    row = repo.get(db, report_id, lock=lock)
    if row is None:
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {report_id}")
    return row


def location_of(row) -> Location:
    return Location(lat=row.lat, lon=row.lon)


class CaseFile:
    """Shared steps of every use case: load, authorize, perform and record."""

    def _load(self, report_id: UUID, lock: bool = False):
        """The row, or REPORT_NOT_FOUND."""
        return load_report(self.db, report_id, lock)

    def _token_gate(self, client: ClientInfo | None) -> None:
        """Before a token is checked: RATE_LIMITED when this IP sent too many wrong tokens lately (loopback and
        the exempt networks are never slowed)."""
        identity = self._token_identity(client)
        if identity is None:
            return
        decision = blocked(people.PgCounterStore(self.db), identity, self.settings.token_rules, utcnow(),
                           self.settings.rate_pepper)
        if not decision.allowed:
            raise ServiceError(ErrorCode.RATE_LIMITED, f"too many wrong tokens; retry after {decision.retry_after_s} s",
                               [{"field": "Retry-After", "message": str(decision.retry_after_s), "type": "retry_after"},
                                {"field": "client.ip", "message": "sai mã quá nhiều lần / too many wrong tokens",
                                 "type": "rate_limited"}])

    def _token_failed(self, client: ClientInfo | None) -> None:
        """A wrong tracking or follower token: counted against the IP at once (committed)."""
        identity = self._token_identity(client)
        if identity is not None:
            self.db.rollback()
            record(people.PgCounterStore(self.db), identity, self.settings.token_rules, utcnow(),
                   self.settings.rate_pepper)
            self.db.commit()

    def _token_identity(self, client: ClientInfo | None) -> dict | None:
        ip = client.ip if client else None
        if not ip or not self.settings.token_rules or self.settings.exempt(ip):
            return None
        return {"ip": ip}

    def _authorize(self, actor: Actor, kind: Kind, row) -> None:
        """404 for a case the actor may not see (never a leak), 403 for a verb their role may not use."""
        try:
            authorize(actor, kind, case_access(row))
        except CaseNotFound:
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {row.id}") from None
        except ActionForbidden as exc:
            raise ServiceError(ErrorCode.FORBIDDEN, str(exc)) from None

    def _perform(self, row, actor: Actor, action: Action, now: datetime, case: CaseState | None = None,
                 **columns) -> Transition:
        """Apply one verb, write the row, its timeline entry and `report.status_changed` (not committed)."""
        t = self._transition(case or case_state(row), actor, action, now)
        if not repo.update_in_state(self.db, row.id, t.from_state.value, **{**columns_after(t), **columns}):
            # the callers lock the row first, so this is a guard: a change decided from a state the case has left
            raise ServiceError(ErrorCode.CONCURRENT_CHANGE, f"report {row.id} left {t.from_state.value} meanwhile",
                               [{"field": "action", "message": "phản ánh vừa thay đổi / the case changed meanwhile",
                                 "type": "concurrent_change"}])
        step = repo.add_step(self.db, **step_of(row.id, t))
        self.db.emit(status_changed(row, t, step))
        return t

    def _transition(self, case: CaseState, actor: Actor, action: Action, now: datetime) -> Transition:
        """The state machine's answer, its refusals as the contract's errors (pure: nothing is written)."""
        try:
            return apply(case, action, actor, now)
        except TransitionNotAllowed as exc:
            raise ServiceError(ErrorCode.TRANSITION_NOT_ALLOWED,
                               f"{exc.code}: {exc.action.value} by {exc.role.value} in {exc.from_state.value}",
                               [{"field": "action", "message": exc.code, "type": exc.code.lower()}]) from None
        except InvalidAction as exc:
            field = FIELD_NAMES.get(exc.field, exc.field)
            raise ServiceError(ErrorCode.VALIDATION_FAILED, f"{field}: {exc.message}",
                               [{"field": field, "message": f"{exc.message_vi} / {exc.message}",
                                 "type": "invalid"}]) from None

    def _require_media(self, row, media_ids, role: str | None = None, field: str = "media_ids") -> None:
        """Every id must be a stored file of this case (of `role` when given); else MEDIA_NOT_FOUND."""
        known = {m.media_id: m.role for m in repo.media_of(self.db, row.id)}
        missing = [str(m) for m in media_ids if m not in known or (role and known[m] != role)]
        if missing:
            what = f"stored {role} photos" if role else "stored files"
            raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, f"not {what} of this report (yet): {', '.join(missing)}",
                               [{"field": field, "message": f"chưa có tệp đã xử lý / not {what} of this report",
                                 "type": "media_not_ready"}])

"""Shared steps of the case use cases: load a case, authorize, perform a verb and record it, check media,
guard tracking tokens.

Plain functions over the worker's unit of work (`db`: session, outbox, commit) and intake's settings; what a
step may do (who may, which state, which guard) is decided by the pure modules `domain.access` and
`domain.workflow`. Nothing here commits but `token_failed` (a wrong token is counted at once)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.reports import ClientInfo
from libs.platform.errors import ServiceError

from ..domain.access import ActionForbidden, CaseNotFound, authorize
from ..domain.case_rows import case_access, case_state, columns_after, status_changed, step_of
from ..domain.ratelimit import blocked, record
from ..domain.workflow import (
    Action,
    Actor,
    CaseState,
    InvalidAction,
    Kind,
    Transition,
    TransitionNotAllowed,
    apply,
)
from ..repository import counters
from ..repository import reports as repo
from ..settings import IntakeSettings

# workflow field → the contract field a client sent
FIELD_NAMES = {
    "ward": "ward_code",
    "agency": "agency_code",
    "duplicate_of": "into",
    "co_agencies": "agencies",
    "days": "days",
    "due_at": "due_in_days",
}

KnownCategory = Callable[
    [str], bool
]  # is this a category of routing's directory (cached, the seed file's else)?


class Desk(NamedTuple):
    """What a staff verb works with: the worker's unit of work, intake's settings and the category check."""

    db: object
    settings: IntakeSettings
    known_category: KnownCategory


def load_report(db, report_id: UUID, lock: bool = False):
    """The row, or REPORT_NOT_FOUND."""
    row = repo.get(db, report_id, lock=lock)
    if row is None:
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {report_id}")
    return row


def require_category(known_category: KnownCategory, code: str, field: str = "category") -> None:
    """UNKNOWN_CATEGORY naming `field` unless `code` is a category."""
    if not known_category(code):
        raise ServiceError(
            ErrorCode.UNKNOWN_CATEGORY,
            f"unknown category {code}",
            [
                {
                    "field": field,
                    "message": "lĩnh vực không tồn tại / not a known category",
                    "type": "unknown_category",
                }
            ],
        )


def token_gate(db, settings: IntakeSettings, client: ClientInfo | None) -> None:
    """Before a token is checked: RATE_LIMITED when this IP sent too many wrong tokens lately (loopback and
    the exempt networks are never slowed)."""
    identity = _token_identity(settings, client)
    if identity is None:
        return
    decision = blocked(
        counters.PgCounterStore(db), identity, settings.token_rules, utcnow(), settings.rate_pepper
    )
    if not decision.allowed:
        raise ServiceError(
            ErrorCode.RATE_LIMITED,
            f"too many wrong tokens; retry after {decision.retry_after_s} s",
            [
                {"field": "Retry-After", "message": str(decision.retry_after_s), "type": "retry_after"},
                {
                    "field": "client.ip",
                    "message": "sai mã quá nhiều lần / too many wrong tokens",
                    "type": "rate_limited",
                },
            ],
        )


def token_failed(db, settings: IntakeSettings, client: ClientInfo | None) -> None:
    """A wrong tracking or follower token: counted against the IP at once (committed)."""
    identity = _token_identity(settings, client)
    if identity is not None:
        db.rollback()
        record(counters.PgCounterStore(db), identity, settings.token_rules, utcnow(), settings.rate_pepper)
        db.commit()


def _token_identity(settings: IntakeSettings, client: ClientInfo | None) -> dict | None:
    ip = client.ip if client else None
    if not ip or not settings.token_rules or settings.exempt(ip):
        return None
    return {"ip": ip}


def authorize_verb(actor: Actor, kind: Kind, row) -> None:
    """404 for a case the actor may not see (never a leak), 403 for a verb their role may not use."""
    try:
        authorize(actor, kind, case_access(row))
    except CaseNotFound:
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {row.id}") from None
    except ActionForbidden as exc:
        raise ServiceError(ErrorCode.FORBIDDEN, str(exc)) from None


def perform(
    db, row, actor: Actor, action: Action, now: datetime, case: CaseState | None = None, **columns
) -> Transition:
    """Apply one verb, write the row, its timeline entry and `report.status_changed` (not committed)."""
    t = transition(case or case_state(row), actor, action, now)
    if not repo.update_in_state(db, row.id, t.from_state.value, **{**columns_after(t), **columns}):
        # the callers lock the row first, so this is a guard: a change decided from a state the case has left
        raise ServiceError(
            ErrorCode.CONCURRENT_CHANGE,
            f"report {row.id} left {t.from_state.value} meanwhile",
            [
                {
                    "field": "action",
                    "message": "phản ánh vừa thay đổi / the case changed meanwhile",
                    "type": "concurrent_change",
                }
            ],
        )
    step = repo.add_step(db, **step_of(row.id, t))
    db.emit(status_changed(row, t, step))
    return t


def transition(case: CaseState, actor: Actor, action: Action, now: datetime) -> Transition:
    """The state machine's answer, its refusals as the contract's errors (pure: nothing is written)."""
    try:
        return apply(case, action, actor, now)
    except TransitionNotAllowed as exc:
        raise ServiceError(
            ErrorCode.TRANSITION_NOT_ALLOWED,
            f"{exc.code}: {exc.action.value} by {exc.role.value} in {exc.from_state.value}",
            [{"field": "action", "message": exc.code, "type": exc.code.lower()}],
        ) from None
    except InvalidAction as exc:
        field = FIELD_NAMES.get(exc.field, exc.field)
        raise ServiceError(
            ErrorCode.VALIDATION_FAILED,
            f"{field}: {exc.message}",
            [{"field": field, "message": f"{exc.message_vi} / {exc.message}", "type": "invalid"}],
        ) from None


def require_media(db, row, media_ids, role: str | None = None, field: str = "media_ids") -> None:
    """Every id must be a stored file of this case (of `role` when given); else MEDIA_NOT_FOUND."""
    known = {m.media_id: m.role for m in repo.media_of(db, row.id)}
    missing = [str(m) for m in media_ids if m not in known or (role and known[m] != role)]
    if missing:
        what = f"stored {role} photos" if role else "stored files"
        raise ServiceError(
            ErrorCode.MEDIA_NOT_FOUND,
            f"not {what} of this report (yet): {', '.join(missing)}",
            [
                {
                    "field": field,
                    "message": f"chưa có tệp đã xử lý / not {what} of this report",
                    "type": "media_not_ready",
                }
            ],
        )

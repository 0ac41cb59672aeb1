"""Use cases of IOC operators (and agency staff, within their agency): see deliveries, redeliver one, find the
cases an agency has not acknowledged."""

from __future__ import annotations

import logging
import uuid

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.notify import DeliveryRef, ListDeliveries, UnacknowledgedQuery
from libs.platform.errors import ServiceError

from ..domain import backoff, policy
from ..domain.views import case_state_view, delivery_view
from ..repository import deliveries as repo

log = logging.getLogger(__name__)


def list_deliveries(db, report_id: str) -> list[dict]:
    """Every delivery recorded for a report, oldest first."""
    return [delivery_view(r).model_dump(mode="json") for r in repo.deliveries_of(db, uuid.UUID(report_id))]


def query_deliveries(db, query: ListDeliveries) -> list[dict]:
    """Operators: any deliveries (e.g. state=failed); agency staff: only their agency's."""
    actor = policy.require(query.actor, policy.OPERATORS | policy.AGENCY_ROLES)
    rows = repo.list_deliveries(db, query, agency_code=policy.agency_scope(actor))
    return [delivery_view(r).model_dump(mode="json") for r in rows]


def redeliver(db, cmd: DeliveryRef) -> dict:
    """Operator action: a failed (or sent, unacknowledged) delivery goes back to pending, attempts reset."""
    policy.require(cmd.actor, policy.OPERATORS)
    now, row = utcnow(), load_delivery(db, cmd.delivery_id, lock=True)
    if row.state == "skipped":
        raise ServiceError(
            ErrorCode.DELIVERY_STATE_CONFLICT, f"delivery {row.id} was skipped: {row.last_error}"
        )
    if row.channel == "none" and row.notice_id is not None:  # a citizen notice that could not fan out
        repo.update_notice(db, row.notice_id, now, state="pending", attempts=0, next_attempt_at=now)
        repo.skip_delivery(db, row.id, "redelivered: notice re-armed", now)
    else:
        try:
            state = backoff.redeliver(repo.state_of(row), now)
        except backoff.InvalidTransition as exc:
            raise ServiceError(ErrorCode.DELIVERY_STATE_CONFLICT, str(exc)) from None
        repo.save_state(db, row.id, state, now, acknowledged_by=None)
    log.info("delivery %s redelivered by %s", row.id, cmd.actor.sub)
    db.commit()
    return delivery_view(load_delivery(db, row.id)).model_dump(mode="json")


def list_unacknowledged(db, query: UnacknowledgedQuery) -> list[dict]:
    """Routed cases their agency has not acknowledged (by default only those past the accept deadline)."""
    actor = policy.require(query.actor, policy.OPERATORS | policy.AGENCY_ROLES)
    scope = policy.agency_scope(actor)
    if scope and query.agency_code and query.agency_code != scope:
        return []
    rows = repo.unacknowledged(db, scope or query.agency_code, utcnow(), query.overdue_only, query.limit)
    return [case_state_view(r).model_dump(mode="json") for r in rows]


def load_delivery(db, delivery_id, lock: bool = False):
    """One delivery; may raise DELIVERY_NOT_FOUND."""
    row = repo.get_delivery(db, delivery_id, lock=lock)
    if row is None:
        raise ServiceError(ErrorCode.DELIVERY_NOT_FOUND, f"no delivery {delivery_id}")
    return row

"""Use cases of agencies: acknowledge one delivery, or a whole case routed to them."""

from __future__ import annotations

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.notify import AcknowledgeCase, CaseAcknowledged, DeliveryRef
from libs.platform.errors import ServiceError

from ..domain import backoff, policy
from ..domain.views import delivery_view
from ..repository import deliveries as repo
from .operators import load_delivery


def acknowledge_delivery(db, cmd: DeliveryRef) -> dict:
    """The agency confirms one delivery (by its id); a foreign delivery is a 404."""
    scope = policy.agency_scope(policy.require(cmd.actor, policy.AGENCY_ROLES))
    now, row = utcnow(), load_delivery(db, cmd.delivery_id, lock=True)
    if row.audience != "agency" or row.recipient != scope:
        raise ServiceError(ErrorCode.DELIVERY_NOT_FOUND, f"no delivery {cmd.delivery_id}")
    try:
        state = backoff.on_ack(repo.state_of(row), now)
    except backoff.InvalidTransition as exc:
        raise ServiceError(ErrorCode.DELIVERY_STATE_CONFLICT, str(exc)) from None
    repo.save_state(db, row.id, state, now, acknowledged_by=row.acknowledged_by or cmd.actor.sub)
    if row.kind == "case.routed":
        repo.acknowledge_case(db, row.report_id, scope, cmd.actor.sub, now)
    db.commit()
    return delivery_view(load_delivery(db, row.id)).model_dump(mode="json")


def acknowledge_case(db, cmd: AcknowledgeCase) -> dict:
    """The agency confirms it received a case routed to it (every sent delivery of it is acknowledged)."""
    scope = policy.agency_scope(policy.require(cmd.actor, policy.AGENCY_ROLES))
    if not repo.acknowledge_case(db, cmd.report_id, scope, cmd.actor.sub, utcnow()):
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no case {cmd.report_id} for {scope}")
    db.commit()
    case = repo.get_case(db, cmd.report_id)
    return CaseAcknowledged(
        report_id=case.report_id, agency_code=case.agency_code, acknowledged_at=case.acknowledged_at
    ).model_dump(mode="json")

"""Use case: the rating window of one report, as the citizen's app asks for it."""

from __future__ import annotations

from uuid import UUID

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.feedback import RatingState
from libs.platform.errors import ServiceError

from ..domain.projection import rating_state
from ..repository import facts as repo


def get_rating_state(db, report_id: str) -> dict:
    """NOT_OPEN until the result is published; then OPEN, RATED or CLOSED. May raise VALIDATION_FAILED."""
    try:
        rid = UUID(str(report_id))
    except ValueError:
        raise ServiceError(
            ErrorCode.VALIDATION_FAILED,
            "report_id must be a UUID",
            [{"field": "report_id", "message": "not a UUID", "type": "uuid"}],
        ) from None
    case = repo.figures_of(db, rid)
    state, closes = rating_state(case, utcnow())
    rating = case.rating if case is not None and state == "RATED" else None
    return RatingState(report_id=rid, state=state, rating=rating, window_closes_at=closes).model_dump(
        mode="json"
    )

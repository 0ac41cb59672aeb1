"""The feedback service: the citizen's rating of a published result.

Consumes: intake `report.status_changed`.
Emits: nothing yet.
"""
from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import sqlalchemy as sa
from nameko.events import event_handler
from nameko.rpc import rpc
from sqlalchemy.dialects.postgresql import insert as pg_insert

from libs.contracts.common import Status, utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import ReportStatusChangedV1
from libs.contracts.feedback import RatingState
from libs.contracts.health import ServiceHealth
from libs.platform.db import Database
from libs.platform.errors import ServiceError
from libs.platform.events import consumes

from .models import inbox, ratings

RATING_WINDOW = timedelta(days=7)


class FeedbackService:
    """Opens the rating window when a result is published and answers a report's rating state."""

    name = "feedback"
    db = Database(inbox=inbox)

    @event_handler("intake", "report.status_changed", requeue_on_error=True)
    @consumes(ReportStatusChangedV1)
    def handle_report_status_changed(self, event: ReportStatusChangedV1) -> None:
        """Publication opens a 7-day window; other steps change nothing here yet."""
        if event.to_status is Status.DA_CONG_KHAI:
            now = utcnow()
            stmt = pg_insert(ratings).values(report_id=event.report_id, state="OPEN",
                                             window_closes_at=now + RATING_WINDOW, updated_at=now)
            self.db.execute(stmt.on_conflict_do_nothing())
        self.db.commit()

    @rpc(expected_exceptions=ServiceError)
    def get_rating_state(self, report_id: str) -> dict:
        """NOT_OPEN until the result is published; then OPEN, RATED or CLOSED."""
        try:
            rid = UUID(str(report_id))
        except ValueError:
            raise ServiceError(ErrorCode.VALIDATION_FAILED, "report_id must be a UUID",
                               [{"field": "report_id", "message": "not a UUID", "type": "uuid"}]) from None
        row = self.db.execute(sa.select(ratings).where(ratings.c.report_id == rid)).first()
        if row is None:
            return RatingState(report_id=rid, state="NOT_OPEN").model_dump(mode="json")
        state = row.state
        if state == "OPEN" and row.window_closes_at and row.window_closes_at <= utcnow():
            state = "CLOSED"
        return RatingState(report_id=rid, state=state, rating=row.rating,
                           window_closes_at=row.window_closes_at).model_dump(mode="json")

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")

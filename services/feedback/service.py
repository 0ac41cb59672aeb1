"""The feedback service: the rating window of each report, and the province's satisfaction and performance
statistics, from a read model it builds out of events alone (see docs/feedback.md).

Consumes: intake `report.submitted`, `report.accepted`, `report.status_changed`; routing `report.routed`,
`report.deadline_changed`, `report.overdue`.
Emits: nothing.
"""
from __future__ import annotations

from uuid import UUID

from nameko.events import event_handler
from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import (Event, ReportAcceptedV1, ReportDeadlineChangedV1, ReportOverdueV1, ReportRoutedV1,
                                   ReportStatusChangedV1, ReportSubmittedV1)
from libs.contracts.feedback import RatingState, StatsQuery, StatsReport
from libs.contracts.health import ServiceHealth
from libs.platform.db import Database
from libs.platform.errors import ServiceError, parse
from libs.platform.events import consumes
from libs.platform.telemetry import Telemetry

from . import figures, periods
from . import repository as repo
from .models import inbox
from .projection import fact_of, rating_state


class FeedbackService:
    """Folds every case's events into its figures; answers rating states and statistics."""

    name = "feedback"
    db = Database(inbox=inbox)
    telemetry = Telemetry()

    def _record(self, event: Event) -> None:
        """Keep what the event says about its case and fold the case again; commit."""
        fact = fact_of(event)
        if fact is not None:
            repo.record(self.db, event.report_id, event.event_id, fact, utcnow())
        self.db.commit()

    @event_handler("intake", "report.submitted", requeue_on_error=True)
    @consumes(ReportSubmittedV1)
    def handle_report_submitted(self, event: ReportSubmittedV1) -> None:
        """Received."""
        self._record(event)

    @event_handler("intake", "report.accepted", requeue_on_error=True)
    @consumes(ReportAcceptedV1)
    def handle_report_accepted(self, event: ReportAcceptedV1) -> None:
        """Verified (and maybe re-classified)."""
        self._record(event)

    @event_handler("intake", "report.status_changed", requeue_on_error=True)
    @consumes(ReportStatusChangedV1)
    def handle_report_status_changed(self, event: ReportStatusChangedV1) -> None:
        """Every step: rejection, clock stops, extensions, publication (opens the window), rating, closing."""
        self._record(event)

    @event_handler("routing", "report.routed", requeue_on_error=True)
    @consumes(ReportRoutedV1)
    def handle_report_routed(self, event: ReportRoutedV1) -> None:
        """Ward, agency and processing deadline."""
        self._record(event)

    @event_handler("routing", "report.deadline_changed", requeue_on_error=True)
    @consumes(ReportDeadlineChangedV1)
    def handle_report_deadline_changed(self, event: ReportDeadlineChangedV1) -> None:
        """A new processing deadline (resumed clock, extension, re-routing)."""
        self._record(event)

    @event_handler("routing", "report.overdue", requeue_on_error=True)
    @consumes(ReportOverdueV1)
    def handle_report_overdue(self, event: ReportOverdueV1) -> None:
        """Past the processing deadline routing knows (accept-deadline warnings change nothing here)."""
        self._record(event)

    @rpc(expected_exceptions=ServiceError)
    def get_rating_state(self, report_id: str) -> dict:
        """NOT_OPEN until the result is published; then OPEN, RATED or CLOSED."""
        try:
            rid = UUID(str(report_id))
        except ValueError:
            raise ServiceError(ErrorCode.VALIDATION_FAILED, "report_id must be a UUID",
                               [{"field": "report_id", "message": "not a UUID", "type": "uuid"}]) from None
        case = repo.figures_of(self.db, rid)
        state, closes = rating_state(case, utcnow())
        rating = case.rating if case is not None and state == "RATED" else None
        return RatingState(report_id=rid, state=state, rating=rating,
                           window_closes_at=closes).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def get_stats(self, payload: dict) -> dict:
        """Figures per agency, ward, category or month over a period (public: counts only, no personal data)."""
        query, now = parse(StatsQuery, payload), utcnow()
        try:
            period = periods.resolve(query, periods.local_today(now))
        except periods.PeriodError as exc:
            raise ServiceError(ErrorCode.VALIDATION_FAILED, exc.message,
                               [{"field": exc.field, "message": exc.message, "type": "period"}]) from None
        buckets = periods.buckets(period, query.group_by == "month")
        labels = [b.label for b in buckets if b.label]
        rows = figures.arrange(query.group_by, repo.count(self.db, query, query.group_by, buckets, now), labels)
        whole = periods.buckets(period, False)
        total = rows[0] if query.group_by == "total" else figures.arrange(
            "total", repo.count(self.db, query, "total", whole, now), [])[0]
        return StatsReport(date_from=period.first, date_to=period.last, group_by=query.group_by,
                           agency=query.agency, ward=query.ward, category=query.category, generated_at=now,
                           rows=rows, total=total).model_dump(mode="json")

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")

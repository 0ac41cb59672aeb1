"""The feedback service: the rating window of each report, and the province's satisfaction and performance
statistics, from a read model it builds out of events alone (see docs/feedback.md).

Consumes: intake `report.submitted`, `report.accepted`, `report.status_changed`; routing `report.routed`,
`report.deadline_changed`, `report.overdue`.
Emits: nothing.
"""

from __future__ import annotations

from nameko.events import event_handler
from nameko.rpc import rpc

from libs.contracts.events import (
    Event,
    ReportAcceptedV1,
    ReportDeadlineChangedV1,
    ReportOverdueV1,
    ReportRoutedV1,
    ReportStatusChangedV1,
    ReportSubmittedV1,
)
from libs.contracts.feedback import StatsQuery
from libs.contracts.health import ServiceHealth
from libs.platform.db import Database
from libs.platform.errors import ServiceError, parse
from libs.platform.events import consumes
from libs.platform.telemetry import Telemetry

from .repository.models import inbox
from .usecases import ratings, recording, statistics


class FeedbackService:
    """Folds every case's events into its figures; answers rating states and statistics."""

    name = "feedback"
    db = Database(inbox=inbox)
    telemetry = Telemetry()

    def _record(self, event: Event) -> None:
        """Keep what the event says (usecases/recording.py)."""
        recording.record(self.db, event)

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
        return ratings.get_rating_state(self.db, report_id)

    @rpc(expected_exceptions=ServiceError)
    def get_stats(self, payload: dict) -> dict:
        """Figures per agency, ward, category or month over a period (public: counts only, no personal
        data)."""
        return statistics.get_stats(self.db, parse(StatsQuery, payload))

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")

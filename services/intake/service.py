"""The intake service: owns reports, their life as cases, their timeline and the reporter's sealed identity.

Every entrypoint is listed here and calls one plain use-case function (`usecases/`) with its collaborators:
the worker's unit of work (`db`: session, outbox, commit), intake's settings, the category check. Consumes:
routing `report.routed`, `report.unroutable`, `report.deadline_changed`, `report.overdue`; media
`media.stored`. Emits: `report.submitted`, `report.accepted`, `report.reroute_requested`,
`report.status_changed` (every step), `report.media_visibility_changed`."""

from __future__ import annotations

import logging

from nameko.events import event_handler
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from libs.contracts.common import utcnow
from libs.contracts.events import (
    MediaStoredV1,
    ReportDeadlineChangedV1,
    ReportOverdueV1,
    ReportRoutedV1,
    ReportUnroutableV1,
)
from libs.contracts.health import ServiceHealth
from libs.platform import retention as daily
from libs.platform.db import Database, retry_conflicts
from libs.platform.errors import ServiceError
from libs.platform.events import consumes
from libs.platform.telemetry import Telemetry

from .dependencies import Caller, Categories, Settings
from .repository.gauges import case_gauges
from .repository.models import inbox, outbox, retention_runs
from .usecases import (
    citizen,
    events,
    open311,
    people,
    public_reads,
    queries,
    retention,
    submission,
    timers,
    triage,
)
from .usecases.casefile import Desk

log = logging.getLogger(__name__)


def inbox_key(handler):
    """Keep the inbox's consumer key of a handler as it was when the handlers lived in the `Consumers` mixin
    (`libs.platform.events.consumes` keys the inbox by `__qualname__`): events handled before stay handled."""
    handler.__qualname__ = f"Consumers.{handler.__name__}"
    return handler


class IntakeService:
    """Receives reports and keeps each case's state and timeline."""

    name = "intake"
    db = Database(outbox=outbox, inbox=inbox)
    telemetry = Telemetry(probes=(case_gauges,))
    settings = Settings()
    categories = Categories()
    routing = RpcProxy("routing")
    caller = Caller()

    def known_category(self, code: str) -> bool:
        """Whether `code` is a category of routing's directory (cached; the seed file's when routing is
        away)."""
        return self.categories.known(code, self.routing)

    def desk(self) -> Desk:
        """What a staff verb works with."""
        return Desk(self.db, self.settings, self.known_category)

    # ---- submission (usecases/submission.py) ----

    @rpc(expected_exceptions=ServiceError)
    def submit_report(self, payload: dict) -> dict:
        """A citizen, a partner or an operator submits a report (idempotent per key)."""
        return submission.submit_report(self.db, self.settings, self.known_category, payload)

    @rpc(expected_exceptions=ServiceError)
    def similar_reports(self, payload: dict) -> list[dict]:
        """ "Is this yours?": public open reports of the category nearby."""
        return submission.similar_reports(self.db, self.settings, payload)

    @rpc(expected_exceptions=ServiceError)
    @retry_conflicts()
    def me_too(self, payload: dict) -> dict:
        """Follow an open case instead of submitting a duplicate."""
        return submission.me_too(self.db, self.settings, payload)

    # ---- staff (usecases/triage.py, agency_work.py) ----

    @rpc(expected_exceptions=ServiceError)
    @retry_conflicts()
    def act_on_case(self, payload: dict) -> dict:
        """One staff verb on one case (operator's or agency's)."""
        return triage.act_on_case(self.desk(), payload)

    # ---- the reporter (usecases/citizen.py) ----

    @rpc(expected_exceptions=ServiceError)
    @retry_conflicts()
    def citizen_action(self, payload: dict) -> dict:
        """The reporter adds info, rates or asks to reopen (tracking token)."""
        return citizen.citizen_action(self.db, self.settings, payload)

    @rpc(expected_exceptions=ServiceError)
    @retry_conflicts()
    def erase_contact(self, payload: dict) -> dict:
        """The reporter erases their sealed contact data (tracking token)."""
        return citizen.erase_contact(self.db, self.settings, payload)

    # ---- reads (usecases/queries.py, public_reads.py) ----

    @rpc(expected_exceptions=ServiceError)
    def get_report(self, payload: dict) -> dict:
        """One report: the public view, or the reporter's own with the tracking token."""
        return queries.get_report(self.db, self.settings, payload)

    @rpc(expected_exceptions=ServiceError)
    def get_case(self, payload: dict) -> dict:
        """A case as an operator or agency sees it."""
        return queries.get_case(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def list_queue(self, payload: dict) -> dict:
        """The operator's queue or an agency's inbox."""
        return queries.list_queue(self.db, self.settings, payload)

    @rpc(expected_exceptions=ServiceError)
    def search_reports(self, payload: dict) -> dict:
        """The shared public search."""
        return public_reads.search(self.db, payload)

    # ---- sealed identities and the audit log (usecases/people.py) ----

    @rpc(expected_exceptions=ServiceError)
    def read_reporter(self, payload: dict) -> dict:
        """Operators read the reporter's and followers' contacts (granted, audited)."""
        return people.read_reporter(self.db, self.settings, payload)

    @rpc(expected_exceptions=ServiceError)
    def notification_recipients(self, payload: dict) -> list[dict]:
        """Notify reads whom to tell (granted, audited)."""
        return people.notification_recipients(self.db, self.settings, payload)

    @rpc(expected_exceptions=ServiceError)
    def unsubscribe(self, payload: dict) -> dict:
        """A recipient stops notifications of a case (trusted callers)."""
        return people.unsubscribe(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def follower_ref(self, payload: dict) -> dict:
        """Whom a follower token stands for on a case."""
        return people.follower_ref(self.db, self.settings, payload)

    @rpc(expected_exceptions=ServiceError)
    def unsubscribe_follower(self, payload: dict) -> dict:
        """A me-too follower stops e-mail/SMS of a case (follower token)."""
        return people.unsubscribe_follower(self.db, self.settings, payload)

    @rpc(expected_exceptions=ServiceError)
    def erase_follower_contact(self, payload: dict) -> dict:
        """A me-too follower erases the contact they gave (follower token)."""
        return people.erase_follower_contact(self.db, self.settings, payload)

    @rpc(expected_exceptions=ServiceError)
    def record_media_access(self, payload: dict) -> dict:
        """Media shows an operator unblurred files: audited first (granted)."""
        return people.record_media_access(self.db, self.settings, payload)

    @rpc(expected_exceptions=ServiceError)
    def case_closures(self, payload: dict) -> list[dict]:
        """When each case closed (media's retention)."""
        return people.case_closures(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def list_audit(self, payload: dict) -> list[dict]:
        """Who read a case's personal data."""
        return people.list_audit(self.db, payload)

    # ---- Open311 partners (usecases/open311.py) ----

    @rpc(expected_exceptions=ServiceError)
    def create_api_key(self, payload: dict) -> dict:
        """Issue a partner key (administrators)."""
        return open311.create_api_key(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def list_api_keys(self, payload: dict) -> dict:
        """Every partner key (administrators)."""
        return open311.list_api_keys(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def revoke_api_key(self, payload: dict) -> dict:
        """Revoke a partner key (administrators)."""
        return open311.revoke_api_key(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def authorize_open311_client(self, payload: dict) -> dict:
        """Check a partner's api_key and count one write."""
        return open311.authorize_open311_client(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def record_open311_submission(self, payload: dict) -> dict:
        """Remember the partner behind a report (and its batch token)."""
        return open311.record_open311_submission(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def resolve_open311_token(self, payload: dict) -> dict:
        """The submission behind a batch token."""
        return public_reads.open311_token(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def post_open311_update(self, payload: dict) -> dict:
        """A partner posts an update on a request."""
        return open311.post_open311_update(self.db, payload)

    # ---- events (usecases/events.py): each once per event id ----

    @event_handler("routing", "report.routed", requeue_on_error=True)
    @consumes(ReportRoutedV1)
    @inbox_key
    def handle_report_routed(self, event: ReportRoutedV1) -> None:
        """Routing chose an agency: the case moves to it."""
        events.report_routed(self.db, event)

    @event_handler("routing", "report.unroutable", requeue_on_error=True)
    @consumes(ReportUnroutableV1)
    @inbox_key
    def handle_report_unroutable(self, event: ReportUnroutableV1) -> None:
        """Routing found no agency: the case waits in the operators' queue."""
        events.report_unroutable(self.db, event)

    @event_handler("routing", "report.deadline_changed", requeue_on_error=True)
    @consumes(ReportDeadlineChangedV1)
    @inbox_key
    def handle_report_deadline_changed(self, event: ReportDeadlineChangedV1) -> None:
        """Routing recomputed the deadlines."""
        events.report_deadline_changed(self.db, event)

    @event_handler("routing", "report.overdue", requeue_on_error=True)
    @consumes(ReportOverdueV1)
    @inbox_key
    def handle_report_overdue(self, event: ReportOverdueV1) -> None:
        """A deadline passed: flag and note it."""
        events.report_overdue(self.db, event)

    @event_handler("media", "media.stored", requeue_on_error=True)
    @consumes(MediaStoredV1)
    @inbox_key
    def handle_media_stored(self, event: MediaStoredV1) -> None:
        """A file passed media's checks: attach it."""
        events.media_stored(self.db, event)

    # ---- timers (usecases/timers.py, retention.py) ----

    @timer(interval=timers.SWEEP_INTERVAL_S)
    def sweep_deadlines(self) -> None:
        """Unanswered requests for information time out, closed rating windows close the case."""
        timers.sweep_deadlines(self.db)

    @timer(interval=daily.CHECK_INTERVAL_S, eager=True)
    def retention_daily(self) -> None:
        """Once a day, in one replica: apply the retention schedule."""
        counts = daily.run_daily(self.db, retention_runs, retention.JOB, utcnow(), self.retention_pass)
        if counts is not None:
            log.info("%s: %s", retention.JOB, counts)

    @rpc
    def apply_retention(self, payload: dict | None = None) -> dict:
        """Apply the retention schedule now (operations, tests); answers what was done. Idempotent."""
        return dict(self.retention_pass(utcnow()))

    def retention_pass(self, now) -> dict[str, int]:
        """One run of the schedule with this worker's collaborators."""
        return retention.retention_pass(self.db, self.settings.retention, now)

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")

"""intake_reads: the public reads of intake on workers of their own (issue 18: reads never queue before
writes).

The gateway's public GETs (list, map feed, one report without a tracking token, Open311 requests, updates and
tokens) call this service; everything that writes, and every read that checks a secret or a staff member,
stays on `intake`. Same database, read-only transactions; no outbox relay, no timers, no event handlers:
replicas of it scale the reads and nothing else. Each entrypoint calls one plain function of
`usecases/public_reads.py`. Consumes: nothing. Emits: nothing."""

from __future__ import annotations

from nameko.rpc import rpc

from libs.contracts.health import ServiceHealth
from libs.platform.db import Database
from libs.platform.errors import ServiceError
from libs.platform.telemetry import Telemetry

# modules, not classes: `nameko run` serves every top-level class with entrypoints in this module
from .usecases import public_reads

NAME = "intake_reads"


class IntakeReads:
    """search_reports, map_feed, get_report (public view), list_open311_updates, open311_feed,
    resolve_open311_token."""

    name = NAME
    db = Database(read_only=True)  # no outbox, no inbox: no relay here (intake's own relay publishes)
    telemetry = Telemetry()

    @rpc(expected_exceptions=ServiceError)
    def search_reports(self, payload: dict) -> dict:
        """The shared public search (public_reads.search)."""
        return public_reads.search(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def map_feed(self, payload: dict) -> dict:
        """The map at one zoom level: clusters or compact points (public_reads.map_feed)."""
        return public_reads.map_feed(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def get_report(self, payload: dict) -> dict:
        """One report as the public sees it, never with a tracking token (public_reads.public_view)."""
        return public_reads.public_view(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def list_open311_updates(self, payload: dict) -> dict:
        """Posted updates of some reports and/or in a window (public_reads.open311_updates)."""
        return public_reads.open311_updates(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def open311_feed(self, payload: dict) -> dict:
        """One batch of the servicerequestupdates feed (public_reads.open311_feed)."""
        return public_reads.open311_feed(self.db, payload)

    @rpc(expected_exceptions=ServiceError)
    def resolve_open311_token(self, payload: dict) -> dict:
        """The report behind an Open311 batch token; may raise OPEN311_TOKEN_NOT_FOUND."""
        return public_reads.open311_token(self.db, payload)

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")

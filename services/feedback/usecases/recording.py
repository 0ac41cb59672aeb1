"""Use case: keep what an event says about its case, and fold the case's figures again (one commit)."""

from __future__ import annotations

from libs.contracts.common import utcnow
from libs.contracts.events import Event

from ..domain.projection import fact_of
from ..repository import facts as repo


def record(db, event: Event) -> None:
    """Keep what the event says about its case and fold the case again; commit."""
    fact = fact_of(event)
    if fact is not None:
        repo.record(db, event.report_id, event.event_id, fact, utcnow())
    db.commit()

"""Use case: the clock — requests for information that were never answered, rating windows that closed."""

from __future__ import annotations

import logging

from libs.contracts.common import utcnow
from libs.platform.errors import ServiceError

from ..domain.workflow import RATING_WINDOW, Action, Actor, Kind, Role, State
from ..repository import counters
from ..repository import reports as repo
from ..repository.models import reports
from .casefile import perform

log = logging.getLogger(__name__)
TIMER = Actor(role=Role.SYSTEM, subject="timer")
SWEEP_INTERVAL_S = 30


def sweep_deadlines(db) -> None:
    """INFO_TIMEOUT after the info window, CLOSE after the rating window; expired rate counters go."""
    sweep_once(db)
    counters.PgCounterStore(db).purge()
    db.commit()


def sweep_once(db) -> int:
    """One pass (each case in its own transaction, skipping rows another instance holds); returns how many."""
    now, done = utcnow(), 0
    for status, column, before, kind in (
        (State.CHO_BO_SUNG, reports.c.info_due_at, now, Kind.INFO_TIMEOUT),
        (State.DA_CONG_KHAI, reports.c.published_at, now - RATING_WINDOW, Kind.CLOSE),
    ):
        for row in repo.due_for(db, status, column, before):
            try:
                perform(db, row, TIMER, Action(kind=kind), now)
                db.commit()
                done += 1
            except ServiceError as exc:
                log.warning("%s of %s refused: %s", kind.value, row.id, exc.detail)
                db.rollback()
    return done

"""Use case: the clock — requests for information that were never answered, rating windows that closed."""
from __future__ import annotations

import logging

from nameko.timer import timer

from libs.contracts.common import utcnow
from libs.platform.errors import ServiceError

from . import repo_people as people
from . import repository as repo
from .casefile import CaseFile
from .models import reports
from .workflow import RATING_WINDOW, Action, Actor, Kind, Role, State

log = logging.getLogger(__name__)
TIMER = Actor(role=Role.SYSTEM, subject="timer")
SWEEP_INTERVAL_S = 30


class Timers(CaseFile):
    """sweep_deadlines."""

    @timer(interval=SWEEP_INTERVAL_S)
    def sweep_deadlines(self) -> None:
        """INFO_TIMEOUT after the info window, CLOSE after the rating window; expired rate counters go."""
        self.sweep_once()
        people.PgCounterStore(self.db).purge()
        self.db.commit()

    def sweep_once(self) -> int:
        """One pass (each case in its own transaction, skipping rows another instance holds); returns how many."""
        now, done = utcnow(), 0
        for status, column, before, kind in (
                (State.CHO_BO_SUNG, reports.c.info_due_at, now, Kind.INFO_TIMEOUT),
                (State.DA_CONG_KHAI, reports.c.published_at, now - RATING_WINDOW, Kind.CLOSE)):
            for row in repo.due_for(self.db, status, column, before):
                try:
                    self._perform(row, TIMER, Action(kind=kind), now)
                    self.db.commit()
                    done += 1
                except ServiceError as exc:
                    log.warning("%s of %s refused: %s", kind.value, row.id, exc.detail)
                    self.db.rollback()
        return done

"""Retention jobs: run once a day per job, whichever replica claims the day first (idempotent work either
way).

A service's timer calls `claim_day` often (hourly); the replica whose INSERT of (job, today) succeeds runs the
job and records what it did with `finish_day`. The work itself must be idempotent and done in small batches
with `FOR UPDATE SKIP LOCKED`, so a crash half-way, a second replica or a manual run changes nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy.dialects.postgresql import insert as pg_insert

from libs.contracts.common import utcnow

log = logging.getLogger(__name__)
CHECK_INTERVAL_S = 3600  # how often a replica tries to claim today's run


def claim_day(uow, table: sa.Table, job: str, day: date, now: datetime) -> bool:
    """Claim today's run of `job` (committed at once); False when another replica (or an earlier run) has
    it."""
    claimed = (
        uow.execute(
            pg_insert(table)
            .values(job=job, day=day, started_at=now)
            .on_conflict_do_nothing()
            .returning(table.c.job)
        ).first()
        is not None
    )
    uow.commit()
    return claimed


def finish_day(uow, table: sa.Table, job: str, day: date, now: datetime, counts: Mapping[str, int]) -> None:
    """Record that today's run of `job` finished, with what it did (committed)."""
    uow.execute(
        sa.update(table)
        .where(table.c.job == job, table.c.day == day)
        .values(finished_at=now, counts=dict(counts))
    )
    uow.commit()


def run_daily(
    uow, table: sa.Table, job: str, now: datetime, work: Callable[[datetime], Mapping[str, int]]
) -> Mapping[str, int] | None:
    """Run `work(now)` if this replica claims today's run of `job`; returns what it did (None: not ours
    today)."""
    if not claim_day(uow, table, job, now.date(), now):
        return None
    counts = work(now)
    finish_day(uow, table, job, now.date(), datetime.now(now.tzinfo), counts)
    return counts


class DailyRetention:
    """The entrypoints of a service's retention job (mixed into the service class, which has `db`):
    `retention_daily` (the hourly timer; one replica a day runs it) and the RPC `apply_retention` (run it
    now).

    The mixing class names its job (`retention_job`), its runs table (`retention_table`) and does the work in
    `retention_pass(now) -> counts`.
    """

    retention_job: str
    retention_table: sa.Table
    db: Any  # the mixing service's Database dependency

    @timer(interval=CHECK_INTERVAL_S, eager=True)
    def retention_daily(self) -> None:
        """Once a day, in one replica: apply the schedule."""
        counts = run_daily(self.db, self.retention_table, self.retention_job, utcnow(), self.retention_pass)
        if counts is not None:
            log.info("%s: %s", self.retention_job, counts)

    @rpc
    def apply_retention(self, payload: dict | None = None) -> dict:
        """Apply the schedule now (operations, tests); answers what was done. Idempotent."""
        return dict(self.retention_pass(utcnow()))

    def retention_pass(self, now: datetime) -> Mapping[str, int]:
        raise NotImplementedError

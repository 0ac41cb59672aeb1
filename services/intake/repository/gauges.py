"""Intake's state gauges for Prometheus: open cases by state and how many are overdue (read when scraped)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from libs.platform.probes import Sample

from ..domain.workflow import OPEN_STATES
from .models import reports
from .search import operator_buckets

OPEN = sorted(s.value for s in OPEN_STATES)


def case_gauges(conn: sa.Connection, now: datetime) -> list[Sample]:
    """`ht_cases_open{state}` (every open state, 0 included) and `ht_cases_overdue` (index `status,
    created_at`)."""
    counts = dict.fromkeys(OPEN, 0)
    counts.update(
        conn.execute(
            sa.select(reports.c.status, sa.func.count())
            .where(reports.c.status.in_(OPEN))
            .group_by(reports.c.status)
        ).all()
    )
    overdue = conn.execute(
        sa.select(sa.func.count()).select_from(reports).where(operator_buckets(now)["overdue"])
    ).scalar_one()
    return [
        *(Sample("ht_cases_open", {"state": s}, n) for s, n in counts.items()),
        Sample("ht_cases_overdue", {}, overdue),
    ]

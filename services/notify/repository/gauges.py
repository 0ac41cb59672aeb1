"""Notify's state gauge for Prometheus: deliveries not yet done, by channel and state (read when scraped)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from libs.platform.probes import Sample

from .models import deliveries as D

OPEN_STATES = ("pending", "failed")  # sent, acknowledged and skipped are done (and the bulk of the table)


def delivery_gauges(conn: sa.Connection, now: datetime) -> list[Sample]:
    """`ht_notify_deliveries{channel, state}`: pending, retrying (failed, next attempt set), parked (failed,
    none)."""
    state = sa.case(
        (D.c.state == "pending", "pending"), (D.c.next_attempt_at.is_(None), "parked"), else_="retrying"
    ).label("s")
    rows = conn.execute(
        sa.select(D.c.channel, state, sa.func.count())
        .where(D.c.state.in_(OPEN_STATES))
        .group_by(D.c.channel, state)
    ).all()
    return [Sample("ht_notify_deliveries", {"channel": channel, "state": s}, n) for channel, s, n in rows]

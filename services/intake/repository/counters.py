"""The submission and wrong-token rate limits' counters on PostgreSQL (`rate_counters`; SQL only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..domain.ratelimit import Hit
from .models import rate_counters


def _hit_statement() -> sa.Select:
    """Add 1 to each (key, bucket) given as arrays, in key order; return key, previous bucket's count, new
    count."""
    given = (
        sa.func.unnest(
            sa.bindparam("keys", type_=ARRAY(sa.Text)),
            sa.bindparam("buckets", type_=ARRAY(sa.BigInteger)),
            sa.bindparam("expiries", type_=ARRAY(sa.DateTime(timezone=True))),
        )
        .table_valued("key", "bucket", "expires_at")
        .render_derived(name="given")
    )
    stmt = pg_insert(rate_counters).from_select(
        ["key", "bucket", "count", "expires_at"],
        sa.select(given.c.key, given.c.bucket, sa.literal(1), given.c.expires_at).order_by(given.c.key),
    )
    added = (
        stmt.on_conflict_do_update(
            index_elements=[rate_counters.c.key, rate_counters.c.bucket],
            set_={
                "count": rate_counters.c.count + stmt.excluded.count,
                "expires_at": sa.func.greatest(rate_counters.c.expires_at, stmt.excluded.expires_at),
            },
        )
        .returning(rate_counters.c.key, rate_counters.c.bucket, rate_counters.c.count)
        .cte("added")
    )
    previous = rate_counters.alias("previous")  # the snapshot before this statement: untouched buckets
    return sa.select(added.c.key, sa.func.coalesce(previous.c.count, 0), added.c.count).select_from(
        added.outerjoin(
            previous,
            sa.and_(
                previous.c.key == added.c.key,
                previous.c.bucket == added.c.bucket - 1,
                previous.c.expires_at > sa.func.now(),
            ),
        )
    )


_HIT = _hit_statement()


class PgCounterStore:
    """The rate limiter's BatchStore on PostgreSQL, in the caller's transaction: one statement per call, built
    once, its counters passed as arrays (the same statement whatever their number).

    The hits are written in the transaction of the request they count, so they hold exactly when the request
    is committed; the counter rows stay locked until then (a few milliseconds), and are locked in key order,
    so two requests sharing two counters cannot deadlock."""

    def __init__(self, uow):
        self.uow = uow

    def hit(self, hits: Sequence[Hit]) -> dict[str, tuple[int, int]]:
        now = datetime.now(UTC)
        rows = self.uow.execute(
            _HIT,
            {
                "keys": [h.key for h in hits],
                "buckets": [h.bucket for h in hits],
                "expiries": [now + timedelta(seconds=h.ttl_s) for h in hits],
            },
        ).all()
        return {key: (int(prev), int(current)) for key, prev, current in rows}

    def give_back(self, hits: Sequence[Hit]) -> None:
        pairs = sa.tuple_(rate_counters.c.key, rate_counters.c.bucket).in_([(h.key, h.bucket) for h in hits])
        self.uow.execute(sa.update(rate_counters).where(pairs).values(count=rate_counters.c.count - 1))

    def peek(self, hits: Sequence[Hit]) -> dict[str, tuple[int, int]]:
        pairs = [(h.key, b) for h in hits for b in (h.bucket - 1, h.bucket)]
        rows = self.uow.execute(
            sa.select(rate_counters.c.key, rate_counters.c.bucket, rate_counters.c.count).where(
                sa.tuple_(rate_counters.c.key, rate_counters.c.bucket).in_(pairs),
                rate_counters.c.expires_at > sa.func.now(),
            )
        ).all()
        found = {(key, bucket): int(count) for key, bucket, count in rows}
        return {h.key: (found.get((h.key, h.bucket - 1), 0), found.get((h.key, h.bucket), 0)) for h in hits}

    def purge(self) -> int:
        """Drop expired counters; returns how many (the caller commits)."""
        return self.uow.execute(
            sa.delete(rate_counters).where(rate_counters.c.expires_at < sa.func.now())
        ).rowcount

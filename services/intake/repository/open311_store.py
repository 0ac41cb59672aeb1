"""Reads and writes of intake's Open311 tables (SQLAlchemy Core over the worker's session)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .models import reports, timeline
from .open311_models import api_keys, rate_counters, submissions, updates
from .search import PUBLIC_CONDITION


def insert_key(uow, **values) -> None:
    """A new API key row (the secret only as its hash)."""
    uow.execute(sa.insert(api_keys).values(**values))


def key_by_id(uow, key_id: UUID):
    """One key row or None."""
    return uow.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()


def key_by_hash(uow, key_hash: str):
    """The key row whose secret hashes to `key_hash`, or None."""
    return uow.execute(sa.select(api_keys).where(api_keys.c.key_hash == key_hash)).first()


def list_keys(uow, include_revoked: bool):
    """Every key, newest first."""
    stmt = sa.select(api_keys).order_by(api_keys.c.created_at.desc(), api_keys.c.id)
    if not include_revoked:
        stmt = stmt.where(api_keys.c.revoked_at.is_(None))
    return uow.execute(stmt).all()


def revoke_key(uow, key_id: UUID, at: datetime, by: str) -> None:
    """Mark a key revoked (the first revocation's time and author are kept)."""
    uow.execute(
        sa.update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_by=by)
    )


def touch_key(uow, key_id: UUID, at: datetime) -> None:
    """Remember when a key was last used."""
    uow.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=at))


def insert_submission(uow, **values) -> None:
    """Which partner submitted a report (and its batch token)."""
    uow.execute(pg_insert(submissions).values(**values).on_conflict_do_nothing(index_elements=["report_id"]))


def submission(uow, *, report_id: UUID | None = None, token: str | None = None):
    """A submission joined with its report's code and status, by report id or token; or None."""
    stmt = sa.select(submissions, reports.c.code, reports.c.status).join(
        reports, reports.c.id == submissions.c.report_id
    )
    stmt = (
        stmt.where(submissions.c.report_id == report_id)
        if token is None
        else stmt.where(submissions.c.token == token)
    )
    return uow.execute(stmt).first()


def report_by_id(uow, report_id: UUID):
    """(id, code, status) of a report, or None."""
    return uow.execute(
        sa.select(reports.c.id, reports.c.code, reports.c.status).where(reports.c.id == report_id)
    ).first()


def report_by_code(uow, code: str):
    """(id, code, status, verified_at) of a report by its human-readable code, or None."""
    return uow.execute(
        sa.select(reports.c.id, reports.c.code, reports.c.status, reports.c.verified_at).where(
            reports.c.code == code
        )
    ).first()


def insert_update(uow, **values):
    """Store a posted update; None when this client already posted that update id."""
    stmt = (
        pg_insert(updates)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_open311_updates_client_external")
    )
    return uow.execute(stmt.returning(*updates.c)).first()


def list_updates(
    uow, report_ids: list[UUID] | None, start: datetime | None, end: datetime | None, limit: int
):
    """Posted updates with their report's code, oldest first."""
    stmt = (
        sa.select(updates, reports.c.code)
        .join(reports, reports.c.id == updates.c.report_id)
        .order_by(updates.c.updated_at, updates.c.id)
        .limit(limit)
    )
    if report_ids is not None:
        stmt = stmt.where(updates.c.report_id.in_(report_ids))
    if start is not None:
        stmt = stmt.where(updates.c.updated_at >= start)
    if end is not None:
        stmt = stmt.where(updates.c.updated_at <= end)
    return uow.execute(stmt).all()


def _null(name: str, type_=sa.Text):
    """A typed NULL column (UNION ALL needs the types of both branches to match)."""
    return sa.cast(sa.null(), type_).label(name)


def _feed_branches(q):
    """The two sources of the servicerequestupdates feed as selects with the same columns, each cut to the
    batch."""
    t, u, r = timeline.c, updates.c, reports.c
    area = []
    if q.bbox:
        min_lon, min_lat, max_lon, max_lat = q.bbox
        area = [
            r.lon.between(min(min_lon, max_lon), max(min_lon, max_lon)),
            r.lat.between(min(min_lat, max_lat), max(min_lat, max_lat)),
        ]
    earlier = timeline.alias("earlier")
    ordinal = (
        sa.select(sa.func.count())
        .where(
            earlier.c.report_id == t.report_id,
            earlier.c.visibility == "public",
            sa.tuple_(earlier.c.at, earlier.c.id) <= sa.tuple_(t.at, t.id),
        )
        .scalar_subquery()
    )
    steps = (
        sa.select(
            sa.literal(0).label("kind"),
            t.id,
            r.code,
            r.lat,
            r.lon,
            t.at.label("recorded_at"),
            t.at.label("updated_datetime"),
            ordinal.label("ordinal"),
            t.from_status,
            t.to_status,
            t.note,
            t.actor_role,
            _null("state_at_post"),
            _null("description"),
            _null("media_url"),
        )
        .join_from(timeline, reports, r.id == t.report_id)
        .where(
            t.visibility == "public",
            PUBLIC_CONDITION,
            *area,
            t.at >= q.updated_from,
            t.at <= q.updated_to,
            t.at <= q.recorded_to,
        )
    )
    posted = (
        sa.select(
            sa.literal(1).label("kind"),
            u.id,
            r.code,
            r.lat,
            r.lon,
            u.received_at.label("recorded_at"),
            u.updated_at.label("updated_datetime"),
            _null("ordinal", sa.BigInteger),
            _null("from_status"),
            _null("to_status"),
            _null("note"),
            _null("actor_role"),
            u.state_at_post,
            u.description,
            u.media_url,
        )
        .join_from(updates, reports, r.id == u.report_id)
        .where(
            PUBLIC_CONDITION,
            *area,
            u.updated_at >= q.updated_from,
            u.updated_at <= q.updated_to,
            u.received_at <= q.recorded_to,
        )
    )
    if q.after is not None:  # (recorded_at, kind, id) > cursor, with a plain bound on time so that the index
        at, cursor_id = (
            q.after.recorded_at,
            q.after.id,
        )  # scan starts at the cursor (a row comparison may not)
        if q.after.kind == 0:
            steps = steps.where(t.at >= at, sa.or_(t.at > at, t.id > cursor_id))
            posted = posted.where(u.received_at >= at)
        else:
            steps = steps.where(t.at > at)
            posted = posted.where(u.received_at >= at, sa.or_(u.received_at > at, u.id > cursor_id))
    enough = q.offset + q.limit  # neither source can contribute more than this to the batch
    return (steps.order_by(t.at, t.id).limit(enough), posted.order_by(u.received_at, u.id).limit(enough))


def feed(uow, q):
    """One batch of the feed in its fixed order (recorded_at, kind, id): each source is read along its index
    (`ix_timeline_at_public`, `ix_open311_updates_received`) from the cursor, at most offset + limit rows
    each."""
    steps, posted = _feed_branches(q)
    both = sa.union_all(steps.subquery().select(), posted.subquery().select()).subquery("feed")
    stmt = (
        sa.select(both).order_by(both.c.recorded_at, both.c.kind, both.c.id).offset(q.offset).limit(q.limit)
    )
    return uow.execute(stmt).all()


class Open311CounterStore:
    """The rate limiter's CounterStore over `open311_rate_counters` (atomic upsert, expired rows swept)."""

    def __init__(self, uow) -> None:
        self.uow = uow

    def add(self, key: str, bucket: int, delta: int, ttl_s: int) -> int:
        """Add to a counter and return the new value (one atomic statement)."""
        expires = datetime.now(UTC) + timedelta(seconds=ttl_s)
        stmt = pg_insert(rate_counters).values(key=key, bucket=bucket, count=delta, expires_at=expires)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key", "bucket"],
            set_={
                "count": rate_counters.c.count + delta,
                "expires_at": sa.func.greatest(rate_counters.c.expires_at, expires),
            },
        )
        return self.uow.execute(stmt.returning(rate_counters.c.count)).scalar_one()

    def get(self, key: str, bucket: int) -> int:
        """A counter's value, 0 when absent or expired."""
        value = self.uow.execute(
            sa.select(rate_counters.c.count).where(
                rate_counters.c.key == key,
                rate_counters.c.bucket == bucket,
                rate_counters.c.expires_at > sa.func.now(),
            )
        ).scalar()
        return int(value or 0)

    def sweep(self) -> None:
        """Delete expired counters."""
        self.uow.execute(sa.delete(rate_counters).where(rate_counters.c.expires_at < sa.func.now()))

"""Reads and writes of intake's Open311 tables (SQLAlchemy Core over the worker's session)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .models import reports
from .open311_models import api_keys, rate_counters, submissions, updates


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
    uow.execute(sa.update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=at, revoked_by=by))


def touch_key(uow, key_id: UUID, at: datetime) -> None:
    """Remember when a key was last used."""
    uow.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=at))


def insert_submission(uow, **values) -> None:
    """Which partner submitted a report (and its batch token)."""
    uow.execute(pg_insert(submissions).values(**values).on_conflict_do_nothing(index_elements=["report_id"]))


def submission(uow, *, report_id: UUID | None = None, token: str | None = None):
    """A submission joined with its report's code and status, by report id or token; or None."""
    stmt = (sa.select(submissions, reports.c.code, reports.c.status)
            .join(reports, reports.c.id == submissions.c.report_id))
    stmt = stmt.where(submissions.c.report_id == report_id) if token is None else stmt.where(
        submissions.c.token == token)
    return uow.execute(stmt).first()


def report_by_id(uow, report_id: UUID):
    """(id, code, status) of a report, or None."""
    return uow.execute(sa.select(reports.c.id, reports.c.code, reports.c.status)
                       .where(reports.c.id == report_id)).first()


def report_by_code(uow, code: str):
    """(id, code, status) of a report by its human-readable code, or None."""
    return uow.execute(sa.select(reports.c.id, reports.c.code, reports.c.status)
                       .where(reports.c.code == code)).first()


def insert_update(uow, **values):
    """Store a posted update; None when this client already posted that update id."""
    stmt = pg_insert(updates).values(**values).on_conflict_do_nothing(
        constraint="uq_open311_updates_client_external")
    return uow.execute(stmt.returning(*updates.c)).first()


def list_updates(uow, report_ids: list[UUID] | None, start: datetime | None, end: datetime | None, limit: int):
    """Posted updates with their report's code, oldest first."""
    stmt = (sa.select(updates, reports.c.code).join(reports, reports.c.id == updates.c.report_id)
            .order_by(updates.c.updated_at, updates.c.id).limit(limit))
    if report_ids is not None:
        stmt = stmt.where(updates.c.report_id.in_(report_ids))
    if start is not None:
        stmt = stmt.where(updates.c.updated_at >= start)
    if end is not None:
        stmt = stmt.where(updates.c.updated_at <= end)
    return uow.execute(stmt).all()


class PgCounterStore:
    """The rate limiter's CounterStore over `open311_rate_counters` (atomic upsert, expired rows swept)."""

    def __init__(self, uow) -> None:
        self.uow = uow

    def add(self, key: str, bucket: int, delta: int, ttl_s: int) -> int:
        """Add to a counter and return the new value (one atomic statement)."""
        expires = datetime.now(timezone.utc) + timedelta(seconds=ttl_s)
        stmt = pg_insert(rate_counters).values(key=key, bucket=bucket, count=delta, expires_at=expires)
        stmt = stmt.on_conflict_do_update(index_elements=["key", "bucket"], set_={
            "count": rate_counters.c.count + delta, "expires_at": sa.func.greatest(rate_counters.c.expires_at,
                                                                                  expires)})
        return self.uow.execute(stmt.returning(rate_counters.c.count)).scalar_one()

    def get(self, key: str, bucket: int) -> int:
        """A counter's value, 0 when absent or expired."""
        value = self.uow.execute(sa.select(rate_counters.c.count).where(
            rate_counters.c.key == key, rate_counters.c.bucket == bucket,
            rate_counters.c.expires_at > sa.func.now())).scalar()
        return int(value or 0)

    def sweep(self) -> None:
        """Delete expired counters."""
        self.uow.execute(sa.delete(rate_counters).where(rate_counters.c.expires_at < sa.func.now()))

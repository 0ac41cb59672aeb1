"""Followers, the append-only audit log and the rate-limit counters (SQL only)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .models import audit_log, followers, rate_counters, reports


def add_follower(uow, report_id: UUID, role: str, at: datetime, source_report_id: UUID | None = None,
                 contact_sealed: bytes | None = None) -> UUID:
    """Someone follows a case; returns their opaque recipient_ref."""
    ref = uuid.uuid4()
    uow.execute(sa.insert(followers).values(ref=ref, report_id=report_id, role=role, created_at=at,
                                            source_report_id=source_report_id, contact_sealed=contact_sealed))
    return ref


def copy_followers(uow, from_report: UUID, to_report: UUID, at: datetime) -> int:
    """Everyone following a merged report follows the primary case too (as followers); returns how many."""
    rows = uow.execute(sa.select(followers).where(followers.c.report_id == from_report)).all()
    for row in rows:
        add_follower(uow, to_report, "follower", at, row.source_report_id, row.contact_sealed)
    return len(rows)


def followers_with_contacts(uow, report_id: UUID):
    """Follower rows with the sealed blob that holds their contact (their own, or their report's reporter's)."""
    source = reports.alias("source")
    stmt = (sa.select(followers.c.ref, followers.c.role, followers.c.unsubscribed,
                      sa.func.coalesce(followers.c.contact_sealed, source.c.reporter_sealed).label("sealed"))
            .select_from(followers.outerjoin(source, source.c.id == followers.c.source_report_id))
            .where(followers.c.report_id == report_id)
            .order_by(followers.c.role.desc(), followers.c.created_at, followers.c.ref))
    return uow.execute(stmt).all()


def unsubscribe(uow, report_id: UUID, ref: UUID) -> bool:
    """Stop notifications for one follower; False when no such follower of this case."""
    done = uow.execute(sa.update(followers).where(followers.c.report_id == report_id, followers.c.ref == ref)
                       .values(unsubscribed=True).returning(followers.c.ref)).first()
    return done is not None


def audit(uow, report_id: UUID, action: str, actor_kind: str, fields: list[str], purpose: str | None = None,
          actor_role: str | None = None, actor_sub: str | None = None, actor_agency: str | None = None,
          service: str | None = None) -> int:
    """Append one audit row (the table refuses updates and deletes); returns its id."""
    return uow.execute(sa.insert(audit_log).values(
        report_id=report_id, action=action, actor_kind=actor_kind, fields=fields, purpose=purpose,
        actor_role=actor_role, actor_sub=actor_sub, actor_agency=actor_agency, service=service)
        .returning(audit_log.c.id)).scalar_one()


def audit_rows(uow, report_id: UUID):
    """The audit rows of one case, oldest first."""
    return uow.execute(sa.select(audit_log).where(audit_log.c.report_id == report_id)
                       .order_by(audit_log.c.id)).all()


class PgCounterStore:
    """The rate limiter's CounterStore on PostgreSQL: one atomic upsert per hit, each in its own transaction.

    Its own transaction, so a hit counts even when the submission then fails, and no lock outlives the check.
    """

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def add(self, key: str, bucket: int, delta: int, ttl_s: int) -> int:
        expires = datetime.now(timezone.utc) + timedelta(seconds=ttl_s)
        stmt = pg_insert(rate_counters).values(key=key, bucket=bucket, count=delta, expires_at=expires)
        stmt = stmt.on_conflict_do_update(
            index_elements=[rate_counters.c.key, rate_counters.c.bucket],
            set_={"count": rate_counters.c.count + stmt.excluded.count,
                  "expires_at": sa.func.greatest(rate_counters.c.expires_at, stmt.excluded.expires_at)})
        with self.engine.begin() as conn:
            return conn.execute(stmt.returning(rate_counters.c.count)).scalar_one()

    def get(self, key: str, bucket: int) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(rate_counters.c.count).where(
                rate_counters.c.key == key, rate_counters.c.bucket == bucket,
                rate_counters.c.expires_at > sa.func.now())).scalar()
        return int(value or 0)

    def purge(self) -> int:
        """Drop expired counters; returns how many."""
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(rate_counters).where(rate_counters.c.expires_at < sa.func.now())).rowcount

"""SQL of the accounts service: accounts, sessions, challenges, throttles, audit (over the unit of work)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..domain.throttle import State
from .models import accounts, audit, challenges, sessions, throttles

Row = Any


def account_by_username(uow, username: str, lock: bool = False) -> Row | None:
    stmt = sa.select(accounts).where(accounts.c.username == username)
    return uow.execute(stmt.with_for_update() if lock else stmt).first()


def account_by_id(uow, account_id: UUID, lock: bool = False) -> Row | None:
    stmt = sa.select(accounts).where(accounts.c.id == account_id)
    return uow.execute(stmt.with_for_update() if lock else stmt).first()


def account_by_external(uow, external_id: str) -> Row | None:
    return uow.execute(
        sa.select(accounts).where(accounts.c.external_id == external_id).with_for_update()
    ).first()


def insert_account(uow, **values) -> Row:
    return uow.execute(sa.insert(accounts).values(**values).returning(accounts)).one()


def update_account(uow, account_id: UUID, **values) -> Row:
    return uow.execute(
        sa.update(accounts).where(accounts.c.id == account_id).values(**values).returning(accounts)
    ).one()


def list_accounts(uow, role: str | None = None, agency: str | None = None, q: str | None = None) -> list[Row]:
    stmt = sa.select(accounts).order_by(accounts.c.username)
    if role:
        stmt = stmt.where(accounts.c.role == role)
    if agency:
        stmt = stmt.where(accounts.c.agency_code == agency)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            sa.or_(accounts.c.username.like(like), sa.func.lower(accounts.c.display_name).like(like))
        )
    return list(uow.execute(stmt))


# ---- throttles ---------------------------------------------------------------------------------------------


def throttle(uow, key: str, now: datetime) -> State:
    """The throttle row of a key, created if absent and locked for this transaction (attempts serialise)."""
    uow.execute(
        pg_insert(throttles)
        .values(key=key, failures=0, window_started_at=now, updated_at=now)
        .on_conflict_do_nothing()
    )
    row = uow.execute(sa.select(throttles).where(throttles.c.key == key).with_for_update()).one()
    return State(row.failures, row.window_started_at, row.not_before, row.locked_until)


def save_throttle(uow, key: str, state: State, now: datetime) -> None:
    uow.execute(
        sa.update(throttles)
        .where(throttles.c.key == key)
        .values(
            failures=state.failures,
            window_started_at=state.window_started_at,
            not_before=state.not_before,
            locked_until=state.locked_until,
            updated_at=now,
        )
    )


def clear_throttle(uow, key: str) -> None:
    uow.execute(sa.delete(throttles).where(throttles.c.key == key))


def locked_until(uow, key: str, now: datetime) -> datetime | None:
    value = uow.execute(sa.select(throttles.c.locked_until).where(throttles.c.key == key)).scalar()
    return value if value and value > now else None


# ---- challenges and sessions ------------------------------------------------------------------------------


def insert_challenge(uow, **values) -> None:
    uow.execute(sa.insert(challenges).values(**values))


def take_challenge(uow, token_hash: bytes) -> Row | None:
    return uow.execute(
        sa.select(challenges).where(challenges.c.token_hash == token_hash).with_for_update()
    ).first()


def delete_challenge(uow, token_hash: bytes) -> None:
    uow.execute(sa.delete(challenges).where(challenges.c.token_hash == token_hash))


def count_challenge_attempt(uow, token_hash: bytes) -> None:
    uow.execute(
        sa.update(challenges)
        .where(challenges.c.token_hash == token_hash)
        .values(attempts=challenges.c.attempts + 1)
    )


def insert_session(uow, **values) -> None:
    uow.execute(sa.insert(sessions).values(**values))


def session_for_update(uow, session_id: UUID) -> Row | None:
    return uow.execute(sa.select(sessions).where(sessions.c.id == session_id).with_for_update()).first()


def update_session(uow, session_id: UUID, **values) -> None:
    uow.execute(sa.update(sessions).where(sessions.c.id == session_id).values(**values))


def session_with_account(uow, session_id: UUID) -> Row | None:
    """The session and its account in one read (the check made on every staff request)."""
    cols = [
        sessions.c.id.label("session_id"),
        sessions.c.revoked_at,
        sessions.c.revoke_reason,
        sessions.c.expires_at,
        sessions.c.idle_expires_at,
        *accounts.c,
    ]
    return uow.execute(
        sa.select(*cols)
        .join(accounts, accounts.c.id == sessions.c.account_id)
        .where(sessions.c.id == session_id)
    ).first()


def revoke_sessions(uow, account_id: UUID, now: datetime, reason: str, keep: UUID | None = None) -> int:
    """End every live session of an account (but `keep`); returns how many."""
    stmt = sa.update(sessions).where(sessions.c.account_id == account_id, sessions.c.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(sessions.c.id != keep)
    return uow.execute(stmt.values(revoked_at=now, revoke_reason=reason)).rowcount


def live_sessions(uow, account_id: UUID, now: datetime) -> int:
    return uow.execute(
        sa.select(sa.func.count())
        .select_from(sessions)
        .where(
            sessions.c.account_id == account_id, sessions.c.revoked_at.is_(None), sessions.c.expires_at > now
        )
    ).scalar()


# ---- audit -------------------------------------------------------------------------------------------------


def write_audit(
    uow,
    event: str,
    *,
    username: str | None = None,
    account_id: UUID | None = None,
    actor: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    **detail: Any,
) -> None:
    uow.execute(
        sa.insert(audit).values(
            event=event,
            username=username,
            account_id=account_id,
            actor=actor,
            ip=ip,
            user_agent=user_agent,
            detail=detail,
        )
    )


def read_audit(uow, username: str | None, before_id: int | None, limit: int) -> list[Row]:
    stmt = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
    if username:
        stmt = stmt.where(audit.c.username == username)
    if before_id:
        stmt = stmt.where(audit.c.id < before_id)
    return list(uow.execute(stmt))


def forget_expired(uow, now: datetime) -> None:
    """Delete expired sign-in steps and idle throttles (a day without failures, no lock running)."""
    uow.execute(sa.delete(challenges).where(challenges.c.expires_at < now))
    uow.execute(
        sa.delete(throttles).where(
            throttles.c.updated_at < now - timedelta(days=1),
            sa.or_(throttles.c.locked_until.is_(None), throttles.c.locked_until < now),
        )
    )

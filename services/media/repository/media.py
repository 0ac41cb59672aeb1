"""SQL of the media service: uploads, their processing state, their renditions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import sqlalchemy as sa

from .models import renditions, uploads

if TYPE_CHECKING:  # a type only: the repository does not depend on the use cases
    from ..usecases.pipeline import StoredRendition

ACTIVE = ("pending", "ready")


def get(uow, media_id: UUID, lock: bool = False):
    """One upload row, or None."""
    stmt = sa.select(uploads).where(uploads.c.id == media_id)
    return uow.execute(stmt.with_for_update() if lock else stmt).first()


def of_report(uow, report_id: UUID, role: str | None = None, state: str | None = None) -> list:
    """A report's uploads, oldest first."""
    stmt = sa.select(uploads).where(uploads.c.report_id == report_id)
    if role:
        stmt = stmt.where(uploads.c.role == role)
    if state:
        stmt = stmt.where(uploads.c.state == state)
    return uow.execute(stmt.order_by(uploads.c.created_at, uploads.c.id)).all()


def count_active(uow, report_id: UUID, role: str) -> int:
    """Files of one role of a report that are pending or ready (rejected ones do not count)."""
    return uow.execute(
        sa.select(sa.func.count())
        .select_from(uploads)
        .where(uploads.c.report_id == report_id, uploads.c.role == role, uploads.c.state.in_(ACTIVE))
    ).scalar_one()


def insert(uow, **values) -> None:
    """A new pending upload slot."""
    uow.execute(sa.insert(uploads).values(state="pending", **values))


def update(uow, media_id: UUID, **values) -> None:
    """Set columns of one upload."""
    uow.execute(sa.update(uploads).where(uploads.c.id == media_id).values(**values))


def update_of_report(uow, media_id: UUID, report_id: UUID, **values) -> None:
    """Set columns of one upload, if it belongs to this report."""
    uow.execute(
        sa.update(uploads).where(uploads.c.id == media_id, uploads.c.report_id == report_id).values(**values)
    )


def originals_kept(uow, created_before: datetime, limit: int, after_id: UUID | None = None) -> list:
    """Ready files (renditions stored) whose original is still kept, created before a time, in id order after
    `after_id`; locked, skipping held rows."""
    stmt = sa.select(uploads.c.id, uploads.c.report_id, uploads.c.object_key).where(
        uploads.c.state == "ready",
        uploads.c.original_deleted_at.is_(None),
        uploads.c.created_at < created_before,
    )
    if after_id is not None:
        stmt = stmt.where(uploads.c.id > after_id)
    return uow.execute(stmt.order_by(uploads.c.id).limit(limit).with_for_update(skip_locked=True)).all()


def claim(uow, media_id: UUID, now: datetime, lease: timedelta):
    """Start an attempt: count it and hold the file for `lease` (another instance takes over after)."""
    return uow.execute(
        sa.update(uploads)
        .where(uploads.c.id == media_id, uploads.c.state == "pending")
        .values(attempts=uploads.c.attempts + 1, next_attempt_at=now + lease, updated_at=now)
        .returning(*uploads.c)
    ).first()


def next_due(uow, kind: str, now: datetime):
    """The oldest confirmed, pending file of a kind whose next attempt is due; locked, skipping held rows."""
    return uow.execute(
        sa.select(uploads)
        .where(
            uploads.c.state == "pending",
            uploads.c.kind == kind,
            uploads.c.confirmed_at.is_not(None),
            uploads.c.next_attempt_at <= now,
        )
        .order_by(uploads.c.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def finish(uow, media_id: UUID, state: str, from_state: str = "pending", **values) -> bool:
    """Move a file from `from_state` to `state`; False if it had left it (another instance finished it)."""
    done = uow.execute(
        sa.update(uploads)
        .where(uploads.c.id == media_id, uploads.c.state == from_state)
        .values(state=state, next_attempt_at=None, **values)
        .returning(uploads.c.id)
    ).first()
    return done is not None


def expired_slots(uow, created_before: datetime, limit: int = 100) -> list:
    """Slots never confirmed within their time; locked, skipping held rows."""
    return uow.execute(
        sa.select(uploads)
        .where(
            uploads.c.state == "pending",
            uploads.c.confirmed_at.is_(None),
            uploads.c.created_at < created_before,
        )
        .order_by(uploads.c.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def slots_to_close(uow, created_before: datetime, limit: int = 100) -> list:
    """Slots whose presigned URL has expired and whose key is no longer the file's original (confirmed: the
    bytes were copied away; or refused). Not locked (removing an object twice is harmless, and the retention
    job's `SKIP LOCKED` must not miss these rows); `slot_closed` clears each one conditionally."""
    return uow.execute(
        sa.select(uploads.c.id, uploads.c.slot_key)
        .where(
            uploads.c.slot_key.is_not(None),
            uploads.c.slot_key != uploads.c.object_key,
            uploads.c.created_at < created_before,
        )
        .order_by(uploads.c.created_at)
        .limit(limit)
    ).all()


def slot_closed(uow, media_id: UUID, slot_key: str) -> None:
    """Forget a slot whose object was removed (unless another instance already did)."""
    uow.execute(
        sa.update(uploads)
        .where(uploads.c.id == media_id, uploads.c.slot_key == slot_key)
        .values(slot_key=None)
    )


def unattached(uow, created_before: datetime, limit: int = 50) -> list:
    """Ready files not yet known to belong to an existing report; locked, skipping held rows."""
    return uow.execute(
        sa.select(uploads)
        .where(
            uploads.c.state == "ready", uploads.c.attached_at.is_(None), uploads.c.created_at < created_before
        )
        .order_by(uploads.c.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


# ---------------------------------------------------------------- renditions


def renditions_of(uow, media_ids: Iterable[UUID]) -> dict[UUID, list]:
    """Stored renditions of many files at once."""
    ids = list(media_ids)
    out: dict[UUID, list] = defaultdict(list)
    if ids:
        for row in uow.execute(sa.select(renditions).where(renditions.c.media_id.in_(ids))):
            out[row.media_id].append(row)
    return out


def replace_renditions(uow, media_id: UUID, stored: Iterable[StoredRendition]) -> list[str]:
    """Swap a file's renditions for new ones; returns the object keys no longer referenced."""
    old = [
        r.object_key
        for r in uow.execute(
            sa.delete(renditions).where(renditions.c.media_id == media_id).returning(renditions.c.object_key)
        )
    ]
    rows = [
        dict(
            media_id=media_id,
            name=s.name,
            audience=s.audience,
            object_key=s.object_key,
            content_type=s.content_type,
            width=s.width,
            height=s.height,
            size=s.size,
        )
        for s in stored
    ]
    if rows:
        uow.execute(sa.insert(renditions), rows)
    return old


def drop_renditions(uow, media_id: UUID) -> list[str]:
    """Forget a file's renditions; returns their object keys (to remove from the bucket)."""
    return replace_renditions(uow, media_id, ())

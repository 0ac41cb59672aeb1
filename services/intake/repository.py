"""Reads and writes of intake's tables (SQLAlchemy Core over the worker's session)."""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from libs.contracts.common import Status

from .models import media, report_code_seq, reports, timeline


def next_seq(uow) -> int:
    """The next report number (a PostgreSQL sequence: gaps possible, repeats never)."""
    return uow.execute(sa.select(report_code_seq.next_value())).scalar_one()


def by_idempotency_key(uow, key: str):
    """The report created under this key, or None."""
    return uow.execute(sa.select(reports).where(reports.c.idempotency_key == key)).first()


def get(uow, report_id: UUID, lock: bool = False):
    """One report row or None; `lock` takes a row lock for an update."""
    stmt = sa.select(reports).where(reports.c.id == report_id)
    return uow.execute(stmt.with_for_update() if lock else stmt).first()


def insert(uow, **values) -> None:
    """A new report row."""
    uow.execute(sa.insert(reports).values(**values))


def update(uow, report_id: UUID, **values) -> None:
    """Change columns of one report."""
    uow.execute(sa.update(reports).where(reports.c.id == report_id).values(**values))


def add_step(uow, report_id: UUID, at: datetime, actor_role: str, from_status: Status | None,
             to_status: Status, note: str | None = None, actor_agency: str | None = None,
             public: bool = True) -> None:
    """Append one timeline entry."""
    uow.execute(sa.insert(timeline).values(
        report_id=report_id, at=at, actor_role=actor_role, actor_agency=actor_agency,
        from_status=from_status.value if from_status else None, to_status=to_status.value, note=note,
        public=public))


def steps(uow, report_id: UUID, public_only: bool):
    """The timeline, oldest first."""
    stmt = sa.select(timeline).where(timeline.c.report_id == report_id).order_by(timeline.c.id)
    if public_only:
        stmt = stmt.where(timeline.c.public)
    return uow.execute(stmt).all()


def attach_media(uow, media_id: UUID, report_id: UUID, role: str, content_type: str, at: datetime) -> bool:
    """Attach a stored file; False if it was attached already."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    stmt = pg_insert(media).values(media_id=media_id, report_id=report_id, role=role,
                                   content_type=content_type, attached_at=at)
    return uow.execute(stmt.on_conflict_do_nothing().returning(media.c.media_id)).first() is not None


def count_media(uow, report_id: UUID) -> int:
    """How many files are attached to a report."""
    return uow.execute(sa.select(sa.func.count()).select_from(media)
                       .where(media.c.report_id == report_id)).scalar_one()

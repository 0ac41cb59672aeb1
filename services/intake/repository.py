"""Reads and writes of intake's case tables (SQLAlchemy Core over the worker's session)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from libs.contracts.common import Status

from .models import agency_spells, media, report_code_seq, reports, timeline


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


def find(uow, ref: str, lock: bool = False):
    """A report by UUID or by code (HT-2026-000123), or None."""
    try:
        return get(uow, UUID(ref), lock)
    except ValueError:
        stmt = sa.select(reports).where(reports.c.code == ref.strip().upper())
        return uow.execute(stmt.with_for_update() if lock else stmt).first()


def insert(uow, **values) -> None:
    """A new report row."""
    uow.execute(sa.insert(reports).values(**values))


def update(uow, report_id: UUID, **values) -> None:
    """Change columns of one report."""
    uow.execute(sa.update(reports).where(reports.c.id == report_id).values(**values))


def add_supporters(uow, report_id: UUID, n: int) -> int:
    """Count more citizens behind a case; returns the new count."""
    return uow.execute(sa.update(reports).where(reports.c.id == report_id)
                       .values(supporters=reports.c.supporters + n).returning(reports.c.supporters)).scalar_one()


def add_step(uow, report_id: UUID, at: datetime, actor_role: str, from_status: Status | str | None,
             to_status: Status | str, note: str | None = None, actor_agency: str | None = None,
             visibility: str = "public", action: str | None = None, reason: str | None = None,
             actor_subject: str | None = None, media_ids: Iterable[UUID] = (),
             changes: dict[str, Any] | None = None) -> None:
    """Append one timeline entry (`public` mirrors visibility == 'public')."""
    value = lambda s: s.value if isinstance(s, Status) else s  # noqa: E731
    uow.execute(sa.insert(timeline).values(
        report_id=report_id, at=at, actor_role=actor_role, actor_agency=actor_agency,
        from_status=value(from_status), to_status=value(to_status), note=note or None,
        public=visibility == "public", visibility=visibility, action=action, reason=reason,
        actor_subject=actor_subject, media_ids=list(media_ids), changes=changes or None))


def steps(uow, report_id: UUID, visibilities: Iterable[str]):
    """The timeline entries of the given visibilities, oldest first."""
    stmt = (sa.select(timeline).where(timeline.c.report_id == report_id,
                                      timeline.c.visibility.in_(list(visibilities)))
            .order_by(timeline.c.id))
    return uow.execute(stmt).all()


def public_steps(uow, report_ids: list[UUID]) -> dict[UUID, list]:
    """Public timeline entries of many reports at once."""
    out: dict[UUID, list] = {rid: [] for rid in report_ids}
    if report_ids:
        rows = uow.execute(sa.select(timeline).where(timeline.c.report_id.in_(report_ids),
                                                     timeline.c.visibility == "public").order_by(timeline.c.id))
        for row in rows:
            out[row.report_id].append(row)
    return out


def attach_media(uow, media_id: UUID, report_id: UUID, role: str, content_type: str, at: datetime) -> bool:
    """Attach a stored file; False if it was attached already."""
    stmt = pg_insert(media).values(media_id=media_id, report_id=report_id, role=role,
                                   content_type=content_type, attached_at=at)
    return uow.execute(stmt.on_conflict_do_nothing().returning(media.c.media_id)).first() is not None


def media_of(uow, report_id: UUID):
    """The stored files of a report, oldest first."""
    return uow.execute(sa.select(media).where(media.c.report_id == report_id)
                       .order_by(media.c.attached_at, media.c.media_id)).all()


def media_ids_of(uow, report_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    """Stored file ids of many reports at once."""
    out: dict[UUID, list[UUID]] = {rid: [] for rid in report_ids}
    if report_ids:
        for row in uow.execute(sa.select(media.c.report_id, media.c.media_id)
                               .where(media.c.report_id.in_(report_ids)).order_by(media.c.attached_at)):
            out[row.report_id].append(row.media_id)
    return out


def count_media(uow, report_id: UUID) -> int:
    """How many files are attached to a report."""
    return uow.execute(sa.select(sa.func.count()).select_from(media)
                       .where(media.c.report_id == report_id)).scalar_one()


def open_spell(uow, report_id: UUID, agency_code: str, reason: str | None, at: datetime) -> None:
    """An agency starts holding the case."""
    uow.execute(sa.insert(agency_spells).values(report_id=report_id, agency_code=agency_code, reason=reason,
                                                routed_at=at))


def close_spell(uow, report_id: UUID, at: datetime, end_reason: str) -> None:
    """The agency holding the case stops holding it (returned or re-routed)."""
    uow.execute(sa.update(agency_spells).where(agency_spells.c.report_id == report_id,
                                               agency_spells.c.ended_at.is_(None))
                .values(ended_at=at, end_reason=end_reason))


def spells(uow, report_id: UUID):
    """Every agency that held the case, in order."""
    return uow.execute(sa.select(agency_spells).where(agency_spells.c.report_id == report_id)
                       .order_by(agency_spells.c.id)).all()


def due_for(uow, status: Status, column: sa.Column, before: datetime, limit: int = 100):
    """Cases in `status` whose `column` is before `before`, locked, skipping rows another worker holds."""
    return uow.execute(sa.select(reports).where(reports.c.status == status.value, column.is_not(None),
                                                column < before)
                       .order_by(column).limit(limit).with_for_update(skip_locked=True)).all()

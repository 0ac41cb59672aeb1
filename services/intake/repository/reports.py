"""Reads and writes of intake's case tables (SQLAlchemy Core over the worker's session)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from libs.contracts.common import Status

from ..domain.tokens import CODE_PREFIX
from .models import agency_spells, followers, media, report_code_seq, reports, timeline
from .search import DUPLICATE_CANDIDATES


def code_sql(year: int | sa.BindParameter, seq: sa.ColumnElement) -> sa.ColumnElement:
    """`domain.tokens.report_code(year, seq)` computed by PostgreSQL (at least six digits)."""
    digits = sa.cast(seq, sa.Text)
    return (
        sa.literal(f"{CODE_PREFIX}-")
        + sa.cast(year, sa.Text)
        + "-"
        + sa.case((seq < 1_000_000, sa.func.lpad(digits, 6, "0")), else_=digits)
    )


def _params(prefix: str, table: sa.Table, names: Iterable[str]) -> dict[str, sa.BindParameter]:
    return {n: sa.bindparam(f"{prefix}{n}", type_=table.c[n].type) for n in names}


@functools.lru_cache(maxsize=16)
def _create_statement(
    report: tuple[str, ...], steps: tuple[tuple[str, ...], ...], follower: tuple[str, ...]
) -> sa.Select:
    """The statement of `create` for one shape (which columns, how many steps), built once per process."""
    seq = sa.select(report_code_seq.next_value().label("n")).cte("seq")
    code = sa.select(code_sql(sa.bindparam("year", type_=sa.Integer), seq.c.n)).scalar_subquery()
    new = (
        sa.insert(reports)
        .values(**_params("r_", reports, report), code=code)
        .returning(reports.c.code)
        .cte("new_report")
    )
    added = [
        sa.insert(timeline)
        .values(**_params("s0_", timeline, steps[0]))
        .returning(timeline.c.id)
        .cte("new_step_0")
    ]
    for i, names in enumerate(steps[1:], 1):  # each step reads the one before: ids in the order given
        row = sa.select(
            *[sa.cast(p, timeline.c[n].type).label(n) for n, p in _params(f"s{i}_", timeline, names).items()]
        ).select_from(added[-1])
        added.append(
            sa.insert(timeline).from_select(list(names), row).returning(timeline.c.id).cte(f"new_step_{i}")
        )
    added.append(
        sa.insert(followers)
        .values(**_params("f_", followers, follower))
        .returning(followers.c.ref)
        .cte("new_follower")
    )
    found = DUPLICATE_CANDIDATES.subquery("candidates")
    return (
        sa.select(new.c.code.label("new_code"), *found.c)
        .select_from(new.outerjoin(found, sa.true()))
        .add_cte(*added)
    )


def create(
    uow,
    year: int,
    report: dict[str, Any],
    steps: list[dict[str, Any]],
    follower: dict[str, Any],
    near: dict[str, Any],
) -> tuple[str, list]:
    """Write a new report in one statement and read its duplicate candidates in it (`near`: the parameters of
    `search.DUPLICATE_CANDIDATES`); returns (the code, the candidate rows).

    The statement takes the next number of the sequence (gaps possible, repeats never), inserts the row with
    its code, its timeline entries (in order) and its reporter as follower, and reads the candidates from the
    snapshot before the report exists. A failure leaves nothing: it is one statement. It is built once per
    shape (columns given, number of steps) with bound parameters, so a submission neither builds nor compiles
    SQL."""
    stmt = _create_statement(tuple(report), tuple(tuple(s) for s in steps), tuple(follower))
    params = {
        "year": year,
        **near,
        **{f"r_{k}": v for k, v in report.items()},
        **{f"f_{k}": v for k, v in follower.items()},
        **{f"s{i}_{k}": v for i, step in enumerate(steps) for k, v in step.items()},
    }
    rows = uow.execute(stmt, params).all()
    return rows[0].new_code, [r for r in rows if r.id is not None]


_BY_KEY = sa.select(
    reports.c.id, reports.c.code, reports.c.status, reports.c.created_at, reports.c.request_fingerprint
).where(
    reports.c.idempotency_scope == sa.bindparam("scope"), reports.c.idempotency_key == sa.bindparam("key")
)


def by_idempotency_key(uow, scope: str, key: str):
    """What a replay needs of the report this client created under this key, or None."""
    return uow.execute(_BY_KEY, {"scope": scope, "key": key}).first()


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


def update(uow, report_id: UUID, **values) -> None:
    """Change columns of one report."""
    uow.execute(sa.update(reports).where(reports.c.id == report_id).values(**values))


def update_in_state(uow, report_id: UUID, decided_in: str, /, **values) -> bool:
    """Change columns of one report only while it is still in state `decided_in` (the state a change was
    decided from); False when it is not (anymore)."""
    return (
        uow.execute(
            sa.update(reports)
            .where(reports.c.id == report_id, reports.c.status == decided_in)
            .values(**values)
            .returning(reports.c.id)
        ).first()
        is not None
    )


def closures(uow, report_ids: list[UUID]):
    """(id, closed_at) of these reports (unknown ids are left out)."""
    return uow.execute(sa.select(reports.c.id, reports.c.closed_at).where(reports.c.id.in_(report_ids))).all()


def add_supporters(uow, report_id: UUID, n: int) -> int:
    """Count more citizens behind a case; returns the new count."""
    return uow.execute(
        sa.update(reports)
        .where(reports.c.id == report_id)
        .values(supporters=reports.c.supporters + n)
        .returning(reports.c.supporters)
    ).scalar_one()


def step_values(
    report_id: UUID,
    at: datetime,
    actor_role: str,
    from_status: Status | str | None,
    to_status: Status | str,
    note: str | None = None,
    actor_agency: str | None = None,
    visibility: str = "public",
    action: str | None = None,
    reason: str | None = None,
    actor_subject: str | None = None,
    media_ids: Iterable[UUID] = (),
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one timeline entry (`public` mirrors visibility == 'public')."""
    value = lambda s: s.value if isinstance(s, Status) else s  # noqa: E731
    return dict(
        report_id=report_id,
        at=at,
        actor_role=actor_role,
        actor_agency=actor_agency,
        from_status=value(from_status),
        to_status=value(to_status),
        note=note or None,
        public=visibility == "public",
        visibility=visibility,
        action=action,
        reason=reason,
        actor_subject=actor_subject,
        media_ids=list(media_ids),
        changes=changes or None,
    )


def add_step(
    uow,
    report_id: UUID,
    at: datetime,
    actor_role: str,
    from_status: Status | str | None,
    to_status: Status | str,
    **details: Any,
) -> int:
    """Append one timeline entry (the details as in `step_values`); returns its id, which orders a case's
    steps."""
    values = step_values(report_id, at, actor_role, from_status, to_status, **details)
    return uow.execute(sa.insert(timeline).values(values).returning(timeline.c.id)).scalar_one()


def steps(uow, report_id: UUID, visibilities: Iterable[str]):
    """The timeline entries of the given visibilities, oldest first."""
    stmt = (
        sa.select(timeline)
        .where(timeline.c.report_id == report_id, timeline.c.visibility.in_(list(visibilities)))
        .order_by(timeline.c.id)
    )
    return uow.execute(stmt).all()


def public_steps(uow, report_ids: list[UUID]) -> dict[UUID, list]:
    """Public timeline entries of many reports at once."""
    out: dict[UUID, list] = {rid: [] for rid in report_ids}
    if report_ids:
        rows = uow.execute(
            sa.select(timeline)
            .where(timeline.c.report_id.in_(report_ids), timeline.c.visibility == "public")
            .order_by(timeline.c.id)
        )
        for row in rows:
            out[row.report_id].append(row)
    return out


def attach_media(uow, media_id: UUID, report_id: UUID, role: str, content_type: str, at: datetime) -> bool:
    """Attach a stored file; False if it was attached already."""
    stmt = pg_insert(media).values(
        media_id=media_id, report_id=report_id, role=role, content_type=content_type, attached_at=at
    )
    return uow.execute(stmt.on_conflict_do_nothing().returning(media.c.media_id)).first() is not None


def set_media_hidden(uow, report_id: UUID, media_id: UUID, hidden: bool) -> bool:
    """Hide (or show) one file of a report; False when it already was so."""
    return (
        uow.execute(
            sa.update(media)
            .where(
                media.c.report_id == report_id, media.c.media_id == media_id, media.c.hidden.is_(not hidden)
            )
            .values(hidden=hidden)
            .returning(media.c.media_id)
        ).first()
        is not None
    )


def media_of(uow, report_id: UUID):
    """The stored files of a report, oldest first."""
    return uow.execute(
        sa.select(media).where(media.c.report_id == report_id).order_by(media.c.attached_at, media.c.media_id)
    ).all()


def media_ids_of(uow, report_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    """Ids of the stored files of many reports at once that are not hidden (what the public may know of)."""
    out: dict[UUID, list[UUID]] = {rid: [] for rid in report_ids}
    if report_ids:
        for row in uow.execute(
            sa.select(media.c.report_id, media.c.media_id)
            .where(media.c.report_id.in_(report_ids), media.c.hidden.is_(False))
            .order_by(media.c.attached_at)
        ):
            out[row.report_id].append(row.media_id)
    return out


def open_spell(uow, report_id: UUID, agency_code: str, reason: str | None, at: datetime) -> None:
    """An agency starts holding the case."""
    uow.execute(
        sa.insert(agency_spells).values(
            report_id=report_id, agency_code=agency_code, reason=reason, routed_at=at
        )
    )


def close_spell(uow, report_id: UUID, at: datetime, end_reason: str) -> None:
    """The agency holding the case stops holding it (returned or re-routed)."""
    uow.execute(
        sa.update(agency_spells)
        .where(agency_spells.c.report_id == report_id, agency_spells.c.ended_at.is_(None))
        .values(ended_at=at, end_reason=end_reason)
    )


def spells(uow, report_id: UUID):
    """Every agency that held the case, in order."""
    return uow.execute(
        sa.select(agency_spells).where(agency_spells.c.report_id == report_id).order_by(agency_spells.c.id)
    ).all()


def due_for(uow, status: Status, column: sa.Column, before: datetime, limit: int = 100):
    """Cases in `status` whose `column` is before `before`, locked, skipping rows another worker holds."""
    return uow.execute(
        sa.select(reports)
        .where(reports.c.status == status.value, column.is_not(None), column < before)
        .order_by(column)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()

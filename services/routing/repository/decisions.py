"""Reads and writes of decisions, the open-case projection, assignments and fired escalations."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..domain.cases import REROUTABLE, TRACKED, CaseClock
from ..domain.placement import CaseStart, DecisionFacts, Placement, columns
from .models import assignments, cases, decisions, escalations


def insert_decision(uow, placed: Placement, facts: DecisionFacts) -> int:
    """Store one decision (where it puts the case, and why); returns its id."""
    values = {**columns(placed), **columns(facts)}
    return uow.execute(sa.insert(decisions).values(**values).returning(decisions.c.id)).scalar_one()


def decision_exists(uow, cause_event_id: UUID) -> bool:
    """True when a decision was already taken for this cause (a replayed event)."""
    stmt = sa.select(decisions.c.id).where(decisions.c.cause_event_id == cause_event_id)
    return uow.execute(stmt).first() is not None


def decisions_for(uow, report_id: UUID) -> list:
    """Every decision of a report, oldest first."""
    return uow.execute(
        sa.select(decisions).where(decisions.c.report_id == report_id).order_by(decisions.c.id)
    ).all()


def decision(uow, report_id: UUID, decision_id: int | None = None, routed_only: bool = False):
    """One decision of a report (the latest unless `decision_id`), or None."""
    stmt = sa.select(decisions).where(decisions.c.report_id == report_id)
    if decision_id is not None:
        stmt = stmt.where(decisions.c.id == decision_id)
    if routed_only:
        stmt = stmt.where(decisions.c.outcome == "routed")
    return uow.execute(stmt.order_by(decisions.c.id.desc()).limit(1)).first()


def get_case(uow, report_id: UUID, lock: bool = False):
    """The case row, or None; `lock` for an update."""
    stmt = sa.select(cases).where(cases.c.report_id == report_id)
    return uow.execute(stmt.with_for_update() if lock else stmt).first()


def upsert_case(uow, report_id: UUID, **values: Any) -> None:
    """Create or replace the projection of one case."""
    stmt = pg_insert(cases).values(report_id=report_id, **values)
    uow.execute(
        stmt.on_conflict_do_update(
            index_elements=[cases.c.report_id], set_={k: stmt.excluded[k] for k in values}
        )
    )


def place_case(uow, placed: Placement, start: CaseStart) -> None:
    """Create or replace the case as its latest decision placed it, with the clock that decision starts."""
    values = {**columns(placed), **columns(start)}
    upsert_case(uow, values.pop("report_id"), **values)


def update_case(uow, report_id: UUID, **values: Any) -> None:
    """Change columns of one case."""
    uow.execute(sa.update(cases).where(cases.c.report_id == report_id).values(**values))


def reroutable_cases(uow) -> list:
    """Open cases a directory change may route again, locked in a fixed order (a case an event handler holds
    is waited for, not skipped: the version is applied once, so every case must be seen)."""
    return uow.execute(
        sa.select(cases)
        .where(cases.c.status.in_(REROUTABLE), cases.c.closed_at.is_(None))
        .order_by(cases.c.report_id)
        .with_for_update()
    ).all()


def due_candidates(uow, horizon: datetime, limit: int = 500) -> list:
    """Cases whose running deadline falls before `horizon` (locked, skipping rows another sweep holds)."""
    accept_running = sa.and_(
        cases.c.status == "DA_CHUYEN_XU_LY", cases.c.accepted_at.is_(None), cases.c.accept_due_at <= horizon
    )
    return uow.execute(
        sa.select(cases)
        .where(
            cases.c.status.in_(TRACKED),
            cases.c.closed_at.is_(None),
            cases.c.paused_at.is_(None),
            cases.c.agency_code.is_not(None),
            sa.or_(accept_running, cases.c.due_at <= horizon),
        )
        .order_by(cases.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def clock_of(row) -> CaseClock:
    """The pure clock of a case row."""
    pauses = tuple((datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in row.pauses or [])
    return CaseClock(
        category=row.category,
        priority=row.priority,
        status=row.status,
        agency_code=row.agency_code,
        clock_started_at=row.clock_started_at,
        accepted_at=row.accepted_at,
        paused_at=row.paused_at,
        pauses=pauses,
        extension_days=row.extension_days,
        accept_due_at=row.accept_due_at,
        due_at=row.due_at,
        closed_at=row.closed_at,
        reopen_due_at=row.reopen_due_at,
    )


def clock_values(clock: CaseClock) -> dict[str, Any]:
    """Columns of a case from its clock."""
    return dict(
        category=clock.category,
        priority=clock.priority,
        status=clock.status,
        agency_code=clock.agency_code,
        clock_started_at=clock.clock_started_at,
        accepted_at=clock.accepted_at,
        paused_at=clock.paused_at,
        pauses=[[a.isoformat(), b.isoformat()] for a, b in clock.pauses],
        extension_days=clock.extension_days,
        accept_due_at=clock.accept_due_at,
        due_at=clock.due_at,
        closed_at=clock.closed_at,
        reopen_due_at=clock.reopen_due_at,
    )


def assign(uow, report_id: UUID, agency_code: str, decision_id: int, at: datetime) -> None:
    """The agency starts holding the case."""
    uow.execute(
        sa.insert(assignments).values(
            report_id=report_id, agency_code=agency_code, decision_id=decision_id, assigned_at=at
        )
    )


def release(uow, report_id: UUID, at: datetime, reason: str) -> None:
    """Whoever holds the case stops holding it."""
    uow.execute(
        sa.update(assignments)
        .where(assignments.c.report_id == report_id, assignments.c.released_at.is_(None))
        .values(released_at=at, released_reason=reason)
    )


def assignments_for(uow, report_id: UUID) -> list:
    """Every agency that held the case, oldest first."""
    return uow.execute(
        sa.select(assignments).where(assignments.c.report_id == report_id).order_by(assignments.c.id)
    ).all()


def record_firing(
    uow, report_id: UUID, deadline: str, level: int, due_at: datetime, at: datetime, event_id: UUID
) -> bool:
    """Store that a warning fired; False if it already had (then nothing must be emitted)."""
    stmt = pg_insert(escalations).values(
        report_id=report_id, deadline=deadline, level=level, due_at=due_at, fired_at=at, event_id=event_id
    )
    return uow.execute(stmt.on_conflict_do_nothing().returning(escalations.c.report_id)).first() is not None


def firings_for(uow, report_id: UUID) -> list:
    """Warnings fired for a case, oldest first."""
    return uow.execute(
        sa.select(escalations)
        .where(escalations.c.report_id == report_id)
        .order_by(escalations.c.fired_at, escalations.c.level)
    ).all()

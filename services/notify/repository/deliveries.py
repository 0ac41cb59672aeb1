"""Reads and writes of notify's tables (SQLAlchemy Core over the worker's unit of work).

Due work is claimed with `FOR UPDATE SKIP LOCKED` and the back-off lives in the query
(`next_attempt_at <= now`), so several notify instances share the sweep without sending anything twice.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from libs.contracts.notify import ListDeliveries

from ..domain.backoff import DeliveryState, DeliveryStatus
from .models import agency_channels, case_recipients, cases, deliveries, inapp_messages, notices

D = deliveries
ATTEMPTABLE = ("pending", "failed")


# --- agency channels
# --------------------------------------------------------------------------------------------


def channels_of(uow, agency_code: str):
    """Every channel row of an agency."""
    return uow.execute(
        sa.select(agency_channels)
        .where(agency_channels.c.agency_code == agency_code)
        .order_by(agency_channels.c.created_at)
    ).all()


def channel(uow, channel_id: UUID | None):
    """One channel row or None."""
    if channel_id is None:
        return None
    return uow.execute(sa.select(agency_channels).where(agency_channels.c.id == channel_id)).first()


def list_channels(uow, agency_code: str | None):
    """Channels, of one agency or of all, by agency then age."""
    stmt = sa.select(agency_channels).order_by(agency_channels.c.agency_code, agency_channels.c.created_at)
    if agency_code:
        stmt = stmt.where(agency_channels.c.agency_code == agency_code)
    return uow.execute(stmt).all()


def insert_channel(uow, channel_id: UUID, now: datetime, **values) -> None:
    uow.execute(sa.insert(agency_channels).values(id=channel_id, created_at=now, updated_at=now, **values))


def update_channel(uow, channel_id: UUID, now: datetime, **values) -> bool:
    """Replace a channel's settings; False when it does not exist."""
    done = uow.execute(
        sa.update(agency_channels)
        .where(agency_channels.c.id == channel_id)
        .values(**values, updated_at=now)
        .returning(agency_channels.c.id)
    ).first()
    return done is not None


def delete_channel(uow, channel_id: UUID) -> bool:
    """Remove a channel; its past deliveries keep their rows."""
    return (
        uow.execute(
            sa.delete(agency_channels)
            .where(agency_channels.c.id == channel_id)
            .returning(agency_channels.c.id)
        ).first()
        is not None
    )


# --- routed cases
# -----------------------------------------------------------------------------------------------


def upsert_case(uow, now: datetime, **values) -> None:
    """Record who holds a case now; a new holding agency starts unacknowledged."""
    stmt = pg_insert(cases).values(**values, routed_at=now, updated_at=now)
    changed = stmt.excluded.agency_code != cases.c.agency_code
    uow.execute(
        stmt.on_conflict_do_update(
            index_elements=[cases.c.report_id],
            set_={
                **{k: stmt.excluded[k] for k in values if k != "report_id"},
                "routed_at": now,
                "updated_at": now,
                "acknowledged_at": sa.case((changed, None), else_=cases.c.acknowledged_at),
                "acknowledged_by": sa.case((changed, None), else_=cases.c.acknowledged_by),
            },
        )
    )


def get_case(uow, report_id: UUID):
    return uow.execute(sa.select(cases).where(cases.c.report_id == report_id)).first()


def set_deadlines(
    uow, report_id: UUID, accept_due_at: datetime | None, due_at: datetime | None, now: datetime
) -> None:
    uow.execute(
        sa.update(cases)
        .where(cases.c.report_id == report_id)
        .values(accept_due_at=accept_due_at, due_at=due_at, updated_at=now)
    )


def acknowledge_case(uow, report_id: UUID, agency_code: str, by: str, now: datetime) -> bool:
    """Mark the case received by its agency (first acknowledgement wins); False if it does not hold it."""
    row = uow.execute(
        sa.update(cases)
        .where(cases.c.report_id == report_id, cases.c.agency_code == agency_code)
        .values(
            acknowledged_at=sa.func.coalesce(cases.c.acknowledged_at, now),
            acknowledged_by=sa.func.coalesce(cases.c.acknowledged_by, by),
            updated_at=now,
        )
        .returning(cases.c.report_id)
    ).first()
    uow.execute(
        sa.update(D)
        .where(
            D.c.report_id == report_id,
            D.c.recipient == agency_code,
            D.c.audience == "agency",
            D.c.kind == "case.routed",
            D.c.state == "sent",
        )
        .values(state="acknowledged", acknowledged_at=now, acknowledged_by=by, updated_at=now)
    )
    return row is not None


def unacknowledged(uow, agency_code: str | None, now: datetime, overdue_only: bool, limit: int):
    """Routed cases their agency has not acknowledged (past the accept deadline when `overdue_only`)."""
    sent = sa.func.count().filter(D.c.state.in_(("sent", "acknowledged")))
    failed = sa.func.count().filter(D.c.state == "failed")
    counts = (
        sa.select(D.c.report_id, D.c.recipient, sent.label("sent"), failed.label("failed"))
        .where(D.c.audience == "agency", D.c.kind == "case.routed")
        .group_by(D.c.report_id, D.c.recipient)
        .subquery()
    )
    stmt = (
        sa.select(
            cases,
            sa.func.coalesce(counts.c.sent, 0).label("sent"),
            sa.func.coalesce(counts.c.failed, 0).label("failed"),
        )
        .select_from(
            cases.outerjoin(
                counts,
                sa.and_(counts.c.report_id == cases.c.report_id, counts.c.recipient == cases.c.agency_code),
            )
        )
        .where(cases.c.acknowledged_at.is_(None))
        .order_by(cases.c.accept_due_at.asc().nulls_last(), cases.c.routed_at)
        .limit(limit)
    )
    if overdue_only:
        stmt = stmt.where(cases.c.accept_due_at < now)
    if agency_code:
        stmt = stmt.where(cases.c.agency_code == agency_code)
    return uow.execute(stmt).all()


# --- deliveries
# -------------------------------------------------------------------------------------------------


def insert_delivery(uow, **values) -> bool:
    """A new delivery row; False when its dedupe key exists (the event was planned before)."""
    stmt = pg_insert(D).values(**values).on_conflict_do_nothing(index_elements=[D.c.dedupe_key])
    return uow.execute(stmt.returning(D.c.id)).first() is not None


def get_delivery(uow, delivery_id: UUID, lock: bool = False):
    stmt = sa.select(D).where(D.c.id == delivery_id)
    return uow.execute(stmt.with_for_update() if lock else stmt).first()


def _due(now: datetime):
    return sa.and_(D.c.state.in_(ATTEMPTABLE), D.c.next_attempt_at.is_not(None), D.c.next_attempt_at <= now)


def claim_agency_delivery(uow, now: datetime):
    """The oldest due agency delivery, locked for this transaction (others skip it)."""
    return uow.execute(
        sa.select(D)
        .where(_due(now), D.c.audience == "agency")
        .order_by(D.c.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def claim_citizen_deliveries(uow, now: datetime, limit: int):
    """Due citizen deliveries of one report (one read of its recipients serves them all), locked."""
    first = uow.execute(
        sa.select(D.c.report_id)
        .where(_due(now), D.c.audience == "citizen")
        .order_by(D.c.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if first is None:
        return []
    return uow.execute(
        sa.select(D)
        .where(_due(now), D.c.audience == "citizen", D.c.report_id == first.report_id)
        .order_by(D.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def state_of(row) -> DeliveryState:
    """The state-machine value of a delivery row."""
    status = (
        DeliveryStatus(row.state) if row.state in DeliveryStatus._value2member_map_ else DeliveryStatus.FAILED
    )
    return DeliveryState(
        status=status,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        acknowledged_at=row.acknowledged_at,
    )


def save_state(uow, delivery_id: UUID, state: DeliveryState, now: datetime, **extra) -> None:
    """Write a delivery's new state."""
    uow.execute(
        sa.update(D)
        .where(D.c.id == delivery_id)
        .values(
            state=state.status.value,
            attempts=state.attempts,
            last_error=state.last_error,
            next_attempt_at=state.next_attempt_at,
            sent_at=state.sent_at,
            acknowledged_at=state.acknowledged_at,
            updated_at=now,
            **extra,
        )
    )


def skip_delivery(uow, delivery_id: UUID, reason: str, now: datetime) -> None:
    """Nothing to send any more (recipient unsubscribed or gone, channel replaced): state `skipped`."""
    uow.execute(
        sa.update(D)
        .where(D.c.id == delivery_id)
        .values(state="skipped", last_error=reason, next_attempt_at=None, updated_at=now)
    )


def skip_for_others(uow, report_id: UUID, keep: list[str], reason: str, now: datetime) -> None:
    """A re-routed case: deliveries still waiting for agencies that no longer hold it are skipped."""
    uow.execute(
        sa.update(D)
        .where(
            D.c.report_id == report_id,
            D.c.audience == "agency",
            D.c.recipient.not_in(keep),
            D.c.state.in_(ATTEMPTABLE),
        )
        .values(state="skipped", last_error=reason, next_attempt_at=None, updated_at=now)
    )


def park_placeholder(uow, **values) -> None:
    """A visible failed row standing for work that could not even be planned (re-armed by redeliver)."""
    stmt = pg_insert(D).values(**values)
    uow.execute(
        stmt.on_conflict_do_update(
            index_elements=[D.c.dedupe_key],
            set_={
                "state": "failed",
                "attempts": stmt.excluded.attempts,
                "last_error": stmt.excluded.last_error,
                "next_attempt_at": None,
                "updated_at": stmt.excluded.updated_at,
            },
        )
    )


def list_deliveries(uow, query: ListDeliveries, agency_code: str | None = None):
    """Operator view, newest first; `agency_code` narrows to one agency's deliveries."""
    stmt = sa.select(D).order_by(D.c.created_at.desc(), D.c.id.desc()).limit(query.limit)
    if query.state:
        stmt = stmt.where(D.c.state == query.state)
    if query.parked is not None:
        parked = sa.and_(D.c.state == "failed", D.c.next_attempt_at.is_(None))
        stmt = stmt.where(parked if query.parked else sa.not_(parked))
    if query.audience:
        stmt = stmt.where(D.c.audience == query.audience)
    for code in {c for c in (query.agency_code, agency_code) if c}:
        stmt = stmt.where(D.c.audience == "agency", D.c.recipient == code)
    if query.report_id:
        stmt = stmt.where(D.c.report_id == query.report_id)
    if query.before:
        stmt = stmt.where(D.c.created_at < query.before)
    return uow.execute(stmt).all()


def deliveries_of(uow, report_id: UUID):
    return uow.execute(sa.select(D).where(D.c.report_id == report_id).order_by(D.c.created_at, D.c.id)).all()


# --- citizen notices, recipients, in-app inbox
# -------------------------------------------------------------------


def insert_notice(uow, **values) -> bool:
    stmt = (
        pg_insert(notices)
        .values(id=uuid.uuid4(), **values)
        .on_conflict_do_nothing(constraint="uq_notice_per_event")
    )
    return uow.execute(stmt.returning(notices.c.id)).first() is not None


def claim_notice(uow, now: datetime):
    """The oldest due pending notice, locked."""
    return uow.execute(
        sa.select(notices)
        .where(notices.c.state == "pending", notices.c.next_attempt_at <= now)
        .order_by(notices.c.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def update_notice(uow, notice_id: UUID, now: datetime, **values) -> None:
    uow.execute(sa.update(notices).where(notices.c.id == notice_id).values(**values, updated_at=now))


def cancel_notices(uow, report_id: UUID, template: str, now: datetime) -> None:
    uow.execute(
        sa.update(notices)
        .where(notices.c.report_id == report_id, notices.c.template == template, notices.c.state == "pending")
        .values(state="cancelled", updated_at=now)
    )


def recipient_link(uow, report_id: UUID, recipient_ref: str, role: str, owner: UUID | None, now: datetime):
    """The case-recipient row (created on first sight, with a random unsubscribe-link token)."""
    stmt = pg_insert(case_recipients).values(
        report_id=report_id,
        recipient_ref=recipient_ref,
        role=role,
        owner_report_id=owner,
        link_token=secrets.token_urlsafe(24),
        created_at=now,
    )
    uow.execute(
        stmt.on_conflict_do_update(
            index_elements=[case_recipients.c.report_id, case_recipients.c.recipient_ref],
            set_={
                "role": stmt.excluded.role,
                "owner_report_id": sa.func.coalesce(
                    stmt.excluded.owner_report_id, case_recipients.c.owner_report_id
                ),
            },
        )
    )
    return uow.execute(
        sa.select(case_recipients).where(
            case_recipients.c.report_id == report_id, case_recipients.c.recipient_ref == recipient_ref
        )
    ).one()


def unsubscribe_by_token(uow, token: str, now: datetime):
    """Unsubscribe the recipient of a link token from its case; the row, or None for an unknown token."""
    return uow.execute(
        sa.update(case_recipients)
        .where(case_recipients.c.link_token == token)
        .values(unsubscribed_at=sa.func.coalesce(case_recipients.c.unsubscribed_at, now))
        .returning(case_recipients)
    ).first()


def unsubscribe_owner(uow, owner_report_id: UUID, now: datetime) -> None:
    """Whoever reads the inbox of this report stops e-mail/SMS about the case, also before any was sent."""
    uow.execute(
        sa.update(case_recipients)
        .where(case_recipients.c.owner_report_id == owner_report_id)
        .values(unsubscribed_at=sa.func.coalesce(case_recipients.c.unsubscribed_at, now))
    )
    stmt = pg_insert(case_recipients).values(  # a marker row, for recipients intake has not named yet
        report_id=owner_report_id,
        recipient_ref=f"owner:{owner_report_id}",
        role="owner",
        owner_report_id=owner_report_id,
        link_token=secrets.token_urlsafe(24),
        unsubscribed_at=now,
        created_at=now,
    )
    uow.execute(stmt.on_conflict_do_nothing())


def owner_muted(uow, owner_report_id: UUID | None) -> bool:
    """Whether the reporter of this report unsubscribed through their tracking token."""
    if owner_report_id is None:
        return False
    return (
        uow.execute(
            sa.select(case_recipients.c.report_id)
            .where(
                case_recipients.c.owner_report_id == owner_report_id,
                case_recipients.c.role == "owner",
                case_recipients.c.unsubscribed_at.is_not(None),
            )
            .limit(1)
        ).first()
        is not None
    )


def insert_inapp(uow, **values) -> None:
    uow.execute(
        pg_insert(inapp_messages)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[inapp_messages.c.delivery_id])
    )


def list_inapp(uow, report_id: UUID, recipient_ref: str | None, after: int, limit: int):
    """In-app messages after the cursor, oldest first: of the inbox this report's tracking token opens, or,
    with `recipient_ref`, of that follower of the case (their follower token opens it)."""
    m = inapp_messages
    whose = (
        sa.and_(m.c.report_id == report_id, m.c.recipient_ref == recipient_ref)
        if recipient_ref is not None
        else m.c.owner_report_id == report_id
    )
    return uow.execute(sa.select(m).where(whose, m.c.id > after).order_by(m.c.id).limit(limit)).all()

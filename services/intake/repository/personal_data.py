"""Personal data at rest: followers and their sealed contacts, erasure and masking, the append-only audit log
(SQL only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from libs.privacy.masking import mask_personal_data

from .models import audit_log, followers, reports, timeline


def add_follower(
    uow,
    report_id: UUID,
    role: str,
    at: datetime,
    source_report_id: UUID | None = None,
    contact_sealed: bytes | None = None,
    token_hash: str | None = None,
) -> UUID:
    """Someone follows a case; returns their opaque recipient_ref."""
    ref = uuid.uuid4()
    uow.execute(
        sa.insert(followers).values(
            ref=ref,
            report_id=report_id,
            role=role,
            created_at=at,
            source_report_id=source_report_id,
            contact_sealed=contact_sealed,
            token_hash=token_hash,
        )
    )
    return ref


def follower_by_token(uow, report_id: UUID, token_hash: str) -> UUID | None:
    """The recipient_ref of the follower of this case holding the token with this hash, or None."""
    return uow.execute(
        sa.select(followers.c.ref).where(
            followers.c.report_id == report_id, followers.c.token_hash == token_hash
        )
    ).scalar()


def copy_followers(uow, from_report: UUID, to_report: UUID, at: datetime) -> int:
    """Everyone following a merged report follows the primary case too (as followers); returns how many."""
    rows = uow.execute(sa.select(followers).where(followers.c.report_id == from_report)).all()
    for row in rows:
        add_follower(uow, to_report, "follower", at, row.source_report_id, row.contact_sealed)
    return len(rows)


def followers_with_contacts(uow, report_id: UUID):
    """Follower rows with the sealed blob that holds their contact (their own, or their report's
    reporter's)."""
    source = reports.alias("source")
    stmt = (
        sa.select(
            followers.c.ref,
            followers.c.role,
            followers.c.unsubscribed,
            followers.c.source_report_id,
            followers.c.token_hash.is_not(None).label("inbox"),
            sa.func.coalesce(followers.c.contact_sealed, source.c.reporter_sealed).label("sealed"),
        )
        .select_from(followers.outerjoin(source, source.c.id == followers.c.source_report_id))
        .where(followers.c.report_id == report_id)
        .order_by(followers.c.role.desc(), followers.c.created_at, followers.c.ref)
    )
    return uow.execute(stmt).all()


def unsubscribe(uow, report_id: UUID, ref: UUID) -> bool:
    """Stop notifications for one follower; False when no such follower of this case."""
    done = uow.execute(
        sa.update(followers)
        .where(followers.c.report_id == report_id, followers.c.ref == ref)
        .values(unsubscribed=True)
        .returning(followers.c.ref)
    ).first()
    return done is not None


def erase_contacts(uow, report_ids: list[UUID], at: datetime, followers_too: bool = False) -> int:
    """Erase the sealed identity of these reports (and, with `followers_too`, their me-too followers'
    contacts); returns how many reports still had one. Followers whose contact is a report's reporter (merged
    duplicates) lose it with that report's seal."""
    done = uow.execute(
        sa.update(reports)
        .where(reports.c.id.in_(report_ids), reports.c.contact_erased_at.is_(None))
        .values(reporter_sealed=None, contact_erased_at=at)
        .returning(reports.c.id)
    ).all()
    if followers_too:
        uow.execute(
            sa.update(followers)
            .where(followers.c.report_id.in_(report_ids), followers.c.contact_sealed.is_not(None))
            .values(contact_sealed=None)
        )
    return len(done)


def erase_follower_contact(uow, report_id: UUID, ref: UUID) -> bool:
    """Erase the contact a me-too follower gave; False when there was none."""
    return (
        uow.execute(
            sa.update(followers)
            .where(
                followers.c.report_id == report_id,
                followers.c.ref == ref,
                followers.c.contact_sealed.is_not(None),
            )
            .values(contact_sealed=None)
            .returning(followers.c.ref)
        ).first()
        is not None
    )


def due_for_erasure(uow, closed_before: datetime, limit: int) -> list[UUID]:
    """Closed cases past the retention period whose identity is still sealed; locked, skipping held rows."""
    return list(
        uow.execute(
            sa.select(reports.c.id)
            .where(reports.c.closed_at < closed_before, reports.c.contact_erased_at.is_(None))
            .order_by(reports.c.closed_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )


def mask_citizen_text(uow, report_ids: list[UUID]) -> int:
    """Mask the phone numbers, e-mails and identity numbers a citizen typed, in place (the IOC loses the
    originals too); returns how many texts changed."""
    changed = 0
    for row in uow.execute(
        sa.select(reports.c.id, reports.c.description, reports.c.address).where(reports.c.id.in_(report_ids))
    ).all():
        masked = {
            "description": mask_personal_data(row.description),
            "address": mask_personal_data(row.address),
        }
        if masked != {"description": row.description, "address": row.address}:
            uow.execute(sa.update(reports).where(reports.c.id == row.id).values(**masked))
            changed += 1
    notes = uow.execute(
        sa.select(timeline.c.id, timeline.c.note).where(
            timeline.c.report_id.in_(report_ids),
            timeline.c.actor_role == "citizen",
            timeline.c.note.is_not(None),
        )
    ).all()
    for step in notes:
        if (masked := mask_personal_data(step.note)) != step.note:
            uow.execute(sa.update(timeline).where(timeline.c.id == step.id).values(note=masked))
            changed += 1
    return changed


def purge_audit(uow, before: datetime) -> int:
    """Delete audit rows older than `before` (the trigger allows it only to this session flag, and only for
    rows older than its own floor); returns how many."""
    uow.execute(sa.text("SET LOCAL intake.audit_retention = 'on'"))
    return uow.execute(sa.delete(audit_log).where(audit_log.c.at < before)).rowcount


def audit(
    uow,
    report_id: UUID,
    action: str,
    actor_kind: str,
    fields: list[str],
    purpose: str | None = None,
    actor_role: str | None = None,
    actor_sub: str | None = None,
    actor_agency: str | None = None,
    service: str | None = None,
    media_id: UUID | None = None,
) -> int:
    """Append one audit row (the table refuses updates and deletes); returns its id."""
    return uow.execute(
        sa.insert(audit_log)
        .values(
            report_id=report_id,
            action=action,
            actor_kind=actor_kind,
            fields=fields,
            purpose=purpose,
            actor_role=actor_role,
            actor_sub=actor_sub,
            actor_agency=actor_agency,
            service=service,
            media_id=media_id,
        )
        .returning(audit_log.c.id)
    ).scalar_one()


def audit_rows(uow, report_id: UUID):
    """The audit rows of one case, oldest first."""
    return uow.execute(
        sa.select(audit_log).where(audit_log.c.report_id == report_id).order_by(audit_log.c.id)
    ).all()

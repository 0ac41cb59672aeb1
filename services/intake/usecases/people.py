"""Use case: sealed identities — the operator's audited read, recipients for notify, unsubscribe, the audit
log.

read_reporter, notification_recipients, unsubscribe, follower_ref, unsubscribe_follower,
erase_follower_contact, list_audit, record_media_access, case_closures."""

from __future__ import annotations

import logging
import uuid

from libs.auth.grants import Grant, InvalidGrant, verify_grant
from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import (
    AuditEntry,
    AuditQuery,
    CaseClosure,
    CaseClosures,
    ContactErased,
    FollowerAccess,
    FollowerContact,
    FollowerRef,
    ReadReporter,
    Recipient,
    RecipientsQuery,
    RecordMediaAccess,
    ReporterDisclosure,
    Unsubscribe,
)
from libs.platform.errors import ServiceError, parse

from ..domain.tokens import follower_token_hash
from ..repository import personal_data
from ..repository import reports as repo
from ..settings import IntakeSettings
from .casefile import load_report, token_failed, token_gate

log = logging.getLogger(__name__)
CONTACT_FIELDS = ("name", "phone", "email", "device_id", "account_id")


def _present(contact) -> list[str]:
    return [f for f in CONTACT_FIELDS if contact is not None and getattr(contact, f)]


def _granted(settings: IntakeSettings, grant: str | None, action: str, **scope) -> Grant:
    """The staff member the gateway verified for this read (libs.auth.grants), never the payload's `actor`:
    anyone with broker credentials can write that. No valid grant: FORBIDDEN, nothing read, nothing
    audited."""
    try:
        return verify_grant(grant, settings.grant_key, action, **scope)
    except InvalidGrant as exc:
        log.warning("personal-data read refused: grant %s (action %s)", exc.reason, action)
        raise ServiceError(
            ErrorCode.FORBIDDEN,
            f"a valid grant from the gateway is required ({exc.reason})",
            [{"field": "grant", "message": exc.reason, "type": "grant"}],
        ) from None


def _contacts(db, settings: IntakeSettings, report_id):
    """(follower row, opened contact) for every follower of a case."""
    return [(f, settings.sealer.open(f.sealed)) for f in personal_data.followers_with_contacts(db, report_id)]


def read_reporter(db, settings: IntakeSettings, payload: dict) -> dict:
    """Operators only: the reporter's and followers' contacts; the audit row is committed with the read."""
    cmd = parse(ReadReporter, payload)
    who = _granted(settings, cmd.grant, "read_reporter", report_id=cmd.report_id, purpose=cmd.purpose)
    if who.role != "operator":
        raise ServiceError(ErrorCode.FORBIDDEN, "only operators may read personal data")
    row = load_report(db, cmd.report_id)
    reporter = settings.sealer.open(row.reporter_sealed)
    followers = [
        FollowerContact(recipient_ref=str(f.ref), role=f.role, contact=c, unsubscribed=f.unsubscribed)
        for f, c in _contacts(db, settings, row.id)
        if f.role == "follower"
    ]
    fields = sorted(set(_present(reporter)) | {x for fc in followers for x in _present(fc.contact)})
    audit_id = personal_data.audit(
        db,
        row.id,
        "read_reporter",
        "staff",
        fields,
        cmd.purpose,
        actor_role=who.role,
        actor_sub=who.sub,
        actor_agency=who.agency,
    )
    db.commit()  # no disclosure without its audit row
    return ReporterDisclosure(
        report_id=row.id, reporter=reporter, followers=followers, audit_id=audit_id
    ).model_dump(mode="json")


def notification_recipients(db, settings: IntakeSettings, payload: dict) -> list[dict]:
    """For notify: the reporter and every follower (me too, merged reports), each read audited."""
    query = parse(RecipientsQuery, payload)
    who = _granted(
        settings, query.grant, "notification_recipients", report_id=query.report_id, purpose=query.purpose
    )
    if who.role != "service":
        raise ServiceError(ErrorCode.FORBIDDEN, "recipients are read by the notify service only")
    row = load_report(db, query.report_id)
    recipients, contacts = [], _contacts(db, settings, row.id)
    for f, contact in contacts:
        recipients.append(
            Recipient(
                recipient_ref=str(f.ref),
                language=(contact.language if contact else "vi"),
                email=contact and contact.email,
                phone=contact and contact.phone,
                role="reporter" if f.role == "reporter" else "follower",
                unsubscribed=f.unsubscribed,
                report_id=f.source_report_id if f.source_report_id not in (None, row.id) else None,
                inbox=f.inbox,
            )
        )
    fields = sorted({x for _, c in contacts for x in ("email", "phone") if c and getattr(c, x)})
    personal_data.audit(
        db, row.id, "notification_recipients", "service", fields, query.purpose, service=who.sub
    )
    db.commit()
    return [r.model_dump(mode="json") for r in recipients]


def unsubscribe(db, payload: dict) -> dict:
    """No more notifications of this case for this recipient (trusted callers only: the gateway no longer
    exposes it, as the recipient_ref is seen by notify and staff; a follower uses `unsubscribe_follower`)."""
    cmd = parse(Unsubscribe, payload)
    try:
        ref = uuid.UUID(cmd.recipient_ref)
    except ValueError:
        ref = None
    if ref is None or not personal_data.unsubscribe(db, cmd.report_id, ref):
        raise ServiceError(
            ErrorCode.NOT_FOUND,
            "no such recipient for this report",
            [{"field": "recipient_ref", "message": "not found", "type": "not_found"}],
        )
    db.commit()
    return {"report_id": str(cmd.report_id), "recipient_ref": cmd.recipient_ref, "unsubscribed": True}


def _follower(db, settings: IntakeSettings, cmd: FollowerAccess) -> uuid.UUID:
    """The follower holding this token; a wrong token is REPORT_NOT_FOUND, as for an unknown report (and is
    counted against the caller's IP: RATE_LIMITED after too many)."""
    token_gate(db, settings, cmd.client)
    ref = personal_data.follower_by_token(db, cmd.report_id, follower_token_hash(cmd.follower_token))
    if ref is None:
        token_failed(db, settings, cmd.client)
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {cmd.report_id}")
    return ref


def follower_ref(db, settings: IntakeSettings, payload: dict) -> dict:
    """For the gateway: whom a follower token stands for on this case (then it reads their in-app inbox)."""
    cmd = parse(FollowerAccess, payload)
    ref = _follower(db, settings, cmd)
    return FollowerRef(report_id=cmd.report_id, recipient_ref=str(ref)).model_dump(mode="json")


def unsubscribe_follower(db, settings: IntakeSettings, payload: dict) -> dict:
    """A me-too follower (their token is the credential) stops e-mail/SMS of this case; the inbox stays."""
    cmd = parse(FollowerAccess, payload)
    ref = _follower(db, settings, cmd)
    personal_data.unsubscribe(db, cmd.report_id, ref)
    db.commit()
    return {"report_id": str(cmd.report_id), "recipient_ref": str(ref), "unsubscribed": True}


def erase_follower_contact(db, settings: IntakeSettings, payload: dict) -> dict:
    """A me-too follower erases the contact they gave (their in-app inbox stays)."""
    cmd = parse(FollowerAccess, payload)
    ref, now = _follower(db, settings, cmd), utcnow()
    erased = personal_data.erase_follower_contact(db, cmd.report_id, ref)
    if erased:
        personal_data.audit(
            db, cmd.report_id, "erase_follower_contact", "citizen", ["contact"], "yêu cầu của người theo dõi"
        )
        db.commit()
    return ContactErased(
        report_id=cmd.report_id, erased=erased, erased_at=now if erased else None
    ).model_dump(mode="json")


def record_media_access(db, settings: IntakeSettings, payload: dict) -> dict:
    """Media shows a staff member unblurred renditions: one audit row per file, committed before media
    answers (like a read of the sealed identity). Only operators see unblurred renditions."""
    cmd = parse(RecordMediaAccess, payload)
    who = _granted(settings, cmd.grant, "view_media", report_id=cmd.report_id, media_ids=cmd.media_ids)
    if who.role != "operator":
        raise ServiceError(ErrorCode.FORBIDDEN, "only operators see unblurred media")
    load_report(db, cmd.report_id)
    ids = [
        personal_data.audit(
            db,
            cmd.report_id,
            "view_unblurred_media",
            "staff",
            ["photo"],
            actor_role=who.role,
            actor_sub=who.sub,
            actor_agency=who.agency,
            media_id=media_id,
        )
        for media_id in cmd.media_ids
    ]
    db.commit()
    return {"report_id": str(cmd.report_id), "audit_ids": ids}


def case_closures(db, payload: dict) -> list[dict]:
    """When each case closed (None while open): media deletes originals a while after."""
    query = parse(CaseClosures, payload)
    rows = repo.closures(db, query.report_ids)
    return [CaseClosure(report_id=r.id, closed_at=r.closed_at).model_dump(mode="json") for r in rows]


def list_audit(db, payload: dict) -> list[dict]:
    """Who read a case's personal data (operators and administrators only)."""
    query = parse(AuditQuery, payload)
    if query.actor.role not in ("operator", "administrator"):
        raise ServiceError(ErrorCode.FORBIDDEN, "only operators and administrators read the audit log")
    load_report(db, query.report_id)
    return [
        AuditEntry(
            id=a.id,
            at=a.at,
            report_id=a.report_id,
            action=a.action,
            purpose=a.purpose,
            actor_kind=a.actor_kind,
            actor_role=a.actor_role,
            actor_sub=a.actor_sub,
            service=a.service,
            fields=list(a.fields),
            media_id=a.media_id,
        ).model_dump(mode="json")
        for a in personal_data.audit_rows(db, query.report_id)
    ]

"""Use case: sealed identities — the operator's audited read, recipients for notify, unsubscribe, the audit log."""
from __future__ import annotations

import uuid

from nameko.rpc import rpc

from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import (AuditEntry, AuditQuery, FollowerAccess, FollowerContact, FollowerRef,
                                     ReadReporter, Recipient, RecipientsQuery, ReporterDisclosure, Unsubscribe)
from libs.platform.errors import ServiceError, parse

from . import repo_people as people
from .casefile import CaseFile
from .domain import follower_token_hash

CONTACT_FIELDS = ("name", "phone", "email", "device_id", "account_id")


def _present(contact) -> list[str]:
    return [f for f in CONTACT_FIELDS if contact is not None and getattr(contact, f)]


class People(CaseFile):
    """read_reporter, notification_recipients, unsubscribe, follower_ref, unsubscribe_follower, list_audit."""

    def _contacts(self, report_id):
        """(follower row, opened contact) for every follower of a case."""
        return [(f, self.settings.sealer.open(f.sealed)) for f in people.followers_with_contacts(self.db, report_id)]

    @rpc(expected_exceptions=ServiceError)
    def read_reporter(self, payload: dict) -> dict:
        """Operators only: the reporter's and followers' contacts; the audit row is committed with the read."""
        cmd = parse(ReadReporter, payload)
        if cmd.actor.role != "operator":
            raise ServiceError(ErrorCode.FORBIDDEN, "only operators may read personal data")
        row = self._load(cmd.report_id)
        reporter = self.settings.sealer.open(row.reporter_sealed)
        followers = [FollowerContact(recipient_ref=str(f.ref), role=f.role, contact=c, unsubscribed=f.unsubscribed)
                     for f, c in self._contacts(row.id) if f.role == "follower"]
        fields = sorted(set(_present(reporter)) | {x for fc in followers for x in _present(fc.contact)})
        audit_id = people.audit(self.db, row.id, "read_reporter", "staff", fields, cmd.purpose,
                                actor_role=cmd.actor.role, actor_sub=cmd.actor.sub, actor_agency=cmd.actor.agency)
        self.db.commit()  # no disclosure without its audit row
        return ReporterDisclosure(report_id=row.id, reporter=reporter, followers=followers,
                                  audit_id=audit_id).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def notification_recipients(self, payload: dict) -> list[dict]:
        """For notify: the reporter and every follower (me too, merged reports), each read audited."""
        query = parse(RecipientsQuery, payload)
        row = self._load(query.report_id)
        recipients, contacts = [], self._contacts(row.id)
        for f, contact in contacts:
            recipients.append(Recipient(
                recipient_ref=str(f.ref), language=(contact.language if contact else "vi"),
                email=contact and contact.email, phone=contact and contact.phone,
                role="reporter" if f.role == "reporter" else "follower", unsubscribed=f.unsubscribed,
                report_id=f.source_report_id if f.source_report_id not in (None, row.id) else None,
                inbox=f.inbox))
        fields = sorted({x for _, c in contacts for x in ("email", "phone") if c and getattr(c, x)})
        people.audit(self.db, row.id, "notification_recipients", "service", fields, query.purpose,
                     service=self.caller)
        self.db.commit()
        return [r.model_dump(mode="json") for r in recipients]

    @rpc(expected_exceptions=ServiceError)
    def unsubscribe(self, payload: dict) -> dict:
        """No more notifications of this case for this recipient (trusted callers only: the gateway no longer
        exposes it, as the recipient_ref is seen by notify and staff; a follower uses `unsubscribe_follower`)."""
        cmd = parse(Unsubscribe, payload)
        try:
            ref = uuid.UUID(cmd.recipient_ref)
        except ValueError:
            ref = None
        if ref is None or not people.unsubscribe(self.db, cmd.report_id, ref):
            raise ServiceError(ErrorCode.NOT_FOUND, "no such recipient for this report",
                               [{"field": "recipient_ref", "message": "not found", "type": "not_found"}])
        self.db.commit()
        return {"report_id": str(cmd.report_id), "recipient_ref": cmd.recipient_ref, "unsubscribed": True}

    def _follower(self, cmd: FollowerAccess) -> uuid.UUID:
        """The follower holding this token; a wrong token is REPORT_NOT_FOUND, as for an unknown report."""
        ref = people.follower_by_token(self.db, cmd.report_id, follower_token_hash(cmd.follower_token))
        if ref is None:
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {cmd.report_id}")
        return ref

    @rpc(expected_exceptions=ServiceError)
    def follower_ref(self, payload: dict) -> dict:
        """For the gateway: whom a follower token stands for on this case (then it reads their in-app inbox)."""
        cmd = parse(FollowerAccess, payload)
        return FollowerRef(report_id=cmd.report_id, recipient_ref=str(self._follower(cmd))).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def unsubscribe_follower(self, payload: dict) -> dict:
        """A me-too follower (their token is the credential) stops e-mail/SMS of this case; the inbox stays."""
        cmd = parse(FollowerAccess, payload)
        ref = self._follower(cmd)
        people.unsubscribe(self.db, cmd.report_id, ref)
        self.db.commit()
        return {"report_id": str(cmd.report_id), "recipient_ref": str(ref), "unsubscribed": True}

    @rpc(expected_exceptions=ServiceError)
    def list_audit(self, payload: dict) -> list[dict]:
        """Who read a case's personal data (operators and administrators only)."""
        query = parse(AuditQuery, payload)
        if query.actor.role not in ("operator", "administrator"):
            raise ServiceError(ErrorCode.FORBIDDEN, "only operators and administrators read the audit log")
        self._load(query.report_id)
        return [AuditEntry(id=a.id, at=a.at, report_id=a.report_id, action=a.action, purpose=a.purpose,
                           actor_kind=a.actor_kind, actor_role=a.actor_role, actor_sub=a.actor_sub, service=a.service,
                           fields=list(a.fields)).model_dump(mode="json")
                for a in people.audit_rows(self.db, query.report_id)]

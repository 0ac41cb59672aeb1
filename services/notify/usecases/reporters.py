"""Use cases of citizens: the in-app inbox of a report, and unsubscribing from e-mail/SMS about a case."""

from __future__ import annotations

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.notify import ListInbox, UnsubscribeByLink, UnsubscribeReporter, UnsubscribeResult
from libs.platform.errors import ServiceError

from ..domain.views import inbox_view
from ..repository import deliveries as repo


def list_inbox(db, query: ListInbox) -> list[dict]:
    """In-app messages of a report's reporter, or of one follower of the case (the caller checked the
    token)."""
    return [
        inbox_view(r).model_dump(mode="json")
        for r in repo.list_inapp(db, query.report_id, query.recipient_ref, query.after, query.limit)
    ]


def unsubscribe_link(db, cmd: UnsubscribeByLink) -> dict:
    """An e-mail's unsubscribe link: no more e-mail/SMS about that case to that recipient."""
    row = repo.unsubscribe_by_token(db, cmd.token, utcnow())
    if row is None:
        raise ServiceError(ErrorCode.NOT_FOUND, "unknown or expired unsubscribe link")
    case = repo.get_case(db, row.report_id)
    db.commit()
    return UnsubscribeResult(
        report_id=row.report_id, code=case.code if case else None, unsubscribed=True
    ).model_dump(mode="json")


def unsubscribe_reporter(db, cmd: UnsubscribeReporter) -> dict:
    """The reporter (tracking token checked by the caller) stops e-mail/SMS about their case."""
    repo.unsubscribe_owner(db, cmd.report_id, utcnow())
    db.commit()
    return UnsubscribeResult(report_id=cmd.report_id, unsubscribed=True).model_dump(mode="json")

"""Use case: reads — a report (public or the reporter's own), a case (staff), queues and inboxes.

The public search is `public_reads.search`, shared with intake_reads.
"""

from __future__ import annotations

from uuid import UUID

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import CaseView, GetCase, QueueItem, QueuePage, QueueQuery
from libs.contracts.reports import GetReport
from libs.platform.errors import ServiceError, parse

from ..domain.access import VISIBLE, CaseNotFound, view_level
from ..domain.case_rows import case_access, staff_actor
from ..domain.tokens import token_matches
from ..domain.views import case_view, report_view
from ..domain.workflow import AGENCY_ROLES, Actor, Role
from ..repository import reports as repo
from ..repository import search
from ..settings import IntakeSettings
from . import public_reads
from .casefile import load_report, token_failed, token_gate

OPERATOR_BUCKETS = (
    "urgent",
    "new",
    "info_answered",
    "unroutable",
    "returned",
    "results",
    "extensions",
    "reopen_requests",
    "overdue",
)
AGENCY_BUCKETS = ("new", "in_progress", "due_soon", "overdue")


def get_report(db, settings: IntakeSettings, payload: dict) -> dict:
    """One report with its public timeline (or only code, category and status when it is not public); the
    tracking token adds the reporter's own data and notes. A wrong token answers the public view and is
    counted against the caller's IP (RATE_LIMITED after too many)."""
    query = parse(GetReport, payload)
    if query.tracking_token:
        token_gate(db, settings, query.client)
    row = load_report(db, query.report_id)
    if token_matches(settings.token_key, row.id, query.tracking_token):
        return own_view(db, settings, row.id)
    if query.tracking_token:
        token_failed(db, settings, query.client)
    return public_reads.report(db, row)


def own_view(db, settings: IntakeSettings, report_id: UUID) -> dict:
    """The reporter's view: their contact (opened from the seal) and notes meant for them."""
    row = load_report(db, report_id)
    reporter = settings.sealer.open(row.reporter_sealed)
    return report_view(
        row, repo.steps(db, row.id, VISIBLE["reporter"]), repo.media_of(db, row.id), reporter, own=True
    ).model_dump(mode="json")


def get_case(db, payload: dict) -> dict:
    """A case as an operator or agency sees it (404 for an agency that never held it)."""
    query = parse(GetCase, payload)
    return case_view_of(db, query.report_id, staff_actor(query.actor)).model_dump(mode="json")


def case_view_of(db, report_id: UUID, actor: Actor) -> CaseView:
    """The staff view of a case at the actor's level; REPORT_NOT_FOUND when they may not see it."""
    row = load_report(db, report_id)
    try:
        level = view_level(actor, case_access(row))
    except CaseNotFound:
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {report_id}") from None
    return case_view(
        row,
        repo.steps(db, row.id, VISIBLE[level]),
        repo.media_of(db, row.id),
        repo.spells(db, row.id),
        actor,
        level,
    )


def list_queue(db, settings: IntakeSettings, payload: dict) -> dict:
    """The operator's queue or the actor's agency inbox, sorted by the time each case is due."""
    query = parse(QueueQuery, payload)
    actor, now = staff_actor(query.actor), utcnow()
    if actor.role is Role.OPERATOR:
        buckets, names = search.operator_buckets(now), OPERATOR_BUCKETS
    elif actor.role in AGENCY_ROLES and actor.agency:
        buckets, names = search.agency_buckets(actor.agency, now, settings.due_soon), AGENCY_BUCKETS
    else:
        raise ServiceError(ErrorCode.FORBIDDEN, f"role {actor.role.value} has no queue")
    if query.bucket is not None and query.bucket not in names:
        raise ServiceError(
            ErrorCode.VALIDATION_FAILED,
            f"unknown bucket {query.bucket}",
            [{"field": "bucket", "message": f"one of {', '.join(names)}", "type": "enum"}],
        )
    rows, total = search.queue(db, buckets, query.bucket, query.offset, query.limit)
    items = [
        QueueItem(
            id=r.id,
            code=r.code,
            category=r.category,
            priority=r.priority,
            status=r.status,
            bucket=r.bucket,
            ward_code=r.ward_code,
            agency_code=r.agency_code,
            flags=list(r.flags),
            due_at=r.due_at,
            accept_due_at=r.accept_due_at,
            sort_due_at=r.sort_due_at,
            queue_reason=r.queue_reason,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]
    return QueuePage(
        bucket=query.bucket, items=items, total=total, offset=query.offset, limit=query.limit
    ).model_dump(mode="json")

"""Use case: reads — a report (public or the reporter's own), a case (staff), queues and inboxes, the search."""
from __future__ import annotations

from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import CaseView, GetCase, QueueItem, QueuePage, QueueQuery
from libs.contracts.reports import GetReport
from libs.platform.errors import ServiceError, parse

from . import public_reads
from . import repo_queries as queries
from . import repository as repo
from .access import CaseNotFound, VISIBLE, view_level
from .casefile import CaseFile, case_access, staff_actor
from .domain import token_matches
from .views import case_view, report_view
from .workflow import AGENCY_ROLES, Actor, Role

OPERATOR_BUCKETS = ("urgent", "new", "info_answered", "unroutable", "returned", "results", "extensions", "reopen_requests",
                    "overdue")
AGENCY_BUCKETS = ("new", "in_progress", "due_soon", "overdue")


class Queries(CaseFile):
    """get_report, get_case, list_queue, search_reports."""

    @rpc(expected_exceptions=ServiceError)
    def get_report(self, payload: dict) -> dict:
        """One report with its public timeline (or only code, category and status when it is not public); the
        tracking token adds the reporter's own data and notes. A wrong token answers the public view and is
        counted against the caller's IP (RATE_LIMITED after too many)."""
        query = parse(GetReport, payload)
        if query.tracking_token:
            self._token_gate(query.client)
        row = self._load(query.report_id)
        if token_matches(self.settings.token_key, row.id, query.tracking_token):
            return self._own_view(row.id)
        if query.tracking_token:
            self._token_failed(query.client)
        return public_reads.report(self.db, row)

    def _own_view(self, report_id) -> dict:
        """The reporter's view: their contact (opened from the seal) and notes meant for them."""
        row = self._load(report_id)
        reporter = self.settings.sealer.open(row.reporter_sealed)
        return report_view(row, repo.steps(self.db, row.id, VISIBLE["reporter"]), repo.media_of(self.db, row.id),
                           reporter, own=True).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def get_case(self, payload: dict) -> dict:
        """A case as an operator or agency sees it (404 for an agency that never held it)."""
        query = parse(GetCase, payload)
        actor = staff_actor(query.actor)
        return self._case_view(query.report_id, actor).model_dump(mode="json")

    def _case_view(self, report_id, actor: Actor) -> CaseView:
        row = self._load(report_id)
        try:
            level = view_level(actor, case_access(row))
        except CaseNotFound:
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {report_id}") from None
        return case_view(row, repo.steps(self.db, row.id, VISIBLE[level]), repo.media_of(self.db, row.id),
                         repo.spells(self.db, row.id), actor, level)

    @rpc(expected_exceptions=ServiceError)
    def list_queue(self, payload: dict) -> dict:
        """The operator's queue or the actor's agency inbox, sorted by the time each case is due."""
        query = parse(QueueQuery, payload)
        actor, now = staff_actor(query.actor), utcnow()
        if actor.role is Role.OPERATOR:
            buckets, names = queries.operator_buckets(now), OPERATOR_BUCKETS
        elif actor.role in AGENCY_ROLES and actor.agency:
            buckets, names = queries.agency_buckets(actor.agency, now, self.settings.due_soon), AGENCY_BUCKETS
        else:
            raise ServiceError(ErrorCode.FORBIDDEN, f"role {actor.role.value} has no queue")
        if query.bucket is not None and query.bucket not in names:
            raise ServiceError(ErrorCode.VALIDATION_FAILED, f"unknown bucket {query.bucket}",
                               [{"field": "bucket", "message": f"one of {', '.join(names)}", "type": "enum"}])
        rows, total = queries.queue(self.db, buckets, query.bucket, query.offset, query.limit)
        items = [QueueItem(id=r.id, code=r.code, category=r.category, priority=r.priority, status=r.status,
                           bucket=r.bucket, ward_code=r.ward_code, agency_code=r.agency_code, flags=list(r.flags),
                           due_at=r.due_at, accept_due_at=r.accept_due_at, sort_due_at=r.sort_due_at,
                           queue_reason=r.queue_reason, created_at=r.created_at, updated_at=r.updated_at)
                 for r in rows]
        return QueuePage(bucket=query.bucket, items=items, total=total, offset=query.offset,
                         limit=query.limit).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def search_reports(self, payload: dict) -> dict:
        """The shared search (public_reads.search)."""
        return public_reads.search(self.db, payload)

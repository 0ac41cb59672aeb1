"""Use case: reads — a report (public or the reporter's own), a case (staff), queues and inboxes, the search."""
from __future__ import annotations

from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import CaseView, GetCase, QueueItem, QueuePage, QueueQuery
from libs.contracts.reports import GetReport
from libs.contracts.search import ReportPage, SearchReports
from libs.platform.errors import ServiceError, parse

from . import repo_queries as queries
from . import repository as repo
from .access import CaseNotFound, VISIBLE, view_level
from .casefile import CaseFile, case_access, staff_actor
from .domain import token_matches
from .views import case_view, public_report, report_view
from .workflow import AGENCY_ROLES, Actor, Role

OPERATOR_BUCKETS = ("new", "info_answered", "unroutable", "returned", "results", "extensions", "reopen_requests",
                    "overdue")
AGENCY_BUCKETS = ("new", "in_progress", "due_soon", "overdue")


class Queries(CaseFile):
    """get_report, get_case, list_queue, search_reports."""

    @rpc(expected_exceptions=ServiceError)
    def get_report(self, payload: dict) -> dict:
        """One report with its public timeline; the tracking token adds the reporter's own data and notes."""
        query = parse(GetReport, payload)
        row = self._load(query.report_id)
        if token_matches(self.settings.token_key, row.id, query.tracking_token):
            return self._own_view(row.id)
        photos = [m.media_id for m in repo.media_of(self.db, row.id)]
        return report_view(row, repo.steps(self.db, row.id, VISIBLE["public"]), photos).model_dump(mode="json")

    def _own_view(self, report_id) -> dict:
        """The reporter's view: their contact (opened from the seal) and notes meant for them."""
        row = self._load(report_id)
        photos = [m.media_id for m in repo.media_of(self.db, row.id)]
        reporter = self.settings.sealer.open(row.reporter_sealed)
        return report_view(row, repo.steps(self.db, row.id, VISIBLE["reporter"]), photos, reporter,
                           own=True).model_dump(mode="json")

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
        """The shared search (public list, map feed, Open311 `GET requests`): no personal data, public notes."""
        query = parse(SearchReports, payload)
        rows, total = queries.search(self.db, query)
        ids = [r.id for r in rows]
        steps, photos = repo.public_steps(self.db, ids), repo.media_ids_of(self.db, ids)
        items = [public_report(r, steps[r.id], photos[r.id]) for r in rows]
        return ReportPage(items=items, total=total, offset=query.offset, limit=query.limit).model_dump(mode="json")

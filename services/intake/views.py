"""Build the contract views of a report from its rows."""
from __future__ import annotations

from libs.contracts.common import Location, Priority, Status
from libs.contracts.reports import ReportView, TimelineEntry

from .domain import token_matches


def report_view(row, steps, settings, token: str | None) -> ReportView:
    """The public view; the reporter's contact only when the tracking token matches."""
    reporter = None
    if token_matches(settings.token_key, row.id, token):
        reporter = settings.sealer.open(row.reporter_sealed)
    return ReportView(
        id=row.id, code=row.code, category=row.category, description=row.description,
        location=Location(lat=row.lat, lon=row.lon), address=row.address, priority=Priority(row.priority),
        status=Status(row.status), channel=row.channel, ward_code=row.ward_code,
        ward_approximate=row.ward_approximate, agency_code=row.agency_code, due_at=row.due_at,
        created_at=row.created_at, updated_at=row.updated_at, reporter=reporter,
        timeline=[TimelineEntry(at=s.at, actor_role=s.actor_role, actor_agency=s.actor_agency,
                                from_status=s.from_status, to_status=s.to_status, note=s.note) for s in steps],
    )

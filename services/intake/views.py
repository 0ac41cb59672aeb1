"""Build the contract views of a report from its rows (no view but the reporter's own carries personal data)."""
from __future__ import annotations

from libs.contracts.common import Location, Priority, Status
from libs.contracts.lifecycle import AgencySpell, CaseMedia, CaseStep, CaseView
from libs.contracts.reports import ReportView, TimelineEntry
from libs.contracts.search import PublicReport

from .access import VISIBLE, ViewLevel
from .workflow import PUBLIC_STATES, Actor, State, allowed_actions


def timeline_entries(steps) -> list[TimelineEntry]:
    return [TimelineEntry(at=s.at, actor_role=s.actor_role, actor_agency=s.actor_agency, from_status=s.from_status,
                          to_status=s.to_status, note=s.note, media_ids=list(s.media_ids or ())) for s in steps]


def _common(row) -> dict:
    return dict(id=row.id, code=row.code, category=row.category, description=row.description,
                location=Location(lat=row.lat, lon=row.lon), address=row.address, priority=Priority(row.priority),
                status=Status(row.status), channel=row.channel, ward_code=row.ward_code,
                ward_approximate=row.ward_approximate, agency_code=row.agency_code, due_at=row.due_at,
                created_at=row.created_at, updated_at=row.updated_at)


def report_view(row, steps, photos, reporter=None, own: bool = False) -> ReportView:
    """The public view, or the reporter's own (`own`: with their contact and reporter-visible notes).

    A report not yet verified (not a public state) shows only its code, category and status to others.
    """
    restricted = not own and State(row.status) not in PUBLIC_STATES
    base = _common(row)
    if restricted:
        base.update(description="", address=None)
    return ReportView(**base, reporter=reporter if own else None, own=own, restricted=restricted,
                      timeline=[] if restricted else timeline_entries(steps),
                      flags=list(row.flags or ()), photos=[] if restricted else list(photos),
                      supporters=row.supporters)


def public_report(row, steps, photos) -> PublicReport:
    """A search hit: public fields and public timeline only."""
    return PublicReport(**_common(row), photos=list(photos), timeline=timeline_entries(steps))


def case_view(row, steps, media, spells, actor: Actor, level: ViewLevel) -> CaseView:
    """The staff view; timeline entries filtered by what `level` may see (internal notes: operators only)."""
    visible = VISIBLE[level]
    return CaseView(
        **{k: v for k, v in _common(row).items()}, co_agencies=list(row.co_agencies or ()),
        past_agencies=list(row.past_agencies or ()), flags=list(row.flags or ()), accept_due_at=row.accept_due_at,
        info_due_at=row.info_due_at, extension_count=row.extension_count,
        extension_pending_days=row.extension_pending_days, published_at=row.published_at, rating=row.rating,
        reopen_count=row.reopen_count, reopen_requested=row.reopen_requested, duplicate_of=row.duplicate_of,
        supporters=row.supporters, queue_reason=row.queue_reason, attributes=row.attributes or {},
        media=[CaseMedia(id=m.media_id, role=m.role, content_type=m.content_type) for m in media],
        agencies=[AgencySpell(agency_code=s.agency_code, reason=s.reason, routed_at=s.routed_at, ended_at=s.ended_at,
                              end_reason=s.end_reason) for s in spells],
        timeline=[CaseStep(at=s.at, action=s.action, actor_role=s.actor_role, actor_agency=s.actor_agency,
                           from_status=s.from_status, to_status=s.to_status, note=s.note, reason=s.reason,
                           visibility=s.visibility, media_ids=list(s.media_ids or ()))
                  for s in steps if s.visibility in visible],
        allowed_actions=[k.value for k in allowed_actions(State(row.status), actor.role)])

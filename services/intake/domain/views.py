"""Build the contract views of a report from its rows by the rules of `libs.privacy.visibility`.

No view but the reporter's own carries personal data; free text is masked for every reader but the IOC and its
author; a report that is not public shows others only its code, category and status.
"""

from __future__ import annotations

from libs.contracts.common import Location, Priority, Status
from libs.contracts.lifecycle import AgencySpell, CaseMedia, CaseStep, CaseView
from libs.contracts.reports import ReportView, TimelineEntry
from libs.contracts.search import PublicReport
from libs.privacy.masking import mask_personal_data
from libs.privacy.visibility import Reader, note_for, restricted, status_label, text_for

from .access import VISIBLE, ViewLevel
from .case_rows import row_is_public
from .workflow import Actor, State, allowed_actions

READER: dict[ViewLevel, Reader] = {
    "operator": "ioc",
    "agency": "staff",
    "reporter": "reporter",
    "public": "public",
}


def timeline_entries(steps, reader: Reader) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=s.at,
            actor_role=s.actor_role,
            actor_agency=s.actor_agency,
            from_status=s.from_status,
            to_status=s.to_status,
            note=note_for(reader, s.note, s.actor_role),
            media_ids=list(s.media_ids or ()),
        )
        for s in steps
    ]


def shown_media(media, reader: Reader) -> list:
    """The files a reader may know of: hidden ones only for the IOC."""
    return [m for m in media if reader == "ioc" or not m.hidden]


def _labelled(row, reader: Reader) -> dict:
    """The shared fields with the state's plain labels (public views)."""
    vi, en = status_label(row.status)
    return {**_common(row, reader), "status_label": vi, "status_label_en": en}


def _common(row, reader: Reader) -> dict:
    return dict(
        id=row.id,
        code=row.code,
        category=row.category,
        description=text_for(reader, row.description, row.public_description) or "",
        location=Location(lat=row.lat, lon=row.lon),
        address=text_for(reader, row.address, row.public_address),
        priority=Priority(row.priority),
        status=Status(row.status),
        channel=row.channel,
        ward_code=row.ward_code,
        ward_approximate=row.ward_approximate,
        agency_code=row.agency_code,
        due_at=row.due_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def report_view(row, steps, media, reporter=None, own: bool = False) -> ReportView:
    """The public view, or the reporter's own (`own`: with their contact and reporter-visible notes).

    A report that is not public shows others only its code, category and status (`restricted`).
    """
    if not own and not row_is_public(row):
        return ReportView(**restricted(_common(row, "public")), timeline=[], restricted=True)
    reader: Reader = "reporter" if own else "public"
    return ReportView(
        **_labelled(row, reader),
        reporter=reporter if own else None,
        own=own,
        timeline=timeline_entries(steps, reader),
        flags=list(row.flags or ()),
        photos=[m.media_id for m in shown_media(media, reader)],
        supporters=row.supporters,
    )


def public_report(row, steps, photos) -> PublicReport:
    """A search hit: public fields, masked text and the public timeline (`photos`: ids of files not
    hidden)."""
    return PublicReport(
        **_labelled(row, "public"), photos=list(photos), timeline=timeline_entries(steps, "public")
    )


def case_view(row, steps, media, spells, actor: Actor, level: ViewLevel) -> CaseView:
    """The staff view; timeline entries filtered by what `level` may see (internal notes: operators only), the
    citizen's text masked for agencies, hidden files and the operators' public wording for the IOC only."""
    visible, reader = VISIBLE[level], READER[level]
    ioc = reader == "ioc"
    attributes = {
        k: (
            v if ioc else [mask_personal_data(x) for x in v] if isinstance(v, list) else mask_personal_data(v)
        )
        for k, v in (row.attributes or {}).items()
    }
    return CaseView(
        **_common(row, reader),
        co_agencies=list(row.co_agencies or ()),
        past_agencies=list(row.past_agencies or ()),
        flags=list(row.flags or ()),
        accept_due_at=row.accept_due_at,
        info_due_at=row.info_due_at,
        extension_count=row.extension_count,
        extension_pending_days=row.extension_pending_days,
        published_at=row.published_at,
        rating=row.rating,
        reopen_count=row.reopen_count,
        reopen_requested=row.reopen_requested,
        duplicate_of=row.duplicate_of,
        supporters=row.supporters,
        queue_reason=row.queue_reason,
        attributes=attributes,
        media=[
            CaseMedia(id=m.media_id, role=m.role, content_type=m.content_type, hidden=m.hidden)
            for m in shown_media(media, reader)
        ],
        verified_at=row.verified_at,
        public=row_is_public(row),
        public_description=row.public_description if ioc else None,
        public_address=row.public_address if ioc else None,
        contact_erased=row.contact_erased_at is not None,
        agencies=[
            AgencySpell(
                agency_code=s.agency_code,
                reason=s.reason,
                routed_at=s.routed_at,
                ended_at=s.ended_at,
                end_reason=s.end_reason,
            )
            for s in spells
        ],
        timeline=[
            CaseStep(
                at=s.at,
                action=s.action,
                actor_role=s.actor_role,
                actor_agency=s.actor_agency,
                from_status=s.from_status,
                to_status=s.to_status,
                note=note_for(reader, s.note, s.actor_role),
                reason=s.reason,
                visibility=s.visibility,
                media_ids=list(s.media_ids or ()),
            )
            for s in steps
            if s.visibility in visible
        ],
        allowed_actions=[k.value for k in allowed_actions(State(row.status), actor.role)],
    )

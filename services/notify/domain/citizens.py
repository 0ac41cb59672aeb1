"""What citizens are told, as pure functions: which message for which step, on which channels, with what
values.

A notice is planned from an event (template + JSON values with codes, no contact data); at send time it is
rendered per recipient in their language, with names and links added. Steps the citizen does not see (internal
or staff-only) plan nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from libs.contracts.common import Priority, Status
from libs.contracts.events import ReportRoutedV1, ReportStatusChangedV1
from libs.contracts.notify import NotificationRecipient

from .agency import AGENCY_ROLES

S = Status
DATETIME_KEYS = frozenset({"due_at", "rating_due_at"})
DEFAULT_NOTES: dict[str, dict[str, str]] = {
    "info_requested": {
        "vi": "Vui lòng xem yêu cầu bổ sung tại trang theo dõi phản ánh.",
        "en": "Please see what is needed on the report's page.",
    },
    "case_rejected": {
        "vi": "Phản ánh không đủ điều kiện tiếp nhận.",
        "en": "The report does not meet the conditions to be accepted.",
    },
    "agency_accepted": {
        "vi": "Đơn vị đã tiếp nhận phản ánh và đang xử lý.",
        "en": "The agency accepted the report and is working on it.",
    },
    "result_published": {
        "vi": "Xem kết quả xử lý tại trang theo dõi phản ánh.",
        "en": "See the result on the report's page.",
    },
    "reopen_refused": {
        "vi": "Kết quả xử lý đã đáp ứng yêu cầu.",
        "en": "The result was found to meet the request.",
    },
}
# The free-text field each template shows, filled from the step's public note.
NOTE_FIELD = {
    "info_requested": "note",
    "case_rejected": "reason",
    "agency_progress": "note",
    "result_published": "result_summary",
    "reopen_refused": "reason",
}


@dataclass(frozen=True)
class NoticePlan:
    """One citizen notification to fan out: template, JSON-able values, urgency, and when to send it."""

    template: str
    values: dict[str, Any]
    urgent: bool = False
    delay: timedelta = field(default=timedelta(0))


def _template_for(event: ReportStatusChangedV1) -> tuple[str, str | None] | None:
    """(template, default-note key) for a status change the citizen should hear about, else None."""
    frm, to, role = event.from_status, event.to_status, event.actor_role
    if to is S.DA_TIEP_NHAN and frm in (S.CHO_TIEP_NHAN, None):
        return "case_accepted", None
    if to is S.CHO_BO_SUNG and frm is not S.CHO_BO_SUNG:
        return "info_requested", "info_requested"
    if to is S.TU_CHOI:
        return "case_rejected", "case_rejected"
    if frm is S.DA_CHUYEN_XU_LY and to is S.DANG_XU_LY:
        return "agency_progress", "agency_accepted"
    if frm is S.DANG_XU_LY and to is S.DANG_XU_LY:
        if role in AGENCY_ROLES and event.public_note:
            return "agency_progress", None  # a public progress note
        if event.extension_working_days:
            return "agency_progress", None  # the note says the extension (see _values)
        return None  # staff-only steps: extension requested or refused, co-handler added
    if frm is S.DA_XU_LY and to is S.DA_CONG_KHAI:
        return "result_published", "result_published"
    if frm is S.DA_DANH_GIA and to is S.DANG_XU_LY:
        return "reopen_approved", None
    if frm is S.DA_DANH_GIA and to is S.DA_DANH_GIA and role == "operator":
        return "reopen_refused", "reopen_refused"
    return None


def _extension_note(days: int) -> dict[str, str]:
    return {
        "vi": f"Thời hạn xử lý được gia hạn thêm {days} ngày làm việc.",
        "en": f"The handling deadline was extended by {days} working days.",
    }


def plan_status_change(event: ReportStatusChangedV1) -> NoticePlan | None:
    """The citizen notice of one status change, or None."""
    chosen = _template_for(event)
    if chosen is None:
        return None
    template, default_note = chosen
    values: dict[str, Any] = {
        "code": event.code,
        "category": event.category,
        "agency_code": event.agency_code,
    }
    if template in NOTE_FIELD:
        note: Any = event.public_note
        if not note and event.extension_working_days and template == "agency_progress":
            note = _extension_note(event.extension_working_days)
        values[NOTE_FIELD[template]] = note or DEFAULT_NOTES[default_note or "agency_accepted"]
    return NoticePlan(template, values, urgent=event.priority is Priority.KHAN)


def plan_rating_reminder(
    event: ReportStatusChangedV1, window: timedelta, before: timedelta
) -> NoticePlan | None:
    """A reminder to rate, `before` the end of the rating window, planned when a result is published."""
    if not (event.from_status is S.DA_XU_LY and event.to_status is S.DA_CONG_KHAI) or before >= window:
        return None
    due = event.occurred_at + window
    return NoticePlan(
        "rating_reminder",
        {
            "code": event.code,
            "category": event.category,
            "agency_code": event.agency_code,
            "rating_due_at": due.isoformat(),
        },
        delay=window - before,
    )


def ends_rating(event: ReportStatusChangedV1) -> bool:
    """Rated or closed: a pending rating reminder is no longer wanted."""
    return event.to_status in (S.DA_DANH_GIA, S.DONG) and event.from_status is S.DA_CONG_KHAI


def plan_routed(event: ReportRoutedV1) -> NoticePlan:
    """Tell the citizen which agency now handles the case, and by when."""
    return NoticePlan(
        "case_routed",
        {
            "code": event.code,
            "category": event.category,
            "agency_code": event.agency_code,
            "ward_code": event.ward_code,
            "due_at": event.due_at.isoformat() if event.due_at else None,
        },
        urgent=event.priority is Priority.KHAN,
    )


def channels_for(recipient: NotificationRecipient, has_inbox: bool) -> list[str]:
    """In-app when someone can read it; e-mail when there is an address, else SMS when there is a phone."""
    channels = ["inapp"] if has_inbox else []
    if recipient.email:
        channels.append("email")
    elif recipient.phone:
        channels.append("sms")
    return channels


def inbox_owner(recipient: NotificationRecipient, case_id: UUID) -> UUID | None:
    """The report whose tracking token opens this recipient's in-app inbox (None: a follower without a
    report)."""
    if recipient.report_id is not None:
        return recipient.report_id
    return case_id if recipient.role == "reporter" else None


def has_inbox(recipient: NotificationRecipient, owner: UUID | None) -> bool:
    """Someone can read this recipient's in-app messages: a reporter (tracking token of `owner`) or a me-too
    follower (their follower token; the messages are kept under their recipient_ref)."""
    return owner is not None or recipient.inbox


def revive(values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored JSON values back to render values (ISO datetimes → aware datetimes)."""
    out = dict(values)
    for key in DATETIME_KEYS & out.keys():
        if isinstance(out[key], str):
            out[key] = datetime.fromisoformat(out[key])
    return out

"""What agencies are told, as pure functions: which channels, which message, which e-mail text.

Every channel carries the same `AgencyCaseMessageV1` (versioned, no reporter data): the AMQP body, the webhook
body, and the facts the e-mail renders. Which status changes reach the holding agency as `case.updated`, and
which of its own actions count as acknowledging receipt, are decided here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from libs.contracts.common import AGENCY_ROLES, Status
from libs.contracts.events import ReportStatusChangedV1
from libs.contracts.notify import AgencyCaseMessageV1, CaseLinks

from . import routingkeys, templates
from .names import NOT_SET, Name

EMAIL_TEMPLATE = {
    "case.routed": "agency_case_routed",
    "case.updated": "agency_case_updated",
    "case.due_soon": "agency_case_due_soon",
    "case.overdue": "agency_case_overdue",
}


class ChannelRow(Protocol):
    """The columns of an `agency_channels` row that selection needs."""

    category: str | None
    enabled: bool


@dataclass(frozen=True)
class CaseFacts:
    """What notify knows about a routed case (its `cases` row, or the event itself)."""

    report_id: UUID
    code: str
    agency_code: str
    category: str | None = None
    priority: str | None = None
    ward_code: str | None = None
    ward_approximate: bool | None = None
    co_handlers: tuple[str, ...] = ()
    routing_reason: str | None = None
    accept_due_at: datetime | None = None
    due_at: datetime | None = None


def pick_channels(rows: Iterable[ChannelRow], category: str | None) -> list[ChannelRow]:
    """The agency's enabled channels for this category: category-specific ones win over catch-all ones."""
    enabled = [r for r in rows if r.enabled]
    specific = [r for r in enabled if category is not None and r.category == category]
    return specific or [r for r in enabled if r.category is None]


def recipients_of_routing(agency_code: str, co_handlers: Sequence[str]) -> list[str]:
    """The agency that must act, then each co-handler once."""
    seen: list[str] = []
    for code in (agency_code, *co_handlers):
        if code not in seen:
            seen.append(code)
    return seen


def is_update_for_agency(event: ReportStatusChangedV1) -> bool:
    """A change made by someone else (operator, citizen, system) on a case an agency holds reaches that
    agency."""
    if event.agency_code is None or event.to_status in (Status.DA_CHUYEN_XU_LY, Status.TRA_LAI):
        return False  # routing is told by `case.routed`; a returned case has left the agency
    if event.actor_role in AGENCY_ROLES:
        return False  # the agency's own action
    return not (event.actor_agency and event.actor_agency == event.agency_code)


def acknowledges_receipt(event: ReportStatusChangedV1) -> bool:
    """The holding agency accepting or returning a routed case proves it received it."""
    return (
        event.agency_code is not None
        and event.from_status is Status.DA_CHUYEN_XU_LY
        and event.to_status in (Status.DANG_XU_LY, Status.TRA_LAI)
        and (event.actor_role in AGENCY_ROLES or event.actor_agency == event.agency_code)
    )


def message(
    kind: str,
    delivery_id: UUID,
    facts: CaseFacts,
    recipient: str,
    occurred_at: datetime,
    inbox_url: str,
    **extra: Any,
) -> AgencyCaseMessageV1:
    """The versioned message of one delivery; `extra` holds status, public_note, deadline, level ..."""
    return AgencyCaseMessageV1(
        event=kind,
        delivery_id=delivery_id,
        occurred_at=occurred_at,
        report_id=facts.report_id,
        code=facts.code,
        agency_code=recipient,
        category=facts.category,
        priority=facts.priority,
        ward_code=facts.ward_code,
        ward_approximate=facts.ward_approximate,
        co_handlers=list(facts.co_handlers),
        routing_reason=facts.routing_reason,
        accept_due_at=facts.accept_due_at,
        due_at=facts.due_at,
        links=CaseLinks(inbox=inbox_url),
        **extra,
    )


def routing_key(msg: AgencyCaseMessageV1) -> str:
    """`case.<event>.<AGENCY>.<UNIT|_>.<CATEGORY|_>` of a message."""
    return routingkeys.key_for(msg.event, msg.agency_code, msg.ward_code, msg.category)


class Names(Protocol):
    """Display names by code (`names.NameBook`): a {'vi', 'en'} name, or the code when unknown."""

    def category(self, code: str | None) -> Name: ...
    def agency(self, code: str | None) -> Name: ...
    def ward(self, code: str | None) -> Name: ...


def _note(msg: AgencyCaseMessageV1, names: Names) -> Name:
    if msg.event == "case.due_soon":
        which = {"accept": ("tiếp nhận", "accept"), "process": ("xử lý", "process")}[
            msg.deadline or "process"
        ]
        return {"vi": f"Hạn {which[0]} sắp đến.", "en": f"The {which[1]} deadline is near."}
    if msg.event == "case.overdue":
        if msg.level == 2 and msg.holding_agency:
            late = names.agency(msg.holding_agency)
            vi, en = (late, late) if isinstance(late, str) else (late["vi"], late["en"])
            return {
                "vi": f"Chuyển cấp: {vi} đã quá hạn xử lý phản ánh này.",
                "en": f"Escalation: {en} is late on this report.",
            }
        step = "tiếp nhận" if msg.deadline == "accept" else "xử lý"
        return {
            "vi": f"Đơn vị đã quá hạn {step}.",
            "en": f"Your agency is past the {msg.deadline} deadline.",
        }
    return msg.public_note or NOT_SET


def email(msg: AgencyCaseMessageV1, names: Names, language: str = "vi") -> templates.RenderedMessage:
    """The readable e-mail of a message (Vietnamese by default, names rather than codes), linking to the
    inbox."""
    due = msg.accept_due_at if msg.deadline == "accept" else msg.due_at
    values: Mapping[str, object] = {
        "code": msg.code,
        "category_name": names.category(msg.category),
        "ward_name": names.ward(msg.ward_code),
        "due_at": due or NOT_SET,
        "inbox_url": msg.links.inbox,
        "note": _note(msg, names),
        "priority": msg.priority.value if msg.priority else None,
    }
    return templates.render(EMAIL_TEMPLATE[msg.event], language, values)

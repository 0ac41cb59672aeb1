"""Use cases: what each case event plans — agency deliveries and citizen notices as rows; nothing is sent here
(the sweep sends). Each handler commits once.
"""

from __future__ import annotations

from libs.contracts.common import utcnow
from libs.contracts.events import (
    ReportDeadlineChangedV1,
    ReportDueSoonV1,
    ReportOverdueV1,
    ReportRoutedV1,
    ReportStatusChangedV1,
)

from ..domain import agency, citizens
from ..domain.agency import CaseFacts
from ..repository import deliveries as repo
from ..settings import NotifySettings
from . import planner


def case_routed(db, settings: NotifySettings, event: ReportRoutedV1) -> None:
    """A case for an agency (and its co-handlers): one delivery per channel; the citizen is told too."""
    now = utcnow()
    facts = CaseFacts(
        report_id=event.report_id,
        code=event.code,
        agency_code=event.agency_code,
        category=event.category,
        priority=event.priority.value,
        ward_code=event.ward_code,
        ward_approximate=event.ward_approximate,
        co_handlers=tuple(event.co_handlers),
        routing_reason=event.reason,
        accept_due_at=event.accept_due_at,
        due_at=event.due_at,
    )
    repo.upsert_case(
        db,
        now,
        report_id=facts.report_id,
        code=facts.code,
        category=facts.category,
        priority=facts.priority,
        ward_code=facts.ward_code,
        ward_approximate=facts.ward_approximate,
        agency_code=facts.agency_code,
        co_handlers=list(facts.co_handlers),
        routing_reason=facts.routing_reason,
        accept_due_at=facts.accept_due_at,
        due_at=facts.due_at,
    )
    holders = agency.recipients_of_routing(event.agency_code, event.co_handlers)
    repo.skip_for_others(db, event.report_id, holders, "rerouted", now)
    for recipient in holders:
        planner.agency_deliveries(
            db,
            settings,
            kind="case.routed",
            facts=facts,
            recipient=recipient,
            cause_event_id=event.event_id,
            occurred_at=event.occurred_at,
            now=now,
        )
    planner.citizen_notice(db, citizens.plan_routed(event), event.report_id, event.event_id, now)
    db.commit()


def status_changed(db, settings: NotifySettings, event: ReportStatusChangedV1) -> None:
    """Acknowledge by action, tell the holding agency of others' changes, tell the citizen what they see."""
    now = utcnow()
    if agency.acknowledges_receipt(event):
        repo.acknowledge_case(db, event.report_id, event.agency_code, f"status:{event.to_status.value}", now)
    if agency.is_update_for_agency(event):
        facts = planner.case_facts(
            repo.get_case(db, event.report_id),
            category=event.category,
            ward_code=event.ward_code,
            agency_code=event.agency_code,
            priority=event.priority.value if event.priority else None,
        ) or CaseFacts(
            report_id=event.report_id,
            code=event.code,
            agency_code=event.agency_code,
            category=event.category,
            priority=event.priority.value if event.priority else None,
            ward_code=event.ward_code,
        )
        planner.agency_deliveries(
            db,
            settings,
            kind="case.updated",
            facts=facts,
            recipient=event.agency_code,
            cause_event_id=event.event_id,
            occurred_at=event.occurred_at,
            now=now,
            status=event.to_status,
            from_status=event.from_status,
            public_note=event.public_note,
        )
    planner.citizen_notice(db, citizens.plan_status_change(event), event.report_id, event.event_id, now)
    planner.citizen_notice(
        db,
        citizens.plan_rating_reminder(event, settings.rating_window, settings.rating_reminder_before),
        event.report_id,
        event.event_id,
        now,
    )
    if citizens.ends_rating(event):
        repo.cancel_notices(db, event.report_id, "rating_reminder", now)
    db.commit()


def due_soon(db, settings: NotifySettings, event: ReportDueSoonV1) -> None:
    """A deadline is near: the holding agency is reminded on its channels."""
    deadline_delivery(db, settings, "case.due_soon", event, event.agency_code)
    db.commit()


def overdue(db, settings: NotifySettings, event: ReportOverdueV1) -> None:
    """Level 1 goes to the late agency; level 2 to its escalation agency (none: the IOC's overdue queue)."""
    recipient = event.agency_code if event.level == 1 else event.escalation_agency
    if recipient is not None:
        deadline_delivery(
            db,
            settings,
            "case.overdue",
            event,
            recipient,
            level=event.level,
            holding_agency=event.agency_code if event.level == 2 else None,
        )
    db.commit()


def deadline_delivery(
    db, settings: NotifySettings, kind: str, event: ReportDueSoonV1 | ReportOverdueV1, recipient: str, **extra
) -> None:
    """Plan a deadline's reminder (or overdue notice) for `recipient` on its channels (not committed)."""
    due = {"accept_due_at" if event.deadline == "accept" else "due_at": event.due_at}
    facts = planner.case_facts(repo.get_case(db, event.report_id), **due) or CaseFacts(
        report_id=event.report_id, code=event.code, agency_code=event.agency_code, **due
    )
    planner.agency_deliveries(
        db,
        settings,
        kind=kind,
        facts=facts,
        recipient=recipient,
        cause_event_id=event.event_id,
        occurred_at=event.occurred_at,
        now=utcnow(),
        deadline=event.deadline,
        **extra,
    )


def deadlines_changed(db, event: ReportDeadlineChangedV1) -> None:
    """Keep the accept deadline right, so the operator's unacknowledged queue is right."""
    repo.set_deadlines(db, event.report_id, event.accept_due_at, event.due_at, utcnow())
    db.commit()

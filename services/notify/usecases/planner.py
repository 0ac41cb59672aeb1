"""Turn decisions into rows: agency deliveries (one per configured channel) and citizen notices.

Called by the event handlers (in their transaction) and by the sweep when an unconfigured agency's delivery is
redelivered. Rows carry a dedupe key, so planning the same event twice writes nothing new.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from libs.contracts.notify import DeliveryFailedV1

from ..domain import agency
from ..domain.agency import CaseFacts
from ..domain.citizens import NoticePlan
from ..repository import deliveries as repo
from ..settings import NotifySettings

log = logging.getLogger(__name__)
NO_CHANNEL = "no_channel_configured"


def case_facts(case, **override: Any) -> CaseFacts | None:
    """CaseFacts of a `cases` row, with the given fields replaced where not None (None without a row)."""
    if case is None:
        return None
    facts = dict(
        report_id=case.report_id,
        code=case.code,
        agency_code=case.agency_code,
        category=case.category,
        priority=case.priority,
        ward_code=case.ward_code,
        ward_approximate=case.ward_approximate,
        co_handlers=tuple(case.co_handlers or ()),
        routing_reason=case.routing_reason,
        accept_due_at=case.accept_due_at,
        due_at=case.due_at,
    )
    facts.update({k: v for k, v in override.items() if v is not None})
    return CaseFacts(**facts)


def alert(uow, row: dict[str, Any] | Any, attempts: int, error: str) -> None:
    """A delivery waits for an operator: log it and emit `delivery.failed` (no contact data in either)."""
    get = row.get if isinstance(row, dict) else (lambda k: getattr(row, k))
    log.error(
        "delivery %s (%s %s to %s via %s) parked after %s attempts: %s",
        get("id"),
        get("audience"),
        get("kind"),
        get("recipient") if get("audience") == "agency" else "citizen",
        get("channel"),
        attempts,
        error,
    )
    uow.emit(
        DeliveryFailedV1(
            delivery_id=get("id"),
            report_id=get("report_id"),
            audience=get("audience"),
            agency_code=get("recipient") if get("audience") == "agency" else None,
            channel=get("channel"),
            kind=get("kind"),
            attempts=attempts,
            last_error=error,
        )
    )


def agency_deliveries(
    uow,
    settings: NotifySettings,
    *,
    kind: str,
    facts: CaseFacts,
    recipient: str,
    cause_event_id: UUID,
    occurred_at: datetime,
    now: datetime,
    **extra: Any,
) -> int:
    """One delivery per channel the recipient agency configured (or the default channel); returns how many."""
    chosen = agency.pick_channels(repo.channels_of(uow, recipient), facts.category)
    targets = [(c.kind, c.id) for c in chosen] or [(settings.default_agency_channel, None)]
    inbox_url = settings.links.agency_inbox(str(facts.report_id), facts.code)
    made = 0
    for channel, channel_id in targets:
        delivery_id = uuid.uuid4()
        msg = agency.message(kind, delivery_id, facts, recipient, occurred_at, inbox_url, **extra)
        row: dict[str, Any] = dict(
            id=delivery_id,
            report_id=facts.report_id,
            cause_event_id=cause_event_id,
            recipient=recipient,
            channel=channel,
            kind=kind,
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
            audience="agency",
            dedupe_key=f"{cause_event_id}:{recipient}:{kind}:{channel_id or channel}",
            channel_id=channel_id,
            template=agency.EMAIL_TEMPLATE[kind],
            payload=msg.model_dump(mode="json"),
            routing_key=agency.routing_key(msg),
            urgent=facts.priority == "KHAN",
        )
        if channel == "none":  # nothing configured and no default: visible at once, not silently dropped
            row.update(state="failed", last_error=NO_CHANNEL, next_attempt_at=None)
        if repo.insert_delivery(uow, **row):
            made += 1
            if channel == "none":
                alert(uow, row, 0, NO_CHANNEL)
    return made


def replan_unconfigured(uow, settings: NotifySettings, row, now: datetime) -> bool:
    """A redelivered `none` delivery fans out to the channels configured since; False if there still are
    none."""
    msg = row.payload
    chosen = agency.pick_channels(repo.channels_of(uow, row.recipient), msg.get("category"))
    if not chosen:
        return False
    for ch in chosen:
        delivery_id = uuid.uuid4()
        repo.insert_delivery(
            uow,
            **dict(
                id=delivery_id,
                report_id=row.report_id,
                cause_event_id=row.cause_event_id,
                recipient=row.recipient,
                channel=ch.kind,
                kind=row.kind,
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
                audience="agency",
                dedupe_key=f"{row.cause_event_id}:{row.recipient}:{row.kind}:{ch.id}",
                channel_id=ch.id,
                template=row.template,
                payload={**msg, "delivery_id": str(delivery_id)},
                routing_key=row.routing_key,
                urgent=row.urgent,
            ),
        )
    repo.skip_delivery(uow, row.id, "replaced_by_configured_channels", now)
    return True


def citizen_notice(
    uow, plan: NoticePlan | None, report_id: UUID, cause_event_id: UUID, now: datetime
) -> None:
    """Queue one citizen notice (expanded to recipients by the sweep, after `plan.delay`)."""
    if plan is None:
        return
    repo.insert_notice(
        uow,
        report_id=report_id,
        cause_event_id=cause_event_id,
        template=plan.template,
        values=plan.values,
        urgent=plan.urgent,
        state="pending",
        next_attempt_at=now + plan.delay,
        created_at=now,
        updated_at=now,
    )

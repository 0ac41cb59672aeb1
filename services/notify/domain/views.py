"""Build the contract views of notify's rows (no contact data exists to leak; secrets show as hints only)."""

from __future__ import annotations

from libs.contracts.notify import AgencyChannelView, CaseDeliveryState, DeliveryView, InboxMessageView


def delivery_view(r) -> DeliveryView:
    return DeliveryView(
        id=r.id,
        report_id=r.report_id,
        audience=r.audience,
        recipient=r.recipient,
        channel=r.channel,
        kind=r.kind,
        state=r.state,
        attempts=r.attempts,
        last_error=r.last_error,
        next_attempt_at=r.next_attempt_at,
        sent_at=r.sent_at,
        acknowledged_at=r.acknowledged_at,
        created_at=r.created_at,
    )


def secret_hint(secret: str) -> str:
    """Enough of a secret to tell two apart, never enough to use it."""
    return f"…{secret[-4:]}"


def channel_view(r, new_secret: str | None = None) -> AgencyChannelView:
    return AgencyChannelView(
        id=r.id,
        agency_code=r.agency_code,
        category=r.category,
        kind=r.kind,
        url=r.url,
        email=r.email,
        secret_hints=[secret_hint(s) for s in r.secrets or []],
        new_secret=new_secret,
        enabled=r.enabled,
        updated_at=r.updated_at,
        updated_by=r.updated_by,
    )


def case_state_view(r) -> CaseDeliveryState:
    return CaseDeliveryState(
        report_id=r.report_id,
        code=r.code,
        agency_code=r.agency_code,
        category=r.category,
        ward_code=r.ward_code,
        routed_at=r.routed_at,
        accept_due_at=r.accept_due_at,
        acknowledged_at=r.acknowledged_at,
        deliveries_sent=r.sent,
        deliveries_failed=r.failed,
    )


def inbox_view(r) -> InboxMessageView:
    return InboxMessageView(
        id=r.id,
        report_id=r.report_id,
        template=r.template,
        language=r.language,
        subject=r.subject,
        body=r.body,
        created_at=r.created_at,
    )

"""Commands, views and events of the notify service, and the message agencies receive.

Notify never holds contact details: `NotificationRecipient` is what intake answers at send time
(`intake.notification_recipients`), kept in memory for one attempt and never stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from .common import MAX_CURSOR, Actor, AgencyCode, CategoryCode, Contract, Instant, Priority, Status, UnitCode
from .events import Event

Audience = Literal["agency", "citizen"]
ChannelKind = Literal["amqp", "webhook", "email"]
DeliveryChannel = Literal["amqp", "webhook", "email", "sms", "inapp", "none"]
DeliveryState = Literal["pending", "sent", "acknowledged", "failed", "skipped"]
AgencyEvent = Literal["case.routed", "case.updated", "case.due_soon", "case.overdue"]
WebhookSecret = Annotated[str, StringConstraints(min_length=24, max_length=200)]


# --- agencies: the one versioned message every channel carries
# ------------------------------------------------


class CaseLinks(Contract):
    """Where the agency handles the case."""

    inbox: str


class AgencyCaseMessageV1(Contract):
    """What an agency's system receives for a case (AMQP body, webhook body; e-mails render it). No reporter
    data."""

    schema_version: Literal[1] = 1
    event: AgencyEvent
    delivery_id: UUID = Field(description="Dedupe on it: a redelivery carries the same id")
    occurred_at: AwareDatetime
    report_id: UUID
    code: str
    agency_code: AgencyCode = Field(description="The agency this message is for")
    category: CategoryCode | None = None
    priority: Priority | None = None
    ward_code: UnitCode | None = None
    ward_approximate: bool | None = None
    status: Status | None = None
    from_status: Status | None = None
    co_handlers: list[AgencyCode] = []
    routing_reason: str | None = None
    accept_due_at: datetime | None = None
    due_at: datetime | None = None
    deadline: Literal["accept", "process"] | None = None
    level: Literal[1, 2] | None = Field(None, description="Overdue escalation level")
    holding_agency: AgencyCode | None = Field(None, description="For an escalation: the agency that is late")
    public_note: str | None = None
    links: CaseLinks


# --- agency channel configuration (administrator)
# ---------------------------------------------------------------


class SetAgencyChannel(Contract):
    """Create (no `id`) or replace (with `id`) one channel of an agency, optionally for one category only."""

    id: UUID | None = None
    agency_code: AgencyCode
    category: CategoryCode | None = Field(
        None, description="Only cases of this category; none = every category"
    )
    kind: ChannelKind
    url: AnyHttpUrl | None = Field(None, description="webhook: the HTTPS endpoint")
    email: EmailStr | None = Field(None, description="email: the agency's address")
    secrets: list[WebhookSecret] | None = Field(
        None,
        min_length=1,
        max_length=2,
        description="webhook: 1-2 active secrets (rotation); omitted on create = one is generated",
    )
    enabled: bool = True
    actor: Actor | None = None


class ChannelRef(Contract):
    """Address one channel."""

    id: UUID
    actor: Actor | None = None


class ListAgencyChannels(Contract):
    """Channels, optionally of one agency."""

    agency_code: AgencyCode | None = None
    actor: Actor | None = None


class AgencyChannelView(Contract):
    """A configured channel; secrets are never shown again, only their last characters."""

    id: UUID
    agency_code: AgencyCode
    category: CategoryCode | None = None
    kind: ChannelKind
    url: str | None = None
    email: str | None = None
    secret_hints: list[str] = []
    new_secret: str | None = Field(None, description="Only in the answer that generated it: store it now")
    enabled: bool
    updated_at: AwareDatetime
    updated_by: str | None = None


# --- deliveries: operator views and actions
# ---------------------------------------------------------------------


class DeliveryView(Contract):
    """One delivery of a case to an agency or of news to a citizen (no contact details)."""

    id: UUID
    report_id: UUID
    audience: Audience = "agency"
    recipient: str = Field(description="Agency code, or the opaque recipient_ref of a citizen")
    channel: str
    kind: str
    state: str
    attempts: int
    last_error: str | None = None
    next_attempt_at: AwareDatetime | None = None
    sent_at: AwareDatetime | None = None
    acknowledged_at: AwareDatetime | None = None
    created_at: AwareDatetime


class ListDeliveries(Contract):
    """Operator view: filter by state, audience, agency or report; newest first, keyset-paginated."""

    state: DeliveryState | None = None
    parked: bool | None = Field(None, description="failed and waiting for an operator (no retry scheduled)")
    audience: Audience | None = None
    agency_code: AgencyCode | None = None
    report_id: UUID | None = None
    before: Instant | None = Field(None, description="created_at of the last row of the previous page")
    limit: int = Field(50, ge=1, le=500)
    actor: Actor | None = None


class DeliveryRef(Contract):
    """Address one delivery."""

    delivery_id: UUID
    actor: Actor | None = None


class AcknowledgeCase(Contract):
    """An agency confirms it received a case (every sent delivery of that case to it is acknowledged)."""

    report_id: UUID
    actor: Actor | None = None


class CaseAcknowledged(Contract):
    """The agency's acknowledgement of a case, as recorded (the first one wins)."""

    report_id: UUID
    agency_code: AgencyCode
    acknowledged_at: AwareDatetime


class UnacknowledgedQuery(Contract):
    """Cases routed to an agency that did not acknowledge them by the accept deadline."""

    agency_code: AgencyCode | None = None
    overdue_only: bool = True
    limit: int = Field(100, ge=1, le=1000)
    actor: Actor | None = None


class CaseDeliveryState(Contract):
    """Where a routed case stands with its agency."""

    report_id: UUID
    code: str
    agency_code: AgencyCode
    category: CategoryCode | None = None
    ward_code: UnitCode | None = None
    routed_at: AwareDatetime
    accept_due_at: AwareDatetime | None = None
    acknowledged_at: AwareDatetime | None = None
    deliveries_sent: int
    deliveries_failed: int


# --- citizens: in-app inbox and unsubscribe
# ---------------------------------------------------------------------


class ListInbox(Contract):
    """In-app messages after a cursor: of the reporter of `report_id` (the gateway checked the tracking
    token), or, with `recipient_ref`, of that follower of the case (the gateway checked their follower token
    with intake)."""

    report_id: UUID
    recipient_ref: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    after: int = Field(
        0, ge=0, le=MAX_CURSOR, description="Cursor: the `id` of the newest message already seen"
    )
    limit: int = Field(50, ge=1, le=200)


class InboxMessageView(Contract):
    """One in-app message."""

    id: int
    report_id: UUID
    template: str
    language: str
    subject: str
    body: str
    created_at: AwareDatetime


class UnsubscribeByLink(Contract):
    """The random token of an e-mail's unsubscribe link."""

    token: Annotated[str, StringConstraints(min_length=16, max_length=100)]


class UnsubscribeReporter(Contract):
    """The reporter of `report_id` (tracking token checked at the gateway) stops e-mail/SMS about this
    case."""

    report_id: UUID


class UnsubscribeResult(Contract):
    """What an unsubscribe did."""

    report_id: UUID
    code: str | None = None
    unsubscribed: bool


# --- the question notify asks intake at send time
# ---------------------------------------------------------------


class NotificationRecipientsQuery(Contract):
    """`intake.notification_recipients(payload=...)`: who follows a case, read for one purpose (audited)."""

    report_id: UUID
    purpose: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    grant: str | None = Field(
        None, description="notify's signed grant (libs.auth.grants): intake requires it"
    )


class NotificationRecipient(BaseModel):
    """One person to tell about a case, as intake answers; contact fields are used once and never stored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    recipient_ref: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    language: str | None = "vi"
    email: str | None = None
    phone: str | None = None
    role: str = "reporter"
    unsubscribed: bool = False
    report_id: UUID | None = Field(
        None, description="The recipient's own report when it differs (merged duplicate)"
    )
    inbox: bool = Field(False, description="A follower who reads an in-app inbox with their follower token")


# --- events
# ------------------------------------------------------------------------------------------------------


class DeliveryFailedV1(Event):
    """A delivery ran out of retries (or failed for good) and waits for an operator: the alert."""

    event_type: ClassVar[str] = "delivery.failed"
    producer: ClassVar[str] = "notify"
    schema_version: Literal[1] = 1
    delivery_id: UUID
    report_id: UUID
    audience: Audience
    agency_code: AgencyCode | None = None
    channel: str
    kind: str
    attempts: int
    last_error: str

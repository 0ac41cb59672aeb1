"""Events: each class is one event type at one schema version; the routing key is `event_type`.

Events never carry personal data of the reporter.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID, uuid4

from pydantic import AwareDatetime, Field

from .common import AgencyCode, CategoryCode, Contract, Location, Priority, Status, UnitCode, utcnow
from .feedback import RatingLevel

DEADLINE_VERSION = (
    "Routing owns the deadlines: this counts every change of one case's deadlines (1, 2, ...); a "
    "follower applies an event's dates only when its version is newer than the one it holds "
    "(None: sent before versions existed)"
)


class Event(Contract):
    """Envelope fields every event has."""

    event_type: ClassVar[str]
    producer: ClassVar[str]
    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)


class ReportSubmittedV1(Event):
    """A citizen's report was received (and, when triage is automatic, accepted at once)."""

    event_type: ClassVar[str] = "report.submitted"
    producer: ClassVar[str] = "intake"
    schema_version: Literal[1] = 1
    report_id: UUID
    code: str
    category: CategoryCode
    priority: Priority
    location: Location
    status: Status
    channel: str


class ReportAcceptedV1(Event):
    """The operator (or automatic triage) verified and classified a report: it can be routed."""

    event_type: ClassVar[str] = "report.accepted"
    producer: ClassVar[str] = "intake"
    schema_version: Literal[1] = 1
    report_id: UUID
    code: str
    category: CategoryCode
    priority: Priority
    location: Location
    ward_code: UnitCode | None = None


class ReportRoutedV1(Event):
    """Routing chose the ward and the agency that must act, with its reason and deadlines."""

    event_type: ClassVar[str] = "report.routed"
    producer: ClassVar[str] = "routing"
    schema_version: Literal[1] = 1
    report_id: UUID
    code: str
    category: CategoryCode
    priority: Priority
    ward_code: UnitCode
    ward_approximate: bool
    agency_code: AgencyCode
    agency_name: str | None = Field(
        None, description="The agency's Vietnamese name when routed (for timelines)"
    )
    agency_name_en: str | None = Field(None, description="Its English name")
    co_handlers: list[AgencyCode] = []
    reason: Literal["rule", "default", "override", "manual"]
    directory_version: int
    accept_due_at: datetime | None = None
    due_at: datetime | None = None
    note: str | None = Field(
        None, description="Public note for the timeline, e.g. why a directory change re-routed an open case"
    )
    deadline_version: int | None = Field(None, ge=1, description=DEADLINE_VERSION)


class ReportUnroutableV1(Event):
    """Routing found no agency: the case goes to the IOC triage queue with a named reason."""

    event_type: ClassVar[str] = "report.unroutable"
    producer: ClassVar[str] = "routing"
    schema_version: Literal[1] = 1
    report_id: UUID
    code: str
    category: CategoryCode
    reason: str
    directory_version: int


class ReportStatusChangedV1(Event):
    """A case moved from one state to another (one per timeline entry)."""

    event_type: ClassVar[str] = "report.status_changed"
    producer: ClassVar[str] = "intake"
    schema_version: Literal[1] = 1
    report_id: UUID
    code: str
    category: CategoryCode
    from_status: Status | None
    to_status: Status
    ward_code: UnitCode | None = None
    agency_code: AgencyCode | None = None
    actor_role: str
    actor_agency: AgencyCode | None = None
    public_note: str | None = None
    priority: Priority | None = None
    clock: Literal["stop", "resume"] | None = Field(
        None, description="stop: the case waits on the citizen; resume: the citizen answered"
    )
    extension_working_days: int | None = Field(
        None, ge=1, description="An approved extension, in working days"
    )
    rating: RatingLevel | None = Field(
        None, description="The rating level, on the rate step only (never its comment)"
    )
    reopen_due_at: AwareDatetime | None = Field(
        None,
        description="On an approved reopen: the new processing deadline the operator set (routing adopts it)",
    )
    sequence: int | None = Field(
        None,
        ge=1,
        description="Intake's order of this case's steps (a later step has a larger number): a consumer "
        "that already applied a later step does not move the status back",
    )


class ReportRerouteRequestedV1(Event):
    """An operator asks routing to decide again (returned case, fixed category/ward, or a manual choice)."""

    event_type: ClassVar[str] = "report.reroute_requested"
    producer: ClassVar[str] = "intake"
    schema_version: Literal[1] = 1
    report_id: UUID
    code: str
    category: CategoryCode
    priority: Priority
    location: Location
    ward_code: UnitCode | None = Field(None, description="Operator's correction of the ward")
    agency_code: AgencyCode | None = Field(None, description="Operator's manual choice (reason `manual`)")
    previous_agencies: list[AgencyCode] = []
    note: str | None = None


class ReportDeadlineChangedV1(Event):
    """Routing recomputed a case's deadlines (stopped clock resumed, extension approved, re-routing,
    reopen)."""

    event_type: ClassVar[str] = "report.deadline_changed"
    producer: ClassVar[str] = "routing"
    schema_version: Literal[1] = 1
    report_id: UUID
    accept_due_at: datetime | None = None
    due_at: datetime | None = None
    reason: Literal[
        "clock_resumed", "extension_approved", "rerouted", "directory_changed", "priority_changed", "reopened"
    ]
    deadline_version: int | None = Field(None, ge=1, description=DEADLINE_VERSION)


class ReportDueSoonV1(Event):
    """A case is near its deadline (fires once per case and deadline)."""

    event_type: ClassVar[str] = "report.due_soon"
    producer: ClassVar[str] = "routing"
    schema_version: Literal[1] = 1
    report_id: UUID
    code: str
    agency_code: AgencyCode
    due_at: datetime
    deadline: Literal["accept", "process"]


class ReportOverdueV1(Event):
    """A case passed its deadline; `level` 1 → agency leader, 2 → escalation agency / IOC (each once)."""

    event_type: ClassVar[str] = "report.overdue"
    producer: ClassVar[str] = "routing"
    schema_version: Literal[1] = 1
    report_id: UUID
    code: str
    agency_code: AgencyCode
    escalation_agency: AgencyCode | None = None
    due_at: datetime
    deadline: Literal["accept", "process"]
    level: Literal[1, 2]


class ReportMediaVisibilityChangedV1(Event):
    """An operator hid a file of a report from everyone but the IOC (or showed it again): media stops (or
    resumes) serving its public renditions."""

    event_type: ClassVar[str] = "report.media_visibility_changed"
    producer: ClassVar[str] = "intake"
    schema_version: Literal[1] = 1
    report_id: UUID
    media_id: UUID
    hidden: bool


class MediaStoredV1(Event):
    """A file of a report passed the checks and is stored."""

    event_type: ClassVar[str] = "media.stored"
    producer: ClassVar[str] = "media"
    schema_version: Literal[1] = 1
    media_id: UUID
    report_id: UUID
    role: str
    content_type: str
    size: int


class MediaRejectedV1(Event):
    """A file of a report was refused, with the reason."""

    event_type: ClassVar[str] = "media.rejected"
    producer: ClassVar[str] = "media"
    schema_version: Literal[1] = 1
    media_id: UUID
    report_id: UUID
    reason: str


ALL_EVENTS: tuple[type[Event], ...] = (
    ReportSubmittedV1,
    ReportAcceptedV1,
    ReportRoutedV1,
    ReportUnroutableV1,
    ReportStatusChangedV1,
    ReportRerouteRequestedV1,
    ReportDeadlineChangedV1,
    ReportDueSoonV1,
    ReportOverdueV1,
    ReportMediaVisibilityChangedV1,
    MediaStoredV1,
    MediaRejectedV1,
)

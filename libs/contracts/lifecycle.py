"""Commands and views of a case's life after submission: triage, agency work, citizen steps, queues,
recipients.

Staff views never carry the reporter's personal data; `ReporterDisclosure` is the one exception, for operators
only, and every such read is written to intake's append-only audit table.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from .common import MAX_OFFSET, Actor, AgencyCode, CategoryCode, Contract, Instant, Priority, Status, UnitCode
from .reports import ClientInfo, ReportCore, ReporterContact

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
MediaIds = Annotated[list[UUID], Field(default_factory=list, max_length=10)]
RatingLevel = Literal["HAI_LONG", "CHAP_NHAN", "KHONG_HAI_LONG"]


GrantToken = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


# ---- operator (IOC) -----------------------------------------------------------------------------------


class AcceptReport(Contract):
    """Verify and classify; optionally fix category, ward and priority."""

    kind: Literal["accept"] = "accept"
    category: CategoryCode | None = None
    ward_code: UnitCode | None = None
    priority: Priority | None = None
    note: Note = ""


class RequestInfo(Contract):
    """Ask the citizen for more (the clock stops until they answer)."""

    kind: Literal["request_info"] = "request_info"
    note: Required
    due_in_days: int | None = Field(None, ge=1, le=30, description="Default: intake's INFO_WINDOW_DAYS")


class RejectReport(Contract):
    """Refuse with one of the workflow's reasons (duplicates use `merge`)."""

    kind: Literal["reject"] = "reject"
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    note: Note = ""


class MergeReport(Contract):
    """Mark as a duplicate of an existing case: its reporter (and followers) then follow that case."""

    kind: Literal["merge"] = "merge"
    into: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        description="The primary case: UUID or code"
    )
    note: Note = ""


class VerifyReport(Contract):
    """Verify a case automatic triage let through unverified (a citizen's urgent report): it becomes public.

    The operator may downgrade it (`priority`): routing then recomputes its deadlines.
    """

    kind: Literal["verify"] = "verify"
    priority: Priority | None = None
    note: Note = ""


class EditPublicText(Contract):
    """The operators' wording of what the public reads (the citizen's original stays for the IOC).

    `null` leaves a field as it is; an empty string goes back to the citizen's text (masked).
    """

    kind: Literal["edit_public_text"] = "edit_public_text"
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    note: Note = ""


class HideMedia(Contract):
    """Hide a photo or video from everyone but the IOC (or show it again)."""

    kind: Literal["hide_media"] = "hide_media"
    media_id: UUID
    hidden: bool = True
    note: Note = ""


class RequestReroute(Contract):
    """Ask routing to decide again: a returned case, a fixed category/ward, or a hand-picked agency."""

    kind: Literal["reroute"] = "reroute"
    category: CategoryCode | None = None
    ward_code: UnitCode | None = None
    priority: Priority | None = None
    agency_code: AgencyCode | None = Field(
        None, description="Manual choice (routing records reason `manual`)"
    )
    note: Note = ""


class DecideExtension(Contract):
    """Approve or refuse an agency's pending extension request."""

    kind: Literal["approve_extension", "refuse_extension"]
    note: Note = ""


class ReviewResult(Contract):
    """Publish the agency's result, or send it back for more work."""

    kind: Literal["publish", "send_back"]
    note: Note = ""


class DecideReopen(Contract):
    """Approve (back to the agency) or refuse a citizen's request to reopen."""

    kind: Literal["approve_reopen", "refuse_reopen"]
    note: Note = ""
    due_in_days: int | None = Field(None, ge=1, le=60, description="Default: intake's REOPEN_DAYS")


# ---- agency ---------------------------------------------------------------------------------------------


class AgencyAccept(Contract):
    """The agency takes the case."""

    kind: Literal["agency_accept"] = "agency_accept"
    note: Note = ""


class AgencyReturn(Contract):
    """Not our competence: back to the operator to re-route."""

    kind: Literal["agency_return"] = "agency_return"
    reason: Required
    suggested_agency: AgencyCode | None = None
    note: Note = ""


class ProgressNote(Contract):
    """Progress (public unless narrowed to staff); when overdue, photos and a committed date are required."""

    kind: Literal["progress_note"] = "progress_note"
    note: Note = ""
    media_ids: MediaIds
    committed_at: Instant | None = None
    visibility: Literal["public", "staff"] | None = None


class AddCoHandlers(Contract):
    """Ask other agencies to co-handle."""

    kind: Literal["add_co_handler"] = "add_co_handler"
    agencies: list[AgencyCode] = Field(min_length=1, max_length=10)
    note: Note = ""


class RequestExtension(Contract):
    """More working days, asked before the due date (once per case)."""

    kind: Literal["request_extension"] = "request_extension"
    days: int = Field(ge=1, le=60)
    note: Required


class PostResult(Contract):
    """The result, with at least one after-photo (uploaded with role `result`)."""

    kind: Literal["post_result"] = "post_result"
    note: Required
    media_ids: MediaIds


StaffAction = Annotated[
    AcceptReport
    | RequestInfo
    | RejectReport
    | MergeReport
    | VerifyReport
    | EditPublicText
    | HideMedia
    | RequestReroute
    | DecideExtension
    | ReviewResult
    | DecideReopen
    | AgencyAccept
    | AgencyReturn
    | ProgressNote
    | AddCoHandlers
    | RequestExtension
    | PostResult,
    Field(discriminator="kind"),
]


class StaffCaseAction(Contract):
    """One staff verb on one case."""

    report_id: UUID
    actor: Actor
    action: StaffAction


# ---- citizen (tracking token) ----------------------------------------------------------------------------


class SupplyInfo(Contract):
    """The citizen answers a request for information (text and/or photos)."""

    kind: Literal["supply_info"] = "supply_info"
    note: Note = ""
    media_ids: MediaIds


class RateResult(Contract):
    """The citizen's rating of the published result, with an optional comment.

    The comment is kept on the case timeline for staff and the reporter (it may hold personal details): never
    in the public timeline, never in an event."""

    kind: Literal["rate"] = "rate"
    rating: RatingLevel
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = Field(
        None,
        description="Ý kiến kèm đánh giá (tuỳ chọn) / optional comment, up to 1000 characters; seen by "
        "staff, "
        "never public",
    )


class RequestReopen(Contract):
    """Unsatisfied: ask once to reopen (the operator decides)."""

    kind: Literal["request_reopen"] = "request_reopen"
    note: Required


CitizenAction = Annotated[SupplyInfo | RateResult | RequestReopen, Field(discriminator="kind")]


TrackingToken = Annotated[str, StringConstraints(min_length=8, max_length=200)]


class CitizenCaseAction(Contract):
    """A citizen's verb on their own report, proven by its tracking token (wrong tokens are counted per
    IP)."""

    report_id: UUID
    tracking_token: TrackingToken
    action: CitizenAction
    client: ClientInfo | None = None


class EraseContact(Contract):
    """The reporter erases their sealed contact data (name, phone, e-mail, ids) at any time."""

    report_id: UUID
    tracking_token: TrackingToken
    client: ClientInfo | None = None


class ContactErased(Contract):
    """The answer to an erasure: what was erased, and that nothing will reach them but the in-app inbox."""

    report_id: UUID
    erased: bool = Field(description="False when there was nothing left to erase")
    erased_at: AwareDatetime | None = None


class MeToo(Contract):
    """Another citizen has the same problem: follow this case instead of submitting a new report."""

    report_id: UUID
    contact: ReporterContact | None = None
    client: ClientInfo | None = None


class MeTooRef(Contract):
    """A new follower of a case: their private follower token (shown once, only its hash is kept) opens their
    in-app inbox of this case and unsubscribes them; `recipient_ref` is the opaque reference other services
    and staff see, never a credential."""

    report_id: UUID
    recipient_ref: str
    follower_token: str = Field(
        description="Mã theo dõi riêng, chỉ hiện một lần / the follower's private token, "
        "shown once: send it as X-Follower-Token"
    )
    supporters: int


FollowerToken = Annotated[str, StringConstraints(min_length=8, max_length=200)]


class FollowerAccess(Contract):
    """A follower proves who they are with their follower token (a wrong token is an unknown report)."""

    report_id: UUID
    follower_token: FollowerToken
    client: ClientInfo | None = None


class FollowerRef(Contract):
    """Whom a follower token stands for (for the gateway, which then reads their in-app inbox)."""

    report_id: UUID
    recipient_ref: str


# ---- staff views and queries ---------------------------------------------------------------------------


class CaseStep(Contract):
    """One timeline entry as staff see it (internal notes only for operators)."""

    at: AwareDatetime
    action: str | None = None
    actor_role: str
    actor_agency: str | None = None
    from_status: Status | None = None
    to_status: Status
    note: str | None = None
    reason: str | None = None
    visibility: str
    media_ids: list[UUID] = Field(default_factory=list)


class AgencySpell(Contract):
    """One agency's hold of the case (the re-routing history)."""

    agency_code: AgencyCode
    reason: str | None = None
    routed_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    end_reason: str | None = None


class CaseMedia(Contract):
    """A stored file of the case."""

    id: UUID
    role: str
    content_type: str
    hidden: bool = Field(False, description="Hidden by an operator: only the IOC sees it")


class CaseView(ReportCore):
    """A case as an operator or an agency sees it: everything but the reporter's personal data."""

    co_agencies: list[str] = Field(default_factory=list)
    past_agencies: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    accept_due_at: AwareDatetime | None = None
    info_due_at: AwareDatetime | None = None
    extension_count: int = 0
    extension_pending_days: int | None = None
    published_at: AwareDatetime | None = None
    rating: RatingLevel | None = None
    reopen_count: int = 0
    reopen_requested: bool = False
    duplicate_of: UUID | None = None
    supporters: int = 0
    queue_reason: str | None = Field(
        None, description="Why the case waits in the operator queue (e.g. unroutable)"
    )
    attributes: dict[str, str | list[str]] = Field(default_factory=dict)
    media: list[CaseMedia] = Field(default_factory=list)
    verified_at: AwareDatetime | None = Field(None, description="When it was verified (public from then on)")
    public: bool = Field(False, description="Whether the public sees it now")
    public_description: str | None = Field(
        None, description="IOC only: the operators' public wording, if any"
    )
    public_address: str | None = Field(None, description="IOC only: the operators' public address, if any")
    contact_erased: bool = Field(False, description="The reporter's contact data was erased")
    agencies: list[AgencySpell] = Field(default_factory=list)
    timeline: list[CaseStep] = Field(default_factory=list)
    allowed_actions: list[str] = Field(default_factory=list, description="Verbs this viewer may try now")


class GetCase(Contract):
    """A staff read of one case (404 when the viewer may not see it)."""

    report_id: UUID
    actor: Actor


OperatorBucket = Literal[
    "urgent",
    "new",
    "info_answered",
    "unroutable",
    "returned",
    "results",
    "extensions",
    "reopen_requests",
    "overdue",
]
AgencyBucket = Literal["new", "in_progress", "due_soon", "overdue"]


class QueueQuery(Contract):
    """The operator's queue or an agency's inbox (by the actor's role), sorted by due time."""

    actor: Actor
    bucket: Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,32}$")] | None = None
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(50, ge=1, le=500)


class QueueItem(Contract):
    """One line of a queue or inbox."""

    id: UUID
    code: str
    category: CategoryCode
    priority: Priority
    status: Status
    bucket: str
    ward_code: UnitCode | None = None
    agency_code: AgencyCode | None = None
    flags: list[str] = Field(default_factory=list)
    due_at: AwareDatetime | None = None
    accept_due_at: AwareDatetime | None = None
    sort_due_at: AwareDatetime | None = Field(None, description="The time the queue is sorted by")
    queue_reason: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class QueuePage(Contract):
    """A page of a queue."""

    bucket: str | None = None
    items: list[QueueItem]
    total: int
    offset: int
    limit: int


class ReadReporter(Contract):
    """An operator's read of the reporter's sealed identity (audited, with a stated purpose)."""

    report_id: UUID
    actor: Actor
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    grant: GrantToken | None = Field(
        None,
        description="The gateway's signed grant for this read "
        "(libs.auth.grants); without a valid one nothing is disclosed",
    )


class FollowerContact(Contract):
    """A follower of a case (a 'me too' citizen, or the reporter of a merged report)."""

    recipient_ref: str
    role: Literal["reporter", "follower"]
    contact: ReporterContact | None = None
    unsubscribed: bool = False


class ReporterDisclosure(Contract):
    """Personal data of a case, for an operator: written to the audit table before it is returned."""

    report_id: UUID
    reporter: ReporterContact | None = None
    followers: list[FollowerContact] = Field(default_factory=list)
    audit_id: int


class AuditQuery(Contract):
    """Who read a case's personal data (operators and administrators)."""

    report_id: UUID
    actor: Actor


class AuditEntry(Contract):
    """One append-only audit row: who read which personal fields, when and why."""

    id: int
    at: AwareDatetime
    report_id: UUID
    action: str
    purpose: str | None = None
    actor_kind: Literal["staff", "service", "citizen", "system"]
    actor_role: str | None = None
    actor_sub: str | None = None
    service: str | None = None
    fields: list[str] = Field(default_factory=list)
    media_id: UUID | None = Field(None, description="The file whose unblurred renditions were seen")


# ---- for the media service
# ----------------------------------------------------------------------------------


class RecordMediaAccess(Contract):
    """Media records that a staff member is shown unblurred renditions (audited like a read of the
    identity)."""

    report_id: UUID
    actor: Actor
    media_ids: list[UUID] = Field(min_length=1, max_length=100)
    grant: GrantToken | None = Field(None, description="The gateway's signed grant, passed on by media")


class CaseClosures(Contract):
    """When each of these cases closed (media's retention deletes originals a while after)."""

    report_ids: list[UUID] = Field(min_length=1, max_length=1000)


class CaseClosure(Contract):
    """One case's closing time (None while open or reopened)."""

    report_id: UUID
    closed_at: AwareDatetime | None = None


# ---- for the notify service ------------------------------------------------------------------------------


class RecipientsQuery(Contract):
    """Who should hear about a case (each read is audited with the calling service as actor)."""

    report_id: UUID
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    grant: GrantToken | None = Field(
        None, description="notify's signed grant for this read (libs.auth.grants)"
    )


class Recipient(Contract):
    """A citizen to notify: an opaque stable reference and how to reach them."""

    recipient_ref: str
    language: Literal["vi", "en"] = "vi"
    email: str | None = None
    phone: str | None = None
    role: Literal["reporter", "follower"]
    unsubscribed: bool = False
    report_id: UUID | None = Field(
        None, description="The recipient's own report when it differs (merged duplicate)"
    )
    inbox: bool = Field(False, description="A follower who reads an in-app inbox with a follower token")


class Unsubscribe(Contract):
    """Stop notifications of one case to one recipient."""

    report_id: UUID
    recipient_ref: Annotated[str, StringConstraints(min_length=8, max_length=64)]

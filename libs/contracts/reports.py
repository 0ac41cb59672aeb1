"""Commands and views of the intake service."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, EmailStr, Field, StringConstraints, model_validator

from .common import AgencyCode, CategoryCode, Contract, Location, Priority, Status, UnitCode

Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
MAX_ATTRIBUTES = 30  # answers of one report
AttributeKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
AttributeText = Annotated[str, StringConstraints(max_length=1000)]
AttributeItem = Annotated[str, StringConstraints(max_length=200)]
AttributeValue = AttributeText | Annotated[list[AttributeItem], Field(max_length=30)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 .-]{8,20}$")]


class ReporterContact(Contract):
    """Personal data of the reporter: sealed in intake, never in events or public views."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    device_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    account_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    language: Annotated[str, StringConstraints(pattern=r"^(vi|en)$")] = "vi"


class SubmitReport(Contract):
    """A citizen's new report, as the gateway receives it."""

    category: CategoryCode
    description: Description
    location: Location
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    priority: Priority = Priority.BINH_THUONG
    reporter: ReporterContact | None = None
    attributes: dict[AttributeKey, AttributeValue] = Field(
        default_factory=dict,
        max_length=MAX_ATTRIBUTES,
        description=f"Category-specific answers (Open311 attributes): at most {MAX_ATTRIBUTES}, codes of at "
        "most 64 "
        "letters, digits and `_.:-`, a text of at most 1,000 characters or a list of at most 30 choices",
    )
    media_urls: list[Annotated[str, StringConstraints(max_length=2000)]] = Field(
        default_factory=list, max_length=6
    )


class ClientInfo(Contract):
    """Where a request came from, as the gateway saw it: for rate limits only, never stored or logged."""

    ip: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    device_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


Channel = Literal["web", "open311", "hotline"]
StaffSubject = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class SubmitReportCommand(Contract):
    """The RPC form of a submission: the report, its idempotency key, the client (rate limits) and who calls.

    The channel is never the citizen's word: the gateway sets it from who is calling — `web` for an anonymous
    citizen (the app or the site), `open311` for a partner's API key (`api_key_id`), `hotline` for an IOC
    operator entering a call (`staff_sub`). Only the last two are authenticated, so only they may be trusted
    by automatic triage; each also scopes the Idempotency-Key (with the device or IP for `web`)."""

    report: SubmitReport
    idempotency_key: Annotated[str, StringConstraints(min_length=8, max_length=200)] | None = None
    client: ClientInfo | None = None
    channel: Channel = "web"
    api_key_id: UUID | None = None
    staff_sub: StaffSubject | None = None

    @model_validator(mode="after")
    def _caller_matches_channel(self) -> SubmitReportCommand:
        expected = {"web": (False, False), "open311": (True, False), "hotline": (False, True)}[self.channel]
        if (self.api_key_id is not None, self.staff_sub is not None) != expected:
            raise ValueError(
                f"channel {self.channel}: api_key_id only for open311, staff_sub only for hotline"
            )
        return self


class SimilarReport(Contract):
    """An open report of the same category nearby ("is this yours?"); its text only once it is public."""

    id: UUID
    code: str
    category: CategoryCode
    status: Status
    distance_m: float
    created_at: AwareDatetime
    description: str | None = Field(None, description="Only for verified (public) reports")


class SimilarQuery(Contract):
    """Before submitting: public open reports of this category near this point (rate-limited per client)."""

    category: CategoryCode
    location: Location
    client: ClientInfo | None = None


class ReportRef(Contract):
    """What a reporter gets back from a submission."""

    id: UUID
    code: str = Field(description="Human-readable code, e.g. HT-2026-000123")
    tracking_token: str = Field(
        description="Private token: keep it to follow the report and see your own data"
    )
    status: Status
    created_at: AwareDatetime
    replayed: bool = Field(False, description="True when this is the answer to a repeated Idempotency-Key")
    similar: list[SimilarReport] = Field(
        default_factory=list, description="Open reports nearby of the same category: add 'me too' instead?"
    )


class TimelineEntry(Contract):
    """One step of a case's life."""

    at: AwareDatetime
    actor_role: str
    actor_agency: str | None = None
    from_status: Status | None = None
    to_status: Status
    note: str | None = None
    media_ids: list[UUID] = Field(default_factory=list, description="Photos attached to this step")


class ReportCore(Contract):
    """Fields every view of a report shares (none of them personal data)."""

    id: UUID
    code: str
    category: CategoryCode
    description: str
    location: Location
    address: str | None = None
    priority: Priority
    status: Status
    channel: str
    ward_code: UnitCode | None = None
    ward_approximate: bool = True
    agency_code: AgencyCode | None = None
    due_at: AwareDatetime | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class ReportView(ReportCore):
    """A report as the public (or, with the tracking token, its reporter) sees it.

    A report not yet verified (`restricted`) shows others only its id, code, category and status: every other
    field is absent.
    """

    description: str = ""
    location: Location | None = None  # type: ignore[assignment]  # absent when restricted
    priority: Priority | None = None  # type: ignore[assignment]  # absent when restricted
    channel: str | None = None  # type: ignore[assignment]  # absent when restricted
    ward_approximate: bool | None = None  # type: ignore[assignment]  # absent when restricted
    created_at: AwareDatetime | None = None  # type: ignore[assignment]  # absent when restricted
    updated_at: AwareDatetime | None = None  # type: ignore[assignment]  # absent when restricted
    status_label: str | None = Field(None, description="Nhãn trạng thái / the state in plain Vietnamese")
    status_label_en: str | None = Field(None, description="The state in plain English")
    timeline: list[TimelineEntry]
    reporter: ReporterContact | None = Field(None, description="Only with the report's tracking token")
    own: bool = Field(False, description="True when the request carried this report's tracking token")
    restricted: bool = Field(
        False,
        description="Not yet verified: text, address and timeline are shown only with the tracking token",
    )
    flags: list[str] = Field(
        default_factory=list, description="GIA_HAN (extended), QUA_HAN (overdue), CO_PHOI_HOP"
    )
    photos: list[UUID] = Field(default_factory=list, description="Media ids of the report's stored photos")
    supporters: int = Field(0, description="Other citizens who reported the same problem ('me too', merged)")


class GetReport(Contract):
    """Read one report; the tracking token unlocks the reporter's own data (wrong tokens are counted per
    IP)."""

    report_id: UUID
    tracking_token: str | None = None
    client: ClientInfo | None = None

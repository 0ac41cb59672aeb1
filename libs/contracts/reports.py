"""Commands and views of the intake service."""
from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, EmailStr, Field, StringConstraints

from .common import AgencyCode, CategoryCode, Contract, Location, Priority, Status, UnitCode

Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
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
    channel: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{2,32}$")] = "web"
    attributes: dict[str, str | list[str]] = Field(default_factory=dict,
                                                    description="Category-specific answers (Open311 attributes)")
    media_urls: list[Annotated[str, StringConstraints(max_length=2000)]] = Field(default_factory=list, max_length=6)


class ClientInfo(Contract):
    """Where a request came from, as the gateway saw it: for rate limits only, never stored or logged."""

    ip: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    device_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class SubmitReportCommand(Contract):
    """The RPC form of a submission: the report plus its idempotency key and the client (rate limits)."""

    report: SubmitReport
    idempotency_key: Annotated[str, StringConstraints(min_length=8, max_length=200)] | None = None
    client: ClientInfo | None = None


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
    """Before submitting: open reports of this category near this point."""

    category: CategoryCode
    location: Location


class ReportRef(Contract):
    """What a reporter gets back from a submission."""

    id: UUID
    code: str = Field(description="Human-readable code, e.g. HT-2026-000123")
    tracking_token: str = Field(description="Private token: keep it to follow the report and see your own data")
    status: Status
    created_at: AwareDatetime
    replayed: bool = Field(False, description="True when this is the answer to a repeated Idempotency-Key")
    similar: list[SimilarReport] = Field(default_factory=list,
                                         description="Open reports nearby of the same category: add 'me too' instead?")


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
    """A report as the public (or, with the tracking token, its reporter) sees it."""

    timeline: list[TimelineEntry]
    reporter: ReporterContact | None = Field(None, description="Only with the report's tracking token")
    own: bool = Field(False, description="True when the request carried this report's tracking token")
    restricted: bool = Field(False, description="Not yet verified: text, address and timeline are shown only "
                                                "with the tracking token")
    flags: list[str] = Field(default_factory=list, description="GIA_HAN (extended), QUA_HAN (overdue), CO_PHOI_HOP")
    photos: list[UUID] = Field(default_factory=list, description="Media ids of the report's stored photos")
    supporters: int = Field(0, description="Other citizens who reported the same problem ('me too', merged)")


class GetReport(Contract):
    """Read one report; the tracking token unlocks the reporter's own data."""

    report_id: UUID
    tracking_token: str | None = None

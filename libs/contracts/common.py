"""Shared field types and base models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

UnitCode = Annotated[str, Field(pattern=r"^\d{5}$", description="5-digit official commune/ward code")]
AgencyCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")]
CategoryCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")]
MAX_OFFSET = 1_000_000_000  # paging deeper is refused (422 naming `offset`), never an SQL overflow
MAX_CURSOR = 2**63 - 1  # an id cursor (PostgreSQL bigint): beyond it a 422, not an SQL error
NO_CONTROL = (
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # no NUL (PostgreSQL refuses it) or other control characters
)


def _in_utc(value: datetime) -> datetime:
    """The same instant in UTC; ValueError when UTC cannot hold it (year 1 or 9999 with an offset)."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the instant is out of range once converted to UTC") from exc


# An instant a client sends, normalised to UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows
# (`-19:40` was a 500), and a filter or a stored time then has one spelling.
Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


class Contract(BaseModel):
    """Base of every wire model: frozen, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


StaffRole = Literal["operator", "agency_officer", "agency_leader", "administrator"]
AGENCY_ROLES = frozenset(
    {"agency_officer", "agency_leader"}
)  # an agency's staff: the actor carries the agency
OPERATORS = frozenset(
    {"operator", "administrator"}
)  # the province's operations centre (IOC) and administrators
ADMINISTRATORS = frozenset({"administrator"})


class Actor(Contract):
    """A staff member as the gateway authenticated them (`gateway.auth.actor_payload`, from the verified
    token); every service re-checks the role (`libs.platform.access.require_role`) and what the member may
    see."""

    sub: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    role: StaffRole
    agency: AgencyCode | None = None


class Status(StrEnum):
    """Case states (Vietnamese codes from workflow.json)."""

    CHO_TIEP_NHAN = "CHO_TIEP_NHAN"
    CHO_BO_SUNG = "CHO_BO_SUNG"
    TU_CHOI = "TU_CHOI"
    DA_TIEP_NHAN = "DA_TIEP_NHAN"
    DA_CHUYEN_XU_LY = "DA_CHUYEN_XU_LY"
    DANG_XU_LY = "DANG_XU_LY"
    TRA_LAI = "TRA_LAI"
    DA_XU_LY = "DA_XU_LY"
    DA_CONG_KHAI = "DA_CONG_KHAI"
    DA_DANH_GIA = "DA_DANH_GIA"
    DONG = "DONG"


class Priority(StrEnum):
    """Handling priority."""

    BINH_THUONG = "BINH_THUONG"
    KHAN = "KHAN"
    PHUC_TAP = "PHUC_TAP"


class Location(Contract):
    """A WGS84 point."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)

"""Queries over reports shared by the /v1 public list, the map feed and Open311 `GET requests`."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from .common import MAX_OFFSET, NO_CONTROL, CategoryCode, Contract, Instant, Status, UnitCode
from .reports import ReportCore, TimelineEntry


class SearchReports(Contract):
    """Filters (all optional, combined with AND); `ids` overrides every other filter (Open311 rule)."""

    ids: list[Annotated[str, StringConstraints(max_length=64, pattern=NO_CONTROL)]] | None = Field(
        None, description="Report UUIDs or human-readable codes"
    )
    categories: list[CategoryCode] | None = None
    wards: list[UnitCode] | None = None
    statuses: list[Status] | None = None
    created_from: Instant | None = None
    created_to: Instant | None = None
    updated_from: Instant | None = None
    updated_to: Instant | None = None
    bbox: tuple[float, float, float, float] | None = Field(
        None, description="min_lon, min_lat, max_lon, max_lat"
    )
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=NO_CONTROL)] | None = (
        None
    )
    public_only: bool = Field(True, description="Only public reports (verified, then in every later state)")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(100, ge=1, le=1000)
    order: Literal["created_desc", "updated_desc", "due_asc"] = "created_desc"
    timeline: bool = Field(True, description="Each report with its public timeline (False: the compact list)")


class MapQuery(Contract):
    """The map feed at one zoom level: clusters of grid cells below `POINTS_FROM_ZOOM`, points from it on."""

    search: SearchReports = Field(
        description="The filters (bbox: west, south, east, north); offset/limit unused"
    )
    zoom: int = Field(ge=0, le=22, description="The map's zoom level (Web Mercator tiles)")


class PublicReport(ReportCore):
    """A report as anyone may see it: no personal data, masked text, public timeline only."""

    status_label: str | None = Field(None, description="Nhãn trạng thái / the state in plain Vietnamese")
    status_label_en: str | None = Field(None, description="The state in plain English")
    photos: list[UUID] = Field(default_factory=list, description="Media ids of public photos")
    timeline: list[TimelineEntry] = Field(default_factory=list)


class ReportPage(Contract):
    """One page of a search."""

    items: list[PublicReport]
    total: int
    offset: int
    limit: int

"""Views of the routing service."""
from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime

from .common import AgencyCode, CategoryCode, Contract, UnitCode


class RoutingDecisionView(Contract):
    """Why a report went where it went."""

    report_id: UUID
    ward_code: UnitCode
    agency_code: AgencyCode
    co_handlers: list[AgencyCode] = []
    reason: str
    explanation: str
    directory_version: int
    decided_at: AwareDatetime


class DirectoryCounts(Contract):
    """How much of the directory is loaded."""

    version: int
    units: int
    agencies: int
    categories: int


class CategoryView(Contract):
    """A report category as clients list it."""

    code: CategoryCode
    name_vi: str
    name_en: str
    description: str
    default_agency: str

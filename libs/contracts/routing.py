"""Views of the routing service."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, Field

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


class QuestionValue(Contract):
    """One choice of a list question."""

    key: str
    name_vi: str
    name_en: str


class CategoryQuestion(Contract):
    """A category's extra question (an Open311 attribute of its service definition), in both languages."""

    code: str
    datatype: str = Field(description="string, number, datetime, text, singlevaluelist or multivaluelist")
    required: bool
    variable: bool = Field(description="False: a notice to show, never answered")
    order: int
    description_vi: str
    description_en: str
    datatype_description_vi: str | None = None
    datatype_description_en: str | None = None
    values: list[QuestionValue] = Field(default_factory=list)


class CategoryDetail(CategoryView):
    """A category as the public API lists it: its group and its extra questions (answered in `attributes`)."""

    group_vi: str
    group_en: str
    questions: list[CategoryQuestion] = Field(default_factory=list)

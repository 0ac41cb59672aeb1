"""Explain, replay and dry-run routing decisions.

A stored decision keeps its inputs (category, priority, point, operator's ward or agency), its instant and the
directory version it used; replaying runs the same pure function on the same version and must agree.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from libs.contracts.directory import DecisionExplanation, DryRun, ReplayDecision, ReplayView, WardHitView
from libs.contracts.errors import ErrorCode
from libs.platform.errors import ServiceError

from ..domain.engine import RouteRequest, resolve_ward, route
from ..domain.views import assignment_view, case_view, decision_record_view, outcome_view
from ..repository import decisions as cases_repo
from .admin import directory_for
from .flow import Directories

COMPARED = (
    "outcome",
    "ward",
    "agency_code",
    "co_handlers",
    "escalation_agency",
    "reason",
    "rule_id",
    "accept_due_at",
    "due_at",
)


def explain(uow, directories: Directories, report_id: UUID) -> DecisionExplanation:
    """Every decision, every agency that held the case and its clock; may raise
    ServiceError(REPORT_NOT_FOUND)."""
    rows = cases_repo.decisions_for(uow, report_id)
    if not rows:
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no routing decision for {report_id}")
    case = cases_repo.get_case(uow, report_id)
    return DecisionExplanation(
        report_id=report_id,
        decisions=[decision_record_view(r, _unit_name(uow, directories, r)) for r in rows],
        assignments=[assignment_view(a) for a in cases_repo.assignments_for(uow, report_id)],
        case=case_view(case, cases_repo.firings_for(uow, report_id)) if case is not None else None,
    )


def _unit_name(uow, directories: Directories, row) -> str | None:
    """The ward's name in the decision's own directory version."""
    try:
        return (
            directories.at(uow, row.directory_version).unit_name(row.ward_code)
            if row.directory_version
            else None
        )
    except LookupError:
        return None


def replay(uow, directories: Directories, query: ReplayDecision, now: datetime) -> ReplayView:
    """Run a stored decision again (same instant) on its own version, another one, or the current one."""
    row = cases_repo.decision(uow, query.report_id, query.decision_id)
    if row is None:
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no routing decision for {query.report_id}")
    if query.against_version == "recorded":
        if row.directory_version == 0:
            raise ServiceError(ErrorCode.DIRECTORY_CONFLICT, "the decision was taken without a directory")
        directory = directory_for(uow, directories, row.directory_version, now)
    else:
        version = None if query.against_version == "current" else int(query.against_version)
        directory = directory_for(uow, directories, version, now)
    request = RouteRequest(
        report_id=str(row.report_id),
        category=row.category,
        priority=row.priority,
        lat=row.lat,
        lon=row.lon,
        operator_ward=row.operator_ward,
        manual_agency=row.manual_agency,
        note=row.note or "",
    )
    outcome = route(directory, request, row.decided_at)
    replayed = outcome_view(outcome, request, directory.unit_name(outcome.ward.unit_code))
    recorded = decision_record_view(row, directory.unit_name(row.ward_code))
    differences = [
        f"{name}: {_show(recorded, name)} → {_show(replayed, name)}"
        for name in COMPARED
        if _value(recorded, name) != _value(replayed, name)
    ]
    return ReplayView(
        recorded=recorded, replayed=replayed, identical=not differences, differences=differences
    )


def _value(view, name: str):
    value = getattr(view, name)
    return (value.unit_code, value.approximate) if name == "ward" else value


def _show(view, name: str) -> str:
    value = _value(view, name)
    return value.isoformat() if isinstance(value, datetime) else str(value)


def dry_run(uow, directories: Directories, query: DryRun, now: datetime):
    """Which agency a report of this category at this point would go to, and why (nothing is stored)."""
    at = query.at or now
    directory = directory_for(uow, directories, None, at)
    request = RouteRequest(
        report_id="00000000-0000-0000-0000-000000000000",
        category=query.category,
        priority=query.priority.value,
        lat=query.location.lat,
        lon=query.location.lon,
        operator_ward=query.ward_code,
    )
    outcome = route(directory, request, at)
    return outcome_view(outcome, request, directory.unit_name(outcome.ward.unit_code))


def locate(uow, directories: Directories, lat: float, lon: float, now: datetime) -> WardHitView:
    """Point → ward with the polygons in force."""
    directory = directory_for(uow, directories, None, now)
    ward = resolve_ward(directory, lat, lon)
    return WardHitView(
        unit_code=ward.unit_code,
        unit_name=directory.unit_name(ward.unit_code),
        approximate=ward.approximate,
        method=ward.method,
    )


def public_cells(uow, directories: Directories, now: datetime) -> dict:
    """The ward cells in force as lon/lat GeoJSON, each with its unit's name (the public map's overlay)."""
    directory = directory_for(uow, directories, None, now)
    collection = directory.wards.to_feature_collection()
    for feature in collection["features"]:
        feature["properties"]["name"] = directory.unit_name(feature["properties"]["code"])
    return {**collection, "approximate": directory.wards.approximate, "directory_version": directory.version}

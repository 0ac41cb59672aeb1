"""One routing decision from a report's facts: point → ward with the polygons in force, then the rules (pure).

The ward is the operator's correction when there is one, else the cell containing the point (or the nearest
cell within the coastal buffer). A point outside the buffered province is never guessed: it is unroutable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .directory import Directory
from .rules import Decision, RouteInput, Unroutable, decide, manual_decision, unroutable

WardMethod = Literal["inside", "border", "nearest_within_buffer", "operator", "outside"]


@dataclass(frozen=True)
class RouteRequest:
    """The facts a decision reads (no personal data)."""

    report_id: str
    category: str
    priority: str
    lat: float
    lon: float
    operator_ward: str | None = None  # an operator's correction of the ward
    manual_agency: str | None = None  # an operator's choice of agency (reason `manual`)
    note: str = ""


@dataclass(frozen=True)
class WardResolution:
    """The ward a report is in, whether its cell is approximate, and how that was decided."""

    unit_code: str | None
    approximate: bool
    method: WardMethod


@dataclass(frozen=True)
class Outcome:
    """The ward and the decision (or the named reason it could not be made)."""

    ward: WardResolution
    result: Decision | Unroutable

    @property
    def routed(self) -> bool:
        return isinstance(self.result, Decision)


def resolve_ward(
    directory: Directory, lat: float, lon: float, operator_ward: str | None = None
) -> WardResolution:
    """The operator's ward when given, else point → ward on the loaded cells."""
    if operator_ward:
        return WardResolution(operator_ward, False, "operator")
    hit = directory.wards.locate(lat, lon)
    if hit is None:
        return WardResolution(None, directory.wards.approximate, "outside")
    return WardResolution(hit.unit_code, hit.approximate, hit.method)


def route(directory: Directory, request: RouteRequest, now: datetime) -> Outcome:
    """Decide for one report at `now` with this directory version; never raises on data gaps."""
    ward = resolve_ward(directory, request.lat, request.lon, request.operator_ward)
    report = RouteInput(
        report_id=request.report_id,
        category=request.category,
        unit_code=ward.unit_code,
        priority=request.priority,
    )
    snapshot = directory.snapshot
    if ward.method == "operator" and ward.unit_code not in directory.doc["unit"]:
        return Outcome(
            ward,
            unroutable(
                report,
                snapshot,
                now,
                "unknown_ward",
                None,
                f"Xã/phường {ward.unit_code} không có trong danh mục",
                f"unit {ward.unit_code} is not in the directory",
            ),
        )
    if ward.unit_code is None:
        return Outcome(
            ward,
            unroutable(
                report,
                snapshot,
                now,
                "location_outside_province",
                None,
                "Vị trí nằm ngoài địa bàn tỉnh (kể cả vùng đệm ven biển)",
                "the location is outside the province and its coastal buffer",
            ),
        )
    automatic = decide(report, snapshot, now)
    if not request.manual_agency:
        return Outcome(ward, automatic)
    co = automatic.co_handlers if isinstance(automatic, Decision) else ()
    co = tuple(c for c in co if c != request.manual_agency)
    return Outcome(ward, manual_decision(report, snapshot, now, request.manual_agency, co, request.note))

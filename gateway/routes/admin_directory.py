"""Administrators read and change the routing directory (versioned); operators may dry-run and explain.

Every change takes `effective_from`, `note` and `reroute` as query parameters and returns the version it made.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, Field

from libs.contracts.common import CategoryCode, Instant, Location, Priority, UnitCode
from libs.contracts.directory import (
    AgencyData,
    CategoryData,
    DeadlineSettings,
    DecisionExplanation,
    DirectoryChangeView,
    DirectorySummary,
    HolidayView,
    HolidayYear,
    ReplayView,
    RoutingOutcomeView,
    RuleData,
    RuleId,
    UnitData,
    UnitType,
    VersionView,
    WardHitView,
)
from libs.contracts.errors import ErrorCode, Problem

from ..auth import Principal, actor_payload, require
from ..deps import Runtime, runtime
from ..problems import ApiError

router = APIRouter(prefix="/v1/admin/routing", tags=["admin: routing directory"])
Administrator = Annotated[Principal, Depends(require("administrator"))]
Staff = Annotated[Principal, Depends(require("administrator", "operator"))]
CHANGE_TIMEOUT_S = 60.0  # a change may route every open case again
ERRORS = {
    code: {"model": Problem, "content": {"application/problem+json": {}}}
    for code in (401, 403, 404, 409, 422, 503, 504)
}


class ChangeQuery(BaseModel):
    """When and why; whether open cases are routed again under the new version."""

    effective_from: Instant | None = Field(None, description="Default now; never before the latest version")
    note: str | None = Field(None, max_length=1000)
    reroute: bool = Field(
        False, description="Route every open case again (report.routed for those that move)"
    )


class MergeBody(BaseModel):
    """Merge `sources` into `into` (existing, or new with `name` and `type`)."""

    into: UnitCode
    sources: list[UnitCode] = Field(min_length=1)
    name: str | None = Field(None, max_length=200)
    type: UnitType | None = None
    centroid: Location | None = None


class DryRunBody(BaseModel):
    """A category at a point (optionally the operator's ward, or another instant)."""

    category: CategoryCode
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    priority: Priority = Priority.BINH_THUONG
    ward_code: UnitCode | None = None
    at: Instant | None = None


def _meta(q: ChangeQuery, default_reroute: bool = False) -> dict:
    return {
        "effective_from": q.effective_from.isoformat() if q.effective_from else None,
        "note": q.note,
        "reroute_open_cases": q.reroute or default_reroute,
    }


async def _change(rt: Runtime, admin: Principal, change: dict, q: ChangeQuery, reroute: bool = False) -> dict:
    return await rt.rpc.call(
        "routing",
        "change_directory",
        timeout=CHANGE_TIMEOUT_S,
        payload={"actor": actor_payload(admin), "change": change, "meta": _meta(q, reroute)},
    )


async def _read(rt: Runtime, admin: Principal, part: str, key: str | None = None, version: int | None = None):
    return await rt.rpc.call(
        "routing",
        "read_directory",
        payload={"actor": actor_payload(admin), "part": part, "key": key, "version": version},
    )


def _same(path_value: str, body_value: str, field: str) -> None:
    if path_value != body_value:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"{field} in the body must match the URL",
            [{"field": field, "message": f"expected {path_value}", "type": "mismatch"}],
        )


Version = Annotated[
    int | None, Query(ge=1, description="Read an earlier version (default: the one in force)")
]
Change = Annotated[ChangeQuery, Query()]


# ---- the directory as a whole ----


@router.get(
    "", response_model=DirectorySummary, responses=ERRORS, summary="Danh mục định tuyến / directory summary"
)
async def summary(admin: Administrator, version: Version = None, rt: Runtime = Depends(runtime)) -> dict:
    return await _read(rt, admin, "summary", version=version)


@router.get(
    "/versions",
    response_model=list[VersionView],
    responses=ERRORS,
    summary="Lịch sử phiên bản / versions: who changed what, effective when",
)
async def versions(admin: Administrator, rt: Runtime = Depends(runtime)) -> list:
    return await _read(rt, admin, "versions")


@router.post(
    "/versions/{version}/restore",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Khôi phục / a new version with the content of an earlier one",
)
async def restore(
    version: Annotated[int, Path(ge=1)], admin: Administrator, q: Change, rt: Runtime = Depends(runtime)
) -> dict:
    return await _change(rt, admin, {"op": "restore_version", "version": version}, q)


# ---- units, agencies, categories, rules ----


def _entries(part: str, model: type, label: str, key: str) -> None:
    """GET the list and GET one entry (by `key`, the path parameter's name) for one kind of entry."""

    @router.get(
        f"/{part}",
        response_model=list[model],
        responses=ERRORS,
        summary=f"{label}: list",
        name=f"list_{part}",
    )
    async def list_entries(
        admin: Administrator, version: Version = None, rt: Runtime = Depends(runtime)
    ) -> list:
        return await _read(rt, admin, part, version=version)

    @router.get(
        f"/{part}/{{{key}}}",
        response_model=model,
        responses=ERRORS,
        summary=f"{label}: one",
        name=f"get_{part}",
    )
    async def get_entry(
        admin: Administrator,
        code: str = Path(alias=key, max_length=64),
        version: Version = None,
        rt: Runtime = Depends(runtime),
    ):
        return await _read(rt, admin, part, code, version)


_entries("units", UnitData, "Xã/phường / units", "code")
_entries("agencies", AgencyData, "Đơn vị xử lý / agencies", "code")
_entries("categories", CategoryData, "Lĩnh vực / categories", "code")
_entries("rules", RuleData, "Quy tắc định tuyến / routing rules", "rule_id")


@router.put(
    "/units/{code}",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Lưu xã/phường / create or change a unit",
)
async def put_unit(
    code: UnitCode, body: UnitData, admin: Administrator, q: Change, rt: Runtime = Depends(runtime)
):
    _same(code, body.code, "code")
    return await _change(rt, admin, {"op": "put_unit", "unit": body.model_dump(mode="json")}, q)


@router.post(
    "/units/merge",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Sáp nhập xã/phường / merge units (re-routes open cases unless reroute=false is meant)",
)
async def merge_units(body: MergeBody, admin: Administrator, q: Change, rt: Runtime = Depends(runtime)):
    change = {"op": "merge_units", **body.model_dump(mode="json")}
    return await _change(rt, admin, change, q, reroute=True)


@router.put(
    "/agencies/{code}",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Lưu đơn vị xử lý / create or change an agency",
)
async def put_agency(
    code: str, body: AgencyData, admin: Administrator, q: Change, rt: Runtime = Depends(runtime)
):
    _same(code, body.code, "code")
    return await _change(rt, admin, {"op": "put_agency", "agency": body.model_dump(mode="json")}, q)


@router.delete(
    "/agencies/{code}",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Ngừng đơn vị xử lý / retire an agency (refused while referenced)",
)
async def retire_agency(code: str, admin: Administrator, q: Change, rt: Runtime = Depends(runtime)):
    return await _change(rt, admin, {"op": "retire_agency", "code": code}, q)


@router.put(
    "/categories/{code}",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Lưu lĩnh vực / create or change a category (handler pattern, deadline)",
)
async def put_category(
    code: CategoryCode, body: CategoryData, admin: Administrator, q: Change, rt: Runtime = Depends(runtime)
):
    _same(code, body.code, "code")
    return await _change(rt, admin, {"op": "put_category", "category": body.model_dump(mode="json")}, q)


@router.delete(
    "/categories/{code}",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Ngừng lĩnh vực / retire a category (refused while rules use it)",
)
async def retire_category(
    code: CategoryCode, admin: Administrator, q: Change, rt: Runtime = Depends(runtime)
):
    return await _change(rt, admin, {"op": "retire_category", "code": code}, q)


@router.put(
    "/rules/{rule_id}",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Lưu quy tắc / create or change a routing rule",
)
async def put_rule(
    rule_id: RuleId, body: RuleData, admin: Administrator, q: Change, rt: Runtime = Depends(runtime)
):
    _same(rule_id, body.rule_id, "rule_id")
    return await _change(rt, admin, {"op": "put_rule", "rule": body.model_dump(mode="json")}, q)


@router.delete(
    "/rules/{rule_id}",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Xóa quy tắc / delete a routing rule",
)
async def delete_rule(rule_id: RuleId, admin: Administrator, q: Change, rt: Runtime = Depends(runtime)):
    return await _change(rt, admin, {"op": "delete_rule", "rule_id": rule_id}, q)


# ---- deadlines and holidays ----


@router.get(
    "/deadlines",
    response_model=DeadlineSettings,
    responses=ERRORS,
    summary="Thời hạn / priorities, accept deadline, working hours, warning and escalation thresholds",
)
async def get_deadlines(
    admin: Administrator, version: Version = None, rt: Runtime = Depends(runtime)
) -> dict:
    return await _read(rt, admin, "deadlines", version=version)


@router.put(
    "/deadlines", response_model=DirectoryChangeView, responses=ERRORS, summary="Lưu thời hạn / set deadlines"
)
async def put_deadlines(
    body: DeadlineSettings, admin: Administrator, q: Change, rt: Runtime = Depends(runtime)
):
    return await _change(rt, admin, {"op": "put_deadlines", "deadlines": body.model_dump(mode="json")}, q)


@router.get(
    "/holidays",
    response_model=list[HolidayYear],
    responses=ERRORS,
    summary="Ngày nghỉ đã công bố / years with an announcement",
)
async def list_holidays(
    admin: Administrator, version: Version = None, rt: Runtime = Depends(runtime)
) -> list:
    return await _read(rt, admin, "holidays", version=version)


@router.get(
    "/holidays/{year}",
    response_model=HolidayView,
    responses=ERRORS,
    summary="Ngày nghỉ của một năm / a year's configuration and its days off",
)
async def get_holidays(
    year: Annotated[int, Path(ge=2000, le=2100)],
    admin: Administrator,
    version: Version = None,
    rt: Runtime = Depends(runtime),
) -> dict:
    return await _read(rt, admin, "holidays", str(year), version)


@router.put(
    "/holidays/{year}",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Lưu ngày nghỉ / set a year's Tết span, compensatory days and swapped working days",
)
async def put_holidays(
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: HolidayYear,
    admin: Administrator,
    q: Change,
    rt: Runtime = Depends(runtime),
):
    _same(str(year), str(body.year), "year")
    return await _change(rt, admin, {"op": "put_holidays", "holidays": body.model_dump(mode="json")}, q)


# ---- ward geometry ----


@router.get(
    "/wards/geometry",
    responses=ERRORS,
    summary="Ranh giới xã/phường / ward cells in force (GeoJSON; approximate or official)",
)
async def get_geometry(admin: Administrator, version: Version = None, rt: Runtime = Depends(runtime)) -> dict:
    return await _read(rt, admin, "ward_geometry", version=version)


@router.put(
    "/wards/geometry",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Nạp ranh giới chính thức / upload official ward polygons (GeoJSON FeatureCollection)",
)
async def put_geometry(
    admin: Administrator,
    q: Change,
    feature_collection: Annotated[
        dict[str, Any], Body(description="lon/lat; unit code in `ma_xa` or `code`")
    ],
    allow_partial: Annotated[bool, Query()] = False,
    rt: Runtime = Depends(runtime),
):
    change = {
        "op": "load_ward_geometry",
        "feature_collection": feature_collection,
        "allow_partial": allow_partial,
    }
    return await _change(rt, admin, change, q)


@router.delete(
    "/wards/geometry",
    response_model=DirectoryChangeView,
    responses=ERRORS,
    summary="Bỏ ranh giới đã nạp / back to approximate cells from the centroids",
)
async def clear_geometry(admin: Administrator, q: Change, rt: Runtime = Depends(runtime)):
    return await _change(rt, admin, {"op": "clear_ward_geometry"}, q)


@router.get(
    "/wards/locate",
    response_model=WardHitView,
    responses=ERRORS,
    summary="Tìm xã/phường / which ward a point is in",
)
async def locate(
    staff: Staff,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    rt: Runtime = Depends(runtime),
) -> dict:
    return await rt.rpc.call("routing", "locate_ward", payload={"location": {"lat": lat, "lon": lon}})


# ---- decisions ----


@router.post(
    "/dry-run",
    response_model=RoutingOutcomeView,
    responses=ERRORS,
    summary="Thử định tuyến / which agency a category at a point would go to, and why",
)
async def dry_run(body: DryRunBody, staff: Staff, rt: Runtime = Depends(runtime)) -> dict:
    payload = {
        "actor": actor_payload(staff),
        "category": body.category,
        "priority": body.priority.value,
        "location": {"lat": body.lat, "lon": body.lon},
        "ward_code": body.ward_code,
        "at": body.at.isoformat() if body.at else None,
    }
    return await rt.rpc.call("routing", "dry_run", payload=payload)


@router.get(
    "/decisions/{report_id}",
    response_model=DecisionExplanation,
    responses=ERRORS,
    summary="Giải thích định tuyến / every decision, every agency that held the case, its clock",
)
async def explain(report_id: UUID, staff: Staff, rt: Runtime = Depends(runtime)) -> dict:
    return await rt.rpc.call(
        "routing", "explain_decision", payload={"actor": actor_payload(staff), "report_id": str(report_id)}
    )


@router.post(
    "/decisions/{report_id}/replay",
    response_model=ReplayView,
    responses=ERRORS,
    summary="Chạy lại quyết định / replay a decision on its directory version (or another)",
)
async def replay(
    report_id: UUID,
    staff: Staff,
    decision_id: Annotated[int | None, Query(ge=1)] = None,
    against: Annotated[Literal["recorded", "current"] | int, Query()] = "recorded",
    rt: Runtime = Depends(runtime),
) -> dict:
    payload = {
        "actor": actor_payload(staff),
        "report_id": str(report_id),
        "decision_id": decision_id,
        "against_version": against,
    }
    return await rt.rpc.call("routing", "replay_decision", payload=payload)

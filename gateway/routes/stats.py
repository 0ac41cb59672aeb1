"""Satisfaction and performance statistics: public JSON, and a CSV export for staff (Vietnamese headers first).

The feedback service counts; this edge validates the query (errors name the query parameter) and renders CSV.
"""
from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ValidationError

from libs.auth.tokens import Principal
from libs.contracts.errors import ErrorCode
from libs.contracts.feedback import (STATS_COLUMNS, STATS_KEY_COLUMNS, STATS_PERIOD_COLUMNS, STATS_TOTAL_LABEL,
                                     STATS_UNKNOWN_LABEL, GroupBy, StatsQuery, StatsReport)

from ..auth import require
from ..deps import Runtime, runtime
from ..problems import ApiError, english
from .lifecycle_support import PROBLEMS

router = APIRouter(prefix="/v1", tags=["statistics"])
Staff = Annotated[Principal, Depends(require("operator", "administrator"))]
GROUPINGS = list(GroupBy.__args__)
CSV_RESPONSES = {200: {"content": {"text/csv": {}}, "description": "UTF-8 with BOM, comma-separated, CRLF"},
                 **PROBLEMS}


def _invalid(errors: list[dict]) -> ApiError:
    return ApiError(ErrorCode.VALIDATION_FAILED, "the query has invalid fields", errors)


class StatsParams:
    """Query parameters of both routes, validated with the feedback contract (so errors name the parameter)."""

    def __init__(self,
                 date_from: Annotated[str | None, Query(description="YYYY-MM-DD, first day (local time)")] = None,
                 date_to: Annotated[str | None, Query(description="YYYY-MM-DD, last day; default today")] = None,
                 month: Annotated[str | None, Query(description="YYYY-MM instead of the dates; none = this month")]
                 = None,
                 agency: Annotated[str | None, Query(description="Agency code, e.g. UBND_18073")] = None,
                 ward: Annotated[str | None, Query(description="5-digit ward/commune code")] = None,
                 category: Annotated[str | None, Query(description="Category code")] = None,
                 group_by: Annotated[str, Query(description="One row per …", json_schema_extra={"enum": GROUPINGS})]
                 = "total"):
        given = {"date_from": date_from, "date_to": date_to, "month": month, "agency": agency, "ward": ward,
                 "category": category, "group_by": group_by}
        try:
            self.query = StatsQuery.model_validate({k: v for k, v in given.items() if v is not None})
        except ValidationError as exc:
            raise _invalid([{"field": ".".join(str(p) for p in e["loc"]) or "query", "message": e["msg"],
                             "type": e["type"]} for e in exc.errors(include_url=False)]) from None


async def _stats(rt: Runtime, params: StatsParams) -> dict:
    return await rt.rpc.call("feedback", "get_stats", payload=params.query.model_dump(mode="json"))


@router.get("/stats", response_model=StatsReport, responses=PROBLEMS,
            summary="Thống kê xử lý và mức độ hài lòng / performance and satisfaction statistics (public)")
async def stats(params: StatsParams = Depends(), rt: Runtime = Depends(runtime)) -> dict:
    return await _stats(rt, params)


def _cell(value) -> str:
    return "" if value is None else str(value)


def render_csv(report: StatsReport, in_english: bool) -> str:
    """The report as CSV: key, period, every figure; a row per group, then the total."""
    pick = 1 if in_english else 0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([STATS_KEY_COLUMNS[report.group_by][pick], *(c[pick] for c in STATS_PERIOD_COLUMNS),
                     *(labels[pick] for labels in STATS_COLUMNS.values())])
    groups = [] if report.group_by == "total" else [(r.key or STATS_UNKNOWN_LABEL[pick], r) for r in report.rows]
    for label, row in [*groups, (STATS_TOTAL_LABEL[pick], report.total)]:
        writer.writerow([label, report.date_from, report.date_to, *(_cell(getattr(row, f)) for f in STATS_COLUMNS)])
    return out.getvalue()


@router.get("/stats.csv", response_class=Response, responses=CSV_RESPONSES,
            summary="Xuất thống kê CSV / statistics as CSV for staff (Vietnamese headers; lang=en for English)")
async def stats_csv(principal: Staff, request: Request, params: StatsParams = Depends(),
                    lang: Annotated[str | None, Query(description="vi (default) or en; else Accept-Language")] = None,
                    rt: Runtime = Depends(runtime)) -> Response:
    if lang not in (None, "vi", "en"):
        raise _invalid([{"field": "lang", "message": "vi or en", "type": "literal_error"}])
    in_english = lang == "en" if lang else english(request)
    report = StatsReport.model_validate(await _stats(rt, params))
    name = f"thong-ke_{report.date_from}_{report.date_to}_{report.group_by}.csv"
    return Response(("\ufeff" + render_csv(report, in_english)).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Content-Language": "en" if in_english else "vi"})

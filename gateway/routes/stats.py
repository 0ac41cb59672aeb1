"""Satisfaction and performance statistics: public JSON, and a CSV export for staff (Vietnamese headers
first).

The feedback service counts; this edge validates the query (errors name the query parameter), puts the
readable name of each agency, ward/commune or category next to its code (routing's `list_names`, cached per
process for `NAMES_TTL_S`; codes alone when routing cannot answer: names never fail a request) and renders
CSV. Agency leaders and officers export their own agency's figures only."""

from __future__ import annotations

import csv
import io
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ValidationError

from libs.auth.tokens import AGENCY_ROLES, Principal
from libs.contracts.directory import DirectoryNames, NamedEntry
from libs.contracts.errors import ErrorCode
from libs.contracts.feedback import (
    STATS_COLUMNS,
    STATS_KEY_COLUMNS,
    STATS_NAME_COLUMNS,
    STATS_PERIOD_COLUMNS,
    STATS_TOTAL_LABEL,
    STATS_UNKNOWN_LABEL,
    GroupBy,
    StatsQuery,
    StatsReport,
)
from libs.platform.expiring import Expiring

from ..auth import require
from ..calls import PROBLEMS
from ..deps import Runtime, runtime
from ..problems import ApiError, english
from ..rpc import RemoteError, RpcClient, RpcTimeout, RpcUnavailable

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["statistics"])
Staff = Annotated[Principal, Depends(require("operator", "administrator", "agency_leader", "agency_officer"))]
GROUPINGS = list(GroupBy.__args__)
CSV_RESPONSES = {
    200: {"content": {"text/csv": {}}, "description": "UTF-8 with BOM, comma-separated, CRLF"},
    **PROBLEMS,
}


def _invalid(errors: list[dict]) -> ApiError:
    return ApiError(ErrorCode.VALIDATION_FAILED, "the query has invalid fields", errors)


class StatsParams:
    """Query parameters of both routes, validated with the feedback contract (so errors name the
    parameter)."""

    def __init__(
        self,
        date_from: Annotated[str | None, Query(description="YYYY-MM-DD, first day (local time)")] = None,
        date_to: Annotated[str | None, Query(description="YYYY-MM-DD, last day; default today")] = None,
        month: Annotated[
            str | None, Query(description="YYYY-MM instead of the dates; none = this month")
        ] = None,
        agency: Annotated[str | None, Query(description="Agency code, e.g. UBND_18073")] = None,
        ward: Annotated[str | None, Query(description="5-digit ward/commune code")] = None,
        category: Annotated[str | None, Query(description="Category code")] = None,
        group_by: Annotated[
            str, Query(description="One row per …", json_schema_extra={"enum": GROUPINGS})
        ] = "total",
    ):
        given = {
            "date_from": date_from,
            "date_to": date_to,
            "month": month,
            "agency": agency,
            "ward": ward,
            "category": category,
            "group_by": group_by,
        }
        try:
            self.query = StatsQuery.model_validate({k: v for k, v in given.items() if v is not None})
        except ValidationError as exc:
            raise _invalid(
                [
                    {
                        "field": ".".join(str(p) for p in e["loc"]) or "query",
                        "message": e["msg"],
                        "type": e["type"],
                    }
                    for e in exc.errors(include_url=False)
                ]
            ) from None


NAMES_TTL_S, NAMES_RETRY_S, NAMES_TIMEOUT_S = 300.0, 15.0, 2.0
NAME_LISTS = {
    "agency": "agencies",
    "ward": "units",
    "category": "categories",
}  # grouping → DirectoryNames list


class DirectoryNameCache:
    """Directory names by code, per grouping, from routing's `list_names`; kept `ttl_s`, the old ones kept (or
    none: codes) when routing cannot answer, which is asked again after `NAMES_RETRY_S`, not on every
    request."""

    def __init__(self, ttl_s: float = NAMES_TTL_S):
        self._cached: Expiring[dict[str, dict[str, NamedEntry]]] = Expiring(ttl_s, NAMES_RETRY_S)

    async def names(self, rpc: RpcClient, group_by: str) -> dict[str, NamedEntry]:
        """The names of a grouping's codes (empty for month/total, or before routing ever answered)."""
        if group_by not in NAME_LISTS:
            return {}
        if self._cached.due():
            self._cached.asking()  # first: concurrent requests do not ask too
            await self._load(rpc)
        return (self._cached.value or {}).get(group_by, {})

    async def _load(self, rpc: RpcClient) -> None:
        try:
            answer = DirectoryNames.model_validate(
                await rpc.call("routing", "list_names", timeout=NAMES_TIMEOUT_S)
            )
        except (RpcTimeout, RpcUnavailable, RemoteError, ValidationError) as exc:
            log.warning("statistics show codes: routing's names unavailable (%s)", type(exc).__name__)
            return
        if answer.version:  # 0: the directory is not seeded yet
            self._cached.take(
                {
                    grouping: {e.code: e for e in getattr(answer, attr)}
                    for grouping, attr in NAME_LISTS.items()
                }
            )


NAMES = DirectoryNameCache()


async def _stats(rt: Runtime, query: StatsQuery) -> StatsReport:
    """Feedback's figures, each group with its name when routing knows it."""
    report = StatsReport.model_validate(
        await rt.rpc.call("feedback", "get_stats", payload=query.model_dump(mode="json"))
    )
    names = await NAMES.names(rt.rpc, report.group_by)
    if not names:
        return report
    rows = [
        row.model_copy(update={"name_vi": entry.name_vi, "name_en": entry.name_en})
        if (entry := names.get(row.key or ""))
        else row
        for row in report.rows
    ]
    return report.model_copy(update={"rows": rows})


@router.get(
    "/stats",
    response_model=StatsReport,
    responses=PROBLEMS,
    summary="Thống kê xử lý và mức độ hài lòng / performance and satisfaction statistics (public)",
)
async def stats(params: StatsParams = Depends(), rt: Runtime = Depends(runtime)) -> StatsReport:
    return await _stats(rt, params.query)


def _cell(value) -> str:
    return "" if value is None else str(value)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(text: str) -> str:
    """A text cell a spreadsheet will not run: one starting like a formula gets a leading quote (OWASP CSV
    injection); names come from the directory administrators edit."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _name_cell(row, in_english: bool) -> str:
    """The group's name in the export's language; its code when the name is not known."""
    if row.key is None:
        return ""
    return (row.name_en if in_english else row.name_vi) or row.key


def render_csv(report: StatsReport, in_english: bool) -> str:
    """The report as CSV: key, its name (agency/ward/category), period, every figure; a row per group, the
    total."""
    pick = 1 if in_english else 0
    name_header = STATS_NAME_COLUMNS.get(report.group_by)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            STATS_KEY_COLUMNS[report.group_by][pick],
            *([name_header[pick]] if name_header else []),
            *(c[pick] for c in STATS_PERIOD_COLUMNS),
            *(labels[pick] for labels in STATS_COLUMNS.values()),
        ]
    )
    groups = (
        [] if report.group_by == "total" else [(r.key or STATS_UNKNOWN_LABEL[pick], r) for r in report.rows]
    )
    for label, row in [*groups, (STATS_TOTAL_LABEL[pick], report.total)]:
        name = [_name_cell(row, in_english)] if name_header else []
        writer.writerow(
            [
                neutral(label),
                *map(neutral, name),
                report.date_from,
                report.date_to,
                *(_cell(getattr(row, f)) for f in STATS_COLUMNS),
            ]
        )
    return out.getvalue()


def scoped_to_caller(principal: Principal, query: StatsQuery) -> StatsQuery:
    """Agency staff see their own agency only (the filter is forced); operators and administrators see all.

    Another agency is a 403, not the 404 of a foreign case: every agency's figures are public in `/v1/stats`,
    so refusing names nothing secret; the caller's role may simply not export them.
    """
    if principal.role not in AGENCY_ROLES:
        return query
    if query.agency not in (None, principal.agency):
        raise ApiError(
            ErrorCode.FORBIDDEN,
            f"agency staff export their own agency's statistics ({principal.agency})",
            [
                {
                    "field": "agency",
                    "message": "chỉ được xuất số liệu của đơn vị mình / your own agency only",
                    "type": "forbidden",
                }
            ],
        )
    return query.model_copy(update={"agency": principal.agency})


@router.get(
    "/stats.csv",
    response_class=Response,
    responses=CSV_RESPONSES,
    summary="Xuất thống kê CSV / statistics as CSV for staff (Vietnamese headers; lang=en for English); "
    "agency leaders and officers: their own agency only",
)
async def stats_csv(
    principal: Staff,
    request: Request,
    params: StatsParams = Depends(),
    lang: Annotated[str | None, Query(description="vi (default) or en; else Accept-Language")] = None,
    rt: Runtime = Depends(runtime),
) -> Response:
    if lang not in (None, "vi", "en"):
        raise _invalid([{"field": "lang", "message": "vi or en", "type": "literal_error"}])
    in_english = lang == "en" if lang else english(request)
    report = await _stats(rt, scoped_to_caller(principal, params.query))
    name = f"thong-ke_{report.date_from}_{report.date_to}_{report.group_by}.csv"
    return Response(
        ("\ufeff" + render_csv(report, in_english)).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Language": "en" if in_english else "vi",
        },
    )

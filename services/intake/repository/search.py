"""Read-only queries over many reports: the shared search, queues and inboxes, duplicate candidates (SQL
only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from libs.contracts.search import SearchReports
from libs.privacy.visibility import NEVER_PUBLIC

from ..domain.workflow import HANDLING_STATES, OPEN_STATES, TERMINAL_STATES, Flag, State
from .models import reports

r = reports.c
HANDLING = [s.value for s in HANDLING_STATES]


def _ids_condition(ids: list[str]):
    uuids, codes = [], []
    for raw in ids:
        try:
            uuids.append(UUID(raw.strip()))
        except ValueError:
            codes.append(raw.strip().upper())
    return sa.or_(r.id.in_(uuids), r.code.in_(codes))


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# libs.privacy.visibility.is_public in SQL: verified, and never one of the states before (or instead of) that.
PUBLIC_CONDITION = sa.and_(r.verified_at.is_not(None), r.status.not_in(sorted(NEVER_PUBLIC)))


def search_conditions(q: SearchReports) -> list:
    """WHERE clauses of a search; `ids` overrides every filter but `public_only` (visibility, not a
    filter)."""
    conds = [PUBLIC_CONDITION] if q.public_only else []
    if q.ids is not None:
        return conds + [_ids_condition(q.ids)]
    pairs = (
        (q.categories, r.category),
        (q.wards, r.ward_code),
        (q.statuses and [s.value for s in q.statuses], r.status),
    )
    conds += [column.in_(values) for values, column in pairs if values]
    bounds = (
        (q.created_from, r.created_at, "ge"),
        (q.created_to, r.created_at, "le"),
        (q.updated_from, r.updated_at, "ge"),
        (q.updated_to, r.updated_at, "le"),
    )
    conds += [(column >= value) if op == "ge" else (column <= value) for value, column, op in bounds if value]
    if q.bbox:
        min_lon, min_lat, max_lon, max_lat = q.bbox
        conds += [
            r.lon.between(min(min_lon, max_lon), max(min_lon, max_lon)),
            r.lat.between(min(min_lat, max_lat), max(min_lat, max_lat)),
        ]
    if q.q:
        pattern = _like(q.q)
        conds.append(
            sa.or_(
                r.description.ilike(pattern, escape="\\"),
                r.address.ilike(pattern, escape="\\"),
                r.code.ilike(pattern, escape="\\"),
            )
        )
    return conds


ORDER = {
    "created_desc": (r.created_at.desc(), r.id),
    "updated_desc": (r.updated_at.desc(), r.id),
    "due_asc": (r.due_at.asc().nulls_last(), r.created_at, r.id),
}


def search(uow, q: SearchReports) -> tuple[list, int]:
    """One page of matching reports and the total count."""
    conds = search_conditions(q)
    total = uow.execute(sa.select(sa.func.count()).select_from(reports).where(*conds)).scalar_one()
    rows = uow.execute(
        sa.select(reports).where(*conds).order_by(*ORDER[q.order]).offset(q.offset).limit(q.limit)
    ).all()
    return rows, total


def _has(array_column, value: str):
    """`value = ANY(array_column)`."""
    return sa.literal(value) == sa.any_(array_column)


def _overdue(now: datetime):
    return sa.and_(r.status.in_(HANDLING), sa.or_(_has(r.flags, Flag.QUA_HAN.value), r.due_at < now))


def operator_buckets(now: datetime) -> dict[str, object]:
    """The operator queue's buckets as conditions (a case may be in more than one)."""
    st = lambda s: r.status == s.value  # noqa: E731
    waiting_or_closed = sorted(s.value for s in TERMINAL_STATES | {State.CHO_BO_SUNG})
    return {  # the first bucket a case falls in labels it: urgent ones first
        "urgent": sa.and_(r.priority == "KHAN", r.verified_at.is_(None), r.status.not_in(waiting_or_closed)),
        "new": sa.and_(st(State.CHO_TIEP_NHAN), r.info_answered_at.is_(None)),
        "info_answered": sa.and_(st(State.CHO_TIEP_NHAN), r.info_answered_at.is_not(None)),
        "unroutable": sa.and_(st(State.DA_TIEP_NHAN), r.queue_reason.is_not(None)),
        "returned": st(State.TRA_LAI),
        "results": st(State.DA_XU_LY),
        "extensions": sa.and_(st(State.DANG_XU_LY), r.extension_pending_days.is_not(None)),
        "reopen_requests": sa.and_(st(State.DA_DANH_GIA), r.reopen_requested),
        "overdue": _overdue(now),
    }


def agency_buckets(agency: str, now: datetime, due_soon: timedelta) -> dict[str, object]:
    """An agency's inbox buckets (co-handled cases appear among its cases in progress)."""
    mine = r.agency_code == agency
    return {
        "overdue": sa.and_(mine, _overdue(now)),
        "due_soon": sa.and_(
            mine,
            r.status.in_(HANDLING),
            r.due_at >= now,
            r.due_at <= now + due_soon,
            sa.not_(_has(r.flags, Flag.QUA_HAN.value)),
        ),
        "new": sa.and_(mine, r.status == State.DA_CHUYEN_XU_LY.value),
        "in_progress": sa.and_(sa.or_(mine, _has(r.co_agencies, agency)), r.status == State.DANG_XU_LY.value),
    }


def queue(uow, buckets: dict[str, object], bucket: str | None, offset: int, limit: int) -> tuple[list, int]:
    """Rows of one bucket (or of any), labelled, sorted by the time they are due."""
    label = sa.literal(bucket) if bucket else sa.case(*[(c, sa.literal(n)) for n, c in buckets.items()])
    where = buckets[bucket] if bucket else sa.or_(*buckets.values())
    sort_due = sa.func.coalesce(
        sa.case(
            (r.status == State.DA_CHUYEN_XU_LY.value, sa.func.coalesce(r.accept_due_at, r.due_at)),
            (r.status == State.CHO_TIEP_NHAN.value, r.triage_due_at),
            else_=r.due_at,
        ),
        r.due_at,
        r.triage_due_at,
        r.created_at,
    )
    first = (label == "urgent").desc()  # a citizen's unverified urgency tops the operators' queue
    total = uow.execute(sa.select(sa.func.count()).select_from(reports).where(where)).scalar_one()
    rows = uow.execute(
        sa.select(reports, label.label("bucket"), sort_due.label("sort_due_at"))
        .where(where)
        .order_by(first, sort_due.asc(), r.created_at, r.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


OPEN = sorted(s.value for s in OPEN_STATES)
_near = {
    name: sa.bindparam(f"near_{name}", type_=column.type)
    for name, column in (
        ("category", r.category),
        ("min_lat", r.lat),
        ("max_lat", r.lat),
        ("min_lon", r.lon),
        ("max_lon", r.lon),
        ("since", r.created_at),
    )
}
# Public open reports of a category inside a lat/lon box, newer than `since` (the pre-filter of
# duplicates.suggest), built once: its parameters come from `near_params`. Served by the partial index
# `ix_reports_open_nearby` (category, lat, lon, created_at) of open reports; a report not yet public is never
# a candidate (its place is private until an operator verifies it).
DUPLICATE_CANDIDATES = (
    sa.select(
        r.id, r.code, r.category, r.lat, r.lon, r.created_at, r.status, r.description, r.public_description
    )
    .where(
        r.category == _near["category"],
        r.status.in_(OPEN),
        r.lat.between(_near["min_lat"], _near["max_lat"]),
        r.lon.between(_near["min_lon"], _near["max_lon"]),
        r.created_at >= _near["since"],
        PUBLIC_CONDITION,
    )
    .order_by(r.created_at.desc())
    .limit(200)
)


def near_params(category: str, box: tuple[float, float, float, float], since: datetime) -> dict:
    """The parameters of DUPLICATE_CANDIDATES."""
    min_lat, min_lon, max_lat, max_lon = box
    return {
        "near_category": category,
        "near_min_lat": min_lat,
        "near_max_lat": max_lat,
        "near_min_lon": min_lon,
        "near_max_lon": max_lon,
        "near_since": since,
    }


def duplicate_candidates(uow, params: dict):
    """The rows of DUPLICATE_CANDIDATES for `near_params`."""
    return uow.execute(DUPLICATE_CANDIDATES, params).all()


TITLE_SOURCE_CHARS = 160


def map_cells_query(q: SearchReports, cell: float):
    """Public reports matching `q` counted per grid cell of `cell` degrees, status and category (with the sums
    of their coordinates, for each cell's centre of mass)."""
    gx, gy = sa.func.floor(r.lon / cell).label("gx"), sa.func.floor(r.lat / cell).label("gy")
    return (
        sa.select(
            gx,
            gy,
            r.status,
            r.category,
            sa.func.count().label("n"),
            sa.func.sum(r.lon).label("lon"),
            sa.func.sum(r.lat).label("lat"),
        )
        .where(*search_conditions(q))
        .group_by(gx, gy, r.status, r.category)
    )


def map_points_query(q: SearchReports, limit: int):
    """The newest `limit` public reports matching `q`: what a marker needs, nothing else."""
    head = TITLE_SOURCE_CHARS  # masked, then cut to a title: the head of the text is enough
    return (
        sa.select(
            r.id,
            r.category,
            r.status,
            r.due_at,
            r.lon,
            r.lat,
            sa.func.left(r.description, head).label("description"),
            sa.func.left(r.public_description, head).label("public_description"),
        )
        .where(*search_conditions(q))
        .order_by(r.created_at.desc(), r.id)
        .limit(limit)
    )


def map_cells(uow, q: SearchReports, cell: float) -> list:
    return uow.execute(map_cells_query(q, cell)).all()


def map_points(uow, q: SearchReports, limit: int) -> list:
    return uow.execute(map_points_query(q, limit)).all()

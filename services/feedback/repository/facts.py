"""SQL of the feedback service: keep a fact, fold a case's figures again, aggregate them over a period."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from libs.contracts.feedback import GroupBy, StatsQuery

from ..domain.periods import Bucket
from ..domain.projection import RATING_WINDOW, CaseFigures, Fact, project
from .models import SCHEMA, cases, facts

# The group key of each grouping (whitelisted SQL: never built from input).
GROUP_KEYS: dict[str, str] = {
    "total": "CAST(NULL AS text)",
    "agency": "c.agency_code",
    "ward": "c.ward_code",
    "category": "c.category",
    "month": "b.label",
}
OPEN_EXCLUDED = ("TU_CHOI", "DA_CONG_KHAI", "DA_DANH_GIA", "DONG")

STATS_SQL = """
WITH b AS (
    SELECT * FROM unnest(CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[]), CAST(:labels AS
        text[]))
        AS b(lo, hi, label)
), x AS (
    SELECT {key} AS key, c.processing_seconds, c.rating, c.published_at, c.due_at,
           c.received_at >= b.lo AND c.received_at < b.hi AS is_received,
           c.accepted_at >= b.lo AND c.accepted_at < b.hi AS is_accepted,
           c.rejected_at >= b.lo AND c.rejected_at < b.hi AS is_rejected,
           c.routed_at >= b.lo AND c.routed_at < b.hi AS is_routed,
           c.extended_at >= b.lo AND c.extended_at < b.hi AS is_extended,
           c.published_at >= b.lo AND c.published_at < b.hi AS is_resolved,
           c.rated_at IS NOT NULL AS is_rated,
           c.rated_at IS NOT NULL OR c.closed_at IS NOT NULL OR c.published_at + :window <= :now AS
               is_settled,
           c.published_at IS NULL AND c.status NOT IN :open_excluded
               AND c.due_at >= b.lo AND c.due_at < b.hi AND c.due_at < :now AS is_open_overdue
    FROM b CROSS JOIN {schema}.cases c
    WHERE c.first_at < :period_end AND c.last_at >= :period_start
      AND (CAST(:agency AS text) IS NULL OR c.agency_code = :agency)
      AND (CAST(:ward AS text) IS NULL OR c.ward_code = :ward)
      AND (CAST(:category AS text) IS NULL OR c.category = :category)
)
SELECT key,
       count(*) FILTER (WHERE is_received) AS received,
       count(*) FILTER (WHERE is_accepted) AS accepted,
       count(*) FILTER (WHERE is_rejected) AS rejected,
       count(*) FILTER (WHERE is_routed) AS routed,
       count(*) FILTER (WHERE is_extended) AS with_extension,
       count(*) FILTER (WHERE is_resolved) AS resolved,
       count(*) FILTER (WHERE is_resolved AND published_at <= due_at) AS on_time,
       count(*) FILTER (WHERE is_resolved AND published_at > due_at) AS resolved_late,
       count(*) FILTER (WHERE is_open_overdue) AS open_overdue,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY processing_seconds) FILTER (WHERE is_resolved)
           AS median_processing_seconds,
       count(processing_seconds) FILTER (WHERE is_resolved) AS processing_measured,
       count(*) FILTER (WHERE is_resolved AND is_rated) AS rated,
       count(*) FILTER (WHERE is_resolved AND is_rated AND rating = 'HAI_LONG') AS hai_long,
       count(*) FILTER (WHERE is_resolved AND is_rated AND rating = 'CHAP_NHAN') AS chap_nhan,
       count(*) FILTER (WHERE is_resolved AND is_rated AND rating = 'KHONG_HAI_LONG') AS khong_hai_long,
       count(*) FILTER (WHERE is_resolved AND is_settled) AS response_base
FROM x
GROUP BY key
ORDER BY key NULLS LAST
"""


def _facts_of(uow, report_id: UUID) -> list[Fact]:
    rows = uow.execute(
        sa.select(facts.c.kind, facts.c.occurred_at, facts.c.data).where(facts.c.report_id == report_id)
    ).all()
    return [Fact(r.kind, r.occurred_at, r.data) for r in rows]


def record(uow, report_id: UUID, event_id: UUID, fact: Fact, now: datetime) -> CaseFigures:
    """Keep the fact and fold the case again from all its facts (not committed).

    The case row is written (or locked) first, so two workers folding the same case take turns and the second
    sees the first one's fact.
    """
    lock = pg_insert(cases).values(report_id=report_id, first_at=fact.at, last_at=fact.at, updated_at=now)
    uow.execute(lock.on_conflict_do_update(index_elements=[cases.c.report_id], set_={"updated_at": now}))
    uow.execute(
        pg_insert(facts)
        .values(
            event_id=event_id, report_id=report_id, kind=fact.kind, occurred_at=fact.at, data=dict(fact.data)
        )
        .on_conflict_do_nothing()
    )
    figures = project(_facts_of(uow, report_id))
    uow.execute(
        sa.update(cases).where(cases.c.report_id == report_id).values(**figures.as_row(), updated_at=now)
    )
    return figures


def figures_of(uow, report_id: UUID) -> CaseFigures | None:
    """The case's current figures, or None when no event about it arrived yet."""
    row = uow.execute(sa.select(cases).where(cases.c.report_id == report_id)).mappings().first()
    if row is None:
        return None
    names = CaseFigures.__dataclass_fields__
    return CaseFigures(**{k: v for k, v in row.items() if k in names})


def count(uow, query: StatsQuery, group_by: GroupBy, buckets: list[Bucket], now: datetime) -> list[dict]:
    """The counts of each group over the buckets (one query; months are buckets, other groupings one
    bucket)."""
    sql = sa.text(STATS_SQL.format(key=GROUP_KEYS[group_by], schema=SCHEMA)).bindparams(
        sa.bindparam("open_excluded", expanding=True)
    )
    rows = (
        uow.execute(
            sql,
            {
                "starts": [b.start for b in buckets],
                "ends": [b.end for b in buckets],
                "labels": [b.label for b in buckets],
                "period_start": buckets[0].start,
                "period_end": buckets[-1].end,
                "now": now,
                "window": RATING_WINDOW,
                "open_excluded": list(OPEN_EXCLUDED),
                "agency": query.agency,
                "ward": query.ward,
                "category": query.category,
            },
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]

"""Use case: the province's figures per agency, ward, category or month over a period (counts only)."""

from __future__ import annotations

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.feedback import StatsQuery, StatsReport
from libs.platform.errors import ServiceError

from ..domain import figures, periods
from ..repository import facts as repo


def get_stats(db, query: StatsQuery) -> dict:
    """Figures of the period, grouped as asked, with the whole period's total; may raise VALIDATION_FAILED."""
    now = utcnow()
    try:
        period = periods.resolve(query, periods.local_today(now))
    except periods.PeriodError as exc:
        raise ServiceError(
            ErrorCode.VALIDATION_FAILED,
            exc.message,
            [{"field": exc.field, "message": exc.message, "type": "period"}],
        ) from None
    buckets = periods.buckets(period, query.group_by == "month")
    labels = [b.label for b in buckets if b.label]
    rows = figures.arrange(query.group_by, repo.count(db, query, query.group_by, buckets, now), labels)
    whole = periods.buckets(period, False)
    total = (
        rows[0]
        if query.group_by == "total"
        else figures.arrange("total", repo.count(db, query, "total", whole, now), [])[0]
    )
    return StatsReport(
        date_from=period.first,
        date_to=period.last,
        group_by=query.group_by,
        agency=query.agency,
        ward=query.ward,
        category=query.category,
        generated_at=now,
        rows=rows,
        total=total,
    ).model_dump(mode="json")

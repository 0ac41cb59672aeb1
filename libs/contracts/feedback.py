"""Views of the feedback service: a report's rating state, and the satisfaction and performance statistics.

Statistics count cases, never people: no field here can carry personal data.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator

from .common import AgencyCode, CategoryCode, Contract, UnitCode

RatingLevel = Literal["HAI_LONG", "CHAP_NHAN", "KHONG_HAI_LONG"]
GroupBy = Literal["total", "agency", "ward", "category", "month"]
STATS_TIMEZONE = "Asia/Ho_Chi_Minh"


class RatingState(Contract):
    """Whether a report can be rated now, and how it was rated."""

    report_id: UUID
    state: Literal["NOT_OPEN", "OPEN", "RATED", "CLOSED"]
    rating: RatingLevel | None = None
    window_closes_at: AwareDatetime | None = None


class StatsQuery(Contract):
    """Which cases to count: a period of local days (or one month), optional filters, one grouping."""

    date_from: date | None = Field(
        None,
        description="First day, inclusive (local time, Asia/Ho_Chi_Minh); "
        "default: the first day of `date_to`'s month",
    )
    date_to: date | None = Field(None, description="Last day, inclusive; default: today")
    month: str | None = Field(
        None,
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="YYYY-MM, instead of date_from/date_to; nothing given = this month",
    )
    agency: AgencyCode | None = Field(None, description="Only cases held (last) by this agency")
    ward: UnitCode | None = Field(None, description="Only cases in this ward/commune (5-digit code)")
    category: CategoryCode | None = None
    group_by: GroupBy = Field(
        "total", description="One row per agency, ward, category or month; or one total"
    )

    @field_validator("date_to")
    @classmethod
    def _not_before_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("date_from")
        if value is not None and start is not None and value < start:
            raise ValueError("date_to is before date_from")
        return value

    @field_validator("month")
    @classmethod
    def _month_or_dates(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and (info.data.get("date_from") or info.data.get("date_to")):
            raise ValueError("give either month or date_from/date_to")
        return value


class StatsRow(Contract):
    """The figures of one group (or of everything) over the period; see docs/feedback.md for each
    definition."""

    key: str | None = Field(
        None,
        description="Agency, ward or category code, or YYYY-MM; null: not known yet "
        "(a case in triage has no ward or agency) or the total",
    )
    name_vi: str | None = Field(
        None,
        description="Tên cơ quan, xã/phường hoặc lĩnh vực của `key`: the name of the "
        "agency, ward or category (from routing's directory, as in "
        "`NamedEntry`); null when not known or not a code",
    )
    name_en: str | None = Field(None, description="The same name in English (Vietnamese where none is known)")
    received: int = Field(0, description="Reports submitted in the period")
    accepted: int = Field(0, description="Verified (DA_TIEP_NHAN) in the period")
    rejected: int = Field(0, description="Rejected or merged as duplicates (TU_CHOI) in the period")
    routed: int = Field(0, description="First routed to an agency in the period")
    with_extension: int = Field(0, description="Given an approved extension in the period")
    resolved: int = Field(
        0, description="Result published (DA_CONG_KHAI) in the period, and not reopened since"
    )
    on_time: int = Field(0, description="Resolved in the period no later than the processing deadline")
    resolved_late: int = Field(0, description="Resolved in the period after the processing deadline")
    open_overdue: int = Field(0, description="Not resolved now, processing deadline in the period and passed")
    overdue: int = Field(0, description="resolved_late + open_overdue")
    median_processing_calendar_hours: float | None = Field(
        None,
        description="Median, over resolved cases, of calendar hours (not working hours) from submission to "
        "publication minus the time the clock was stopped waiting on the citizen",
    )
    processing_measured: int = Field(
        0, description="Resolved cases the median is taken over (submission known)"
    )
    rated: int = Field(0, description="Resolved in the period and rated by the citizen")
    hai_long: int = Field(0, description="Rated HAI_LONG (satisfied)")
    chap_nhan: int = Field(0, description="Rated CHAP_NHAN (acceptable)")
    khong_hai_long: int = Field(0, description="Rated KHONG_HAI_LONG (unsatisfied)")
    response_base: int = Field(
        0, description="Resolved in the period and rated, or whose 7-day window has closed"
    )
    response_rate: float | None = Field(None, ge=0, le=1, description="rated / response_base (null when 0)")


class StatsReport(Contract):
    """Statistics over one period: a row per group and the total."""

    date_from: date
    date_to: date
    timezone: str = STATS_TIMEZONE
    group_by: GroupBy
    agency: AgencyCode | None = None
    ward: UnitCode | None = None
    category: CategoryCode | None = None
    generated_at: AwareDatetime
    rows: list[StatsRow]
    total: StatsRow


# Column headers for exports, Vietnamese first: StatsRow field → (vi, en).
STATS_COLUMNS: dict[str, tuple[str, str]] = {
    "received": ("Số phản ánh nhận được", "Received"),
    "accepted": ("Đã tiếp nhận (xác minh)", "Accepted (verified)"),
    "rejected": ("Từ chối", "Rejected"),
    "routed": ("Đã chuyển xử lý", "Routed"),
    "with_extension": ("Được gia hạn", "With extension"),
    "resolved": ("Đã xử lý, công khai kết quả", "Resolved (published)"),
    "on_time": ("Đúng hạn", "On time"),
    "resolved_late": ("Xử lý trễ hạn", "Resolved late"),
    "open_overdue": ("Đang quá hạn", "Open and overdue"),
    "overdue": ("Quá hạn (tổng)", "Overdue (total)"),
    "median_processing_calendar_hours": (
        "Thời gian xử lý trung vị (giờ lịch, trừ thời gian chờ bổ sung)",
        "Median processing time (calendar hours, excluding clock stops)",
    ),
    "processing_measured": ("Số phản ánh tính thời gian", "Cases timed"),
    "rated": ("Đã đánh giá", "Rated"),
    "hai_long": ("Hài lòng", "Satisfied"),
    "chap_nhan": ("Chấp nhận", "Acceptable"),
    "khong_hai_long": ("Không hài lòng", "Unsatisfied"),
    "response_base": ("Đã đánh giá hoặc hết hạn đánh giá", "Rated or rating window closed"),
    "response_rate": ("Tỷ lệ phản hồi đánh giá", "Response rate"),
}
# The first columns of an export: the group's key (per grouping), then the period.
STATS_KEY_COLUMNS: dict[str, tuple[str, str]] = {
    "total": ("Phạm vi", "Scope"),
    "agency": ("Cơ quan xử lý", "Agency"),
    "ward": ("Xã/phường", "Ward/commune"),
    "category": ("Lĩnh vực", "Category"),
    "month": ("Tháng", "Month"),
}
# The name column an export puts next to a code key (no name for a month or the total).
STATS_NAME_COLUMNS: dict[str, tuple[str, str]] = {
    "agency": ("Tên cơ quan xử lý", "Agency name"),
    "ward": ("Tên xã/phường", "Ward/commune name"),
    "category": ("Tên lĩnh vực", "Category name"),
}
STATS_PERIOD_COLUMNS: tuple[tuple[str, str], tuple[str, str]] = (("Từ ngày", "From"), ("Đến ngày", "To"))
STATS_TOTAL_LABEL: tuple[str, str] = ("Tổng cộng", "Total")
STATS_UNKNOWN_LABEL: tuple[str, str] = ("Chưa xác định", "Not known yet")

"""The routing directory as administrators read and change it: entries, change commands, views, dry-run.

Every change is one command inside `ChangeDirectory` (who, what, from when); routing validates it against the
whole directory and records it as a new version. Agency fields may hold the `{unit_code}` placeholder.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, WithJsonSchema, field_validator, model_validator

from .common import Actor, CategoryCode, Contract, Instant, Location, Priority, UnitCode

AgencyPattern = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,63}(\{unit_code\})?$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
UnitType = Literal["xa", "phuong", "dac_khu"]
AgencyLevel = Literal["province", "commune", "vertical", "utility"]


class UnitData(Contract):
    """A commune-level unit (xã, phường, đặc khu) with its approximate centroid."""

    code: UnitCode
    name: Text
    type: UnitType
    centroid: Location
    area_km2: float | None = Field(None, gt=0)
    details: dict[str, Any] = Field(
        default_factory=dict, description="Free-form: legacy units, admin centre ..."
    )


class AgencyData(Contract):
    """A handling agency."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")]
    name_vi: Text
    name_en: Text | None = None
    level: AgencyLevel
    kind: Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,40}$")]
    unit_code: UnitCode | None = None
    parent: str | None = None
    handles: list[CategoryCode] = []
    details: dict[str, Any] = Field(
        default_factory=dict, description="Free-form: notes, hotline, departments ..."
    )


class CategoryDeadline(Contract):
    """Processing time of a category: working days, or working hours when urgent."""

    normal_working_days: int = Field(gt=0, le=365)
    urgent_hours: float | None = Field(None, gt=0, le=720)


class CategoryData(Contract):
    """A report category, its default handler pattern, co-handlers, escalation agency and deadline."""

    code: CategoryCode
    name_vi: Text
    name_en: Text
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    default_handling_level: Literal["commune", "province", "utility"] = "commune"
    default_agency: AgencyPattern
    co_handlers: list[AgencyPattern] = []
    escalation_agency: AgencyPattern | None = None
    deadline: CategoryDeadline
    examples: list[Text] = []
    details: dict[str, Any] = Field(default_factory=dict)


class RuleData(Contract):
    """Category (or '*') × units (None = whole province) → agency; the most specific rule wins."""

    rule_id: RuleId
    category: CategoryCode | Literal["*"]
    units: list[UnitCode] | None = Field(None, description="One unit, a set, or null for the whole province")
    agency: AgencyPattern
    co_handlers: list[AgencyPattern] | None = Field(None, description="null keeps the category's co-handlers")
    escalation_agency: AgencyPattern | None = None
    kind: Literal["rule", "override"] = "rule"
    effective_from: date | None = None
    effective_to: date | None = Field(None, description="Last day in force (inclusive)")
    note: Note | None = None

    @model_validator(mode="after")
    def _check(self) -> RuleData:
        if self.units is not None and not self.units:
            raise ValueError("units: an empty list matches nothing; use null for the whole province")
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class PriorityTime(Contract):
    """Processing time of one priority: working days or working hours."""

    working_days: int | None = Field(None, gt=0, le=365)
    working_hours: float | None = Field(None, gt=0, le=720)

    @model_validator(mode="after")
    def _one(self) -> PriorityTime:
        if (self.working_days is None) == (self.working_hours is None):
            raise ValueError("give exactly one of working_days and working_hours")
        return self


class DeadlineThresholds(Contract):
    """Working hours, separately for the accept and the processing deadline."""

    accept: float = Field(gt=0, le=720)
    process: float = Field(gt=0, le=720)


# A time of day in Vietnam without an offset ("07:30:00"). Pydantic documents `time` as JSON Schema's `format:
# time`, which is RFC 3339's full-time and requires an offset: clients validating against the OpenAPI refused
# our answers.
WALL_CLOCK = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"
WallClock = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": WALL_CLOCK,
            "description": "Giờ địa phương / local time in Vietnam, HH:MM[:SS]",
        }
    ),
]


class DeadlineSettings(Contract):
    """Priorities, the accept deadline, the working day and when to warn and escalate."""

    priorities: dict[Priority, PriorityTime] = Field(
        default_factory=lambda: {
            Priority.BINH_THUONG: PriorityTime(working_days=7),
            Priority.KHAN: PriorityTime(working_hours=4),
            Priority.PHUC_TAP: PriorityTime(working_days=15),
        }
    )
    accept_working_hours: float = Field(8, gt=0, le=240)
    working_periods: list[tuple[WallClock, WallClock]] = Field(
        default_factory=lambda: [(time(7, 30), time(11, 30)), (time(13, 30), time(17, 0))]
    )
    due_soon_before: DeadlineThresholds = DeadlineThresholds(accept=2, process=4)
    level2_after: DeadlineThresholds = Field(
        DeadlineThresholds(accept=8, process=15),
        description="Overdue by this much → level 2 (escalation agency/IOC)",
    )
    ioc_agency: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")] = Field(
        "TT_KHCN_CDS", description="Level-2 recipient when a case has no escalation agency"
    )

    @field_validator("priorities")
    @classmethod
    def _all_priorities(cls, value: dict) -> dict:
        missing = set(Priority) - set(value)
        if missing:
            raise ValueError(f"missing priorities: {', '.join(sorted(p.value for p in missing))}")
        return value


class HolidayYear(Contract):
    """One year's announcement: Tết span, the 2/9 companion day, compensatory days off and swapped working
    days."""

    year: int = Field(ge=2000, le=2100)
    tet_days: list[date] | None = Field(None, description="null: lunar 30/12 to mùng 4 (5 days)")
    national_day_extra: Literal["before", "after"] = "before"
    days_off: list[date] = []
    working_days: list[date] = []
    auto_compensate: bool = True
    note: Note | None = None

    @model_validator(mode="after")
    def _same_year(self) -> HolidayYear:
        for name in ("tet_days", "days_off", "working_days"):
            if any(d.year != self.year for d in getattr(self, name) or ()):
                raise ValueError(f"{name}: every date must be in {self.year}")
        if set(self.days_off) & set(self.working_days):
            raise ValueError("a date cannot be both a day off and a working day")
        return self


# ---- change commands ----


class ChangeMeta(Contract):
    """When a change takes effect, why, and whether open cases are routed again under it."""

    effective_from: Instant | None = Field(None, description="Default: now. Never before the latest version")
    note: Note | None = None
    reroute_open_cases: bool = Field(
        False, description="Route every open case again; those whose agency changes get report.routed"
    )


class PutUnit(Contract):
    op: Literal["put_unit"] = "put_unit"
    unit: UnitData


class MergeUnits(Contract):
    """Merge `sources` into `into` (an existing unit, or a new one when `name` and `type` are given)."""

    op: Literal["merge_units"] = "merge_units"
    into: UnitCode
    sources: list[UnitCode] = Field(min_length=1)
    name: Text | None = None
    type: UnitType | None = None
    centroid: Location | None = Field(None, description="Default: area-weighted mean of the merged centroids")


class PutAgency(Contract):
    op: Literal["put_agency"] = "put_agency"
    agency: AgencyData


class RetireAgency(Contract):
    op: Literal["retire_agency"] = "retire_agency"
    code: str


class PutCategory(Contract):
    op: Literal["put_category"] = "put_category"
    category: CategoryData


class RetireCategory(Contract):
    op: Literal["retire_category"] = "retire_category"
    code: CategoryCode


class PutRule(Contract):
    op: Literal["put_rule"] = "put_rule"
    rule: RuleData


class DeleteRule(Contract):
    op: Literal["delete_rule"] = "delete_rule"
    rule_id: RuleId


class PutDeadlines(Contract):
    op: Literal["put_deadlines"] = "put_deadlines"
    deadlines: DeadlineSettings


class PutHolidays(Contract):
    op: Literal["put_holidays"] = "put_holidays"
    holidays: HolidayYear


class LoadWardGeometry(Contract):
    """Official ward polygons (GeoJSON FeatureCollection, lon/lat; code in `ma_xa`/`code`/...)."""

    op: Literal["load_ward_geometry"] = "load_ward_geometry"
    feature_collection: dict[str, Any]
    allow_partial: bool = Field(False, description="Accept a collection that misses some units")


class ClearWardGeometry(Contract):
    """Drop loaded polygons: back to approximate cells from the centroids."""

    op: Literal["clear_ward_geometry"] = "clear_ward_geometry"


class RestoreVersion(Contract):
    """A new version whose content equals an earlier one."""

    op: Literal["restore_version"] = "restore_version"
    version: int = Field(ge=1)


DirectoryCommand = Annotated[
    PutUnit
    | MergeUnits
    | PutAgency
    | RetireAgency
    | PutCategory
    | RetireCategory
    | PutRule
    | DeleteRule
    | PutDeadlines
    | PutHolidays
    | LoadWardGeometry
    | ClearWardGeometry
    | RestoreVersion,
    Field(discriminator="op"),
]


class ChangeDirectory(Contract):
    """One administrator change, as the gateway sends it to routing."""

    actor: Actor
    change: DirectoryCommand
    meta: ChangeMeta = ChangeMeta()


class ReadDirectory(Contract):
    """Read one part of the directory (at the current version unless `version` is given)."""

    actor: Actor
    part: Literal[
        "summary",
        "versions",
        "units",
        "agencies",
        "categories",
        "rules",
        "deadlines",
        "holidays",
        "ward_geometry",
    ]
    key: str | None = Field(None, max_length=64, description="One entry's code, or a year for holidays")
    version: int | None = Field(None, ge=1)


# ---- views ----


class DirectoryChangeView(Contract):
    """The version a change created, and what it did to open cases."""

    version: int
    op: str
    effective_from: AwareDatetime
    author: str
    note: str | None = None
    pending: bool = Field(description="True while effective_from is in the future")
    changed_entries: int
    rerouted: int = Field(0, description="Open cases routed again to another agency")
    unroutable: int = Field(0, description="Open cases that could no longer be routed (now in the IOC queue)")


class VersionView(Contract):
    """One directory version."""

    version: int
    op: str
    effective_from: AwareDatetime
    author: str
    note: str | None = None
    created_at: AwareDatetime
    applied_at: AwareDatetime | None = None
    rerouted: int = 0


class DirectorySummary(Contract):
    """The version in force, how much it holds and whether ward cells are approximate."""

    version: int
    effective_from: AwareDatetime
    units: int
    agencies: int
    categories: int
    rules: int
    wards_approximate: bool
    pending_versions: list[int] = []


class HolidayView(Contract):
    """A year's configuration and the resulting days off."""

    config: HolidayYear
    days_off: dict[date, str]


class WardHitView(Contract):
    """Where a point falls."""

    unit_code: UnitCode | None
    unit_name: str | None = None
    approximate: bool
    method: Literal["inside", "border", "nearest_within_buffer", "operator", "outside"]


class DryRun(Contract):
    """Which agency would a report of this category at this point go to, and why."""

    actor: Actor | None = None
    category: CategoryCode
    location: Location
    priority: Priority = Priority.BINH_THUONG
    ward_code: UnitCode | None = Field(None, description="Operator's ward instead of the point's")
    at: Instant | None = Field(None, description="Decide as of this instant (default now)")


class RoutingOutcomeView(Contract):
    """A decision (real or dry-run): ward, agency, reason, deadlines and the explanation."""

    outcome: Literal["routed", "unroutable"]
    ward: WardHitView
    category: CategoryCode
    priority: Priority
    agency_code: str | None = None
    co_handlers: list[str] = []
    escalation_agency: str | None = None
    reason: str = Field(description="rule, default, override, manual — or the unroutable reason")
    rule_id: str | None = None
    accept_due_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    directory_version: int
    decided_at: AwareDatetime
    explanation: str
    explanation_en: str


class DecisionRecordView(RoutingOutcomeView):
    """A stored decision with what caused it."""

    decision_id: int
    report_id: UUID
    trigger: Literal["accepted", "reroute", "directory_change"]
    note: str | None = None


class AssignmentView(Contract):
    """One agency that held a case, and when."""

    agency_code: str
    assigned_at: AwareDatetime
    released_at: AwareDatetime | None = None
    released_reason: str | None = None
    decision_id: int


class CaseDeadlinesView(Contract):
    """A case's clock as routing tracks it."""

    status: str
    agency_code: str | None = None
    clock_started_at: AwareDatetime | None = None
    accept_due_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    paused_since: AwareDatetime | None = None
    pauses: list[tuple[AwareDatetime, AwareDatetime]] = []
    extension_working_days: int = 0
    escalations: list[str] = Field([], description="What fired: `<deadline>:<level>` (level 0 = due soon)")
    reopen_due_at: AwareDatetime | None = Field(
        None, description="The operator's deadline of a reopened case"
    )
    deadline_version: int = Field(0, description="How many times routing set this case's deadlines")


class DecisionExplanation(Contract):
    """Every decision taken for a report, every agency that held it, and its clock."""

    report_id: UUID
    decisions: list[DecisionRecordView]
    assignments: list[AssignmentView]
    case: CaseDeadlinesView | None = None


class ReplayDecision(Contract):
    """Re-run a stored decision (the latest unless `decision_id`) on its own directory version or another."""

    actor: Actor | None = None
    report_id: UUID
    decision_id: int | None = None
    against_version: int | Literal["recorded", "current"] = "recorded"


class ReplayView(Contract):
    """The stored decision next to the replayed one."""

    recorded: DecisionRecordView
    replayed: RoutingOutcomeView
    identical: bool
    differences: list[str] = []


class ExplainDecision(Contract):
    """Explain a report's routing."""

    actor: Actor | None = None
    report_id: UUID


class LocateWard(Contract):
    """Point → ward with the polygons in force."""

    location: Location


class NamedEntry(Contract):
    """A directory entry's display names (English falls back to Vietnamese where the directory has none)."""

    code: str
    name_vi: str
    name_en: str


class DirectoryNames(Contract):
    """Display names in force, for messages: categories, agencies, units (xã/phường); version 0 = not
    seeded."""

    version: int
    categories: list[NamedEntry] = []
    agencies: list[NamedEntry] = []
    units: list[NamedEntry] = []

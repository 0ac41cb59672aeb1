"""The routing decision as a pure function over a directory snapshot (pydantic + the work calendar only).

Precedence: the most specific scope wins (single unit > unit set > whole province > the category default);
at the same scope 'override' beats 'rule', then an exact category beats '*', then the later effective_from,
then the lowest rule_id. Rules outside their effective window (local date of `now`, both ends inclusive) are
ignored. Anything that cannot be routed becomes an `Unroutable` with a named reason, never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, InstanceOf, model_validator

from .workcalendar import DEFAULT_CALENDAR, WorkCalendar

PriorityCode = Literal["BINH_THUONG", "KHAN", "PHUC_TAP"]
Reason = Literal["rule", "default", "override", "manual"]
UnroutableReason = Literal[
    "unknown_category",
    "no_ward_for_location",
    "agency_not_in_directory",
    "location_outside_province",
    "unknown_ward",
    "directory_not_loaded",
]
UNIT_PLACEHOLDER = "{unit_code}"
PRIORITY_VI = {"BINH_THUONG": "Bình thường", "KHAN": "Khẩn", "PHUC_TAP": "Phức tạp"}
SCOPE_VI = {3: "xã/phường", 2: "nhóm xã/phường", 1: "toàn tỉnh"}
SCOPE_EN = {3: "unit", 2: "unit set", 1: "province"}
IdStr = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, UUID) else v)]


class Frozen(BaseModel):
    """Immutable model refusing unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CategoryRoute(Frozen):
    """A category's default route and deadline; agency fields may hold the `{unit_code}` placeholder."""

    code: str
    default_agency: str
    co_handlers: tuple[str, ...] = ()
    escalation_agency: str | None = None
    normal_working_days: int = Field(gt=0)
    urgent_hours: float | None = Field(default=None, gt=0)


class PriorityRule(Frozen):
    """A priority's processing time from workflow.json (days or hours)."""

    code: PriorityCode
    working_days: int | None = None
    working_hours: float | None = None


class RoutingRule(Frozen):
    """Category (or '*') × scope → agency; `units=None` is the whole province."""

    rule_id: str
    category: str
    units: frozenset[str] | None = None
    agency: str
    co_handlers: tuple[str, ...] | None = None  # None keeps the category's co-handlers
    escalation_agency: str | None = None  # None keeps the category's escalation agency
    kind: Literal["rule", "override"] = "rule"
    effective_from: date | None = None
    effective_to: date | None = None  # inclusive: the last day the rule is in force

    @model_validator(mode="after")
    def _check(self) -> RoutingRule:
        if self.units is not None and not self.units:
            raise ValueError(
                f"rule {self.rule_id}: an empty unit set matches nothing; use units=None for the province"
            )
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError(f"rule {self.rule_id}: effective_to is before effective_from")
        return self

    @property
    def specificity(self) -> int:
        """3 single unit, 2 unit set, 1 whole province."""
        return 1 if self.units is None else 3 if len(self.units) == 1 else 2

    def applies(self, category: str, unit_code: str | None, on: date) -> bool:
        """True if the rule covers this category, unit and day."""
        if self.category not in ("*", category):
            return False
        if self.units is not None and unit_code not in self.units:
            return False
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on <= self.effective_to
        )

    def sort_key(self, category: str) -> tuple:
        """Smaller is better: scope, override, exact category, newest, lowest id."""
        newest = (self.effective_from or date.min).toordinal()
        return (-self.specificity, self.kind != "override", self.category != category, -newest, self.rule_id)


class DirectorySnapshot(Frozen):
    """Everything a decision reads, at one version; replaying a decision needs only this and `now`."""

    version: int
    categories: Mapping[str, CategoryRoute]
    agencies: frozenset[str]
    rules: tuple[RoutingRule, ...] = ()
    priorities: Mapping[str, PriorityRule]
    accept_working_hours: float = Field(default=8, gt=0)
    calendar: InstanceOf[WorkCalendar] = DEFAULT_CALENDAR

    @model_validator(mode="after")
    def _check(self) -> DirectorySnapshot:
        missing = {"BINH_THUONG", "KHAN", "PHUC_TAP"} - set(self.priorities)
        if missing:
            raise ValueError(f"priorities missing: {sorted(missing)}")
        for rule in self.rules:
            if rule.category != "*" and rule.category not in self.categories:
                raise ValueError(f"rule {rule.rule_id}: unknown category {rule.category}")
        if len({r.rule_id for r in self.rules}) != len(self.rules):
            raise ValueError("duplicate rule_id")
        return self


class RouteInput(Frozen):
    """A verified report ready to route; `unit_code` is the located ward or None."""

    report_id: IdStr
    category: str
    unit_code: str | None = None
    priority: PriorityCode = "BINH_THUONG"


class Decision(Frozen):
    """Where the report goes, why, and by when."""

    kind: Literal["routed"] = "routed"
    report_id: str
    category: str
    unit_code: str | None
    priority: PriorityCode
    agency_code: str
    co_handlers: tuple[str, ...]
    escalation_agency: str | None
    reason: Reason
    rule_id: str | None
    decided_at: AwareDatetime
    accept_due_at: AwareDatetime
    due_at: AwareDatetime
    directory_version: int
    explanation: str  # Vietnamese, for operators and officers
    explanation_en: str


class Unroutable(Frozen):
    """A named gap: the report goes to the IOC triage queue with this reason."""

    kind: Literal["unroutable"] = "unroutable"
    report_id: str
    category: str
    unit_code: str | None
    reason: UnroutableReason
    rule_id: str | None = None
    decided_at: AwareDatetime
    directory_version: int
    explanation: str
    explanation_en: str


def resolve_agency(pattern: str, unit_code: str | None) -> str | None:
    """Fill `{unit_code}` in an agency pattern; None when the pattern needs a ward and there is none."""
    if UNIT_PLACEHOLDER not in pattern:
        return pattern
    return None if unit_code is None else pattern.replace(UNIT_PLACEHOLDER, unit_code)


def select_rule(
    directory: DirectorySnapshot, category: str, unit_code: str | None, on: date
) -> RoutingRule | None:
    """The winning rule for this category, ward and day, or None for the category default."""
    matching = [r for r in directory.rules if r.applies(category, unit_code, on)]
    return min(matching, key=lambda r: r.sort_key(category)) if matching else None


def compute_deadlines(
    directory: DirectorySnapshot,
    category: CategoryRoute,
    priority: PriorityCode,
    now: datetime,
    pauses: Sequence[tuple[datetime, datetime]] = (),
    extension_working_days: int = 0,
) -> tuple[datetime, datetime, str, str]:
    """(accept_due_at, due_at, basis_vi, basis_en) on the directory's working calendar.

    `pauses` stop the clock (waiting on the citizen); an approved extension adds whole working days to the
    processing deadline only (the accept deadline is the agency's to meet regardless).
    """
    cal, prio = directory.calendar, directory.priorities[priority]
    if priority == "KHAN":
        hours = category.urgent_hours or prio.working_hours or 4
        due = cal.add_working_hours(now, hours, pauses)
        basis = (f"{hours:g} giờ làm việc", f"{hours:g} working hours")
    else:
        days = category.normal_working_days
        if priority == "PHUC_TAP":
            days = max(days, prio.working_days or 0)
        due = cal.add_working_days(now, days, pauses)
        basis = (f"{days} ngày làm việc", f"{days} working days")
    accept = min(cal.add_working_hours(now, directory.accept_working_hours, pauses), due)  # never after due
    if extension_working_days:
        due = cal.add_working_hours(due, extension_working_days * cal.hours_per_day)
        basis = (
            f"{basis[0]} + gia hạn {extension_working_days} ngày",
            f"{basis[1]} + {extension_working_days}-day extension",
        )
    return accept, due, *basis


def decide(report: RouteInput, directory: DirectorySnapshot, now: datetime) -> Decision | Unroutable:
    """Route one report: the winning rule or the category default, with due dates; never raises on data
    gaps."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")  # a programming error, not a routing outcome
    category = directory.categories.get(report.category)
    if category is None:
        return unroutable(
            report,
            directory,
            now,
            "unknown_category",
            None,
            f"Lĩnh vực {report.category} không có trong danh mục",
            f"category {report.category} is not in the directory",
        )
    rule = select_rule(
        directory, report.category, report.unit_code, now.astimezone(directory.calendar.tz).date()
    )
    pattern = rule.agency if rule else category.default_agency
    agency = resolve_agency(pattern, report.unit_code)
    rule_id = rule.rule_id if rule else None
    if agency is None:
        return unroutable(
            report,
            directory,
            now,
            "no_ward_for_location",
            rule_id,
            f"Chưa xác định được xã/phường để giao {pattern}",
            f"no ward for the location, needed by {pattern}",
        )
    if agency not in directory.agencies:
        return unroutable(
            report,
            directory,
            now,
            "agency_not_in_directory",
            rule_id,
            f"Đơn vị {agency} không có trong danh bạ",
            f"agency {agency} is not in the directory",
        )
    co_patterns = rule.co_handlers if rule and rule.co_handlers is not None else category.co_handlers
    escalation = (rule.escalation_agency if rule else None) or category.escalation_agency
    reason: Reason = rule.kind if rule else "default"
    if rule:
        src = (
            f"quy tắc {rule.rule_id} ({'ghi đè' if rule.kind == 'override' else 'quy tắc'}, "
            f"{SCOPE_VI[rule.specificity]})",
            f"{rule.kind} {rule.rule_id} ({SCOPE_EN[rule.specificity]} scope)",
        )
    else:
        src = ("mặc định của lĩnh vực", "category default")
    return _routed(report, directory, now, category, agency, co_patterns, escalation, reason, rule_id, src)


def manual_decision(
    report: RouteInput,
    directory: DirectorySnapshot,
    now: datetime,
    agency_code: str,
    co_handlers: Sequence[str] = (),
    note: str = "",
) -> Decision | Unroutable:
    """An operator's choice of agency, validated against the directory, with the usual due dates."""
    category = directory.categories.get(report.category)
    if category is None:
        return unroutable(
            report,
            directory,
            now,
            "unknown_category",
            None,
            f"Lĩnh vực {report.category} không có trong danh mục",
            f"category {report.category} is not in the directory",
        )
    if agency_code not in directory.agencies:
        return unroutable(
            report,
            directory,
            now,
            "agency_not_in_directory",
            None,
            f"Đơn vị {agency_code} không có trong danh bạ",
            f"agency {agency_code} is not in the directory",
        )
    src = (
        f"điều phối viên chọn{': ' + note if note else ''}",
        f"chosen by an operator{': ' + note if note else ''}",
    )
    return _routed(
        report,
        directory,
        now,
        category,
        agency_code,
        tuple(co_handlers),
        category.escalation_agency,
        "manual",
        None,
        src,
    )


def _routed(
    report: RouteInput,
    directory: DirectorySnapshot,
    now: datetime,
    category: CategoryRoute,
    agency: str,
    co_patterns: Sequence[str],
    escalation: str | None,
    reason: Reason,
    rule_id: str | None,
    src: tuple[str, str],
) -> Decision:
    """Build the Decision; unresolvable co-handlers/escalation are dropped and named in the explanation."""
    co: list[str] = []
    dropped: list[str] = []
    for p in co_patterns:
        code = resolve_agency(p, report.unit_code)
        if code is None or code not in directory.agencies:
            dropped.append(code or p)
        elif code != agency and code not in co:
            co.append(code)
    esc = resolve_agency(escalation, report.unit_code) if escalation else None
    if esc is not None and esc not in directory.agencies:
        dropped.append(esc)
        esc = None
    accept_due, due, basis_vi, basis_en = compute_deadlines(directory, category, report.priority, now)
    where_vi = f"xã/phường {report.unit_code}" if report.unit_code else "chưa rõ xã/phường"
    where_en = f"unit {report.unit_code}" if report.unit_code else "no ward"
    vi = (
        f"{category.code} tại {where_vi} → {agency} theo {src[0]}"
        f"{'; phối hợp: ' + ', '.join(co) if co else ''}. Mức {PRIORITY_VI[report.priority]}: "
        f"hạn tiếp nhận {accept_due:%H:%M %d/%m/%Y}, hạn xử lý {due:%H:%M %d/%m/%Y} ({basis_vi})"
        f"{'. Bỏ qua (không có trong danh bạ/thiếu xã): ' + ', '.join(dropped) if dropped else ''}."
    )
    en = (
        f"{category.code} at {where_en} → {agency} by {src[1]}"
        f"{'; co-handlers: ' + ', '.join(co) if co else ''}. Priority {report.priority}: "
        f"accept by {accept_due.isoformat()}, due {due.isoformat()} ({basis_en})"
        f"{'. Skipped (not in directory or no ward): ' + ', '.join(dropped) if dropped else ''}."
    )
    return Decision(
        report_id=report.report_id,
        category=category.code,
        unit_code=report.unit_code,
        priority=report.priority,
        agency_code=agency,
        co_handlers=tuple(co),
        escalation_agency=esc,
        reason=reason,
        rule_id=rule_id,
        decided_at=now,
        accept_due_at=accept_due,
        due_at=due,
        directory_version=directory.version,
        explanation=vi,
        explanation_en=en,
    )


def unroutable(
    report: RouteInput,
    directory: DirectorySnapshot,
    now: datetime,
    reason: UnroutableReason,
    rule_id: str | None,
    vi: str,
    en: str,
) -> Unroutable:
    """A named gap for the IOC triage queue."""
    return Unroutable(
        report_id=report.report_id,
        category=report.category,
        unit_code=report.unit_code,
        reason=reason,
        rule_id=rule_id,
        decided_at=now,
        directory_version=directory.version,
        explanation=f"{vi}; chuyển hàng đợi phân loại IOC.",
        explanation_en=f"{en}; sent to IOC triage.",
    )


def load_snapshot_from_seed(
    data_dir: str | Path,
    version: int = 1,
    rules: Sequence[RoutingRule] = (),
    calendar: WorkCalendar = DEFAULT_CALENDAR,
) -> DirectorySnapshot:
    """Snapshot from categories.json, agencies.json and workflow.json; raises on missing or malformed
    files."""
    root = Path(data_dir)
    seed: dict[str, Any] = {
        n: json.loads((root / f"{n}.json").read_text(encoding="utf-8"))
        for n in ("categories", "agencies", "workflow")
    }
    categories = {
        c["code"]: CategoryRoute(
            code=c["code"],
            default_agency=c["default_agency"],
            co_handlers=tuple(c.get("co_handlers") or ()),
            escalation_agency=c.get("escalation_agency"),
            normal_working_days=c["default_deadline"]["normal_working_days"],
            urgent_hours=c["default_deadline"].get("urgent_hours"),
        )
        for c in seed["categories"]["categories"]
    }
    priorities = {
        p["code"]: PriorityRule(
            code=p["code"],
            working_days=p.get("process_working_days"),
            working_hours=p.get("process_working_hours"),
        )
        for p in seed["workflow"]["priorities"]
    }
    accept = seed["workflow"].get("sla", {}).get("agency_accept_or_return", {}).get("working_hours", 8)
    return DirectorySnapshot(
        version=version,
        categories=categories,
        agencies=frozenset(a["code"] for a in seed["agencies"]["agencies"]),
        rules=tuple(rules),
        priorities=priorities,
        accept_working_hours=accept,
        calendar=calendar,
    )

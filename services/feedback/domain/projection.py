"""A case's figures, folded from the facts the events told (pure: no nameko, no SQLAlchemy).

Events arrive at least once and in no guaranteed order (separate queues, several workers, redelivery), so a
case's figures are never patched step by step: every fact is kept and the figures are recomputed from all of
them, sorted by the time each event happened. The same facts give the same figures in any arrival order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from libs.contracts.events import (
    Event,
    ReportAcceptedV1,
    ReportDeadlineChangedV1,
    ReportOverdueV1,
    ReportRoutedV1,
    ReportStatusChangedV1,
    ReportSubmittedV1,
)

RATING_WINDOW = timedelta(days=7)
RESOLVED = frozenset({"DA_CONG_KHAI", "DA_DANH_GIA", "DONG"})  # the result is public


@dataclass(frozen=True)
class Fact:
    """What one event says about one case, in JSON-able values (`data`); never personal data."""

    kind: str  # submitted | accepted | routed | status | deadline | overdue
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def fact_of(event: Event) -> Fact | None:
    """The fact an event records, or None when it says nothing the statistics use (an accept-deadline
    warning)."""
    at = event.occurred_at
    if isinstance(event, ReportSubmittedV1):
        return Fact("submitted", at, {"category": event.category, "status": event.status.value})
    if isinstance(event, ReportAcceptedV1):
        return Fact("accepted", at, {"category": event.category, "ward_code": event.ward_code})
    if isinstance(event, ReportRoutedV1):
        return Fact(
            "routed",
            at,
            {
                "category": event.category,
                "ward_code": event.ward_code,
                "agency_code": event.agency_code,
                "due_at": _iso(event.due_at),
            },
        )
    if isinstance(event, ReportDeadlineChangedV1):
        return Fact("deadline", at, {"due_at": _iso(event.due_at)})
    if isinstance(event, ReportOverdueV1):
        if event.deadline != "process":
            return None
        return Fact("overdue", at, {"agency_code": event.agency_code, "due_at": _iso(event.due_at)})
    if isinstance(event, ReportStatusChangedV1):
        return Fact(
            "status",
            at,
            {
                "category": event.category,
                "ward_code": event.ward_code,
                "agency_code": event.agency_code,
                "from_status": event.from_status.value if event.from_status else None,
                "to_status": event.to_status.value,
                "clock": event.clock,
                "extension_working_days": event.extension_working_days,
                "rating": event.rating,
            },
        )
    raise TypeError(f"no fact for {type(event).__name__}")


@dataclass(frozen=True)
class CaseFigures:
    """One row of `feedback.cases`: the latest attributes and the time of each milestone."""

    category: str | None = None
    ward_code: str | None = None
    agency_code: str | None = None
    status: str | None = None
    received_at: datetime | None = None
    accepted_at: datetime | None = None
    rejected_at: datetime | None = None
    routed_at: datetime | None = None
    due_at: datetime | None = None
    extended_at: datetime | None = None
    extension_days: int = 0
    published_at: datetime | None = None
    rated_at: datetime | None = None
    rating: str | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    clock_stopped_seconds: float = 0.0
    processing_seconds: float | None = None
    first_at: datetime | None = None
    last_at: datetime | None = None

    def as_row(self) -> dict[str, Any]:
        """The column values."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Fold:
    """The mutable state of one fold; `project` is its only user."""

    def __init__(self) -> None:
        self.v: dict[str, Any] = CaseFigures().as_row()
        self.stopped_at: datetime | None = None

    def first(self, name: str, at: datetime) -> None:
        if self.v[name] is None:
            self.v[name] = at

    def attributes(self, data: Mapping[str, Any]) -> None:
        for name in ("category", "ward_code", "agency_code"):
            if data.get(name):
                self.v[name] = data[name]

    def status(self, f: Fact) -> None:
        d, v = f.data, self.v
        src, dst = d.get("from_status"), d["to_status"]
        v["status"] = dst
        if dst == "DA_TIEP_NHAN":
            self.first("accepted_at", f.at)
        elif dst == "TU_CHOI":
            self.first("rejected_at", f.at)
        if src in RESOLVED and dst not in RESOLVED:  # reopened: the earlier result and rating no longer stand
            v.update(published_at=None, rated_at=None, rating=None, closed_at=None)
            v["reopen_count"] += 1
        if dst != src:
            if dst == "DA_CONG_KHAI":
                self.first("published_at", f.at)  # a repeated publication keeps the first window
            elif dst == "DA_DANH_GIA":
                v.update(rated_at=f.at, rating=d.get("rating"))
            elif dst == "DONG":
                v["closed_at"] = f.at
        if d.get("extension_working_days"):
            self.first("extended_at", f.at)
            v["extension_days"] += d["extension_working_days"]
        if d.get("clock") == "stop" and self.stopped_at is None:
            self.stopped_at = f.at
        elif d.get("clock") == "resume" and self.stopped_at is not None:
            v["clock_stopped_seconds"] += (f.at - self.stopped_at).total_seconds()
            self.stopped_at = None

    def apply(self, f: Fact) -> None:
        self.attributes(f.data)
        if f.kind == "submitted":
            self.first("received_at", f.at)
            self.v["status"] = self.v["status"] or f.data.get("status")
        elif f.kind == "accepted":
            self.first("accepted_at", f.at)
        elif f.kind == "status":
            self.status(f)
        if f.kind == "routed":
            self.first("routed_at", f.at)
        if f.kind in ("routed", "deadline", "overdue"):  # the latest word on the processing deadline wins
            self.v["due_at"] = _when(f.data.get("due_at"))


KIND_ORDER = {"submitted": 0, "accepted": 1, "routed": 2, "status": 3, "deadline": 4, "overdue": 5}


def project(facts: Sequence[Fact]) -> CaseFigures:
    """The figures of one case from all its facts (any order in, time order applied)."""
    fold = _Fold()
    ordered = sorted(facts, key=lambda f: (f.at, KIND_ORDER[f.kind]))
    for f in ordered:
        fold.apply(f)
    v = fold.v
    if v["received_at"] and v["published_at"]:
        elapsed = (v["published_at"] - v["received_at"]).total_seconds()
        v["processing_seconds"] = max(0.0, elapsed - v["clock_stopped_seconds"])
    if ordered:
        v["first_at"] = ordered[0].at
        v["last_at"] = max([ordered[-1].at] + ([v["due_at"]] if v["due_at"] else []))
    return CaseFigures(**v)


def rating_state(figures: CaseFigures | None, now: datetime) -> tuple[str, datetime | None]:
    """NOT_OPEN until the result is published; then OPEN, RATED, or CLOSED (window over or closed by
    intake)."""
    if figures is None:
        return "NOT_OPEN", None
    closes = figures.published_at + RATING_WINDOW if figures.published_at else None
    if figures.rated_at is not None:
        return "RATED", closes
    if figures.closed_at is not None or (closes is not None and closes <= now):
        return "CLOSED", closes
    if closes is not None:
        return "OPEN", closes
    return "NOT_OPEN", None

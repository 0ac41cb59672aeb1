"""What one routing decision records, as values: the placement the decision and its case share, the decision's
own reasons, and the fresh clock the case starts (pure).

The decision row and the case row hold the same placement (ward, agency, co-handlers, deadlines…); it is built
once here and written into both, instead of being spelled out twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from .engine import Outcome, RouteRequest
from .rules import Decision


def columns(record) -> dict[str, Any]:
    """A record as column values (tuples become lists, for JSON columns)."""
    values = {f.name: getattr(record, f.name) for f in fields(record)}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a decision puts a case: the facts the decision and the case both keep."""

    report_id: uuid.UUID
    category: str
    priority: str
    lat: float
    lon: float
    operator_ward: str | None
    manual_agency: str | None
    ward_code: str | None
    agency_code: str | None  # None: unroutable
    co_handlers: tuple[str, ...]
    escalation_agency: str | None
    directory_version: int
    accept_due_at: datetime | None
    due_at: datetime | None


def placement_of(outcome: Outcome, request: RouteRequest, version: int) -> Placement:
    """The placement of one outcome; an unroutable one names no agency, co-handler or deadline."""
    decision = outcome.result if isinstance(outcome.result, Decision) else None
    return Placement(
        report_id=uuid.UUID(request.report_id),
        category=request.category,
        priority=request.priority,
        lat=request.lat,
        lon=request.lon,
        operator_ward=request.operator_ward,
        manual_agency=request.manual_agency,
        ward_code=outcome.ward.unit_code,
        agency_code=decision.agency_code if decision else None,
        co_handlers=tuple(decision.co_handlers) if decision else (),
        escalation_agency=decision.escalation_agency if decision else None,
        directory_version=version,
        accept_due_at=decision.accept_due_at if decision else None,
        due_at=decision.due_at if decision else None,
    )


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    """What only the decision keeps: what caused it, how the ward was found, why this agency (or none)."""

    cause_event_id: uuid.UUID
    ward_approximate: bool
    ward_method: str
    reason: str
    rule_id: str | None
    explanation: str | None
    explanation_en: str | None
    decided_at: datetime
    outcome: str  # routed | unroutable
    trigger: str
    note: str | None


def decision_facts(
    outcome: Outcome, now: datetime, trigger: str, cause_event_id: uuid.UUID, note: str | None
) -> DecisionFacts:
    """The decision's own facts of one outcome."""
    result, ward = outcome.result, outcome.ward
    return DecisionFacts(
        cause_event_id=cause_event_id,
        ward_approximate=ward.approximate,
        ward_method=ward.method,
        reason=result.reason,
        rule_id=result.rule_id,
        explanation=result.explanation,
        explanation_en=result.explanation_en,
        decided_at=now,
        outcome="routed" if outcome.routed else "unroutable",
        trigger=trigger,
        note=note,
    )


@dataclass(frozen=True, slots=True)
class CaseStart:
    """What a decision does to its case besides placing it: a new clock, nothing accepted, paused or closed
    yet."""

    code: str
    status: str
    decision_id: int
    clock_started_at: datetime | None  # None: unroutable, no clock runs
    updated_at: datetime
    deadline_version: int
    accepted_at: datetime | None = None
    paused_at: datetime | None = None
    pauses: tuple = ()
    extension_days: int = 0
    closed_at: datetime | None = None
    reopen_due_at: datetime | None = None

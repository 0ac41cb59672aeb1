"""Contract views of routing's decisions, cases and versions."""

from __future__ import annotations

from datetime import datetime

from libs.contracts.directory import (
    AssignmentView,
    CaseDeadlinesView,
    DecisionRecordView,
    RoutingOutcomeView,
    VersionView,
    WardHitView,
)
from libs.contracts.routing import RoutingDecisionView

from .engine import Outcome, RouteRequest
from .rules import Decision


def ward_view(unit_code: str | None, approximate: bool, method: str | None, name: str | None) -> WardHitView:
    """Where a report was placed."""
    return WardHitView(
        unit_code=unit_code, unit_name=name, approximate=approximate, method=method or "outside"
    )


def outcome_view(outcome: Outcome, request: RouteRequest, unit_name: str | None) -> RoutingOutcomeView:
    """A fresh decision (dry-run or replay)."""
    r, routed = outcome.result, outcome.routed
    decision = r if isinstance(r, Decision) else None
    return RoutingOutcomeView(
        outcome="routed" if routed else "unroutable",
        ward=ward_view(outcome.ward.unit_code, outcome.ward.approximate, outcome.ward.method, unit_name),
        category=request.category,
        priority=request.priority,
        agency_code=decision.agency_code if decision else None,
        co_handlers=list(decision.co_handlers) if decision else [],
        escalation_agency=decision.escalation_agency if decision else None,
        reason=r.reason,
        rule_id=r.rule_id,
        accept_due_at=decision.accept_due_at if decision else None,
        due_at=decision.due_at if decision else None,
        directory_version=r.directory_version,
        decided_at=r.decided_at,
        explanation=r.explanation,
        explanation_en=r.explanation_en,
    )


def decision_record_view(row, unit_name: str | None = None) -> DecisionRecordView:
    """A stored decision."""
    return DecisionRecordView(
        decision_id=row.id,
        report_id=row.report_id,
        trigger=row.trigger,
        note=row.note,
        outcome=row.outcome,
        ward=ward_view(row.ward_code, row.ward_approximate, row.ward_method, unit_name),
        category=row.category,
        priority=row.priority,
        agency_code=row.agency_code,
        co_handlers=row.co_handlers,
        escalation_agency=row.escalation_agency,
        reason=row.reason,
        rule_id=row.rule_id,
        accept_due_at=row.accept_due_at,
        due_at=row.due_at,
        directory_version=row.directory_version,
        decided_at=row.decided_at,
        explanation=row.explanation,
        explanation_en=row.explanation_en,
    )


def routing_decision_view(row) -> RoutingDecisionView:
    """The walking skeleton's short view of the latest routed decision."""
    return RoutingDecisionView(
        report_id=row.report_id,
        ward_code=row.ward_code,
        agency_code=row.agency_code,
        co_handlers=row.co_handlers,
        reason=row.reason,
        explanation=row.explanation,
        directory_version=row.directory_version,
        decided_at=row.decided_at,
    )


def assignment_view(row) -> AssignmentView:
    """One agency that held the case."""
    return AssignmentView(
        agency_code=row.agency_code,
        assigned_at=row.assigned_at,
        released_at=row.released_at,
        released_reason=row.released_reason,
        decision_id=row.decision_id,
    )


def case_view(row, firings: list) -> CaseDeadlinesView:
    """The case's clock and what fired."""
    pauses = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in row.pauses or []]
    return CaseDeadlinesView(
        status=row.status,
        agency_code=row.agency_code,
        clock_started_at=row.clock_started_at,
        accept_due_at=row.accept_due_at,
        due_at=row.due_at,
        paused_since=row.paused_at,
        pauses=pauses,
        extension_working_days=row.extension_days,
        escalations=[f"{f.deadline}:{f.level}" for f in firings],
        reopen_due_at=row.reopen_due_at,
        deadline_version=row.deadline_version,
    )


def version_view(row) -> VersionView:
    """One directory version."""
    return VersionView(
        version=row.version,
        op=row.op,
        effective_from=row.effective_from,
        author=row.author,
        note=row.note,
        created_at=row.created_at,
        applied_at=row.applied_at,
        rerouted=row.rerouted,
    )

"""Use cases of case routing over the unit of work: route, re-route, bulk re-route, track status, sweep
deadlines.

Each function writes state and its events in the caller's transaction; the entrypoint commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from libs.contracts.common import Priority
from libs.contracts.directory import NamedEntry
from libs.contracts.events import (
    ReportAcceptedV1,
    ReportDeadlineChangedV1,
    ReportDueSoonV1,
    ReportOverdueV1,
    ReportRerouteRequestedV1,
    ReportRoutedV1,
    ReportStatusChangedV1,
    ReportUnroutableV1,
)

from ..domain import escalation
from ..domain.cases import StatusChange, apply_status_change, stale_step
from ..domain.directory import Directory
from ..domain.engine import Outcome, RouteRequest, WardResolution, route
from ..domain.placement import CaseStart, decision_facts, placement_of
from ..domain.rules import DirectorySnapshot, PriorityRule, RouteInput, unroutable
from ..repository import decisions as cases_repo

RELEASE_REASON = {"accepted": "rerouted", "reroute": "rerouted", "directory_change": "directory_change"}
DEADLINE_REASON = {"reroute": "rerouted", "directory_change": "directory_changed"}


class Directories(Protocol):
    """The directory cache as the use cases need it."""

    def current(self, uow, now: datetime) -> Directory | None: ...

    def at(self, uow, version: int) -> Directory: ...


def not_loaded(request: RouteRequest, now: datetime) -> Outcome:
    """The outcome when no directory version is in force (never a silent drop)."""
    empty = DirectorySnapshot(
        version=0,
        categories={},
        agencies=frozenset(),
        priorities={p: PriorityRule(code=p) for p in ("BINH_THUONG", "KHAN", "PHUC_TAP")},
    )
    report = RouteInput(report_id=request.report_id, category=request.category, priority=request.priority)
    return Outcome(
        WardResolution(None, True, "outside"),
        unroutable(
            report,
            empty,
            now,
            "directory_not_loaded",
            None,
            "Chưa nạp danh mục định tuyến",
            "the routing directory is not loaded",
        ),
    )


def route_report(
    uow,
    directory: Directory | None,
    request: RouteRequest,
    now: datetime,
    *,
    trigger: str,
    cause_event_id: uuid.UUID,
    code: str,
    note: str | None = None,
) -> Outcome:
    """Decide and record; emits report.routed or report.unroutable (and deadline_changed on a re-route)."""
    outcome = route(directory, request, now) if directory else not_loaded(request, now)
    record_outcome(
        uow,
        outcome,
        request,
        directory.version if directory else 0,
        now,
        trigger=trigger,
        cause_event_id=cause_event_id,
        code=code,
        note=note,
        names=directory.agency_names(outcome.result.agency_code) if directory and outcome.routed else None,
    )
    return outcome


def route_accepted(uow, directories: Directories, event: ReportAcceptedV1, now: datetime) -> Outcome:
    """An accepted report: decide with the directory in force, record the decision, announce it."""
    request = RouteRequest(
        report_id=str(event.report_id),
        category=event.category,
        priority=event.priority.value,
        lat=event.location.lat,
        lon=event.location.lon,
        operator_ward=event.ward_code,
    )
    return route_report(
        uow,
        directories.current(uow, now),
        request,
        now,
        trigger="accepted",
        cause_event_id=event.event_id,
        code=event.code,
    )


def route_again(uow, directories: Directories, event: ReportRerouteRequestedV1, now: datetime) -> Outcome:
    """Decide again (operator's agency → reason `manual`; operator's ward kept), keeping who held it."""
    case = cases_repo.get_case(uow, event.report_id)
    request = RouteRequest(
        report_id=str(event.report_id),
        category=event.category,
        priority=event.priority.value,
        lat=event.location.lat,
        lon=event.location.lon,
        operator_ward=event.ward_code or (case.operator_ward if case else None),
        manual_agency=event.agency_code,
        note=event.note or "",
    )
    return route_report(
        uow,
        directories.current(uow, now),
        request,
        now,
        trigger="reroute",
        cause_event_id=event.event_id,
        code=event.code,
        note=event.note,
    )


def record_outcome(
    uow,
    outcome: Outcome,
    request: RouteRequest,
    version: int,
    now: datetime,
    *,
    trigger: str,
    cause_event_id: uuid.UUID,
    code: str,
    note: str | None = None,
    names: NamedEntry | None = None,
) -> None:
    """Store the decision, move the case to its new agency (keeping who held it before), announce it."""
    result, routed = outcome.result, outcome.routed
    placed = placement_of(outcome, request, version)
    report_id, agency = placed.report_id, placed.agency_code
    decision_id = cases_repo.insert_decision(
        uow, placed, decision_facts(outcome, now, trigger, cause_event_id, note)
    )
    case = cases_repo.get_case(uow, report_id, lock=True)
    deadline_version = (case.deadline_version if case is not None else 0) + 1  # every decision: new deadlines
    if case is not None and case.agency_code:
        cases_repo.release(uow, report_id, now, RELEASE_REASON[trigger] if routed else "unroutable")
    status = "DA_CHUYEN_XU_LY" if routed else (case.status if case else "DA_TIEP_NHAN")
    cases_repo.place_case(
        uow,
        placed,
        CaseStart(
            code=code,
            status=status,
            decision_id=decision_id,
            clock_started_at=now if routed else None,
            updated_at=now,
            deadline_version=deadline_version,
        ),
    )
    if not routed:
        uow.emit(
            ReportUnroutableV1(
                report_id=report_id,
                code=code,
                category=request.category,
                reason=result.reason,
                directory_version=version,
            )
        )
        return
    cases_repo.assign(uow, report_id, agency, decision_id, now)
    uow.emit(
        ReportRoutedV1(
            report_id=report_id,
            code=code,
            category=placed.category,
            priority=Priority(placed.priority),
            ward_code=placed.ward_code,
            ward_approximate=outcome.ward.approximate,
            agency_code=agency,
            agency_name=names.name_vi if names else None,
            agency_name_en=names.name_en if names else None,
            co_handlers=list(placed.co_handlers),
            reason=result.reason,
            directory_version=version,
            accept_due_at=placed.accept_due_at,
            due_at=placed.due_at,
            note=note,
            deadline_version=deadline_version,
        )
    )
    before = (case.accept_due_at, case.due_at) if case is not None else (None, None)
    if trigger in DEADLINE_REASON and any(before) and before != (placed.accept_due_at, placed.due_at):
        uow.emit(
            ReportDeadlineChangedV1(
                report_id=report_id,
                accept_due_at=placed.accept_due_at,
                due_at=placed.due_at,
                reason=DEADLINE_REASON[trigger],
                deadline_version=deadline_version,
            )
        )


def reroute_open_cases(uow, directory: Directory, now: datetime, note: str) -> tuple[int, int]:
    """Route every open case again under `directory`; those whose agency changes are moved and announced.

    An operator's ward or agency choice is kept while it still exists. Returns (rerouted, now unroutable).
    """
    rerouted = lost = 0
    units, agencies = directory.doc["unit"], directory.snapshot.agencies
    for case in cases_repo.reroutable_cases(uow):
        cause = uuid.uuid5(uuid.NAMESPACE_URL, f"routing:directory:{directory.version}:{case.report_id}")
        if cases_repo.decision_exists(uow, cause):
            continue  # this version was already applied to this case
        manual = case.manual_agency if case.manual_agency in agencies else None
        request = RouteRequest(
            report_id=str(case.report_id),
            category=case.category,
            priority=case.priority,
            lat=case.lat,
            lon=case.lon,
            manual_agency=manual,
            operator_ward=case.operator_ward if case.operator_ward in units else None,
        )
        outcome = route(directory, request, now)
        agency = outcome.result.agency_code if outcome.routed else None
        if agency == case.agency_code:
            continue
        record_outcome(
            uow,
            outcome,
            request,
            directory.version,
            now,
            trigger="directory_change",
            cause_event_id=cause,
            code=case.code,
            note=note,
            names=directory.agency_names(agency),
        )
        rerouted, lost = (rerouted + 1, lost) if outcome.routed else (rerouted, lost + 1)
    return rerouted, lost


def track_status(uow, directories: Directories, event: ReportStatusChangedV1, now: datetime) -> None:
    """Follow intake's status change on the case's clock; announce moved deadlines with the next version.

    The case row is locked: versions grow one by one in the order the changes were applied here."""
    case = cases_repo.get_case(uow, event.report_id, lock=True)
    if case is None:
        return  # not routed yet (a request for information, its answer): nothing of routing's to track
    stale = stale_step(case.status_sequence, case.clock_started_at, event.sequence, event.occurred_at)
    change = StatusChange(
        at=event.occurred_at,
        to_status=event.to_status.value,
        clock=event.clock,
        extension_working_days=event.extension_working_days,
        priority=event.priority.value if event.priority else None,
        reopen_due_at=event.reopen_due_at,
        stale=stale,
    )
    snapshot = decision_snapshot(uow, directories, case.directory_version, now)
    clock = cases_repo.clock_of(case)
    new, reason = apply_status_change(clock, change, snapshot) if snapshot else (clock, None)
    if event.to_status.value == "TRA_LAI" and case.agency_code and not stale:
        cases_repo.release(uow, case.report_id, event.occurred_at, "returned")
    deadline_version = case.deadline_version + 1 if reason else case.deadline_version
    cases_repo.update_case(
        uow,
        case.report_id,
        **cases_repo.clock_values(new),
        deadline_version=deadline_version,
        status_sequence=max(case.status_sequence, event.sequence or 0),
        updated_at=now,
    )
    if reason:
        uow.emit(
            ReportDeadlineChangedV1(
                report_id=case.report_id,
                accept_due_at=new.accept_due_at,
                due_at=new.due_at,
                reason=reason,
                deadline_version=deadline_version,
            )
        )


def decision_snapshot(uow, directories: Directories, version: int, now: datetime):
    """The snapshot a case's deadlines were computed on (its decision's version), else the one in force."""
    try:
        return directories.at(uow, version).snapshot if version else None
    except (
        LookupError
    ):  # should not happen (versions are never deleted); the current calendar is the best guess
        current = directories.current(uow, now)
        return current.snapshot if current else None


def sweep_deadlines(uow, directory: Directory | None, now: datetime) -> int:
    """Emit due-soon and overdue warnings not fired before; returns how many were emitted (none without a
    directory in force)."""
    if directory is None:
        return 0
    settings, calendar = directory.deadlines, directory.snapshot.calendar
    emitted = 0
    for case in cases_repo.due_candidates(uow, escalation.horizon(settings, calendar, now)):
        for firing in escalation.firings(cases_repo.clock_of(case), settings, calendar, now):
            event = warning(case, firing, settings.ioc_agency)
            if cases_repo.record_firing(
                uow, case.report_id, firing.deadline, firing.level, firing.due_at, now, event.event_id
            ):
                uow.emit(event)
                emitted += 1
    return emitted


def warning(case, firing: escalation.Firing, ioc_agency: str) -> ReportDueSoonV1 | ReportOverdueV1:
    """The event of one firing: level 0 due soon, 1 → agency leader, 2 → escalation agency (or the IOC)."""
    if firing.level == 0:
        return ReportDueSoonV1(
            report_id=case.report_id,
            code=case.code,
            agency_code=case.agency_code,
            due_at=firing.due_at,
            deadline=firing.deadline,
        )
    return ReportOverdueV1(
        report_id=case.report_id,
        code=case.code,
        agency_code=case.agency_code,
        escalation_agency=case.escalation_agency or ioc_agency,
        due_at=firing.due_at,
        deadline=firing.deadline,
        level=firing.level,
    )

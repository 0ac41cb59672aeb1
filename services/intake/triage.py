"""Use case: staff act on a case (the dispatcher), and the operator's verbs: triage, re-route, reviews."""
from __future__ import annotations

from datetime import datetime, timedelta

from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import ReportAcceptedV1, ReportRerouteRequestedV1
from libs.contracts.lifecycle import StaffCaseAction
from libs.platform.errors import ServiceError, parse

from . import repo_people as people
from . import repository as repo
from .casefile import CaseFile, location_of, staff_actor
from .workflow import DUPLICATE_REASON, Action, Actor, Kind, State

KINDS = {  # contract verb → state-machine verb
    "accept": Kind.ACCEPT, "request_info": Kind.REQUEST_INFO, "reject": Kind.REJECT, "merge": Kind.MARK_DUPLICATE,
    "reroute": Kind.REQUEST_REROUTE, "approve_extension": Kind.APPROVE_EXTENSION,
    "refuse_extension": Kind.REFUSE_EXTENSION, "publish": Kind.PUBLISH, "send_back": Kind.SEND_BACK,
    "approve_reopen": Kind.APPROVE_REOPEN, "refuse_reopen": Kind.REFUSE_REOPEN, "agency_accept": Kind.AGENCY_ACCEPT,
    "agency_return": Kind.AGENCY_RETURN, "progress_note": Kind.PROGRESS_NOTE, "add_co_handler": Kind.ADD_CO_HANDLER,
    "request_extension": Kind.REQUEST_EXTENSION, "post_result": Kind.POST_RESULT,
    "supply_info": Kind.SUPPLY_INFO, "rate": Kind.RATE, "request_reopen": Kind.REQUEST_REOPEN,
}


class Triage(CaseFile):
    """act_on_case (every staff verb) and the operator's verbs."""

    @rpc(expected_exceptions=ServiceError)
    def act_on_case(self, payload: dict) -> dict:
        """One staff verb on one case; answers the case as that staff member now sees it."""
        cmd = parse(StaffCaseAction, payload)
        actor, verb = staff_actor(cmd.actor), cmd.action
        row = self._load(cmd.report_id, lock=True)
        self._authorize(actor, KINDS[verb.kind], row)  # 404 for a foreign case, 403 for a foreign verb
        getattr(self, f"_do_{verb.kind}")(row, actor, verb, utcnow())
        self.db.commit()
        return self._case_view(row.id, actor).model_dump(mode="json")

    def _do_accept(self, row, actor: Actor, verb, now: datetime) -> None:
        if verb.category:
            self._require_category(verb.category)
        t = self._perform(row, actor, Action(kind=Kind.ACCEPT, category=verb.category, ward=verb.ward_code,
                                             priority=verb.priority and verb.priority.value, note=verb.note), now,
                          **self._fix_columns(row, verb.category, verb.ward_code), queue_reason=None)
        self.db.emit(ReportAcceptedV1(report_id=row.id, code=row.code, category=t.after.category,
                                      priority=t.after.priority, location=location_of(row),
                                      ward_code=verb.ward_code))

    def _fix_columns(self, row, category: str | None, ward_code: str | None) -> dict:
        columns = {}
        if ward_code:
            columns["ward_approximate"] = False  # an operator's correction is not approximate
        if category and category != row.category:
            columns["base_working_days"] = self.settings.base_days.get(category)
        return columns

    def _do_request_info(self, row, actor: Actor, verb, now: datetime) -> None:
        window = self.settings.info_window if verb.due_in_days is None else _days(verb.due_in_days)
        self._perform(row, actor, Action(kind=Kind.REQUEST_INFO, note=verb.note, due_at=now + window), now,
                      info_answered_at=None)

    def _do_reject(self, row, actor: Actor, verb, now: datetime) -> None:
        self._perform(row, actor, Action(kind=Kind.REJECT, reason=verb.reason, note=verb.note), now,
                      reject_reason=verb.reason)

    def _do_merge(self, row, actor: Actor, verb, now: datetime) -> None:
        """Mark as a duplicate: its reporter and followers follow the primary case, which counts them."""
        primary = repo.find(self.db, verb.into, lock=True)
        if primary is None or primary.id == row.id or State(primary.status) is State.TU_CHOI:
            raise ServiceError(ErrorCode.VALIDATION_FAILED, "into: not another case that can be followed",
                               [{"field": "into", "message": "cần mã phản ánh gốc còn hiệu lực / "
                                 "an existing, not rejected case is required", "type": "invalid"}])
        self._perform(row, actor, Action(kind=Kind.MARK_DUPLICATE, duplicate_of=str(primary.id), note=verb.note),
                      now, duplicate_of=primary.id, reject_reason=DUPLICATE_REASON)
        people.copy_followers(self.db, row.id, primary.id, now)
        repo.add_supporters(self.db, primary.id, 1 + row.supporters)
        repo.add_step(self.db, primary.id, now, actor.role.value, primary.status, primary.status,
                      note=f"Gộp phản ánh {row.code} / merged {row.code}", visibility="staff", action="merge_in",
                      actor_subject=actor.subject)

    def _do_reroute(self, row, actor: Actor, verb, now: datetime) -> None:
        """Ask routing to decide again; the case moves when `report.routed` answers."""
        if verb.category:
            self._require_category(verb.category)
        fixes = self._fix_columns(row, verb.category, verb.ward_code)
        t = self._perform(row, actor, Action(kind=Kind.REQUEST_REROUTE, category=verb.category, ward=verb.ward_code,
                                             priority=verb.priority and verb.priority.value,
                                             agency=verb.agency_code, note=verb.note), now,
                          **fixes, queue_reason=None)
        corrected = verb.ward_code or (row.ward_code if not row.ward_approximate else None)
        previous = list(t.after.past_agencies) + [a for a in (t.after.assigned_agency,) if a]
        self.db.emit(ReportRerouteRequestedV1(
            report_id=row.id, code=row.code, category=t.after.category, priority=t.after.priority,
            location=location_of(row), ward_code=corrected, agency_code=verb.agency_code,
            previous_agencies=previous, note=verb.note or None))

    def _do_approve_extension(self, row, actor: Actor, verb, now: datetime) -> None:
        self._perform(row, actor, Action(kind=Kind.APPROVE_EXTENSION, note=verb.note), now)

    def _do_refuse_extension(self, row, actor: Actor, verb, now: datetime) -> None:
        self._perform(row, actor, Action(kind=Kind.REFUSE_EXTENSION, note=verb.note), now)

    def _do_publish(self, row, actor: Actor, verb, now: datetime) -> None:
        self._perform(row, actor, Action(kind=Kind.PUBLISH, note=verb.note), now)

    def _do_send_back(self, row, actor: Actor, verb, now: datetime) -> None:
        self._perform(row, actor, Action(kind=Kind.SEND_BACK, note=verb.note), now)

    def _do_approve_reopen(self, row, actor: Actor, verb, now: datetime) -> None:
        window = self.settings.reopen_window if verb.due_in_days is None else _days(verb.due_in_days)
        self._perform(row, actor, Action(kind=Kind.APPROVE_REOPEN, note=verb.note, due_at=now + window), now)

    def _do_refuse_reopen(self, row, actor: Actor, verb, now: datetime) -> None:
        self._perform(row, actor, Action(kind=Kind.REFUSE_REOPEN, note=verb.note), now)


def _days(n: int) -> timedelta:
    return timedelta(days=n)

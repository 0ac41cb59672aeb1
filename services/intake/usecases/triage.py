"""Use case: staff act on a case (the dispatcher), and the operator's verbs: triage, re-route, reviews.

Each verb takes the staff desk (unit of work, settings, category check), the locked row, the actor, the
contract verb and the time; `act_on_case` authorizes, dispatches, commits once and answers the case as the
actor sees it."""

from __future__ import annotations

from datetime import datetime, timedelta

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.events import ReportAcceptedV1, ReportMediaVisibilityChangedV1, ReportRerouteRequestedV1
from libs.contracts.lifecycle import StaffCaseAction
from libs.platform.errors import ServiceError, parse

from ..domain.case_rows import location_of, staff_actor
from ..domain.workflow import DUPLICATE_REASON, Action, Actor, Kind, Role, State
from ..repository import personal_data
from ..repository import reports as repo
from ..settings import IntakeSettings
from . import agency_work
from .casefile import Desk, authorize_verb, load_report, perform, require_category, require_media
from .queries import case_view_of

KINDS = {  # contract verb → state-machine verb
    "accept": Kind.ACCEPT,
    "request_info": Kind.REQUEST_INFO,
    "reject": Kind.REJECT,
    "merge": Kind.MARK_DUPLICATE,
    "verify": Kind.VERIFY,
    "reroute": Kind.REQUEST_REROUTE,
    "approve_extension": Kind.APPROVE_EXTENSION,
    "refuse_extension": Kind.REFUSE_EXTENSION,
    "publish": Kind.PUBLISH,
    "send_back": Kind.SEND_BACK,
    "approve_reopen": Kind.APPROVE_REOPEN,
    "refuse_reopen": Kind.REFUSE_REOPEN,
    "agency_accept": Kind.AGENCY_ACCEPT,
    "agency_return": Kind.AGENCY_RETURN,
    "progress_note": Kind.PROGRESS_NOTE,
    "add_co_handler": Kind.ADD_CO_HANDLER,
    "request_extension": Kind.REQUEST_EXTENSION,
    "post_result": Kind.POST_RESULT,
    "supply_info": Kind.SUPPLY_INFO,
    "rate": Kind.RATE,
    "request_reopen": Kind.REQUEST_REOPEN,
}


def act_on_case(desk: Desk, payload: dict) -> dict:
    """One staff verb on one case; answers the case as that staff member now sees it."""
    cmd = parse(StaffCaseAction, payload)
    actor, verb = staff_actor(cmd.actor), cmd.action
    row = load_report(desk.db, cmd.report_id, lock=True)
    if verb.kind in KINDS:
        authorize_verb(actor, KINDS[verb.kind], row)  # 404 for a foreign case, 403 for a foreign verb
    elif actor.role is not Role.OPERATOR:  # the public wording and hidden files are the IOC's
        raise ServiceError(ErrorCode.FORBIDDEN, f"{actor.role.value} may not {verb.kind}")
    VERBS[verb.kind](desk, row, actor, verb, utcnow())
    desk.db.commit()
    return case_view_of(desk.db, row.id, actor).model_dump(mode="json")


def accept(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """The operator accepts the report (correcting category, ward or priority): routing routes it."""
    if verb.category:
        require_category(desk.known_category, verb.category)
    action = Action(
        kind=Kind.ACCEPT,
        category=verb.category,
        ward=verb.ward_code,
        priority=verb.priority and verb.priority.value,
        note=verb.note,
    )
    t = perform(
        desk.db,
        row,
        actor,
        action,
        now,
        **_fix_columns(desk.settings, row, verb.category, verb.ward_code),
        queue_reason=None,
    )
    desk.db.emit(
        ReportAcceptedV1(
            report_id=row.id,
            code=row.code,
            category=t.after.category,
            priority=t.after.priority,
            location=location_of(row),
            ward_code=verb.ward_code,
        )
    )


def verify(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """A case automatic triage let through (a citizen's urgency) is verified: public from now on; a changed
    priority reaches routing in `report.status_changed`, which recomputes the deadlines."""
    perform(
        desk.db,
        row,
        actor,
        Action(kind=Kind.VERIFY, priority=verb.priority and verb.priority.value, note=verb.note),
        now,
    )


def edit_public_text(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """The operators' wording of the public text; the citizen's original stays, the edit is on the internal
    timeline and in the audit log."""
    edits = {
        column: (getattr(row, column), value or None)
        for column, value in (("public_description", verb.description), ("public_address", verb.address))
        if value is not None and (value or None) != getattr(row, column)
    }
    if not edits:
        return
    repo.update(desk.db, row.id, **{column: new for column, (_, new) in edits.items()}, updated_at=now)
    repo.add_step(
        desk.db,
        row.id,
        now,
        actor.role.value,
        row.status,
        row.status,
        note=verb.note,
        visibility="internal",
        action="edit_public_text",
        actor_subject=actor.subject,
        changes={column: list(pair) for column, pair in edits.items()},
    )
    personal_data.audit(
        desk.db,
        row.id,
        "edit_public_text",
        "staff",
        sorted(c.removeprefix("public_") for c in edits),
        verb.note or None,
        actor_role=actor.role.value,
        actor_sub=actor.subject,
    )


def hide_media(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Hide a file from everyone but the IOC (or show it again): recorded, audited, and told to media."""
    require_media(desk.db, row, [verb.media_id], field="media_id")
    if not repo.set_media_hidden(desk.db, row.id, verb.media_id, verb.hidden):
        return  # already so
    action = "hide_media" if verb.hidden else "show_media"
    repo.add_step(
        desk.db,
        row.id,
        now,
        actor.role.value,
        row.status,
        row.status,
        note=verb.note,
        visibility="internal",
        action=action,
        actor_subject=actor.subject,
        media_ids=[verb.media_id],
    )
    personal_data.audit(
        desk.db,
        row.id,
        action,
        "staff",
        ["media"],
        verb.note or None,
        actor_role=actor.role.value,
        actor_sub=actor.subject,
        media_id=verb.media_id,
    )
    desk.db.emit(ReportMediaVisibilityChangedV1(report_id=row.id, media_id=verb.media_id, hidden=verb.hidden))


def _fix_columns(settings: IntakeSettings, row, category: str | None, ward_code: str | None) -> dict:
    """The columns an operator's correction of category or ward sets besides the transition's."""
    columns = {}
    if ward_code:
        columns["ward_approximate"] = False  # an operator's correction is not approximate
    if category and category != row.category:
        columns["base_working_days"] = settings.base_days.get(category)
    return columns


def request_info(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Ask the reporter for more; the clock waits until they answer or the window closes."""
    window = desk.settings.info_window if verb.due_in_days is None else _days(verb.due_in_days)
    perform(
        desk.db,
        row,
        actor,
        Action(kind=Kind.REQUEST_INFO, note=verb.note, due_at=now + window),
        now,
        info_answered_at=None,
    )


def reject(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Refuse the report, with a reason."""
    perform(
        desk.db,
        row,
        actor,
        Action(kind=Kind.REJECT, reason=verb.reason, note=verb.note),
        now,
        reject_reason=verb.reason,
    )


def merge(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Mark as a duplicate: its reporter and followers follow the primary case, which counts them."""
    primary = repo.find(desk.db, verb.into, lock=True)
    if primary is None or primary.id == row.id or State(primary.status) is State.TU_CHOI:
        raise ServiceError(
            ErrorCode.VALIDATION_FAILED,
            "into: not another case that can be followed",
            [
                {
                    "field": "into",
                    "message": "cần mã phản ánh gốc còn hiệu lực / "
                    "an existing, not rejected case is required",
                    "type": "invalid",
                }
            ],
        )
    perform(
        desk.db,
        row,
        actor,
        Action(kind=Kind.MARK_DUPLICATE, duplicate_of=str(primary.id), note=verb.note),
        now,
        duplicate_of=primary.id,
        reject_reason=DUPLICATE_REASON,
    )
    personal_data.copy_followers(desk.db, row.id, primary.id, now)
    repo.add_supporters(desk.db, primary.id, 1 + row.supporters)
    repo.add_step(
        desk.db,
        primary.id,
        now,
        actor.role.value,
        primary.status,
        primary.status,
        note=f"Gộp phản ánh {row.code} / merged {row.code}",
        visibility="staff",
        action="merge_in",
        actor_subject=actor.subject,
    )


def reroute(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Ask routing to decide again; the case moves when `report.routed` answers."""
    if verb.category:
        require_category(desk.known_category, verb.category)
    fixes = _fix_columns(desk.settings, row, verb.category, verb.ward_code)
    action = Action(
        kind=Kind.REQUEST_REROUTE,
        category=verb.category,
        ward=verb.ward_code,
        priority=verb.priority and verb.priority.value,
        agency=verb.agency_code,
        note=verb.note,
    )
    t = perform(desk.db, row, actor, action, now, **fixes, queue_reason=None)
    corrected = verb.ward_code or (row.ward_code if not row.ward_approximate else None)
    previous = list(t.after.past_agencies) + [a for a in (t.after.assigned_agency,) if a]
    desk.db.emit(
        ReportRerouteRequestedV1(
            report_id=row.id,
            code=row.code,
            category=t.after.category,
            priority=t.after.priority,
            location=location_of(row),
            ward_code=corrected,
            agency_code=verb.agency_code,
            previous_agencies=previous,
            note=verb.note or None,
        )
    )


def approve_extension(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Grant the agency's requested extension (routing recomputes the deadline)."""
    perform(desk.db, row, actor, Action(kind=Kind.APPROVE_EXTENSION, note=verb.note), now)


def refuse_extension(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Refuse the agency's requested extension."""
    perform(desk.db, row, actor, Action(kind=Kind.REFUSE_EXTENSION, note=verb.note), now)


def publish(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Publish the agency's result (the rating window opens)."""
    perform(desk.db, row, actor, Action(kind=Kind.PUBLISH, note=verb.note), now)


def send_back(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Send the agency's result back for more work."""
    perform(desk.db, row, actor, Action(kind=Kind.SEND_BACK, note=verb.note), now)


def approve_reopen(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Reopen the case at the reporter's request, with a new deadline."""
    window = desk.settings.reopen_window if verb.due_in_days is None else _days(verb.due_in_days)
    perform(desk.db, row, actor, Action(kind=Kind.APPROVE_REOPEN, note=verb.note, due_at=now + window), now)


def refuse_reopen(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Refuse the reporter's request to reopen."""
    perform(desk.db, row, actor, Action(kind=Kind.REFUSE_REOPEN, note=verb.note), now)


def _days(n: int) -> timedelta:
    return timedelta(days=n)


# contract verb → its use case (the operator's here, the agency's in agency_work)
VERBS = {
    verb.__name__: verb
    for verb in (
        accept,
        verify,
        edit_public_text,
        hide_media,
        request_info,
        reject,
        merge,
        reroute,
        approve_extension,
        refuse_extension,
        publish,
        send_back,
        approve_reopen,
        refuse_reopen,
    )
} | agency_work.VERBS

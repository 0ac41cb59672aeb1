"""Use case: an agency handles its case — accept or return, progress, co-handlers, extension, result.

The agency verbs behind `act_on_case` (`triage.act_on_case` dispatches; object-level checks: `domain.access`
and the workflow). Each takes the staff desk (unit of work, settings, category check), the locked row, the
actor, the contract verb and the time; none commits."""

from __future__ import annotations

from datetime import datetime

from ..domain.workflow import Action, Actor, Kind
from ..repository import reports as repo
from .casefile import Desk, perform, require_media


def agency_accept(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """The agency takes the case on."""
    perform(desk.db, row, actor, Action(kind=Kind.AGENCY_ACCEPT, note=verb.note), now)


def agency_return(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Not our competence: the case waits for the operator to re-route it; the hold is recorded."""
    perform(
        desk.db,
        row,
        actor,
        Action(
            kind=Kind.AGENCY_RETURN,
            reason=verb.reason,
            note=verb.note,
            suggested_agency=verb.suggested_agency,
        ),
        now,
    )
    repo.close_spell(desk.db, row.id, now, "returned")


def progress_note(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """A note on the work (with stored files, and a committed date when given)."""
    require_media(desk.db, row, verb.media_ids)
    perform(
        desk.db,
        row,
        actor,
        Action(
            kind=Kind.PROGRESS_NOTE,
            note=verb.note,
            visibility=verb.visibility,
            media_ids=tuple(str(m) for m in verb.media_ids),
            due_at=verb.committed_at,
        ),
        now,
    )


def add_co_handler(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """Other agencies handle the case with the one holding it."""
    perform(
        desk.db,
        row,
        actor,
        Action(kind=Kind.ADD_CO_HANDLER, co_agencies=tuple(verb.agencies), note=verb.note),
        now,
    )


def request_extension(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """More working days, for the operator to approve or refuse."""
    perform(desk.db, row, actor, Action(kind=Kind.REQUEST_EXTENSION, days=verb.days, note=verb.note), now)


def post_result(desk: Desk, row, actor: Actor, verb, now: datetime) -> None:
    """The result needs at least one after-photo, uploaded with role `result` and stored by media."""
    require_media(desk.db, row, verb.media_ids, role="result")
    perform(
        desk.db,
        row,
        actor,
        Action(kind=Kind.POST_RESULT, note=verb.note, media_ids=tuple(str(m) for m in verb.media_ids)),
        now,
    )


VERBS = {
    verb.__name__: verb
    for verb in (agency_accept, agency_return, progress_note, add_co_handler, request_extension, post_result)
}

"""Use case: the reporter acts on their own report with its tracking token — add info, rate, ask to reopen.

A rating's optional comment is its own timeline entry (`rating_comment`, visibility `reporter`: the reporter,
the agencies that held the case and operators read it; the public timeline does not). The rate step itself
stays public with no note, so the comment is in no event (`report.status_changed` carries only public notes
and the level)."""

from __future__ import annotations

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import CitizenCaseAction, ContactErased, EraseContact
from libs.platform.errors import ServiceError, parse

from ..domain.case_rows import reporter_key
from ..domain.tokens import token_matches
from ..domain.workflow import Action, Actor, Kind, Role
from ..repository import personal_data
from ..repository import reports as repo
from ..settings import IntakeSettings
from .casefile import perform, require_media, token_failed, token_gate
from .queries import own_view

COMMENT_ACTION = "rating_comment"
COMMENT_VISIBILITY = "reporter"  # never "public": a comment may hold personal details


def _own_row(db, settings: IntakeSettings, cmd: CitizenCaseAction | EraseContact):
    """The report behind a tracking token, locked; a wrong token is a 404 like an unknown report (and counted
    against the caller's IP: RATE_LIMITED after too many)."""
    token_gate(db, settings, cmd.client)
    row = repo.get(db, cmd.report_id, lock=True)
    if row is None or not token_matches(settings.token_key, row.id, cmd.tracking_token):
        token_failed(db, settings, cmd.client)
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {cmd.report_id}")
    return row


def citizen_action(db, settings: IntakeSettings, payload: dict) -> dict:
    """A reporter's verb; a wrong token is a 404 like an unknown report."""
    cmd = parse(CitizenCaseAction, payload)
    row = _own_row(db, settings, cmd)
    actor, verb, now = Actor(role=Role.CITIZEN, subject=reporter_key(row.id)), cmd.action, utcnow()
    if verb.kind == "supply_info":
        require_media(db, row, verb.media_ids)
        perform(
            db,
            row,
            actor,
            Action(kind=Kind.SUPPLY_INFO, note=verb.note, media_ids=tuple(str(m) for m in verb.media_ids)),
            now,
            info_answered_at=now,
        )
    elif verb.kind == "rate":
        t = perform(db, row, actor, Action(kind=Kind.RATE, rating=verb.rating), now)
        if verb.comment:
            repo.add_step(
                db,
                row.id,
                now,
                t.actor_role.value,
                t.to_state.value,
                t.to_state.value,
                note=verb.comment,
                visibility=COMMENT_VISIBILITY,
                action=COMMENT_ACTION,
            )
    else:
        perform(db, row, actor, Action(kind=Kind.REQUEST_REOPEN, note=verb.note), now)
    db.commit()
    return own_view(db, settings, row.id)


def erase_contact(db, settings: IntakeSettings, payload: dict) -> dict:
    """The reporter erases their sealed contact data at any time (their report stays; statistics are not
    touched); from then on they hear only through the in-app inbox their tracking token opens."""
    cmd = parse(EraseContact, payload)
    row, now = _own_row(db, settings, cmd), utcnow()
    erased = personal_data.erase_contacts(db, [row.id], now) > 0
    if erased:
        personal_data.audit(db, row.id, "erase_contact", "citizen", ["contact"], "yêu cầu của người phản ánh")
        db.commit()
    return ContactErased(
        report_id=row.id, erased=erased, erased_at=now if erased else row.contact_erased_at
    ).model_dump(mode="json")

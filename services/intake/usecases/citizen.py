"""Use case: the reporter acts on their own report with its tracking token — add info, rate, ask to reopen.

A rating's optional comment is its own timeline entry (`rating_comment`, visibility `reporter`: the reporter, the
agencies that held the case and operators read it; the public timeline does not). The rate step itself stays public
with no note, so the comment is in no event (`report.status_changed` carries only public notes and the level).
"""
from __future__ import annotations

from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import CitizenCaseAction, ContactErased, EraseContact
from libs.platform.db import retry_conflicts
from libs.platform.errors import ServiceError, parse

from . import repo_people as people
from . import repository as repo
from .casefile import CaseFile, reporter_key
from .domain import token_matches
from .workflow import Action, Actor, Kind, Role

COMMENT_ACTION = "rating_comment"
COMMENT_VISIBILITY = "reporter"  # never "public": a comment may hold personal details


class Citizen(CaseFile):
    """citizen_action, erase_contact."""

    def _own_row(self, cmd: CitizenCaseAction | EraseContact):
        """The report behind a tracking token, locked; a wrong token is a 404 like an unknown report (and counted
        against the caller's IP: RATE_LIMITED after too many)."""
        self._token_gate(cmd.client)
        row = repo.get(self.db, cmd.report_id, lock=True)
        if row is None or not token_matches(self.settings.token_key, row.id, cmd.tracking_token):
            self._token_failed(cmd.client)
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {cmd.report_id}")
        return row

    @rpc(expected_exceptions=ServiceError)
    @retry_conflicts()
    def citizen_action(self, payload: dict) -> dict:
        """A reporter's verb; a wrong token is a 404 like an unknown report."""
        cmd = parse(CitizenCaseAction, payload)
        row = self._own_row(cmd)
        actor, verb, now = Actor(role=Role.CITIZEN, subject=reporter_key(row.id)), cmd.action, utcnow()
        if verb.kind == "supply_info":
            self._require_media(row, verb.media_ids)
            self._perform(row, actor, Action(kind=Kind.SUPPLY_INFO, note=verb.note,
                                             media_ids=tuple(str(m) for m in verb.media_ids)), now,
                          info_answered_at=now)
        elif verb.kind == "rate":
            t = self._perform(row, actor, Action(kind=Kind.RATE, rating=verb.rating), now)
            if verb.comment:
                repo.add_step(self.db, row.id, now, t.actor_role.value, t.to_state.value, t.to_state.value,
                              note=verb.comment, visibility=COMMENT_VISIBILITY, action=COMMENT_ACTION)
        else:
            self._perform(row, actor, Action(kind=Kind.REQUEST_REOPEN, note=verb.note), now)
        self.db.commit()
        return self._own_view(row.id)

    @rpc(expected_exceptions=ServiceError)
    @retry_conflicts()
    def erase_contact(self, payload: dict) -> dict:
        """The reporter erases their sealed contact data at any time (their report stays; statistics are not
        touched); from then on they hear only through the in-app inbox their tracking token opens."""
        cmd = parse(EraseContact, payload)
        row, now = self._own_row(cmd), utcnow()
        erased = people.erase_contacts(self.db, [row.id], now) > 0
        if erased:
            people.audit(self.db, row.id, "erase_contact", "citizen", ["contact"], "yêu cầu của người phản ánh")
            self.db.commit()
        return ContactErased(report_id=row.id, erased=erased,
                             erased_at=now if erased else row.contact_erased_at).model_dump(mode="json")

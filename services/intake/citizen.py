"""Use case: the reporter acts on their own report with its tracking token — add info, rate, ask to reopen.

A rating's optional comment is its own timeline entry (`rating_comment`, visibility `reporter`: the reporter, the
agencies that held the case and operators read it; the public timeline does not). The rate step itself stays public
with no note, so the comment is in no event (`report.status_changed` carries only public notes and the level).
"""
from __future__ import annotations

from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import CitizenCaseAction
from libs.platform.errors import ServiceError, parse

from . import repository as repo
from .casefile import CaseFile, reporter_key
from .domain import token_matches
from .workflow import Action, Actor, Kind, Role

COMMENT_ACTION = "rating_comment"
COMMENT_VISIBILITY = "reporter"  # never "public": a comment may hold personal details


class Citizen(CaseFile):
    """citizen_action."""

    @rpc(expected_exceptions=ServiceError)
    def citizen_action(self, payload: dict) -> dict:
        """A reporter's verb; a wrong token is a 404 like an unknown report."""
        cmd = parse(CitizenCaseAction, payload)
        row = self._load(cmd.report_id, lock=True)
        if not token_matches(self.settings.token_key, row.id, cmd.tracking_token):
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {cmd.report_id}")
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

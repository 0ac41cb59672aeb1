"""Use case: the reporter acts on their own report with its tracking token — add info, rate, ask to reopen."""
from __future__ import annotations

from nameko.rpc import rpc

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.lifecycle import CitizenCaseAction
from libs.platform.errors import ServiceError, parse

from .casefile import CaseFile, reporter_key
from .domain import token_matches
from .workflow import Action, Actor, Kind, Role


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
            self._perform(row, actor, Action(kind=Kind.RATE, rating=verb.rating), now)
        else:
            self._perform(row, actor, Action(kind=Kind.REQUEST_REOPEN, note=verb.note), now)
        self.db.commit()
        return self._own_view(row.id)

"""Use case: an agency handles its case — accept or return, progress, co-handlers, extension, result."""
from __future__ import annotations

from datetime import datetime

from . import repository as repo
from .casefile import CaseFile
from .workflow import Action, Actor, Kind


class AgencyWork(CaseFile):
    """The agency verbs behind `act_on_case` (object-level checks: `access.authorize` and the workflow)."""

    def _do_agency_accept(self, row, actor: Actor, verb, now: datetime) -> None:
        self._perform(row, actor, Action(kind=Kind.AGENCY_ACCEPT, note=verb.note), now)

    def _do_agency_return(self, row, actor: Actor, verb, now: datetime) -> None:
        """Not our competence: the case waits for the operator to re-route it; the hold is recorded."""
        self._perform(row, actor, Action(kind=Kind.AGENCY_RETURN, reason=verb.reason, note=verb.note,
                                         suggested_agency=verb.suggested_agency), now)
        repo.close_spell(self.db, row.id, now, "returned")

    def _do_progress_note(self, row, actor: Actor, verb, now: datetime) -> None:
        self._require_media(row, verb.media_ids)
        self._perform(row, actor, Action(kind=Kind.PROGRESS_NOTE, note=verb.note, visibility=verb.visibility,
                                         media_ids=tuple(str(m) for m in verb.media_ids),
                                         due_at=verb.committed_at), now)

    def _do_add_co_handler(self, row, actor: Actor, verb, now: datetime) -> None:
        self._perform(row, actor, Action(kind=Kind.ADD_CO_HANDLER, co_agencies=tuple(verb.agencies), note=verb.note),
                      now)

    def _do_request_extension(self, row, actor: Actor, verb, now: datetime) -> None:
        self._perform(row, actor, Action(kind=Kind.REQUEST_EXTENSION, days=verb.days, note=verb.note), now)

    def _do_post_result(self, row, actor: Actor, verb, now: datetime) -> None:
        """The result needs at least one after-photo, uploaded with role `result` and stored by media."""
        self._require_media(row, verb.media_ids, role="result")
        self._perform(row, actor, Action(kind=Kind.POST_RESULT, note=verb.note,
                                         media_ids=tuple(str(m) for m in verb.media_ids)), now)

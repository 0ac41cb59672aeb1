"""Use case: reads — one file or a report's files, with read URLs for what the caller may see.

Operators get the unblurred renditions of every file (each such read audited by intake first); anyone else
gets the public (blurred) renditions, only when intake shows them the report (verified, or their own with its
tracking token), never of a file an operator hid, and never an original. `list_media(role="result", state="ready")` answers "does the case have an after-photo?".
"""
from __future__ import annotations

from nameko.rpc import rpc

from libs.contracts.media import GetMedia, ListMedia
from libs.platform.errors import ServiceError, parse

from . import repository as repo
from .base import MediaBase


class Reads(MediaBase):
    """get_media, list_media."""

    @rpc(expected_exceptions=ServiceError)
    def get_media(self, payload: dict) -> dict:
        """One file (for example, to follow a video while it renders); may raise MEDIA_NOT_FOUND."""
        query = parse(GetMedia, payload)
        row = self._row(query.media_id)
        audience = self._audience(query.actor, row.report_id, query.tracking_token, query.client)
        return self._view(row, audience, actor=query.actor, grant=query.grant)

    @rpc(expected_exceptions=ServiceError)
    def list_media(self, report_id: str | None = None, payload: dict | None = None) -> list[dict]:
        """The files of a report, oldest first, optionally of one role and state."""
        query = parse(ListMedia, payload if payload is not None else {"report_id": report_id})
        rows = repo.of_report(self.db, query.report_id, query.role, query.state)
        if not rows:
            return []
        audience = self._audience(query.actor, query.report_id, query.tracking_token, query.client)
        return self._views(rows, audience, query.actor, query.grant)

"""Use case: reads — one file or a report's files, with read URLs for what the caller may see.

Operators get the unblurred renditions of every file (each such read audited by intake first); anyone else
gets the public (blurred) renditions, only when intake shows them the report (verified, or their own with its
tracking token), never of a file an operator hid, and never an original. `list_media(role="result",
state="ready")` answers "does the case have an after-photo?".
"""

from __future__ import annotations

from libs.contracts.media import GetMedia, ListMedia

from ..repository import media as repo
from .access import audience, load, view, views
from .context import Media


def get_media(m: Media, query: GetMedia) -> dict:
    """One file (for example, to follow a video while it renders); may raise MEDIA_NOT_FOUND."""
    row = load(m, query.media_id)
    seen_by = audience(m, query.actor, row.report_id, query.tracking_token, query.client)
    return view(m, row, seen_by, actor=query.actor, grant=query.grant)


def list_media(m: Media, query: ListMedia) -> list[dict]:
    """The files of a report, oldest first, optionally of one role and state."""
    rows = repo.of_report(m.db, query.report_id, query.role, query.state)
    if not rows:
        return []
    seen_by = audience(m, query.actor, query.report_id, query.tracking_token, query.client)
    return views(m, rows, seen_by, query.actor, query.grant)

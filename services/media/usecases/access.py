"""Shared by the media use cases: load a file, decide who sees what, and answer with the views they may see.

Operators get unblurred renditions (each such read audited by intake first); anyone else the public renditions
when intake shows them the report.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from libs.contracts.common import Actor
from libs.contracts.errors import ErrorCode
from libs.contracts.media import LocationHint
from libs.platform.errors import ServiceError

from ..adapters.intake import agency_holds, record_unblurred, report_facts
from ..domain.policy import AGENCY_ROLES, Audience, audience_for, unblurred
from ..domain.views import media_view
from ..repository import media as repo
from .context import Media
from .pipeline import Outcome


def hint_view(outcome: Outcome | None) -> LocationHint | None:
    """The location found in the original, as offered to the uploader."""
    hint = outcome.location_hint if outcome else None
    return LocationHint(lat=hint.lat, lon=hint.lon, source=hint.source) if hint else None


def load(m: Media, media_id, lock: bool = False):
    """The upload row; may raise MEDIA_NOT_FOUND."""
    try:
        mid = media_id if isinstance(media_id, UUID) else uuid.UUID(str(media_id))
    except ValueError:
        raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, f"no media {media_id}") from None
    row = repo.get(m.db, mid, lock=lock)
    if row is None:
        raise ServiceError(ErrorCode.MEDIA_NOT_FOUND, f"no media {media_id}")
    return row


def audience(
    m: Media, actor: Actor | None, report_id: UUID, token: str | None, client=None
) -> Audience | None:
    """Operators: unblurred; others: public renditions if intake shows them the report (else nothing).
    May raise RATE_LIMITED (intake counts wrong tokens per IP)."""
    if actor is not None and actor.role == "operator":
        return "operator"
    facts = report_facts(
        m.intake,
        report_id,
        token,
        m.settings.intake_timeout_s,
        client.model_dump(mode="json") if client else None,
    )
    shown = facts.public if facts else None
    if (
        shown is False and actor is not None and actor.role in AGENCY_ROLES
    ):  # a case routed unverified (urgent)
        shown = agency_holds(m.intake, report_id, actor.model_dump(mode="json"), m.settings.intake_timeout_s)
    return audience_for(actor, shown)


def view(
    m: Media,
    row,
    seen_by: Audience | None,
    outcome: Outcome | None = None,
    actor: Actor | None = None,
    grant: str | None = None,
) -> dict:
    """One file as `seen_by` sees it (audited first when unblurred)."""
    stored = repo.renditions_of(m.db, [row.id]).get(row.id, [])
    audit_unblurred(m, [row], {row.id: stored}, seen_by, actor, grant)
    return media_view(row, stored, seen_by, m.presign, hint_view(outcome)).model_dump(mode="json")


def views(
    m: Media, rows, seen_by: Audience | None, actor: Actor | None = None, grant: str | None = None
) -> list[dict]:
    """Several files as `seen_by` sees them (audited first when unblurred)."""
    stored = repo.renditions_of(m.db, [r.id for r in rows])
    audit_unblurred(m, rows, stored, seen_by, actor, grant)
    return [media_view(r, stored.get(r.id, []), seen_by, m.presign).model_dump(mode="json") for r in rows]


def audit_unblurred(
    m: Media, rows, stored: dict, seen_by: Audience | None, actor: Actor | None, grant: str | None = None
) -> None:
    """Unblurred renditions are shown to staff only after intake verified the gateway's grant and audited
    the read (like a read of the sealed identity); may raise FORBIDDEN (no valid grant: the `actor` alone
    is not believed) or UPSTREAM_UNAVAILABLE when intake could not record it."""
    if seen_by != "operator":
        return
    seen = [r for r in rows if r.state == "ready" and unblurred(stored.get(r.id, []))]
    if not seen:
        return
    if actor is None:
        raise ServiceError(ErrorCode.FORBIDDEN, "unblurred media is shown to a named operator only")
    for report_id in {r.report_id for r in seen}:
        ids = [r.id for r in seen if r.report_id == report_id]
        if not record_unblurred(
            m.intake, report_id, actor.model_dump(mode="json"), ids, m.settings.intake_timeout_s, grant
        ):
            raise ServiceError(ErrorCode.UPSTREAM_UNAVAILABLE, "the access could not be audited: try again")

"""Adapt intake's public reports (libs.contracts.search.PublicReport, as JSON) and posted updates to the views
`requests.py` renders, and assemble the servicerequestupdates feed. Pure: names and URLs are passed in.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .dates import parse_w3c, to_w3c
from .privacy import redact_contacts
from .requests import build_update, sorted_timeline
from .statuses import extended_status

MediaUrl = Callable[[str, str], str]  # (service_request_id, media id) -> public URL


@dataclass(frozen=True)
class Names:
    """Display names looked up from the directory: categories (per language), agencies, wards."""

    categories: Mapping[str, str] = field(default_factory=dict)
    agencies: Mapping[str, str] = field(default_factory=dict)
    wards: Mapping[str, str] = field(default_factory=dict)


def report_view(report: Mapping[str, Any], names: Names, media_url: MediaUrl,
                restricted: bool = False) -> dict[str, Any]:
    """The view `build_request` reads, from a PublicReport (whitelisted fields only).

    `restricted`: a request not yet verified by the operators, asked for by its id: only its id, service, status
    and times are shown (no text, address, location, photos or history), like /v1's restricted view.
    """
    code = str(report.get("code") or report["id"])
    location = {} if restricted else report.get("location") or {}
    agency = report.get("agency_code")
    ward = report.get("ward_code")
    view = {
        "id": str(report["id"]),
        "code": code,
        "category": report["category"],
        "category_name": names.categories.get(report["category"]),
        "description": report.get("description"),
        "status": report["status"],
        "lat": location.get("lat"),
        "lon": location.get("lon"),
        "address": report.get("address"),
        "ward_code": ward,
        "ward_name": names.wards.get(ward) if ward else None,
        "agency_code": agency,
        "agency_name": (names.agencies.get(agency) or agency) if agency else None,
        "created_at": report["created_at"],
        "updated_at": report.get("updated_at"),
        "due_at": report.get("due_at"),
        "channel": report.get("channel"),
        "timeline": [dict(entry) for entry in report.get("timeline") or ()],
        "photos": [media_url(code, str(media_id)) for media_id in report.get("photos") or ()],
    }
    if restricted:
        view.update(description=None, address=None, timeline=[], photos=[], ward_code=None, ward_name=None)
    return view


def posted_note(update: Mapping[str, Any]) -> dict[str, Any]:
    """A partner's posted update as an extension note (type `activity`: it never changes the state)."""
    text = (update.get("description") or "").strip()
    return {"datetime": to_w3c(update["updated_datetime"]),
            "description": redact_contacts(text) if text else update["status"], "type": "activity"}


def add_posted_notes(item: dict[str, Any], updates: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge posted updates into an extended request's `notes`, in time order (status_notes are untouched)."""
    if "notes" in item:
        notes = item["notes"] + [posted_note(u) for u in updates]
        item["notes"] = sorted(notes, key=lambda note: parse_w3c(note["datetime"]))
    return item


def timeline_updates(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The public timeline of one report as request_update elements; ids `<code>.<n>` (n from 1, stable)."""
    code = view["code"]
    return [build_update({**entry, "update_id": f"{code}.{n}"}, code)
            for n, entry in enumerate(sorted_timeline(view["timeline"]), start=1)]


def posted_update(update: Mapping[str, Any]) -> dict[str, Any]:
    """A partner's posted update as a request_update: the case's status after it (unchanged by the post)."""
    text = (update.get("description") or "").strip()
    return {
        "update_id": update["update_id"],
        "service_request_id": update["code"],
        "status": extended_status(update["state_at_post"]),
        "updated_datetime": to_w3c(update["updated_datetime"]),
        "description": redact_contacts(text) if text else None,
        "media_url": update.get("media_url"),
    }


def updates_feed(views: Sequence[Mapping[str, Any]], posted: Sequence[Mapping[str, Any]],
                 window: tuple[datetime, datetime]) -> list[dict[str, Any]]:
    """Every update in the window (inclusive), oldest first, ties broken by id."""
    start, end = window
    items = [u for view in views for u in timeline_updates(view)] + [posted_update(u) for u in posted]
    inside = [(parse_w3c(u["updated_datetime"]), u) for u in items]
    inside = [(at, u) for at, u in inside if start <= at <= end]
    return [u for _, u in sorted(inside, key=lambda pair: (pair[0], pair[1]["update_id"]))]


def page(items: Sequence[Any], number: int, size: int) -> list[Any]:
    """One page (1-based) of a list."""
    return list(items[(number - 1) * size:number * size])


"""Adapt intake's public reports (libs.contracts.search.PublicReport, as JSON) and posted updates to the views
`requests.py` renders, and the items of intake's servicerequestupdates feed to request_update elements. Pure:
names and URLs are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from libs.privacy.visibility import restricted as restricted_fields

from .dates import parse_w3c, to_w3c
from .privacy import mask_personal_data
from .requests import build_update
from .statuses import extended_status

MediaUrl = Callable[[str, str], str]  # (service_request_id, media id) -> public URL


@dataclass(frozen=True)
class Names:
    """Display names looked up from the directory: categories (per language), agencies, wards."""

    categories: Mapping[str, str] = field(default_factory=dict)
    agencies: Mapping[str, str] = field(default_factory=dict)
    wards: Mapping[str, str] = field(default_factory=dict)


def report_view(
    report: Mapping[str, Any], names: Names, media_url: MediaUrl, restricted: bool = False
) -> dict[str, Any]:
    """The view `build_request` reads, from a PublicReport (whitelisted fields only).

    `restricted`: a request not yet verified by the operators, asked for by its id: only its id, service and
    status are shown (no text, place, time, agency, photos or history), by the same rule as /v1's restricted
    view."""
    if restricted:
        kept = restricted_fields(report)
        return {
            "id": str(kept["id"]),
            "code": str(kept.get("code") or kept["id"]),
            "category": kept["category"],
            "category_name": names.categories.get(kept["category"]),
            "status": kept["status"],
            "timeline": [],
            "photos": [],
        }
    code = str(report.get("code") or report["id"])
    location = report.get("location") or {}
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
    return view


def posted_note(update: Mapping[str, Any]) -> dict[str, Any]:
    """A partner's posted update as an extension note (type `activity`: it never changes the state)."""
    text = (update.get("description") or "").strip()
    return {
        "datetime": to_w3c(update["updated_datetime"]),
        "description": mask_personal_data(text) if text else update["status"],
        "type": "activity",
    }


def add_posted_notes(item: dict[str, Any], updates: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge posted updates into an extended request's `notes`, in time order (status_notes are untouched)."""
    if "notes" in item:
        notes = item["notes"] + [posted_note(u) for u in updates]
        item["notes"] = sorted(notes, key=lambda note: parse_w3c(note["datetime"]))
    return item


def posted_update(update: Mapping[str, Any]) -> dict[str, Any]:
    """A partner's posted update as a request_update: the case's status after it (unchanged by the post)."""
    text = (update.get("description") or "").strip()
    return {
        "update_id": update["update_id"],
        "service_request_id": update["code"],
        "status": extended_status(update["state_at_post"]),
        "updated_datetime": to_w3c(update["updated_datetime"]),
        "description": mask_personal_data(text) if text else None,
        "media_url": update.get("media_url"),
    }


def feed_update(item: Mapping[str, Any]) -> dict[str, Any]:
    """One item of intake's feed (libs.contracts.open311.FeedItem, as JSON) as a request_update: a public
    timeline step gets the stable id `<code>.<n>` (n its place in the report's public timeline, from 1); a
    partner's update its `U<n>` and the case's status when it was posted."""
    if item["kind"] == 0:
        step = {
            "update_id": f"{item['code']}.{item['ordinal']}",
            "at": item["updated_datetime"],
            "from_status": item.get("from_status"),
            "to_status": item["to_status"],
            "note": item.get("note"),
        }
        return build_update(step, item["code"])
    return posted_update(item)

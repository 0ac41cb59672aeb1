"""Request, update, POST-response and token elements built from public report views (whitelisted fields)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .dates import parse_w3c, to_w3c
from .privacy import mask_personal_data
from .statuses import CLOSED, OPEN, label, open311_status, transition_status

View = Mapping[str, Any]
COORD_DECIMALS = 6  # ~0.1 m: enough for a map pin, no false precision


def request_id(view: View) -> str:
    """``service_request_id``: our public human-readable code (the internal UUID only as a fallback)."""
    return str(view.get("code") or view["id"])


def build_request(view: View, *, extensions: bool = False) -> dict[str, Any]:
    """One ``<request>`` from a public report view; copies only listed fields, never personal data."""
    timeline = sorted_timeline(view.get("timeline") or ())
    photos = [str(url) for url in view.get("photos") or ()]
    item: dict[str, Any] = {
        "service_request_id": request_id(view),
        "status": open311_status(view["status"]),  # may raise UnknownState
        "status_notes": latest_note(timeline),
        "service_name": view.get("category_name"),
        "service_code": str(view["category"]),
        "description": mask_personal_data(view.get("description")),
        "agency_responsible": view.get("agency_name"),
        "service_notice": service_notice(view),
        "requested_datetime": to_w3c(view.get("created_at")),
        "updated_datetime": to_w3c(view.get("updated_at") or view.get("created_at")),
        "expected_datetime": to_w3c(view.get("due_at")),
        "address": view.get("address"),
        "address_id": None,  # we have no address register
        "zipcode": None,  # not collected
        "lat": _coord(view.get("lat")),
        "long": _coord(view.get("lon")),
        "media_url": photos[0] if photos else None,
    }
    if extensions:
        item["extended_attributes"] = {
            "ward": view.get("ward_name"),
            "ward_code": view.get("ward_code"),
            "channel": view.get("channel"),
            "photos": photos,
        }
        item["notes"] = [build_note(entry) for entry in timeline]
    return item


def build_requests(views: Sequence[View], *, extensions: bool = False) -> list[dict[str, Any]]:
    """The ``<service_requests>`` list."""
    return [build_request(view, extensions=extensions) for view in views]


def sorted_timeline(entries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Public timeline entries, oldest first."""
    return sorted(entries, key=lambda entry: _instant(entry["at"]))


def latest_note(timeline: Sequence[Mapping[str, Any]]) -> str | None:
    """The latest non-empty public note (``status_notes``)."""
    for entry in reversed(timeline):
        if (entry.get("note") or "").strip():
            return mask_personal_data(entry["note"].strip())
    return None


def note_type(from_state: str | None, to_state: str) -> str:
    """Chicago-style note type: opened, closed, reopened, status_change or activity."""
    if from_state is None:
        return "opened"
    before, after = open311_status(from_state), open311_status(to_state)
    if before == OPEN and after == CLOSED:
        return "closed"
    if before == CLOSED and after == OPEN:
        return "reopened"
    return "status_change" if from_state != to_state else "activity"


def build_note(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One ``<note>`` of the extension history: datetime, description, type."""
    note = (entry.get("note") or "").strip()
    return {
        "datetime": to_w3c(entry["at"]),
        "description": mask_personal_data(note) if note else label(entry["to_status"]),
        "type": note_type(entry.get("from_status"), entry["to_status"]),
    }


def service_notice(view: View) -> str | None:
    """A bilingual notice: the deadline while the case is open."""
    due = view.get("due_at")
    if due is None or open311_status(view["status"]) == CLOSED:
        return None
    stamp = to_w3c(due)
    local = parse_w3c(stamp)
    return f"Hạn xử lý dự kiến: {local:%H:%M %d/%m/%Y} / Expected by {stamp}"


def build_update(entry: Mapping[str, Any], service_request_id: str) -> dict[str, Any]:
    """One mySociety ``<request_update>`` from a public timeline entry (needs ``update_id`` or ``id``)."""
    photos = [str(url) for url in entry.get("photos") or ()]
    note = (entry.get("note") or "").strip()
    return {
        "update_id": str(entry.get("update_id") or entry["id"]),
        "service_request_id": service_request_id,
        "status": transition_status(entry.get("from_status"), entry["to_status"], entry.get("reason")),
        "updated_datetime": to_w3c(entry["at"]),
        "description": mask_personal_data(note) if note else label(entry["to_status"]),
        "media_url": entry.get("media_url") or (photos[0] if photos else None),
    }


def post_response(
    *, service_request_id: str | None = None, token: str | None = None, service_notice: str | None = None
) -> list[dict[str, Any]]:
    """POST requests answer: id (realtime) or token (batch); ``account_id`` is never echoed (personal
    data)."""
    if (service_request_id is None) == (token is None):
        raise ValueError("exactly one of service_request_id and token is required")
    key, value = ("service_request_id", service_request_id) if token is None else ("token", token)
    return [{key: value, "service_notice": service_notice, "account_id": None}]


def token_response(token: str, service_request_id: str | None) -> list[dict[str, Any]]:
    """GET tokens/{token} answer; the id stays empty until the screened request becomes a case."""
    return [{"service_request_id": service_request_id, "token": token}]


def update_post_response(update_id: str) -> list[dict[str, Any]]:
    """POST servicerequestupdates answer (mySociety): the stored update id."""
    return [{"update_id": update_id}]


def _coord(value: Any) -> float | None:
    """A coordinate rounded for publication."""
    return None if value is None else round(float(value), COORD_DECIMALS)


def _instant(value: datetime | str) -> datetime:
    """An aware instant for sorting (naive values are UTC, as in to_w3c)."""
    return parse_w3c(to_w3c(value) or "")

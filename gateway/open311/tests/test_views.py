"""Public reports and posted updates → request elements and the servicerequestupdates feed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from gateway.open311.formats import render
from gateway.open311.requests import build_request
from gateway.open311.views import Names, add_posted_notes, feed_update, posted_update, report_view

from .builders import make_personal, rand_code, rand_word

UTC = UTC
T0 = datetime(2026, 3, 16, 1, 30, tzinfo=UTC)
NAMES = Names(
    categories={"CHIEU_SANG": "Chiếu sáng công cộng"},
    agencies={"UBND_18073": "UBND Phường Thành Sen"},
    wards={"18073": "Phường Thành Sen"},
)


def link(code: str, media_id: str) -> str:
    return f"https://gw.example.vn/open311/v2/media/{code}/{media_id}"


def step(minutes: int, from_status: str | None, to_status: str, note: str | None = None) -> dict:
    return {
        "at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "actor_role": "operator",
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
        "media_ids": [],
    }


def public_report(**overrides) -> dict:
    """A PublicReport as intake's search_reports returns it (JSON)."""
    report = {
        "id": str(uuid.uuid4()),
        "code": rand_code(),
        "category": "CHIEU_SANG",
        "priority": "BINH_THUONG",
        "description": f"Đèn đường tắt cả dãy {rand_word()}",
        "location": {"lat": 18.3419123, "lon": 105.9031234},
        "address": "Đường Trần Phú",
        "status": "DANG_XU_LY",
        "channel": "open311",
        "ward_code": "18073",
        "ward_approximate": True,
        "agency_code": "UBND_18073",
        "due_at": (T0 + timedelta(days=5)).isoformat(),
        "created_at": T0.isoformat(),
        "updated_at": (T0 + timedelta(hours=3)).isoformat(),
        "photos": [str(uuid.uuid4())],
        "timeline": [
            step(0, None, "CHO_TIEP_NHAN"),
            step(30, "CHO_TIEP_NHAN", "DA_TIEP_NHAN", "Đã xác minh"),
            step(31, "DA_TIEP_NHAN", "DA_CHUYEN_XU_LY"),
            step(180, "DA_CHUYEN_XU_LY", "DANG_XU_LY"),
        ],
    }
    report.update(overrides)
    return report


def test_a_public_report_becomes_a_full_request_element():
    report = public_report()
    item = build_request(report_view(report, NAMES, link), extensions=True)
    assert item["service_request_id"] == report["code"] and item["status"] == "open"
    assert (item["service_name"], item["agency_responsible"]) == (
        "Chiếu sáng công cộng",
        "UBND Phường Thành Sen",
    )
    assert (item["lat"], item["long"]) == (18.341912, 105.903123)
    assert item["expected_datetime"] == "2026-03-21T08:30:00+07:00" and item["status_notes"] == "Đã xác minh"
    assert item["media_url"] == link(report["code"], report["photos"][0])
    assert item["extended_attributes"] == {
        "ward": "Phường Thành Sen",
        "ward_code": "18073",
        "channel": "open311",
        "photos": [item["media_url"]],
    }
    assert [n["type"] for n in item["notes"]] == ["opened", "status_change", "status_change", "status_change"]


def test_an_unknown_agency_is_shown_by_its_code_and_no_agency_is_empty():
    assert (
        build_request(report_view(public_report(agency_code="SO_XAY_DUNG"), NAMES, link))[
            "agency_responsible"
        ]
        == "SO_XAY_DUNG"
    )
    assert (
        build_request(report_view(public_report(agency_code=None), NAMES, link))["agency_responsible"] is None
    )


def test_a_restricted_view_shows_only_id_service_and_status():
    report = public_report(status="CHO_TIEP_NHAN", agency_code="UBND_18073")
    item = build_request(report_view(report, NAMES, link, restricted=True), extensions=True)
    assert (item["status"], item["service_code"], item["service_request_id"]) == (
        "open",
        "CHIEU_SANG",
        report["code"],
    )
    shown = {k for k, v in item.items() if v not in (None, [], {})} - {"extended_attributes"}
    assert shown == {"service_request_id", "status", "service_code", "service_name"}, item
    assert not any(item["extended_attributes"].values()) and item["notes"] == []
    assert report["description"] not in str(item)


def test_report_view_copies_no_field_it_does_not_know():
    personal = make_personal()
    item = build_request(report_view(public_report(**personal), NAMES, link), extensions=True)
    body, _ = render("service_requests", [item], "json")
    assert not any(value.encode() in body for value in personal.values())


def posted(report: dict, minutes: int, text: str | None = "Vẫn còn tối", status: str = "OPEN") -> dict:
    """An UpdateView of intake's list_open311_updates."""
    return {
        "update_id": f"U{minutes}",
        "report_id": report["id"],
        "code": report["code"],
        "status": status,
        "requested_state": None,
        "state_at_post": "DANG_XU_LY",
        "description": text,
        "media_url": None,
        "updated_datetime": (T0 + timedelta(minutes=minutes)).isoformat(),
        "received_at": (T0 + timedelta(minutes=minutes)).isoformat(),
    }


def test_posted_updates_join_the_notes_as_activity_in_time_order_without_touching_status_notes():
    report = public_report()
    item = build_request(report_view(report, NAMES, link), extensions=True)
    add_posted_notes(item, [posted(report, 60, "Gọi 0912345678 để biết thêm")])
    assert [n["type"] for n in item["notes"]] == [
        "opened",
        "status_change",
        "status_change",
        "activity",
        "status_change",
    ]
    assert "[đã ẩn]" in item["notes"][3]["description"] and item["status_notes"] == "Đã xác minh"
    plain = build_request(report_view(report, NAMES, link))
    assert add_posted_notes(plain, [posted(report, 60)]) == plain and "notes" not in plain


def feed_step(code: str, ordinal: int, minutes: int, from_status, to_status, note=None) -> dict:
    """A step of intake's open311_feed (FeedItem as JSON)."""
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    return {
        "kind": 0,
        "id": 10 + ordinal,
        "code": code,
        "lat": 18.34,
        "lon": 105.9,
        "recorded_at": at,
        "updated_datetime": at,
        "ordinal": ordinal,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
        "update_id": None,
        "state_at_post": None,
        "description": None,
        "media_url": None,
    }


def test_feed_items_have_stable_timeline_ids_and_posted_updates_keep_the_case_status():
    report = public_report()
    code = report["code"]
    items = [
        feed_step(code, 1, 0, None, "CHO_TIEP_NHAN"),
        feed_step(code, 2, 30, "CHO_TIEP_NHAN", "DA_TIEP_NHAN"),
        feed_step(code, 3, 31, "DA_TIEP_NHAN", "DA_CHUYEN_XU_LY", "Gọi 0912345678"),
        {**posted(report, 90, status="FIXED"), "kind": 1, "id": 90, "lat": 18.34, "lon": 105.9},
        feed_step(code, 4, 180, "DA_CHUYEN_XU_LY", "DANG_XU_LY"),
        feed_step(code, 5, 200, "DONG", "DANG_XU_LY"),
    ]
    feed = [feed_update(item) for item in items]
    assert [u["update_id"] for u in feed] == [f"{code}.{n}" for n in (1, 2, 3)] + [
        "U90",
        f"{code}.4",
        f"{code}.5",
    ]
    assert [u["status"] for u in feed] == [
        "FOR_TRIAGE",
        "OPEN",
        "ACTION_SCHEDULED",
        "IN_PROGRESS",
        "IN_PROGRESS",
        "REOPEN",
    ]
    assert all(u["service_request_id"] == code for u in feed) and "[đã ẩn]" in feed[2]["description"]
    assert all(u["updated_datetime"].endswith("+07:00") for u in feed)
    assert set(feed[0]) == {
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
        "media_url",
    }


def test_posted_update_without_text_has_no_description():
    assert posted_update(posted(public_report(), 5, text=None))["description"] is None

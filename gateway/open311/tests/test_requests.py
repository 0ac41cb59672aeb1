"""Request, note, update, POST-response and token elements."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from gateway.open311.formats import render
from gateway.open311.privacy import PERSONAL_FIELDS, REDACTED, mask_personal_data
from gateway.open311.requests import (
    build_request,
    build_requests,
    build_update,
    post_response,
    token_response,
    update_post_response,
)

from .builders import make_entry, make_personal, make_view

SPEC_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
W3C_VN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$")


def test_request_element_has_the_spec_fields_in_order():
    view = make_view()
    item = build_request(view)
    assert list(item) == SPEC_FIELDS
    assert item["service_request_id"] == view["code"]
    assert item["status"] == "open"
    assert item["status_notes"] == "Đơn vị đã nhận xử lý"
    assert (item["service_code"], item["service_name"]) == ("GIAO_THONG_HA_TANG", "Hạ tầng giao thông")
    assert item["agency_responsible"] == "UBND phường Thành Sen"
    assert item["lat"] == round(view["lat"], 6) and item["long"] == round(view["lon"], 6)
    assert item["media_url"] == view["photos"][0]
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C_VN.match(item[name]), item[name]


def test_times_are_converted_to_vietnam_time():
    view = make_view(created_at=datetime(2026, 3, 16, 17, 30, tzinfo=UTC), updated_at=None, due_at=None)
    item = build_request(view)
    assert item["requested_datetime"] == "2026-03-17T00:30:00+07:00"
    assert item["updated_datetime"] == item["requested_datetime"]  # never updated: created time
    assert item["expected_datetime"] is None and item["service_notice"] is None


def test_id_falls_back_to_uuid_when_no_code():
    view = make_view(code=None)
    assert build_request(view)["service_request_id"] == view["id"]


def test_service_notice_gives_the_deadline_while_open_only():
    due = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
    assert build_request(make_view(due_at=due))["service_notice"] == (
        "Hạn xử lý dự kiến: 17:00 20/03/2026 / Expected by 2026-03-20T17:00:00+07:00"
    )
    assert build_request(make_view(due_at=due, status="DONG"))["service_notice"] is None


def test_status_notes_is_the_latest_non_empty_note_whatever_the_input_order():
    view = make_view()
    at = view["created_at"]
    view["timeline"] = [
        make_entry(at + timedelta(hours=9), "DANG_XU_LY", "DA_XU_LY", "  "),
        make_entry(at + timedelta(hours=8), "DANG_XU_LY", "DANG_XU_LY", "Mới nhất"),
        make_entry(at, None, "CHO_TIEP_NHAN", "Cũ"),
    ]
    assert build_request(view)["status_notes"] == "Mới nhất"
    assert build_request(make_view(timeline=[]))["status_notes"] is None


@pytest.mark.parametrize(
    "state,status",
    [("DA_CONG_KHAI", "closed"), ("TU_CHOI", "closed"), ("CHO_BO_SUNG", "open"), ("DONG", "closed")],
)
def test_status_is_open_or_closed(state, status):
    assert build_request(make_view(status=state))["status"] == status


def test_extensions_add_extended_attributes_and_notes():
    view = make_view()
    view["timeline"].append(make_entry(view["created_at"] + timedelta(days=3), "DANG_XU_LY", "DA_XU_LY"))
    view["timeline"].append(
        make_entry(view["created_at"] + timedelta(days=4), "DA_XU_LY", "DA_CONG_KHAI", "Xong")
    )
    view["timeline"].append(make_entry(view["created_at"] + timedelta(days=5), "DA_CONG_KHAI", "DANG_XU_LY"))
    view["timeline"].append(
        make_entry(view["created_at"] + timedelta(days=6), "DANG_XU_LY", "DANG_XU_LY", "Tiến độ")
    )
    item = build_request(view, extensions=True)
    assert list(item)[: len(SPEC_FIELDS)] == SPEC_FIELDS
    assert item["extended_attributes"] == {
        "ward": "Phường Thành Sen",
        "ward_code": "18073",
        "channel": view["channel"],
        "photos": view["photos"],
    }
    assert [n["type"] for n in item["notes"]] == [
        "opened",
        "status_change",
        "status_change",
        "status_change",
        "status_change",
        "closed",
        "reopened",
        "activity",
    ]
    assert item["notes"][2]["description"] == "Đã chuyển đơn vị xử lý / Sent to the handling agency"
    assert all(
        W3C_VN.match(n["datetime"]) and list(n) == ["datetime", "description", "type"] for n in item["notes"]
    )
    assert "notes" not in build_request(view) and "extended_attributes" not in build_request(view)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_request_with_extensions_renders_in_both_formats(fmt):
    view = make_view()
    body, _ = render("service_requests", build_requests([view, make_view()], extensions=True), fmt)
    if fmt == "xml":
        requests = ET.fromstring(body).findall("request")
        assert len(requests) == 2
        first = requests[0]
        assert first.find("service_request_id").text == view["code"]
        assert [p.text for p in first.findall("extended_attributes/photos/photo")] == view["photos"]
        assert len(first.findall("notes/note")) == len(view["timeline"])
        assert first.find("address_id").text is None
    else:
        data = json.loads(body)
        assert isinstance(data, list) and data[0]["service_request_id"] == view["code"]
        assert isinstance(data[0]["service_code"], str) and isinstance(data[0]["lat"], float)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_personal_data_never_reaches_the_output(fmt):
    personal = make_personal()
    view = make_view(**personal, reporter_id=personal["account_id"])
    view["timeline"][1]["reporter_name"] = personal["reporter_name"]
    body, _ = render("service_requests", [build_request(view, extensions=True)], fmt)
    text = body.decode("utf-8")
    assert not [value for value in personal.values() if value in text]
    assert not [name for name in PERSONAL_FIELDS if f'"{name}"' in text or f"<{name}>" in text]


def test_contacts_typed_into_public_text_are_masked():
    view = make_view(description="Gọi tôi 0912 345 678 hoặc +84912345678, mail an.nguyen@gmail.com nhé")
    view["timeline"][-1]["note"] = "Liên hệ 0239.3855.123"
    item = build_request(view, extensions=True)
    assert item["description"] == f"Gọi tôi {REDACTED} hoặc {REDACTED}, mail {REDACTED} nhé"
    assert item["status_notes"] == f"Liên hệ {REDACTED}"
    assert item["notes"][-1]["description"] == f"Liên hệ {REDACTED}"


@pytest.mark.parametrize(
    "text", ["Đường dây nóng 1900 9038", "Quốc lộ 1A km 512", "Năm 2026, 15 hộ", "Mã HT-2026-000123"]
)
def test_ordinary_numbers_are_not_masked(text):
    assert mask_personal_data(text) == text


def test_update_element():
    at = datetime(2026, 3, 16, 1, 30, tzinfo=UTC)
    entry = make_entry(at, "DANG_XU_LY", "DA_XU_LY", "Đã vá ổ gà", photos=["https://m.vn/a.jpg"])
    update = build_update(entry, "HT-2026-000009")
    assert update == {
        "update_id": entry["id"],
        "service_request_id": "HT-2026-000009",
        "status": "IN_PROGRESS",
        "updated_datetime": "2026-03-16T08:30:00+07:00",
        "description": "Đã vá ổ gà",
        "media_url": "https://m.vn/a.jpg",
    }
    reopened = build_update(make_entry(at, "DA_DANH_GIA", "DANG_XU_LY", update_id="u-7"), "HT-1")
    assert (reopened["update_id"], reopened["status"], reopened["media_url"]) == ("u-7", "REOPEN", None)
    assert reopened["description"] == "Đang xử lý / In progress"
    rejected = build_update(
        make_entry(at, "CHO_TIEP_NHAN", "TU_CHOI", "x", reason="KHONG_THUOC_PHAM_VI"), "HT-2"
    )
    assert rejected["status"] == "NOT_COUNCILS_RESPONSIBILITY"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_updates_render_as_request_update_list(fmt):
    at = datetime(2026, 3, 16, 1, 30, tzinfo=UTC)
    updates = [build_update(make_entry(at, "DA_XU_LY", "DA_CONG_KHAI", "Xong"), "HT-3")]
    body, _ = render("service_request_updates", updates, fmt)
    if fmt == "xml":
        root = ET.fromstring(body)
        assert root.tag == "service_request_updates"
        assert root.find("request_update/status").text == "FIXED"
    else:
        assert json.loads(body)[0]["status"] == "FIXED"


def test_post_response_with_id_or_token_and_never_account_id():
    assert post_response(service_request_id="HT-1", service_notice="n") == [
        {"service_request_id": "HT-1", "service_notice": "n", "account_id": None}
    ]
    assert post_response(token="tok-1") == [{"token": "tok-1", "service_notice": None, "account_id": None}]
    for bad in ({}, {"service_request_id": "a", "token": "b"}):
        with pytest.raises(ValueError):
            post_response(**bad)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_response_and_token_shapes(fmt):
    body, _ = render("service_requests", post_response(token="tok-9"), fmt)
    body2, _ = render("service_requests", token_response("tok-9", "HT-9"), fmt)
    body3, _ = render("service_request_updates", update_post_response("u-1"), fmt)
    if fmt == "xml":
        request = ET.fromstring(body).find("request")
        assert [c.tag for c in request] == ["token", "service_notice", "account_id"]
        assert request.find("account_id").text is None
        resolved = ET.fromstring(body2).find("request")
        assert (resolved.find("service_request_id").text, resolved.find("token").text) == ("HT-9", "tok-9")
        assert ET.fromstring(body3).find("request_update/update_id").text == "u-1"
    else:
        assert json.loads(body) == [{"token": "tok-9", "service_notice": None, "account_id": None}]
        assert json.loads(body2) == [{"service_request_id": "HT-9", "token": "tok-9"}]
        assert json.loads(body3) == [{"update_id": "u-1"}]

"""Who sees a case, through the HTTP API with every service running: a citizen's urgency is routed at once but
public only once verified; the channel is the caller's; an unverified report gives nothing away (no place, no
text, no suggestion); a verified case stays public through every later state."""

from __future__ import annotations

import uuid

import pytest

from devtools.testing import unique_ip

from .test_lifecycle_support import (  # noqa: F401  (fixtures)
    CENTROID,
    accepted_and_routed,
    agency,
    client,
    jpeg_bytes,
    operator,
    operator_case,
    report_body,
    routed_to,
    staff,
    submit,
    wait_for,
)

pytestmark = pytest.mark.e2e
AGENCY, WARD = "UBND_18073", "18073"
OPEN311 = "/open311/v2"
RESTRICTED = {"id", "code", "category", "status", "restricted"}


def shown_fields(view: dict) -> set[str]:
    """The fields of a view that say something (empty lists, zeros and False say nothing)."""
    return {k for k, v in view.items() if v not in (None, [], "", 0, False)}


def elsewhere() -> dict:
    """Headers of a client that is not on loopback (rate limits apply to it), with its own device."""
    return {"X-Forwarded-For": unique_ip(), "X-Device-Id": uuid.uuid4().hex}


def inbox_ids(client, headers: dict) -> set[str]:
    """Every case in the agency's "new" inbox, page by page (other tests of the session fill it too)."""
    ids: set[str] = set()
    for offset in range(0, 100_000, 500):
        page = client.get(
            "/v1/agency/inbox", params={"bucket": "new", "offset": offset, "limit": 500}, headers=headers
        )
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        ids |= {i["id"] for i in items}
        if len(items) < 500:
            return ids
    return ids


def public_everywhere(client, ref: dict) -> dict[str, bool]:
    """Where the public can find the report: its page, the list, the map, Open311 (by id and in the list)."""
    marker = {"q": ref["code"]}
    page = client.get(f"/v1/reports/{ref['id']}").json()
    listed = client.get("/v1/reports", params=marker).json()["items"]
    mapped = client.get("/v1/reports.geojson", params=marker).json()["features"]
    by_id = client.get(f"{OPEN311}/requests/{ref['code']}.json").json()[0]
    in_list = client.get(f"{OPEN311}/requests.json", params=marker).json()
    return {
        "page": not page["restricted"],
        "list": bool(listed),
        "map": bool(mapped),
        "open311": by_id.get("lat") is not None,
        "open311_list": bool(in_list),
    }


def test_an_anonymous_urgent_report_is_routed_at_once_but_public_only_once_verified(client, staff):
    body = report_body(WARD, priority="KHAN", description=f"Cây đổ đè dây điện {uuid.uuid4().hex[:6]}")
    answer = client.post("/v1/reports", json=body)
    assert answer.status_code == 201, answer.text
    ref = answer.json()
    photo = client.post(
        f"/v1/reports/{ref['id']}/media",
        headers={"X-Tracking-Token": ref["tracking_token"]},
        files={"file": ("tree.jpg", jpeg_bytes(), "image/jpeg")},
    )
    assert photo.status_code == 201, photo.text
    routed_to(client, staff, ref["id"], AGENCY)  # danger does not wait: the agency has it, with its photo
    officer = staff.headers("agency_officer", AGENCY)
    assert ref["id"] in inbox_ids(client, officer)
    assert [
        m["url"] is not None for m in client.get(f"/v1/reports/{ref['id']}/media", headers=officer).json()
    ] == [True]
    assert [m["url"] for m in client.get(f"/v1/reports/{ref['id']}/media").json()] == [
        None
    ]  # the public: nothing
    assert public_everywhere(client, ref) == dict.fromkeys(
        ("page", "list", "map", "open311", "open311_list"), False
    )
    page = client.get(f"/v1/reports/{ref['id']}").json()
    assert shown_fields(page) == RESTRICTED, page
    queue = client.get("/v1/operator/queue", params={"limit": 500}, headers=staff.headers()).json()["items"]
    assert queue[0]["bucket"] == "urgent" and ref["id"] in [i["id"] for i in queue if i["bucket"] == "urgent"]

    verified = operator(client, staff, ref["id"], "verify", priority="BINH_THUONG", note="Đã xác minh")
    assert (verified["public"], verified["priority"], verified["status"]) == (
        True,
        "BINH_THUONG",
        "DA_CHUYEN_XU_LY",
    )
    assert wait_for(lambda: public_everywhere(client, ref), all) == dict.fromkeys(
        ("page", "list", "map", "open311", "open311_list"), True
    )
    urgent = client.get(
        "/v1/operator/queue", params={"bucket": "urgent", "limit": 500}, headers=staff.headers()
    )
    assert ref["id"] not in [i["id"] for i in urgent.json()["items"]]


def test_a_channel_in_an_anonymous_body_is_ignored(client, staff):
    answer = client.post("/v1/reports", json=report_body(WARD, channel="hotline"))
    assert answer.status_code == 201, answer.text
    ref = answer.json()
    assert ref["status"] == "CHO_TIEP_NHAN"  # no trusted channel was taken from the body
    case = operator_case(client, staff, ref["id"])
    assert case["channel"] == "web" and case["public"] is False


def test_staff_enter_a_hotline_call_on_its_own_channel(client, staff):
    body = report_body(WARD, description=f"Gọi đường dây nóng: đèn tắt {uuid.uuid4().hex[:6]}")
    assert client.post("/v1/operator/reports", json=body).status_code == 401
    officer = staff.headers("agency_officer", AGENCY)
    assert client.post("/v1/operator/reports", json=body, headers=officer).status_code == 403
    entered = client.post(
        "/v1/operator/reports",
        json=body,
        headers={**staff.headers(), "Idempotency-Key": f"hotline-{uuid.uuid4()}"},
    )
    assert entered.status_code == 201, entered.text
    case = operator_case(client, staff, entered.json()["id"])
    assert case["channel"] == "hotline" and case["timeline"][0]["actor_role"] == "operator"


def test_an_unverified_report_gives_away_neither_its_place_nor_its_text(client, staff):
    pending = submit(client, description="Có đối tượng buôn bán ma tuý ở hẻm 5")
    page = client.get(f"/v1/reports/{pending['id']}")
    assert page.status_code == 200 and shown_fields(page.json()) == RESTRICTED
    element = client.get(f"{OPEN311}/requests/{pending['code']}.json").json()[0]
    assert {k for k, v in element.items() if v not in (None, [], {})} == {
        "service_request_id",
        "status",
        "service_code",
        "service_name",
    }
    xml = client.get(f"{OPEN311}/requests/{pending['code']}.xml").text
    assert "<lat>" not in xml.replace("<lat/>", "") and "ma tuý" not in xml
    point = CENTROID[WARD]
    similar = client.post(
        "/v1/reports/similar",
        json={"category": "GIAO_THONG_HA_TANG", "location": {"lat": point["lat"], "lon": point["lon"]}},
    )
    assert similar.status_code == 200 and pending["id"] not in similar.text
    mine = client.get(f"/v1/reports/{pending['id']}", headers={"X-Tracking-Token": pending["tracking_token"]})
    assert mine.json()["location"] and mine.json()["description"].startswith("Có đối tượng")


def test_is_this_yours_is_rate_limited(client):
    headers, point = elsewhere(), CENTROID[WARD]
    ask = {"category": "GIAO_THONG_HA_TANG", "location": {"lat": point["lat"], "lon": point["lon"]}}
    answers = [client.post("/v1/reports/similar", json=ask, headers=headers) for _ in range(30)]
    assert [a.status_code for a in answers] == [200] * 30  # the device's 30 a minute
    for _ in range(10):  # a sliding window: a question or two may fit again as the previous minute fades
        limited = client.post("/v1/reports/similar", json=ask, headers=headers)
        if limited.status_code == 429:
            break
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["errors"][0]["field"] == "client.device"


def test_a_returned_case_stays_on_the_public_map_with_a_plain_label(client, staff):
    ref, _ = accepted_and_routed(client, staff, WARD)
    agency(
        client, staff, AGENCY, ref["id"], "return", reason="Không thuộc thẩm quyền", suggested_agency="SO_XD"
    )
    page = client.get(f"/v1/reports/{ref['id']}").json()
    assert (page["status"], page["restricted"]) == ("TRA_LAI", False)
    assert page["status_label"] == "Đơn vị trả lại, đang chuyển lại" and page["status_label_en"]
    assert public_everywhere(client, ref) == dict.fromkeys(
        ("page", "list", "map", "open311", "open311_list"), True
    )
    [feature] = client.get("/v1/reports.geojson", params={"q": ref["code"]}).json()["features"]
    assert feature["properties"]["status"] == "TRA_LAI"

"""One real report through every service: gateway → intake → routing → intake/notify, media, feedback."""

from __future__ import annotations

import io
import time
import uuid

import httpx
import pytest

from libs.auth.tokens import mint

pytestmark = pytest.mark.e2e

PERSONAL = ("Lê Văn C", "0911222333", "c@example.vn")


def report_body(**overrides) -> dict:
    body = {
        "category": "GIAO_THONG_HA_TANG",
        "description": "Ổ gà sâu giữa đường, nguy hiểm cho xe máy",
        "location": {"lat": 18.3419, "lon": 105.903},
        "address": "Đường Trần Phú",
        "reporter": {"name": PERSONAL[0], "phone": PERSONAL[1], "email": PERSONAL[2]},
    }
    body.update(overrides)
    return body


def wait_for(fetch, predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture
def client(system):
    with httpx.Client(base_url=system.base_url, timeout=20) as c:
        yield c


def triage(client, system, report_id: str) -> None:
    """An IOC operator accepts the report (manual triage is the default)."""
    token = mint("e2e-operator", "operator", system.stack.secrets["HT_JWT_SECRET"])
    accepted = client.post(
        f"/v1/operator/reports/{report_id}/accept",
        json={"note": "Đã xác minh"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "DA_TIEP_NHAN", accepted.text


def jpeg_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def test_a_report_flows_through_every_service(client, system, rpc_e2e):
    key = str(uuid.uuid4())
    created = client.post("/v1/reports", json=report_body(), headers={"Idempotency-Key": key})
    assert created.status_code == 201, created.text
    ref = created.json()
    assert {"id", "code", "tracking_token", "status"} <= ref.keys() and ref["code"].startswith("HT-")
    assert ref["status"] == "CHO_TIEP_NHAN"
    triage(client, system, ref["id"])

    view = wait_for(
        lambda: client.get(f"/v1/reports/{ref['id']}").json(), lambda v: v["status"] == "DA_CHUYEN_XU_LY"
    )
    assert view["status"] == "DA_CHUYEN_XU_LY", view
    assert view["ward_code"] == "18073" and view["agency_code"] == "UBND_18073"
    assert [s["to_status"] for s in view["timeline"]] == ["CHO_TIEP_NHAN", "DA_TIEP_NHAN", "DA_CHUYEN_XU_LY"]
    assert view["timeline"][-1]["note"] == (
        "Chuyển UBND Phường Thành Sen / routed to People's Committee of Thành Sen Ward"
    )  # names, not codes
    assert "reporter" not in view and not any(p in str(view) for p in PERSONAL)

    own = client.get(f"/v1/reports/{ref['id']}", headers={"X-Tracking-Token": ref["tracking_token"]}).json()
    assert own["reporter"]["phone"] == PERSONAL[1]

    decision = rpc_e2e.routing.get_decision(ref["id"])
    assert decision["reason"] == "default" and decision["agency_code"] == "UBND_18073"
    routed = ("UBND_18073", "case.routed")  # citizens' notices may sit beside it
    deliveries = wait_for(
        lambda: rpc_e2e.notify.list_deliveries(ref["id"]),
        lambda ds: routed in [(d["recipient"], d["kind"]) for d in ds],
    )
    assert [(d["recipient"], d["kind"]) for d in deliveries].count(routed) == 1

    photo = client.post(
        f"/v1/reports/{ref['id']}/media",
        files={"file": ("pothole.jpg", jpeg_bytes(), "image/jpeg")},
        headers={"X-Tracking-Token": ref["tracking_token"]},
    )
    assert photo.status_code == 201, photo.text
    assert photo.json()["state"] == "ready"
    stored = httpx.get(photo.json()["url"])
    assert stored.status_code == 200 and stored.content[:3] == b"\xff\xd8\xff"

    rating = client.get(f"/v1/reports/{ref['id']}/rating")
    assert rating.status_code == 200 and rating.json()["state"] == "NOT_OPEN"

    again = client.post("/v1/reports", json=report_body(), headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json()["id"] == ref["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_bad_input_is_a_problem_naming_the_field(client):
    bad = client.post("/v1/reports", json=report_body(description="", location={"lat": 95, "lon": 105.9}))
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"description", "location.lat"} <= fields
    unknown = client.post("/v1/reports", json=report_body(category="KHONG_CO"))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "category"


def test_a_file_that_is_not_an_image_is_refused(client):
    ref = client.post("/v1/reports", json=report_body()).json()
    refused = client.post(
        f"/v1/reports/{ref['id']}/media",
        headers={"X-Tracking-Token": ref["tracking_token"]},
        files={"file": ("x.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")},
    )
    assert refused.status_code == 415 and refused.json()["errors"][0]["field"] == "file"


def test_unknown_report_is_404_and_health_endpoints_answer(client):
    missing = client.get(f"/v1/reports/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["code"] == "REPORT_NOT_FOUND"
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["services"]["media"]["object_store"] is True
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1") and "/v1/reports" in spec["paths"]


def test_routing_catches_up_after_being_down(client, system):
    """Events published while routing is stopped wait in its durable queue (declared before publishing)."""
    system.stop_process("routing")
    try:
        ref = client.post("/v1/reports", json=report_body(category="CHIEU_SANG")).json()
        triage(client, system, ref["id"])
        time.sleep(1.0)
        assert client.get(f"/v1/reports/{ref['id']}").json()["status"] == "DA_TIEP_NHAN"
    finally:
        system.restart_process("routing")
    view = wait_for(
        lambda: client.get(f"/v1/reports/{ref['id']}").json(),
        lambda v: v["status"] == "DA_CHUYEN_XU_LY",
        timeout=60,
    )
    assert view["agency_code"] == "UBND_18073"


def test_a_stopped_service_gives_503_not_a_hang(client, system):
    system.stop_process("feedback")
    try:
        ref = client.post("/v1/reports", json=report_body()).json()
        started = time.monotonic()
        answer = client.get(f"/v1/reports/{ref['id']}/rating")
        assert answer.status_code in (503, 504) and time.monotonic() - started < 12
        assert answer.headers["content-type"].startswith("application/problem+json")
    finally:
        system.restart_process("feedback")
        system.wait_ready()

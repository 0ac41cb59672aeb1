"""The case lifecycle through the HTTP API with every service running: the full path, return and re-route,
merge duplicates, rate limits."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest
import sqlalchemy as sa

from services.intake.repository.models import audit_log

from .test_lifecycle_support import (  # noqa: F401  (fixtures)
    accepted_and_routed,
    agency,
    citizen,
    client,
    jpeg_bytes,
    operator,
    operator_case,
    person,
    personal_keys,
    personal_values,
    report_body,
    routed_to,
    staff,
    submit,
    wait_for,
)

pytestmark = pytest.mark.e2e
AGENCY = "UBND_18073"


def upload_after_photo(client, staff, report_id: str) -> str:
    answer = client.post(
        f"/v1/agency/reports/{report_id}/media",
        headers=staff.headers("agency_officer", AGENCY),
        files={"file": ("after.jpg", jpeg_bytes(), "image/jpeg")},
        data={"role": "result"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "ready" and answer.json()["role"] == "result"
    return answer.json()["id"]


def test_the_whole_lifecycle_through_the_api(client, staff, rpc_e2e):
    reporter = person()
    ref = submit(client, reporter=reporter)
    assert ref["status"] == "CHO_TIEP_NHAN"  # manual triage is the default
    queue = client.get("/v1/operator/queue", params={"bucket": "new", "limit": 500}, headers=staff.headers())
    assert ref["id"] in [i["id"] for i in queue.json()["items"]]

    # triage: ask for more, the citizen answers, the operator accepts → routing routes it
    operator(client, staff, ref["id"], "request-info", note="Xin gửi thêm vị trí cụ thể")
    own = citizen(client, ref, "info", note="Trước số nhà 12")
    assert own["status"] == "CHO_TIEP_NHAN" and own["reporter"]["phone"] == reporter["phone"]
    operator(client, staff, ref["id"], "accept", priority="BINH_THUONG", note="Đã xác minh")
    routed_to(client, staff, ref["id"], AGENCY)
    inbox = client.get(
        "/v1/agency/inbox", params={"bucket": "new"}, headers=staff.headers("agency_officer", AGENCY)
    )
    assert ref["id"] in [i["id"] for i in inbox.json()["items"]]

    # agency work: accept, progress, extension (operator approves), result with an after-photo
    agency(client, staff, AGENCY, ref["id"], "accept", note="Đơn vị đã nhận")
    agency(client, staff, AGENCY, ref["id"], "progress", note="Đã khảo sát hiện trường")
    agency(client, staff, AGENCY, ref["id"], "extension", role="agency_leader", days=2, note="Chờ nhựa đường")
    case = operator(client, staff, ref["id"], "extension/approve", note="Đồng ý gia hạn 2 ngày")
    assert "GIA_HAN" in case["flags"] and case["extension_pending_days"] is None
    missing = client.post(
        f"/v1/agency/reports/{ref['id']}/result",
        json={"note": "Xong", "media_ids": []},
        headers=staff.headers("agency_officer", AGENCY),
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "media_ids"
    photo = upload_after_photo(client, staff, ref["id"])
    done = agency(client, staff, AGENCY, ref["id"], "result", note="Đã vá ổ gà", media_ids=[photo])
    assert done["status"] == "DA_XU_LY"

    # review: the operator publishes; the citizen is unsatisfied and asks to reopen; the operator reopens
    assert operator(client, staff, ref["id"], "publish", note="Kết quả đạt")["status"] == "DA_CONG_KHAI"
    rating = wait_for(
        lambda: client.get(f"/v1/reports/{ref['id']}/rating").json(), lambda r: r["state"] == "OPEN"
    )
    assert rating["state"] == "OPEN"
    assert citizen(client, ref, "rating", rating="KHONG_HAI_LONG")["status"] == "DA_DANH_GIA"
    citizen(client, ref, "reopen", note="Ổ gà lại xuất hiện sau mưa")
    queue = client.get(
        "/v1/operator/queue", params={"bucket": "reopen_requests", "limit": 500}, headers=staff.headers()
    )
    assert ref["id"] in [i["id"] for i in queue.json()["items"]]
    reopened = operator(client, staff, ref["id"], "reopen/approve", note="Mở lại cho đơn vị", due_in_days=3)
    assert (reopened["status"], reopened["agency_code"]) == ("DANG_XU_LY", AGENCY)
    clock = wait_for(
        lambda: rpc_e2e.routing.explain_decision(payload={"report_id": ref["id"]})["case"],
        lambda c: c["reopen_due_at"] is not None,
    )  # routing owns the deadline: it takes the new one
    assert datetime.fromisoformat(clock["due_at"]) == datetime.fromisoformat(reopened["due_at"])
    assert clock["status"] == "DANG_XU_LY" and not any(e.startswith("process:") for e in clock["escalations"])

    # the reopened case reaches the agency again, is done again, and closes with a rating
    inbox = client.get(
        "/v1/agency/inbox", params={"bucket": "in_progress"}, headers=staff.headers("agency_leader", AGENCY)
    )
    assert ref["id"] in [i["id"] for i in inbox.json()["items"]]
    photo2 = upload_after_photo(client, staff, ref["id"])
    agency(client, staff, AGENCY, ref["id"], "result", note="Đã thảm lại mặt đường", media_ids=[photo2])
    operator(client, staff, ref["id"], "publish")
    assert citizen(client, ref, "rating", rating="HAI_LONG")["status"] == "DA_DANH_GIA"
    again = client.post(
        f"/v1/reports/{ref['id']}/reopen",
        json={"note": "lần nữa"},
        headers={"X-Tracking-Token": ref["tracking_token"]},
    )
    assert again.status_code == 409 and again.json()["code"] == "TRANSITION_NOT_ALLOWED"

    # the public sees every public step and no personal data or internal note
    public = client.get(f"/v1/reports/{ref['id']}").json()
    steps = [s["to_status"] for s in public["timeline"]]
    assert steps[:4] == ["CHO_TIEP_NHAN", "DA_TIEP_NHAN", "DA_CHUYEN_XU_LY", "DANG_XU_LY"]
    assert steps[-1] == "DA_DANH_GIA" and "DA_CONG_KHAI" in steps and "TRA_LAI" not in steps
    notes = {s.get("note") for s in public["timeline"]}
    assert (
        "Đồng ý gia hạn 2 ngày" in notes and "Chờ nhựa đường" not in notes and "Trước số nhà 12" not in notes
    )
    assert not personal_keys(public) and not any(v in str(public) for v in personal_values(reporter))
    full = operator_case(client, staff, ref["id"])
    actions = [s["action"] for s in full["timeline"]]
    for verb in (
        "request_info",
        "supply_info",
        "accept",
        "route",
        "agency_accept",
        "progress_note",
        "request_extension",
        "approve_extension",
        "post_result",
        "publish",
        "rate",
        "request_reopen",
        "approve_reopen",
    ):
        assert verb in actions, (verb, actions)
    assert [s["agency_code"] for s in full["agencies"]] == [AGENCY]
    assert not personal_keys(full) and not any(v in str(full) for v in personal_values(reporter))


def test_return_and_reroute_to_another_agency(client, staff):
    ref, _ = accepted_and_routed(client, staff)
    returned = agency(
        client,
        staff,
        AGENCY,
        ref["id"],
        "return",
        reason="Tuyến đường tỉnh, thuộc Sở Xây dựng",
        suggested_agency="SO_XD",
    )
    assert returned["status"] == "TRA_LAI"
    queue = client.get(
        "/v1/operator/queue", params={"bucket": "returned", "limit": 500}, headers=staff.headers()
    )
    assert ref["id"] in [i["id"] for i in queue.json()["items"]]
    operator(client, staff, ref["id"], "reroute", agency_code="SO_XD", note="Chuyển Sở Xây dựng")
    case = routed_to(client, staff, ref["id"], "SO_XD")
    assert [(s["agency_code"], s["end_reason"]) for s in case["agencies"]] == [
        (AGENCY, "returned"),
        ("SO_XD", None),
    ]
    assert case["past_agencies"] == [AGENCY]
    # the new agency works it; the old one still reads it but can no longer act
    agency(client, staff, "SO_XD", ref["id"], "accept")
    old = client.get(f"/v1/agency/reports/{ref['id']}", headers=staff.headers("agency_officer", AGENCY))
    assert old.status_code == 200 and old.json()["status"] == "DANG_XU_LY"
    refused = client.post(
        f"/v1/agency/reports/{ref['id']}/progress",
        json={"note": "x"},
        headers=staff.headers("agency_officer", AGENCY),
    )
    assert refused.status_code == 403


def test_merge_a_duplicate_and_every_reporter_follows_the_case(client, staff, rpc_e2e, system):
    first_reporter, second_reporter = person(), person()
    first = submit(client, reporter=first_reporter)
    operator(client, staff, first["id"], "accept")
    second = submit(client, reporter=second_reporter)
    assert first["id"] in [s["id"] for s in second["similar"]]  # "is this yours?"
    merged = operator(client, staff, second["id"], "merge", into=first["code"], note="Cùng một ổ gà")
    assert (merged["status"], merged["duplicate_of"]) == ("TU_CHOI", first["id"])
    me_too = client.post(
        f"/v1/reports/{first['id']}/me-too", json={"contact": {"email": "hang.xom@example.vn"}}
    )
    assert me_too.status_code == 201 and me_too.json()["supporters"] == 2
    own = client.get(
        f"/v1/reports/{second['id']}", headers={"X-Tracking-Token": second["tracking_token"]}
    ).json()
    assert own["status"] == "TU_CHOI"
    from nameko.exceptions import RemoteError

    from libs.auth.grants import mint_grant

    with pytest.raises(RemoteError, match="FORBIDDEN"):  # broker credentials alone read no contacts
        rpc_e2e.intake.notification_recipients(payload={"report_id": first["id"], "purpose": "e2e"})
    grant = mint_grant(
        system.stack.secrets["HT_GRANT_KEY"],
        sub="notify",
        role="service",
        agency=None,
        action="notification_recipients",
        report_id=first["id"],
        purpose="e2e",
    )
    recipients = rpc_e2e.intake.notification_recipients(
        payload={"report_id": first["id"], "purpose": "e2e", "grant": grant}
    )
    assert sorted(r["role"] for r in recipients) == ["follower", "follower", "reporter"]
    assert {r["phone"] for r in recipients} >= {first_reporter["phone"], second_reporter["phone"]}
    assert "hang.xom@example.vn" in {r["email"] for r in recipients}
    unsubscribed = client.post(
        f"/v1/reports/{first['id']}/followers/unsubscribe",
        headers={"X-Follower-Token": me_too.json()["follower_token"]},
    )
    assert unsubscribed.status_code == 200 and unsubscribed.json()["unsubscribed"] is True
    with system.stack.engine.connect() as db:
        rows = db.execute(
            sa.select(audit_log.c.action, audit_log.c.actor_kind, audit_log.c.purpose).where(
                audit_log.c.report_id == uuid.UUID(first["id"])
            )
        ).all()
    # the test's own read is audited once; notify's sweep may have read the recipients too (its purpose says
    # so)
    assert [r for r in rows if r.purpose == "e2e"] == [("notification_recipients", "service", "e2e")]
    assert all(
        r.action == "notification_recipients"
        and r.actor_kind == "service"
        and (r.purpose == "e2e" or r.purpose.startswith("notify:"))
        for r in rows
    ), rows


def test_submissions_are_rate_limited_per_device_with_retry_after(client):
    headers = {"X-Device-Id": f"device-{uuid.uuid4().hex}", "X-Forwarded-For": "198.51.100.23"}
    answers = [client.post("/v1/reports", json=report_body(reporter=None), headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [201, 201, 201]
    limited = answers[3]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert (
        limited.json()["code"] == "RATE_LIMITED" and limited.json()["errors"][0]["field"] == "client.device"
    )


def test_validation_outside_the_province_names_the_field(client):
    answer = client.post("/v1/reports", json=report_body(location={"lat": 10.77, "lon": 106.70}))  # TP.HCM
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "location"


def test_public_list_and_map_feed_show_only_verified_reports(client, staff):
    marker = f"BẢN ĐỒ {uuid.uuid4().hex[:8]}"
    shown = submit(client, description=f"{marker} đã xác minh")
    hidden = submit(client, description=f"{marker} chưa xác minh")
    operator(client, staff, shown["id"], "accept")
    page = client.get("/v1/reports", params={"q": marker, "category": "GIAO_THONG_HA_TANG"}).json()
    assert [i["id"] for i in page["items"]] == [shown["id"]] and page["total"] == 1
    feed = client.get("/v1/reports.geojson", params={"q": marker, "bbox": "105.8,18.3,106.0,18.4"})
    assert feed.headers["content-type"].startswith("application/geo+json")
    [feature] = feed.json()["features"]
    assert feature["id"] == shown["id"] and feature["geometry"]["type"] == "Point"
    assert not personal_keys(page) and not personal_keys(feed.json())
    restricted = client.get(f"/v1/reports/{hidden['id']}").json()
    assert restricted["restricted"] and marker not in str(restricted)
    bad = client.get("/v1/reports", params={"bbox": "1,2,3"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "bbox"


def test_staff_routes_need_the_right_token(client, staff):
    ref = submit(client)
    assert client.get("/v1/operator/queue").status_code == 401
    assert (
        client.get("/v1/operator/queue", headers=staff.headers("agency_officer", AGENCY)).status_code == 403
    )
    assert (
        client.post(
            f"/v1/operator/reports/{ref['id']}/accept",
            json={},
            headers=staff.headers("agency_leader", AGENCY),
        ).status_code
        == 403
    )
    assert client.get("/v1/agency/inbox", headers=staff.headers()).status_code == 403
    bad = client.get("/v1/operator/queue", headers={"Authorization": "Bearer not.a.token"})
    assert bad.status_code == 401 and isinstance(bad, httpx.Response)

"""Personal data through the HTTP API with every service running: phone numbers a citizen types never reach
the public, an agency or Open311; operators word the public text and hide photos, audited; unblurred views are
audited; limits that do not bend; idempotency keys per client; the retention schedule and the reporter's
erasure."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from devtools.testing import unique_ip
from libs.contracts.common import utcnow
from libs.platform.objectstore import bucket_from_config
from services.intake.repository.models import reports
from services.media.tests.unit import hostile

from .test_feedback_stats import agency_row, period, rated_case
from .test_lifecycle import AGENCY, upload_after_photo
from .test_lifecycle_support import (  # noqa: F401  (fixtures)
    accepted_and_routed,
    agency,
    citizen,
    client,
    jpeg_bytes,
    operator,
    operator_case,
    person,
    report_body,
    staff,
    submit,
    wait_for,
)
from .test_trust_visibility import WARD, elsewhere

pytestmark = pytest.mark.e2e
OPEN311 = "/open311/v2"


def spellings() -> tuple[str, ...]:
    """One random mobile number written three ways."""
    digits = "9" + str(uuid.uuid4().int)[:8]
    return (
        f"0{digits[:3]} {digits[3:6]} {digits[6:]}",
        f"+84 {digits[:3]}.{digits[3:6]}.{digits[6:]}",
        f"0084{digits}",
    )


def leaks(text: str, secrets: tuple[str, ...]) -> list[str]:
    return [
        s for s in secrets if s in text or re.sub(r"\D", "", s)[-9:] in re.sub(r"[^\d\s]", "", text).split()
    ]


def test_a_phone_typed_in_a_description_an_answer_and_a_comment_reaches_only_the_ioc_and_its_author(
    client, staff
):
    described, answered, commented = spellings()
    ref = submit(
        client,
        ward=WARD,
        category="VAN_HOA_DU_LICH",
        description=f"Loa phường mở quá to, gọi tôi {described}",
    )
    operator(client, staff, ref["id"], "request-info", note="Xin cho biết giờ mở loa")
    citizen(client, ref, "info", note=f"Từ 5h sáng, số nhà tôi 12, SĐT {answered}")
    operator(client, staff, ref["id"], "accept", note="Đã xác minh")
    wait_for(lambda: operator_case(client, staff, ref["id"]), lambda c: c["agency_code"] == AGENCY, 30)
    agency(client, staff, AGENCY, ref["id"], "accept")
    photo = upload_after_photo(client, staff, ref["id"])
    agency(client, staff, AGENCY, ref["id"], "result", note="Đã điều chỉnh giờ phát", media_ids=[photo])
    operator(client, staff, ref["id"], "publish")
    wait_for(lambda: client.get(f"/v1/reports/{ref['id']}/rating").json(), lambda r: r["state"] == "OPEN")
    citizen(client, ref, "rating", rating="CHAP_NHAN", comment=f"Tạm được, có gì gọi {commented}")
    secrets = (described, answered, commented)

    seen = {
        "public page": client.get(f"/v1/reports/{ref['id']}").text,
        "public list": client.get("/v1/reports", params={"q": ref["code"]}).text,
        "map": client.get("/v1/reports.geojson", params={"q": ref["code"]}).text,
        "open311": client.get(f"{OPEN311}/requests/{ref['code']}.json", params={"extensions": "true"}).text,
        "open311 feed": client.get(f"{OPEN311}/servicerequestupdates.json").text,
        "agency": client.get(
            f"/v1/agency/reports/{ref['id']}", headers=staff.headers("agency_leader", AGENCY)
        ).text,
    }
    assert {where: leaks(text, secrets) for where, text in seen.items()} == {where: [] for where in seen}
    assert "[đã ẩn]" in seen["public page"] and seen["agency"].count("[đã ẩn]") >= 3
    ioc = str(operator_case(client, staff, ref["id"]))
    own = client.get(f"/v1/reports/{ref['id']}", headers={"X-Tracking-Token": ref["tracking_token"]}).text
    assert all(s in ioc for s in secrets) and all(s in own for s in secrets)


def test_the_operators_public_wording_shows_while_the_original_stays_internal(client, staff):
    ref, _ = accepted_and_routed(
        client, staff, WARD, description="Nhà ông Bảy số 14 đổ rác ra đường, gọi 0912 000 111"
    )
    edited = operator(
        client,
        staff,
        ref["id"],
        "public-text",
        description="Rác đổ ra lòng đường Trần Phú",
        note="Bỏ tên và số nhà của người bị phản ánh",
    )
    assert edited["description"].startswith("Nhà ông Bảy") and edited["public_description"].startswith(
        "Rác đổ"
    )
    page = client.get(f"/v1/reports/{ref['id']}").json()
    assert page["description"] == "Rác đổ ra lòng đường Trần Phú"
    element = client.get(f"{OPEN311}/requests/{ref['code']}.json").json()[0]
    assert element["description"] == "Rác đổ ra lòng đường Trần Phú"
    officer = client.get(
        f"/v1/agency/reports/{ref['id']}", headers=staff.headers("agency_officer", AGENCY)
    ).json()
    assert officer["description"] == "Rác đổ ra lòng đường Trần Phú" and "Bảy" not in str(officer)
    [step] = [s for s in edited["timeline"] if s["action"] == "edit_public_text"]
    assert step["visibility"] == "internal" and "edit_public_text" not in str(page)
    audit = client.get(f"/v1/operator/reports/{ref['id']}/audit", headers=staff.headers()).json()
    assert [(a["action"], a["fields"]) for a in audit if a["actor_kind"] == "staff"] == [
        ("edit_public_text", ["description"])
    ]  # (notify's reads of the recipients are there too)


def test_a_hidden_photo_is_for_the_ioc_only_and_unblurred_views_are_audited(client, staff, system):
    ref = submit(client, ward=WARD)
    token = {"X-Tracking-Token": ref["tracking_token"]}
    face = client.post(
        f"/v1/reports/{ref['id']}/media",
        headers=token,
        files={
            "file": (
                "face.jpg",
                hostile.face_photo(size=(900, 700), face_px=260, at=(450, 350)),
                "image/jpeg",
            )
        },
    )
    plain = client.post(
        f"/v1/reports/{ref['id']}/media",
        headers=token,
        files={"file": ("road.jpg", jpeg_bytes(), "image/jpeg")},
    )
    assert face.status_code == plain.status_code == 201, (face.text, plain.text)
    face_id, plain_id = face.json()["id"], plain.json()["id"]
    operator(client, staff, ref["id"], "accept")
    wait_for(lambda: client.get(f"/v1/reports/{ref['id']}").json()["photos"], lambda p: len(p) == 2)

    reader = staff.headers()
    seen = client.get(f"/v1/reports/{ref['id']}/media", headers=reader).json()
    assert [v["blurred"] for v in seen if v["id"] == face_id] == [False]
    audit = client.get(f"/v1/operator/reports/{ref['id']}/audit", headers=reader).json()
    assert [(a["action"], a["media_id"]) for a in audit if a["actor_kind"] == "staff"] == [
        ("view_unblurred_media", face_id)
    ]  # not the plain one: nothing of it is blurred

    hidden = operator(client, staff, ref["id"], "hide-media", media_id=plain_id, note="Lộ biển số xe")
    assert {(m["id"], m["hidden"]) for m in hidden["media"]} == {(face_id, False), (plain_id, True)}
    assert client.get(f"/v1/reports/{ref['id']}").json()["photos"] == [face_id]
    element = client.get(f"{OPEN311}/requests/{ref['code']}.json", params={"extensions": "true"}).json()[0]
    assert plain_id not in str(element) and face_id in str(element)
    gone = wait_for(lambda: client.get(f"/v1/media/{plain_id}").json(), lambda v: v["url"] is None)
    assert gone["url"] is None and gone["renditions"] == []
    assert client.get(f"/v1/media/{plain_id}", headers=reader).json()["url"]  # the IOC still sees it
    officer = client.get(f"/v1/agency/reports/{ref['id']}", headers=staff.headers("agency_officer", AGENCY))
    assert plain_id not in officer.text if officer.status_code == 200 else officer.status_code == 404
    actions = [
        a["action"] for a in client.get(f"/v1/operator/reports/{ref['id']}/audit", headers=reader).json()
    ]
    assert "hide_media" in actions


def test_every_spelling_of_one_phone_counts_against_one_limit(client):
    digits = "9" + str(uuid.uuid4().int)[:8]
    ways = [
        f"0{digits}",
        f"+84{digits}",
        f"0084{digits}",
        f"+84 {digits[:3]} {digits[3:6]} {digits[6:]}",
        f"0{digits[:3]}.{digits[3:6]}.{digits[6:]}",
    ]
    answers = []
    for n in range(11):  # a new device and a new address each time: only the phone is the same
        body = report_body(WARD, reporter={"name": "Người dân", "phone": ways[n % len(ways)]})
        answers.append(client.post("/v1/reports", json=body, headers=elsewhere()))
    assert [a.status_code for a in answers] == [201] * 10 + [429]
    assert answers[-1].json()["errors"][0]["field"] == "client.phone"


def test_urgent_reports_have_tighter_limits_than_normal_ones(client):
    headers = elsewhere()
    urgent = [
        client.post("/v1/reports", json=report_body(WARD, priority="KHAN", reporter=None), headers=headers)
        for _ in range(3)
    ]
    assert [a.status_code for a in urgent] == [201, 201, 429]
    assert urgent[-1].json()["errors"][0]["type"] == "rate_limited_urgent" and "113" in urgent[-1].text
    normal = client.post("/v1/reports", json=report_body(WARD, reporter=None), headers=headers)
    assert normal.status_code == 201, normal.text


def test_wrong_tokens_are_slowed_per_address(client):
    ref, headers = submit(client), {"X-Forwarded-For": unique_ip()}
    for _ in range(20):
        wrong = client.get(f"/v1/reports/{ref['id']}", headers={**headers, "X-Tracking-Token": "w" * 32})
        assert wrong.status_code == 200 and wrong.json()["own"] is False
    slowed = client.post(
        f"/v1/reports/{ref['id']}/info",
        json={"note": "x"},
        headers={**headers, "X-Tracking-Token": ref["tracking_token"]},
    )
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) >= 1
    follower = client.get(
        f"/v1/reports/{ref['id']}/followers/notifications", headers={**headers, "X-Follower-Token": "f" * 40}
    )
    assert follower.status_code == 429
    mine = client.get(f"/v1/reports/{ref['id']}", headers={"X-Tracking-Token": ref["tracking_token"]})
    assert mine.json()["own"] is True  # another address is not slowed


def test_open_notification_streams_are_capped_per_reader(client, system):
    ref = submit(client)
    url = f"{system.base_url}/v1/reports/{ref['id']}/notifications/stream"
    headers = {"X-Tracking-Token": ref["tracking_token"]}
    with httpx.Client(timeout=20) as raw:
        opened = [raw.stream("GET", url, headers=headers) for _ in range(3)]
        streams = [s.__enter__() for s in opened]
        try:
            assert [s.status_code for s in streams] == [200, 200, 200]
            fourth = raw.get(url, headers=headers)
            assert fourth.status_code == 429 and fourth.json()["code"] == "RATE_LIMITED"
        finally:
            for s in opened:
                s.__exit__(None, None, None)
    again = wait_for(
        lambda: (
            client.get(
                f"/v1/reports/{ref['id']}/notifications", headers=headers, params={"wait": 1}
            ).status_code
        ),
        lambda code: code == 200,
    )
    assert again == 200  # closed streams are given back


def test_one_clients_idempotency_key_is_not_anothers(client):
    key, body = f"shared-key-{uuid.uuid4()}", report_body(WARD)
    mine, theirs = elsewhere(), elsewhere()
    first = client.post("/v1/reports", json=body, headers={**mine, "Idempotency-Key": key})
    copy = client.post("/v1/reports", json=body, headers={**theirs, "Idempotency-Key": key})
    assert first.status_code == copy.status_code == 201
    assert (
        copy.json()["id"] != first.json()["id"]
        and copy.json()["tracking_token"] != first.json()["tracking_token"]
    )
    assert "Idempotent-Replayed" not in copy.headers
    replay = client.post("/v1/reports", json=body, headers={**mine, "Idempotency-Key": key})
    assert replay.json()["id"] == first.json()["id"] and replay.headers["Idempotent-Replayed"] == "true"


def test_retention_erases_an_old_identity_and_the_statistics_stay_equal(client, staff, system, rpc_e2e):
    reporter = person()
    ref = rated_case(client, staff, rating="HAI_LONG", comment=f"Cảm ơn, số tôi {reporter['phone']}")
    wait_for(lambda: client.get(f"/v1/reports/{ref['id']}/rating").json(), lambda r: r["state"] == "RATED")
    before = wait_for(lambda: agency_row(client), lambda r: r["rated"] > 0)
    csv_before = client.get(
        "/v1/stats.csv", params={**period(), "group_by": "agency"}, headers=staff.headers()
    ).text
    long_ago = utcnow() - timedelta(days=25 * 30)
    with system.stack.engine.begin() as db:
        db.execute(sa.update(reports).where(reports.c.id == uuid.UUID(ref["id"])).values(closed_at=long_ago))
    done = rpc_e2e.intake.apply_retention()
    assert done["identities_erased"] >= 1
    disclosure = client.get(
        f"/v1/operator/reports/{ref['id']}/reporter",
        params={"purpose": "kiểm tra xoá"},
        headers=staff.headers(),
    )
    assert disclosure.status_code == 200 and disclosure.json()["reporter"] is None
    case = operator_case(client, staff, ref["id"])
    assert case["contact_erased"] and reporter["phone"] not in str(case)  # the comment's number is masked too
    assert agency_row(client) == before
    after_csv = client.get(
        "/v1/stats.csv", params={**period(), "group_by": "agency"}, headers=staff.headers()
    ).text
    assert after_csv == csv_before
    actions = [
        a["action"]
        for a in client.get(f"/v1/operator/reports/{ref['id']}/audit", headers=staff.headers()).json()
    ]
    assert "retention_erase" in actions


def test_retention_deletes_the_original_photo_and_keeps_its_renditions(client, staff, system, rpc_e2e):
    ref = rated_case(client, staff, rating="CHAP_NHAN")
    [photo] = client.get(f"/v1/reports/{ref['id']}/media", headers=staff.headers()).json()
    long_ago = utcnow() - timedelta(days=120)
    with system.stack.engine.begin() as db:
        db.execute(sa.update(reports).where(reports.c.id == uuid.UUID(ref["id"])).values(closed_at=long_ago))
        db.execute(
            sa.text("UPDATE media.uploads SET created_at = :t WHERE id = :id"),
            {"t": long_ago - timedelta(days=1), "id": photo["id"]},
        )
        key = db.execute(
            sa.text("SELECT object_key FROM media.uploads WHERE id = :id"), {"id": photo["id"]}
        ).scalar()
    assert rpc_e2e.media.apply_retention()["originals_deleted"] >= 1
    assert rpc_e2e.media.apply_retention()["originals_deleted"] == 0
    assert bucket_from_config(system.stack.env()).stat(key) is None  # the private original is gone
    still = client.get(f"/v1/media/{photo['id']}").json()
    assert still["url"] and still["state"] == "ready"


def test_the_reporter_erases_their_contact_with_the_tracking_token(client, staff):
    reporter = person()
    ref = submit(client, reporter=reporter)
    assert (
        client.delete(f"/v1/reports/{ref['id']}/contact", headers={"X-Tracking-Token": "n" * 32}).status_code
        == 404
    )
    erased = client.delete(
        f"/v1/reports/{ref['id']}/contact", headers={"X-Tracking-Token": ref["tracking_token"]}
    )
    assert erased.status_code == 200 and erased.json()["erased"] is True
    own = client.get(f"/v1/reports/{ref['id']}", headers={"X-Tracking-Token": ref["tracking_token"]}).json()
    assert own["own"] and "reporter" not in own
    shown = client.get(
        f"/v1/operator/reports/{ref['id']}/reporter",
        params={"purpose": "liên hệ lại"},
        headers=staff.headers(),
    ).json()
    assert shown["reporter"] is None and reporter["phone"] not in str(shown)

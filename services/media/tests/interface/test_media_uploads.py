"""Media against the real S3 server: presigned upload round trip, type from the bytes, limits, idempotency."""

from __future__ import annotations

import io
import uuid

import pytest
from nameko.exceptions import RemoteError
from PIL import Image

from services.media.service import MediaService
from services.media.tests.unit import hostile

from .support import (
    OPERATOR,
    FakeIntake,
    assert_no_metadata,
    fetch,
    in_bucket,
    known_report,
    outbox_events,
    row,
    slot,
    upload,
)

pytestmark = pytest.mark.interface


def png(size=(32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (0, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def test_presigned_round_trip_stores_renditions_and_keeps_the_original_private(media, rpc, stack):
    data, report_id = png(), known_report()
    view = upload(rpc, data, claimed="image/png", report_id=report_id, actor=OPERATOR)
    assert view["state"] == "ready" and view["kind"] == "photo" and view["content_type"] == "image/png"
    assert (view["width"], view["height"], view["size"]) == (32, 24, len(data))
    assert {r["name"] for r in view["renditions"]} == {"master", "card", "thumb"}
    served = fetch(view["url"])
    assert_no_metadata(served)
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (32, 24) and image.getpixel((10, 10))[2] > 150
    original = row(stack.engine, view["id"]).object_key
    assert all(original not in r["url"] for r in view["renditions"])  # never the original
    assert [e for e, _ in outbox_events(stack.engine, view["id"])] == ["media.stored"]


def test_anyone_sees_public_renditions_of_a_public_report_and_nothing_of_a_restricted_one(media, rpc):
    public, restricted = (
        known_report(restricted=False),
        known_report(restricted=True, token="tok-" + uuid.uuid4().hex),
    )
    seen = upload(rpc, png(), report_id=public)
    assert seen["state"] == "ready" and seen["url"] and seen["faces_found"] is None
    hidden = upload(rpc, png(), report_id=restricted)
    assert hidden["state"] == "ready" and hidden["url"] is None and hidden["renditions"] == []
    token = FakeIntake.REPORTS[restricted]["token"]
    own = rpc.media.list_media(payload={"report_id": restricted, "tracking_token": token})
    assert own[0]["url"] and fetch(own[0]["url"])[:3] == b"\xff\xd8\xff"
    assert rpc.media.list_media(report_id=restricted)[0]["url"] is None
    unknown = upload(rpc, png())  # intake does not know the report: fail closed
    assert unknown["state"] == "ready" and unknown["url"] is None


def test_type_comes_from_the_bytes_not_the_claim(media, rpc, stack):
    view = upload(rpc, b"PK\x03\x04 zip renamed as a photo", claimed="image/jpeg", actor=OPERATOR)
    assert view["state"] == "rejected" and view["reject_reason"] == "UNSUPPORTED_MEDIA_TYPE"
    assert view["url"] is None and view["renditions"] == []
    assert [e for e, _ in outbox_events(stack.engine, view["id"])] == ["media.rejected"]
    assert not in_bucket(stack, row(stack.engine, view["id"]).object_key)  # the refused bytes are gone


def test_confirm_before_upload_and_unknown_slot(media, rpc):
    answer = rpc.media.create_upload(
        payload={"report_id": str(uuid.uuid4()), "content_type": "image/png", "size": 10}
    )
    with pytest.raises(RemoteError, match="MEDIA_NOT_FOUND"):
        rpc.media.confirm_upload(answer["media_id"])
    with pytest.raises(RemoteError, match="MEDIA_NOT_FOUND"):
        rpc.media.confirm_upload(str(uuid.uuid4()))


@pytest.mark.parametrize(
    ("claimed", "size", "ok"),
    [
        ("image/png", 15 * 2**20 + 1, False),
        ("video/mp4", 50 * 2**20, True),
        ("video/mp4", 100 * 2**20 + 1, False),
    ],
)
def test_declared_size_is_checked_against_the_claimed_kind_before_any_upload(media, rpc, claimed, size, ok):
    payload = {"report_id": str(uuid.uuid4()), "content_type": claimed, "size": size}
    if ok:
        assert rpc.media.create_upload(payload=payload)["max_size"] == 100 * 2**20
    else:
        with pytest.raises(RemoteError, match="MEDIA_TOO_LARGE"):
            rpc.media.create_upload(payload=payload)


def test_a_photo_larger_than_the_photo_limit_is_refused_whatever_it_claimed(start_service, intake, rpc):
    start_service(MediaService, MEDIA_MAX_PHOTO_BYTES="2000")
    big = hostile.jpeg(200, 150)
    assert len(big) > 2000
    view = upload(rpc, big, claimed="video/mp4", actor=OPERATOR)
    assert view["state"] == "rejected" and view["reject_reason"] == "MEDIA_TOO_LARGE"


def test_confirm_is_idempotent(media, rpc, stack):
    data = png()
    media_id = slot(rpc, data, claimed="image/png")["media_id"]
    first, second = rpc.media.confirm_upload(media_id), rpc.media.confirm_upload(media_id)
    assert first["id"] == second["id"] and first["state"] == second["state"] == "ready"
    assert [e for e, _ in outbox_events(stack.engine, media_id)] == ["media.stored"]


def test_at_most_n_files_per_report_and_role(start_service, intake, rpc):
    start_service(MediaService, MEDIA_MAX_PER_REPORT="2")
    report_id = str(uuid.uuid4())
    for _ in range(2):
        upload(rpc, png(), report_id=report_id)
    with pytest.raises(RemoteError, match="TOO_MANY_MEDIA"):
        slot(rpc, png(), report_id=report_id)
    assert slot(rpc, png(), report_id=report_id, role="result", actor=OPERATOR)  # after-photos count apart


def test_get_and_list_answer_whether_a_case_has_a_ready_after_photo(media, rpc):
    report_id = known_report()
    assert rpc.media.list_media(payload={"report_id": report_id, "role": "result", "state": "ready"}) == []
    upload(rpc, png(), report_id=report_id)
    done = upload(rpc, png(), report_id=report_id, role="result", actor=OPERATOR)
    pending = slot(
        rpc, png(), report_id=report_id, role="result", actor=OPERATOR
    )  # uploaded, never confirmed
    ready = rpc.media.list_media(payload={"report_id": report_id, "role": "result", "state": "ready"})
    assert [m["id"] for m in ready] == [done["id"]] and ready[0]["role"] == "result"
    assert rpc.media.get_media(payload={"media_id": pending["media_id"]})["state"] == "pending"
    assert len(rpc.media.list_media(report_id=report_id)) == 3
    with pytest.raises(RemoteError, match="MEDIA_NOT_FOUND"):
        rpc.media.get_media(payload={"media_id": str(uuid.uuid4())})


def test_an_agency_uploads_only_to_a_case_it_holds(media, rpc):
    officer = {"sub": "o-" + uuid.uuid4().hex[:6], "role": "agency_officer", "agency": "UBND_18073"}
    mine, other = known_report(agency="UBND_18073"), known_report(agency="UBND_18075")
    handed_on = known_report(agency="UBND_18075", past_agencies=("UBND_18073",))  # re-routed away from us
    view = upload(rpc, png(), report_id=mine, role="result", actor=officer)
    assert view["state"] == "ready" and view["role"] == "result"
    for report_id in (other, handed_on):
        with pytest.raises(RemoteError, match="REPORT_NOT_FOUND"):
            slot(rpc, png(), report_id=report_id, role="result", actor=officer)


def test_evidence_comes_from_the_reporter_or_an_operator_after_photos_from_staff(media, rpc):
    officer = {"sub": "o-" + uuid.uuid4().hex[:6], "role": "agency_leader", "agency": "UBND_18073"}
    mine = known_report(agency="UBND_18073")
    for actor, role in (
        (officer, "evidence"),
        (None, "result"),
        ({"sub": "admin-1", "role": "administrator", "agency": None}, "result"),
    ):
        with pytest.raises(RemoteError, match="FORBIDDEN"):
            slot(rpc, png(), report_id=mine, role=role, actor=actor)
    assert (
        upload(rpc, png(), report_id=mine)["state"] == "ready"
    )  # the reporter (the gateway checked the token)
    assert upload(rpc, png(), report_id=mine, actor=OPERATOR)["role"] == "evidence"  # taken on the hotline

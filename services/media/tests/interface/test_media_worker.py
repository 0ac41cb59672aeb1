"""Failures become state and are retried with back-off; orphan uploads are swept (real S3, PostgreSQL,
RabbitMQ)."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from PIL import Image

from services.media.service import MediaService
from services.media.tests.unit import hostile

from .support import (
    OPERATOR,
    execute,
    fetch,
    in_bucket,
    known_report,
    outbox_events,
    pixels,
    rendition,
    rendition_keys,
    row,
    slot,
    upload,
    wait_for,
)

pytestmark = pytest.mark.interface


def as_if_confirmed(stack, media_id: str, **columns) -> None:
    """Put a slot in the state a confirmed photo is in when its earlier attempt failed."""
    sets = ", ".join(f"{k} = :{k}" for k in columns)
    execute(
        stack.engine,
        "UPDATE media.uploads SET confirmed_at = now(), kind = 'photo', content_type = 'image/jpeg',"
        f" next_attempt_at = now(), {sets} WHERE id = :m",
        m=media_id,
        **columns,
    )


def test_a_failed_attempt_is_retried_when_due_and_then_succeeds(media, rpc, stack):
    media_id = slot(rpc, hostile.jpeg(320, 240), report_id=known_report())["media_id"]
    as_if_confirmed(stack, media_id, attempts=1, last_error="a media worker died")
    done = wait_for(lambda: row(stack.engine, media_id), lambda r: r.state != "pending", timeout=20)
    assert (done.state, done.attempts, done.last_error, done.next_attempt_at) == ("ready", 2, None, None)
    view = rpc.media.get_media(payload={"media_id": media_id, "actor": OPERATOR})
    assert {r["name"] for r in view["renditions"]} == {"master", "card", "thumb"}
    assert [e for e, _ in outbox_events(stack.engine, media_id)] == ["media.stored"]


def test_our_failures_back_off_then_give_up_as_rejected(start_service, intake, rpc, stack):
    start_service(MediaService, MEDIA_RETRY_BASE_S="0.5", MEDIA_MAX_ATTEMPTS="3")
    answer = slot(rpc, hostile.jpeg(64, 48))
    execute(
        stack.engine,
        "UPDATE media.uploads SET object_key = object_key || '-gone' WHERE id = :m",
        m=answer["media_id"],
    )  # the store cannot give the original back: our side fails, not the file
    started = time.monotonic()
    as_if_confirmed(stack, answer["media_id"], attempts=0)
    failing = wait_for(
        lambda: row(stack.engine, answer["media_id"]), lambda r: r.last_error is not None, timeout=10
    )
    assert failing.state == "pending" and "object store" in failing.last_error
    assert failing.next_attempt_at is not None  # the next attempt is scheduled, not run in a hot loop
    done = wait_for(lambda: row(stack.engine, answer["media_id"]), lambda r: r.state != "pending", timeout=30)
    assert time.monotonic() - started >= 1.4  # 0.5 s then 1 s of back-off between the three attempts
    assert (done.state, done.reject_reason, done.attempts) == ("rejected", "MEDIA_PROCESSING_FAILED", 3)
    assert [e for e, _ in outbox_events(stack.engine, answer["media_id"])] == ["media.rejected"]


def test_orphan_uploads_are_swept_after_their_ttl(start_service, intake, rpc, stack):
    # TTLs of ten minutes; the rows are then made older than that, so the test does not race the sweep timer
    start_service(MediaService, MEDIA_UPLOAD_TTL_S="600", MEDIA_EXPIRE_GRACE_S="0", MEDIA_ATTACH_TTL_S="600")
    never_confirmed = slot(rpc, hostile.jpeg(64, 48))["media_id"]
    fresh_slot = slot(rpc, hostile.jpeg(64, 48))["media_id"]  # unconfirmed too, but still within its time
    lost = upload(rpc, hostile.jpeg(64, 48), actor=OPERATOR)  # its report does not exist at intake
    kept = upload(rpc, hostile.jpeg(64, 48), report_id=known_report(), actor=OPERATOR)
    for media_id in (lost["id"], kept["id"]):
        assert (
            wait_for(lambda: row(stack.engine, media_id), lambda r: r.state == "ready", timeout=30).state
            == "ready"
        )
    lost_keys = [row(stack.engine, lost["id"]).object_key, *rendition_keys(stack.engine, lost["id"])]
    assert len(lost_keys) == 4
    assert all(in_bucket(stack, k) for k in lost_keys)
    execute(
        stack.engine,
        "UPDATE media.uploads SET created_at = created_at - interval '11 minutes' WHERE id IN (:a, :b, :c)",
        a=never_confirmed,
        b=lost["id"],
        c=kept["id"],
    )
    swept = wait_for(
        lambda: (row(stack.engine, never_confirmed), row(stack.engine, lost["id"])),
        lambda rs: all(r.state == "rejected" for r in rs),
        timeout=30,
        pause=0.5,
    )
    assert [(r.state, r.reject_reason) for r in swept] == [("rejected", "MEDIA_EXPIRED")] * 2
    assert not in_bucket(stack, swept[0].object_key) and not any(in_bucket(stack, k) for k in lost_keys)
    assert swept[0].slot_key is None  # the never-confirmed blob was the slot: removed with it
    assert [e for e, _ in outbox_events(stack.engine, lost["id"])] == ["media.stored", "media.rejected"]
    attached = wait_for(
        lambda: row(stack.engine, kept["id"]), lambda r: r.attached_at is not None, timeout=15
    )
    assert attached.state == "ready"
    still = row(stack.engine, fresh_slot)  # the sweep ran (the others went) and left the slot within its time
    assert (still.state, still.reject_reason) == ("pending", None) and in_bucket(stack, still.object_key)


def solid(color: tuple[int, int, int], size=(96, 64)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def test_a_confirmed_slot_written_again_changes_nothing_and_is_swept(start_service, intake, rpc, stack):
    """The presigned URL stays writable until it expires: the confirmation copies the bytes to a key no URL
    names, so a second PUT swaps nothing that is served or redacted, and the sweep removes what it wrote."""
    start_service(MediaService, MEDIA_UPLOAD_TTL_S="600", MEDIA_EXPIRE_GRACE_S="0", MEDIA_ATTACH_TTL_S="600")
    blue, red = solid((0, 40, 220)), solid((230, 10, 10), size=(640, 480))
    answer = slot(rpc, blue, claimed="image/png", report_id=known_report())
    view = rpc.media.confirm_upload(payload={"media_id": answer["media_id"], "actor": OPERATOR})
    assert view["state"] == "ready"
    confirmed = row(stack.engine, answer["media_id"])
    assert confirmed.slot_key and confirmed.object_key != confirmed.slot_key
    assert in_bucket(stack, confirmed.object_key) and not in_bucket(stack, confirmed.slot_key)

    assert httpx.put(answer["put_url"], content=red, timeout=30).status_code == 200  # the URL has not expired
    assert in_bucket(stack, confirmed.slot_key)

    def assert_blue(seen: dict) -> None:
        master = pixels(fetch(rendition(seen, "master")["url"]))
        assert master.shape[:2] == (64, 96) and master[..., 2].mean() > 150 > master[..., 0].mean()

    assert_blue(rpc.media.confirm_upload(payload={"media_id": answer["media_id"], "actor": OPERATOR}))
    assert_blue(
        rpc.media.review_media(
            payload={
                "media_id": answer["media_id"],
                "actor": OPERATOR,  # from the original
                "regions": [{"x": 0, "y": 0, "w": 8, "h": 8}],
            }
        )
    )
    assert row(stack.engine, answer["media_id"]).object_key == confirmed.object_key

    execute(
        stack.engine,
        "UPDATE media.uploads SET created_at = created_at - interval '11 minutes' WHERE id = :m",
        m=answer["media_id"],
    )  # its URL has now expired: the sweep removes what was written to the slot
    closed = wait_for(lambda: row(stack.engine, answer["media_id"]), lambda r: r.slot_key is None, timeout=30)
    assert closed.slot_key is None and closed.state == "ready"
    assert not in_bucket(stack, confirmed.slot_key) and in_bucket(stack, confirmed.object_key)

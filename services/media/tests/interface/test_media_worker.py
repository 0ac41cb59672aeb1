"""Failures become state and are retried with back-off; orphan uploads are swept (real S3, PostgreSQL, RabbitMQ)."""
from __future__ import annotations

import time

import pytest

from services.media.service import MediaService
from services.media.tests.unit import hostile

from .support import (OPERATOR, execute, in_bucket, known_report, outbox_events, rendition_keys, row, slot,
                      upload, wait_for)

pytestmark = pytest.mark.interface


def as_if_confirmed(stack, media_id: str, **columns) -> None:
    """Put a slot in the state a confirmed photo is in when its earlier attempt failed."""
    sets = ", ".join(f"{k} = :{k}" for k in columns)
    execute(stack.engine, "UPDATE media.uploads SET confirmed_at = now(), kind = 'photo', content_type = 'image/jpeg',"
            f" next_attempt_at = now(), {sets} WHERE id = :m", m=media_id, **columns)


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
    execute(stack.engine, "UPDATE media.uploads SET object_key = object_key || '-gone' WHERE id = :m",
            m=answer["media_id"])  # the store cannot give the original back: our side fails, not the file
    started = time.monotonic()
    as_if_confirmed(stack, answer["media_id"], attempts=0)
    failing = wait_for(lambda: row(stack.engine, answer["media_id"]), lambda r: r.last_error is not None,
                       timeout=10)
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
        assert wait_for(lambda: row(stack.engine, media_id), lambda r: r.state == "ready", timeout=30).state == "ready"
    lost_keys = [row(stack.engine, lost["id"]).object_key, *rendition_keys(stack.engine, lost["id"])]
    assert len(lost_keys) == 4
    assert all(in_bucket(stack, k) for k in lost_keys)
    execute(stack.engine, "UPDATE media.uploads SET created_at = created_at - interval '11 minutes' "
            "WHERE id IN (:a, :b, :c)", a=never_confirmed, b=lost["id"], c=kept["id"])
    swept = wait_for(lambda: (row(stack.engine, never_confirmed), row(stack.engine, lost["id"])),
                     lambda rs: all(r.state == "rejected" for r in rs), timeout=30, pause=0.5)
    assert [(r.state, r.reject_reason) for r in swept] == [("rejected", "MEDIA_EXPIRED")] * 2
    assert not in_bucket(stack, swept[0].object_key) and not any(in_bucket(stack, k) for k in lost_keys)
    assert [e for e, _ in outbox_events(stack.engine, lost["id"])] == ["media.stored", "media.rejected"]
    attached = wait_for(lambda: row(stack.engine, kept["id"]), lambda r: r.attached_at is not None, timeout=15)
    assert attached.state == "ready"
    still = row(stack.engine, fresh_slot)  # the sweep ran (the others went) and left the slot within its time
    assert (still.state, still.reject_reason) == ("pending", None) and in_bucket(stack, still.object_key)

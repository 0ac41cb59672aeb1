"""Videos against the real S3 server: quick checks at confirmation, rendered by the worker timer, no
metadata."""

from __future__ import annotations

import json
import random
import subprocess
import time
import uuid

import pytest

from services.media.tests.unit import hostile

from .support import OPERATOR, fetch, known_report, outbox_events, rendition, upload, wait_for

pytestmark = pytest.mark.interface
SECRET = "Nguoi quay " + uuid.uuid4().hex[:8]


def ffprobe(data: bytes, tmp_path) -> dict:
    path = tmp_path / f"{uuid.uuid4().hex}.mp4"
    path.write_bytes(data)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    return json.loads(out)


def ready(rpc, media_id: str, actor: dict | None = OPERATOR) -> dict:
    return wait_for(
        lambda: rpc.media.get_media(payload={"media_id": media_id, "actor": actor}),
        lambda v: v["state"] != "pending",
        timeout=60,
    )


def test_a_video_is_checked_at_once_then_rendered_without_metadata(media, rpc, stack, tmp_path):
    lat, lon = round(random.uniform(17.9, 18.8), 4), round(random.uniform(105.1, 106.5), 4)
    meta = {"location": f"+{lat:08.4f}+{lon:09.4f}+010.000/", "title": SECRET, "comment": SECRET}
    clip = hostile.make_video(tmp_path / "clip.mov", 2, fmt="mov", metadata=meta).read_bytes()
    report_id = known_report()
    confirmed = upload(rpc, clip, claimed="video/quicktime", report_id=report_id)
    assert (
        confirmed["state"] == "pending" and confirmed["processing"] is True and confirmed["kind"] == "video"
    )
    assert confirmed["duration"] == pytest.approx(2.0, abs=0.2) and confirmed["url"] is None
    assert confirmed["location_hint"] == {
        "lat": pytest.approx(lat, abs=1e-4),
        "lon": pytest.approx(lon, abs=1e-4),
        "source": "video_iso6709",
    }
    done = ready(rpc, confirmed["id"])
    assert done["state"] == "ready" and done["video_public"] is True  # no face on the poster
    assert {r["name"] for r in done["renditions"]} == {"video", "poster", "poster_thumb"}
    body = fetch(rendition(done, "video")["url"])
    info = ffprobe(body, tmp_path)
    assert sorted(s["codec_name"] for s in info["streams"]) == ["aac", "h264"]
    assert {"location", "title", "comment"}.isdisjoint(info["format"].get("tags", {}))
    assert SECRET.encode() not in body and b"+010.000/" not in body
    assert fetch(rendition(done, "poster")["url"])[:3] == b"\xff\xd8\xff"
    public = rpc.media.list_media(report_id=report_id)[0]
    assert public["url"] == rendition(public, "video")["url"]
    assert [e for e, _ in outbox_events(stack.engine, done["id"])] == ["media.stored"]


def test_a_video_with_a_face_is_public_only_after_an_operator_releases_it(media, rpc, tmp_path):
    face = tmp_path / "face.jpg"
    face.write_bytes(hostile.face_photo(size=(1200, 800), face_px=320, at=(400, 400)))
    clip = tmp_path / "face.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-loop",
            "1",
            "-i",
            str(face),
            "-t",
            "2",
            "-r",
            "10",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        check=True,
        timeout=60,
    )
    report_id = known_report()
    confirmed = upload(rpc, clip.read_bytes(), claimed="video/mp4", report_id=report_id)
    done = ready(rpc, confirmed["id"])
    assert done["state"] == "ready" and done["faces_found"] >= 1 and done["video_public"] is False
    public = rpc.media.list_media(report_id=report_id)[0]
    assert {r["name"] for r in public["renditions"]} == {"poster", "poster_thumb"} and public[
        "blurred"
    ] is True
    assert public["url"] == rendition(public, "poster")["url"]  # the blurred poster stands in for the video
    released = rpc.media.review_media(
        payload={"media_id": done["id"], "actor": OPERATOR, "release_video": True}
    )
    assert released["video_public"] is True
    public = rpc.media.list_media(report_id=report_id)[0]
    assert "video" in {r["name"] for r in public["renditions"]}


def test_the_service_keeps_answering_while_a_video_is_transcoded(media, rpc, tmp_path):
    clip = hostile.make_video(tmp_path / "mpeg4.mp4", 20, size="640x480", codec="mpeg4", audio="aac")
    confirmed = upload(rpc, clip.read_bytes(), claimed="video/mp4", actor=OPERATOR)
    assert confirmed["processing"] is True
    latencies, state = [], "pending"
    while state == "pending":
        started = time.perf_counter()
        assert rpc.media.health()["ok"]
        latencies.append(time.perf_counter() - started)
        state = rpc.media.get_media(payload={"media_id": confirmed["id"], "actor": OPERATOR})["state"]
    assert state == "ready" and len(latencies) >= 3  # the render (in the pool) took a while...
    # ...and the hub stayed free: RPCs and heartbeats carry on (bounds leave room for a busy 2-core machine;
    # a blocked hub would hold a call for the whole render)
    assert sorted(latencies)[len(latencies) // 2] < 0.25 and max(latencies) < 1.0, latencies

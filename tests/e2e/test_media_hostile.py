"""The hostile-file corpus through the gateway (streamed multipart) into the running media service.

Stated bounds: each file is refused with a 4xx naming the field `file` within 1 s of sending it (on a loaded
machine: within four times the upload of a small valid photo, timed before and after); the media process's
peak resident set stays under MEDIA_PEAK_BOUND_KB and every pool worker's under POOL_PEAK_BOUND_KB (a decoded
20 000² bomb alone needs ≥ 400 MB); an oversized body is refused before it is read (declared length) or as
soon as the count passes the limit (chunked), without the gateway buffering it."""

from __future__ import annotations

import time

import pytest

from services.media.tests.unit import hostile

from .test_media_support import (  # noqa: F401,E501
    children,
    client,
    new_report,
    post_file,
    public_report,
    raw_request,
    reporter,
    reset_peak,
    status_kb,
)

pytestmark = pytest.mark.e2e

MEDIA_PEAK_BOUND_KB = 200 * 1024  # measured ≈ 115 MB: it streams uploads to files, never holds one
POOL_PEAK_BOUND_KB = 384 * 1024  # ≈ 80 MB fresh; a worker that already decoded 40-Mpx photos keeps ≈ 200 MB
STATUS = {
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "MEDIA_TOO_LARGE": 413,
    "IMAGE_TOO_MANY_PIXELS": 422,
    "MEDIA_TRUNCATED": 422,
    "MEDIA_MALFORMED": 422,
    "MEDIA_EMPTY": 422,
    "VIDEO_TOO_LONG": 422,
}
BROKEN_VIDEO = ("MEDIA_MALFORMED", "MEDIA_TRUNCATED")  # ftyp + random bytes: cut off or garbage, at random


def corpus(tmp_path) -> dict[str, tuple[bytes, str, tuple[str, ...]]]:
    """name → (bytes, claimed type, acceptable codes): the unit ring's photo corpus plus hostile videos."""
    files = {name: (data, "image/jpeg", (code,)) for name, (data, code) in hostile.hostile_corpus().items()}
    files["mp4_sent_as_photo"] = (files["mp4_sent_as_photo"][0], "image/jpeg", BROKEN_VIDEO)
    long_clip = hostile.make_video(tmp_path / "long.mp4", 95, size="64x48", fps=5, audio=None).read_bytes()
    short = hostile.make_video(tmp_path / "short.mp4", 2, size="160x120", fps=10).read_bytes()
    files["video_95s_over_90s_limit"] = (long_clip, "video/mp4", ("VIDEO_TOO_LONG",))
    files["truncated_mp4"] = (short[: len(short) // 2], "video/mp4", ("MEDIA_TRUNCATED",))
    return files


def valid_upload_seconds(client, report) -> float:
    """Seconds to upload and process a small valid photo now, through the same path (the unit of 'quick')."""
    started = time.monotonic()
    assert post_file(client, report, hostile.jpeg(64, 48)).status_code == 201
    return time.monotonic() - started


def test_the_hostile_corpus_is_refused_through_the_gateway_fast_and_in_bounded_memory(
    client, system, tmp_path
):
    report = public_report(client, system)
    assert post_file(client, report, hostile.jpeg(64, 48)).status_code == 201  # pool warm, path works
    baseline = valid_upload_seconds(client, report)
    files = corpus(tmp_path)
    media_pid = system.procs["media"].pid
    reset_peak(media_pid, *children(media_pid))  # earlier tests processed real photos and videos
    timings: dict[str, float] = {}
    for name, (data, claimed, codes) in files.items():
        started = time.monotonic()
        answer = post_file(client, report, data, filename="anh.jpg", claimed=claimed)
        seconds = time.monotonic() - started
        problem = answer.json()
        assert problem.get("code") in codes and answer.status_code == STATUS[problem["code"]], (name, problem)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert problem["errors"][0]["field"] == "file", (name, problem)
        timings[name] = seconds
    baseline = max(baseline, valid_upload_seconds(client, report))
    slow = {name: seconds for name, seconds in timings.items() if seconds >= hostile.quick_bound(4, baseline)}
    assert not slow, (slow, baseline)
    workers = [pid for pid in children(media_pid) if status_kb(pid, "VmRSS") > 20 * 1024]  # not the tracker
    assert workers, "the media pool has no worker processes"
    assert status_kb(media_pid, "VmHWM") < MEDIA_PEAK_BOUND_KB
    assert max(status_kb(pid, "VmHWM") for pid in workers) < POOL_PEAK_BOUND_KB
    listed = client.get(f"/v1/reports/{report['id']}/media").json()
    assert [m["state"] for m in listed].count("ready") == 3  # the valid ones; refused files count for nothing


def test_a_declared_oversized_body_is_refused_before_it_is_read(client, system):
    report = new_report(client)
    head = (
        f"POST /v1/reports/{report['id']}/media HTTP/1.1\r\nHost: gateway\r\n"
        f"X-Tracking-Token: {report['tracking_token']}\r\n"
        f"Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: {10**9}\r\n\r\n"
    )
    baseline = hostile.seconds_of(client.get, "/health")  # a request the gateway answers at once, timed now
    status, seconds, _ = raw_request(system.base_url, head)  # not one byte of the body is sent
    assert status == 413 and seconds < hostile.quick_bound(4, baseline), (seconds, baseline)
    assert client.get("/health").status_code == 200


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(client, system):
    report = new_report(client)
    limit = 15 * 1024 * 1024  # the photo limit applies: the part starts like a JPEG
    head = (
        f"POST /v1/reports/{report['id']}/media HTTP/1.1\r\nHost: gateway\r\n"
        f"X-Tracking-Token: {report['tracking_token']}\r\n"
        f"Content-Type: multipart/form-data; boundary=b0undary\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    part = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0"
    )
    block = b"\x00" * (256 * 1024)

    def chunks():
        yield b"%x\r\n%s\r\n" % (len(part), part)
        for _ in range(200):  # 50 MB on offer; the gateway must stop reading after ~15 MB
            yield b"%x\r\n%s\r\n" % (len(block), block)

    status, seconds, sent = raw_request(system.base_url, head, chunks(), read_timeout=20)
    assert status == 413, (status, sent)
    assert sent < limit + 8 * 1024 * 1024  # it stopped reading right after the limit (socket buffers aside)
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"json": {"file": "not a form"}}, 422),  # not multipart at all
        ({"files": {"photo": ("x.jpg", b"\xff\xd8\xff", "image/jpeg")}}, 422),  # no `file` part
        (
            {"data": {"note": "x" * 2000}, "files": {"file": ("x.jpg", b"\xff\xd8\xff", "image/jpeg")}},
            422,
        ),  # big field
    ],
)
def test_a_malformed_form_names_the_field(client, kwargs, status):
    report = new_report(client)
    answer = client.post(f"/v1/reports/{report['id']}/media", headers=reporter(report), **kwargs)
    assert answer.status_code == status and answer.json()["errors"][0]["field"] in ("file", "note"), (
        answer.text
    )

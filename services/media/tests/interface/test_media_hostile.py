"""The hostile-file corpus through the service and the real S3 server: each refused, fast, in bounded memory.

Stated bounds: a refusal answers within 1 s of the confirmation (on a loaded machine: within four times the
confirmation of a small valid photo, timed before and after); no pool worker's peak resident set passes
POOL_PEAK_BOUND_KB (a decoded 20 000² bomb alone would need ≥ 400 MB, 1.2 GB as RGB); the service process
(here the test process, which hosts the service container) grows by less than SERVICE_GROWTH_BOUND_KB over the
whole corpus (it never holds an upload: it streams it to a file and hands the path to the pool).
"""

from __future__ import annotations

import os
import time

import pytest

from services.media.tests.unit import hostile

from .support import OPERATOR, pool_pids, slot, status_kb

pytestmark = pytest.mark.interface

POOL_PEAK_BOUND_KB = (
    384 * 1024
)  # ≈ 75 MB fresh (Python, Pillow, NumPy, OpenCV); more once it decoded big photos
SERVICE_GROWTH_BOUND_KB = 48 * 1024  # measured < 1 MB
CORPUS = hostile.hostile_corpus()
CORPUS.pop("empty")  # a presigned PUT of zero bytes is refused below on its own
# The service takes photos and videos alike (the claim is ignored): an ftyp box followed by random bytes is a
# video to it, and a broken one (cut off or malformed, depending on what the random bytes claim).
BROKEN_VIDEO = ("MEDIA_MALFORMED", "MEDIA_TRUNCATED")
CORPUS["mp4_sent_as_photo"] = (CORPUS["mp4_sent_as_photo"][0], BROKEN_VIDEO)


def video_corpus(tmp_path) -> dict[str, tuple[bytes, str]]:
    """Videos that must be refused: over-long, cut off, garbage behind a valid ftyp."""
    long_clip = hostile.make_video(tmp_path / "long.mp4", 95, size="64x48", fps=5, audio=None).read_bytes()
    short = hostile.make_video(tmp_path / "short.mp4", 2, size="160x120", fps=10).read_bytes()
    return {
        "video_95s_over_90s_limit": (long_clip, "VIDEO_TOO_LONG"),
        "truncated_mp4": (short[: len(short) // 2], "MEDIA_TRUNCATED"),
        "garbage_after_ftyp": (hostile.fake_mp4(), BROKEN_VIDEO),
    }


def expected_codes(expected: str | tuple[str, ...]) -> tuple[str, ...]:
    return (expected,) if isinstance(expected, str) else expected


def refuse(rpc, data: bytes, claimed: str) -> tuple[dict, float]:
    media_id = slot(rpc, data, claimed=claimed)["media_id"]
    started = time.perf_counter()
    view = rpc.media.confirm_upload(payload={"media_id": media_id, "actor": OPERATOR})
    return view, time.perf_counter() - started


def test_every_hostile_file_is_refused_within_a_second_in_bounded_memory(media, rpc, tmp_path):
    assert rpc.media.health()["ok"]
    refuse(rpc, hostile.jpeg(64, 64), "image/jpeg")  # the pool is warm: its start-up is not what we measure
    baseline = refuse(rpc, hostile.jpeg(64, 64), "image/jpeg")[1]  # a valid photo, through the same path
    workers = pool_pids()
    assert workers, "the media pool has no worker processes"
    rss_before = status_kb(os.getpid(), "VmRSS")
    files = {
        **{name: (data, code, "image/jpeg") for name, (data, code) in CORPUS.items()},
        **{name: (data, code, "video/mp4") for name, (data, code) in video_corpus(tmp_path).items()},
    }
    results = {}
    for name, (data, expected, claimed) in files.items():
        view, seconds = refuse(rpc, data, claimed)
        results[name] = (view["state"], view["reject_reason"], round(seconds, 3))
        assert view["state"] == "rejected" and view["reject_reason"] in expected_codes(expected), (name, view)
        assert view["url"] is None and view["renditions"] == []
    baseline = max(baseline, refuse(rpc, hostile.jpeg(64, 64), "image/jpeg")[1])
    slow = {name: r for name, r in results.items() if r[2] >= hostile.quick_bound(4, baseline)}
    assert not slow, (slow, baseline)
    grown = status_kb(os.getpid(), "VmRSS") - rss_before
    peaks = {pid: status_kb(pid, "VmHWM") for pid in pool_pids()}
    assert grown < SERVICE_GROWTH_BOUND_KB, (grown, results)
    assert peaks and max(peaks.values()) < POOL_PEAK_BOUND_KB, (peaks, results)


def test_an_empty_upload_is_refused(media, rpc):
    baseline = refuse(rpc, hostile.jpeg(64, 64), "image/jpeg")[1]
    view, seconds = refuse(rpc, b"", "image/jpeg")
    assert (view["state"], view["reject_reason"]) == ("rejected", "MEDIA_EMPTY")
    assert seconds < hostile.quick_bound(4, baseline), (seconds, baseline)

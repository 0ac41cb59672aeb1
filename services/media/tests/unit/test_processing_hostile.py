"""The hostile corpus: every entry is refused fast, with the right code, in bounded memory."""

import io
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from services.media.processing import MediaError, MediaLimits, process_photo
from services.media.processing.images import jpeg_scans
from services.media.tests.hostile.corpus import progressive_scan_bomb
from services.media.tests.unit import hostile

CORPUS = hostile.hostile_corpus()
REPO = Path(__file__).resolve().parents[4]
RSS_BOUND_KB = 64 * 1024  # a decoded 20 000² bomb would need ≥ 400 MB; a refusal may grow RSS < 64 MB


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_refused_with_the_right_code_within_a_second(name):
    """Within a second on an idle machine; under load, within three times a small valid photo's processing."""
    data, expected = CORPUS[name]
    baseline = hostile.photo_baseline()
    started = time.perf_counter()
    with pytest.raises(MediaError) as caught:
        process_photo(data)
    seconds = time.perf_counter() - started
    assert caught.value.code == expected
    assert seconds < hostile.quick_bound(3, baseline, hostile.photo_baseline()), (seconds, baseline)
    assert caught.value.message_vi and caught.value.message_en


def test_refusals_keep_memory_bounded_in_a_fresh_process():
    code = (
        "import json; from services.media.tests.unit.hostile import measure_refusals as m; "
        "print(json.dumps(m()))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=120, env=env, cwd=REPO, check=True
    )
    rows = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert {row["name"] for row in rows} == set(CORPUS)
    for row in rows:
        assert row["code"] == row["expected"], row
        assert row["seconds"] < hostile.quick_bound(3, row["baseline"]), row
        assert row["rss_growth_kb"] < RSS_BOUND_KB, row
        assert row["traced_peak"] < 4 * row["input_bytes"] + 2 * 1024 * 1024, row


def test_the_bomb_generator_makes_a_real_png_and_the_limit_is_configurable():
    small_bomb = hostile.png_bomb(2000, 1500)  # same construction, decodable size
    assert process_photo(small_bomb).width == 2000
    with pytest.raises(MediaError) as caught:
        process_photo(small_bomb, MediaLimits(max_pixels=2_999_999))
    assert caught.value.code == "IMAGE_TOO_MANY_PIXELS" and caught.value.context["width"] == 2000
    bomb = hostile.png_bomb()
    assert bomb[12:16] == b"IHDR" and struct.unpack(">II", bomb[16:24]) == (20_000, 20_000)
    assert len(bomb) < 100_000


def test_photo_over_the_byte_limit_is_refused_before_decoding():
    data = hostile.jpeg(64, 64)
    with pytest.raises(MediaError) as caught:
        process_photo(data + b"\x00" * 2048, MediaLimits(max_photo_bytes=len(data) + 1024))
    assert caught.value.code == "MEDIA_TOO_LARGE"


@pytest.mark.parametrize(
    ("payload", "marker"),
    [
        (hostile.zip_bytes(), b"PK\x03\x04"),
        (hostile.HTML, b"<script"),
        (hostile.SVG, b"<svg"),
    ],
)
def test_polyglot_jpeg_with_trailing_payload_is_neutralised_by_re_encoding(payload, marker):
    original = hostile.jpeg(320, 240)
    result = process_photo(original + payload)
    for derivative in result.derivatives.values():
        body = derivative.body
        assert marker not in body and b"payload.js" not in body
        assert body.startswith(b"\xff\xd8") and body.endswith(b"\xff\xd9")
        with Image.open(io.BytesIO(body)) as image:
            assert image.format == "JPEG"
    assert result.width == 320 and result.height == 240


def test_payload_hidden_in_a_jpeg_comment_is_dropped():
    data = hostile.encode(hostile.noisy_image(200, 100), "JPEG", comment=hostile.HTML)
    assert b"<script" in data
    result = process_photo(data)
    assert all(b"<script" not in d.body for d in result.derivatives.values())


def test_a_jpeg_repeating_its_scans_is_refused_before_decoding_and_an_ordinary_progressive_one_is_stored():
    bomb = progressive_scan_bomb(2000, 2000, 300)  # ≈ 1 s of CPU to decode; the corpus' 6000² one ≈ 2 min
    assert jpeg_scans(bomb) == 306
    started = time.process_time()
    with pytest.raises(MediaError) as caught:
        process_photo(bomb)
    assert caught.value.code == "MEDIA_MALFORMED" and "306 scans" in caught.value.detail
    assert time.process_time() - started < 0.5  # refused from its markers, not after decoding
    assert process_photo(progressive_scan_bomb(800, 600, 50)).width == 800  # 56 scans: within the limit
    with pytest.raises(MediaError):
        process_photo(progressive_scan_bomb(800, 600, 50), MediaLimits(max_jpeg_scans=55))

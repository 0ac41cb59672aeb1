"""The nastiest files of the hostile corpus through the media service (real broker, database and S3 server):
each one refused with its reason or stored, and every rendition served carries no metadata and keeps the
limits. The whole corpus runs through the same pipeline and pool in services/media/tests/hostile."""

from __future__ import annotations

import pytest

from services.media.processing import MediaLimits
from services.media.tests.hostile import corpus
from services.media.tests.hostile.harness import photo_problems, video_problems

from .support import OPERATOR, fetch, upload, wait_for

pytestmark = pytest.mark.interface

NASTIEST = (
    "exif_camera_gps_full.jpg",
    "png_1bit_20000x20000.png",
    "jpeg_claims_65500x65500.jpg",
    "jpeg_then_zip.jpg",
    "heic_exif_gps.heic",
    "xmp_extended_200k.jpg",
    "icc_300k_four_chunks.jpg",
    "iptc_byline.jpg",
    "cmyk_with_exif_secret.jpg",
    "png_16bit_rgba.png",
    "apng_300_frames.png",
    "png_iccp_bomb.png",
    "exif_ifd_pointer_loop.jpg",
    "gif_animated_as_jpg.jpg",
    "html.png",
    "truncated_jpg_50pc.jpg",
    "jpeg_named.mp4",
    "mp4_sei_user_data.mp4",
    "mp4_moov_bitflips_1.mp4",
    "mp4_subtitles_chapters_data.mp4",
    "long_95s_webm_no_duration.webm",
    "truncated_mp4_50pc.mp4",
)
BOUNDS = {"master": 2048, "card": 800, "thumb": 256, "poster": 800, "poster_thumb": 256}


@pytest.fixture(scope="module")
def nastiest(tmp_path_factory):
    samples = {s.name: s for s in corpus.generate(tmp_path_factory.mktemp("hostile-corpus"))}
    return [samples[name] for name in NASTIEST]


def settled(rpc, view: dict) -> dict:
    """A video is rendered by the worker timer after its confirmation: its final state."""
    if view["state"] != "pending":
        return view
    return wait_for(
        lambda: rpc.media.get_media(payload={"media_id": view["id"], "actor": OPERATOR}),
        lambda v: v["state"] != "pending",
        timeout=90,
    )


def test_the_nastiest_files_are_refused_or_stored_clean(media, rpc, nastiest, tmp_path):
    limits, outcomes, problems = MediaLimits(), {}, {}
    for sample in nastiest:
        view = settled(
            rpc, upload(rpc, sample.path.read_bytes(), claimed=sample.claimed_type, actor=OPERATOR)
        )
        outcome = "stored" if view["state"] == "ready" else view["reject_reason"]
        outcomes[sample.name] = outcome
        if sample.expect is not None and outcome not in sample.expect or outcome == "MEDIA_PROCESSING_FAILED":
            problems[sample.name] = (outcome, sorted(sample.expect or ()))
        for r in view["renditions"] if view["state"] == "ready" else ():
            body = fetch(r["url"])
            if r["name"] == "video":
                path = tmp_path / f"{view['id']}.mp4"
                path.write_bytes(body)
                found = video_problems(path, limits)
            else:
                found = photo_problems(body, BOUNDS[r["name"].removeprefix("public_")])
            if found:
                problems[f"{sample.name}/{r['name']}"] = found
    assert not problems, (problems, outcomes)
    assert sum(o == "stored" for o in outcomes.values()) >= 10, outcomes

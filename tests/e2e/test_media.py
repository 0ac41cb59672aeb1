"""Media through the HTTP API with every service running: presigned round trip, privacy by default, review,
video."""

from __future__ import annotations

import io
import random

import httpx
import numpy as np
import pytest
from PIL import Image

from services.media.tests.unit import hostile

from .test_media_support import (  # noqa: F401,E501
    client,
    fetch,
    new_report,
    pixels,
    post_file,
    public_report,
    reporter,
    staff_headers,
    wait_for,
)

pytestmark = pytest.mark.e2e


def test_presigned_upload_round_trip(client, system):
    report = public_report(client, system)
    data = hostile.jpeg(320, 240)
    slot = client.post(
        f"/v1/reports/{report['id']}/uploads",
        json={"content_type": "image/jpeg", "size": len(data)},
        headers=reporter(report),
    )
    assert slot.status_code == 201, slot.text
    slot = slot.json()
    assert slot["max_size"] == 15 * 1024 * 1024 and "originals/" in slot["put_url"]
    waiting = client.get(f"/v1/media/{slot['media_id']}").json()
    assert waiting["state"] == "pending" and waiting["processing"] is False
    assert httpx.put(slot["put_url"], content=data, timeout=30).status_code == 200
    confirmed = client.post(f"/v1/media/{slot['media_id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    view = confirmed.json()
    assert (
        view["state"] == "ready" and view["kind"] == "photo" and (view["width"], view["height"]) == (320, 240)
    )
    with Image.open(io.BytesIO(fetch(view["url"]))) as served:
        assert served.format == "JPEG" and served.size == (320, 240)
    assert "originals/" not in view["url"]
    again = client.post(f"/v1/media/{slot['media_id']}/confirm")
    assert again.status_code == 200 and again.json()["state"] == "ready"
    listed = client.get(f"/v1/reports/{report['id']}/media").json()
    assert [m["id"] for m in listed] == [view["id"]]
    # intake attaches the file once media says it is stored (media.stored)
    photos = wait_for(
        lambda: client.get(f"/v1/reports/{report['id']}").json()["photos"], lambda p: p, timeout=15
    )
    assert photos == [view["id"]]


def test_a_second_put_to_a_confirmed_slot_swaps_nothing_served_or_redacted(client, system):
    """The presigned PUT URL stays writable until it expires; the confirmation copied the bytes away from
    it."""
    report = public_report(client, system)
    blue, red = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (96, 64), (0, 40, 220)).save(blue, "PNG")
    Image.new("RGB", (640, 480), (230, 10, 10)).save(red, "PNG")
    slot = client.post(
        f"/v1/reports/{report['id']}/uploads",
        headers=reporter(report),
        json={"content_type": "image/png", "size": len(blue.getvalue())},
    ).json()
    assert httpx.put(slot["put_url"], content=blue.getvalue(), timeout=30).status_code == 200
    assert client.post(f"/v1/media/{slot['media_id']}/confirm").json()["state"] == "ready"
    assert (
        httpx.put(slot["put_url"], content=red.getvalue(), timeout=30).status_code == 200
    )  # the swap attempt
    operator = staff_headers(system)

    def assert_blue(view: dict) -> None:
        master = pixels(fetch(view["url"]))
        assert master.shape[:2] == (64, 96) and master[..., 2].mean() > 150 > master[..., 0].mean()

    assert_blue(client.get(f"/v1/media/{slot['media_id']}").json())  # public
    assert_blue(client.post(f"/v1/media/{slot['media_id']}/confirm").json())  # a second confirmation
    redacted = client.post(
        f"/v1/operator/media/{slot['media_id']}/review",
        headers=operator,
        json={"regions": [{"x": 0, "y": 0, "w": 0.2, "h": 0.2, "unit": "norm"}]},
    )
    assert redacted.status_code == 200, redacted.text
    assert_blue(redacted.json())  # re-processed from the original: not the swapped image
    assert_blue(client.get(f"/v1/media/{slot['media_id']}").json())


def test_an_after_photo_needs_staff(client, system):
    report = public_report(client, system)
    refused = client.post(
        f"/v1/reports/{report['id']}/uploads",
        headers=reporter(report),
        json={"content_type": "image/jpeg", "size": 100, "role": "result"},
    )
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "role"
    officer = staff_headers(system, "agency_officer", "UBND_18075")  # not the agency holding the case
    wrong = client.post(
        f"/v1/reports/{report['id']}/uploads",
        headers=officer,
        json={"content_type": "image/jpeg", "size": 100, "role": "result"},
    )
    assert wrong.status_code == 404
    stranger = client.post(
        f"/v1/reports/{report['id']}/uploads", json={"content_type": "image/jpeg", "size": 100}
    )
    guessed = post_file(client, report, hostile.jpeg(64, 48), headers={"X-Tracking-Token": "x" * 32})
    assert stranger.status_code == 404 and guessed.status_code == 404  # only the reporter adds evidence


def test_a_camera_photo_loses_its_metadata_and_offers_its_position_to_the_uploader(client, system):
    lat, lon = round(random.uniform(17.9, 18.8), 5), round(random.uniform(105.1, 106.5), 5)
    data = hostile.camera_jpeg(lat, lon, orientation=6, size=(600, 400))
    report = public_report(client, system)
    answer = post_file(client, report, data, filename="IMG_0001.jpg")
    assert answer.status_code == 201, answer.text
    view = answer.json()
    assert view["location_hint"]["lat"] == pytest.approx(lat, abs=1e-5)
    assert view["location_hint"]["lon"] == pytest.approx(lon, abs=1e-5)
    for item in view["renditions"]:
        body = fetch(item["url"])
        for marker in (b"Exif", b"HienTruongCam", b"0912345678", b"ICC_PROFILE", b"SecretTool"):
            assert marker not in body, (item["name"], marker)
    with Image.open(io.BytesIO(fetch(view["url"]))) as master:
        assert master.size == (400, 600) and len(master.getexif()) == 0
        assert master.getpixel((200, 30))[0] > 180 and master.getpixel((200, 570))[2] > 180
    later = client.get(f"/v1/media/{view['id']}").json()
    assert later["location_hint"] is None  # offered once, never stored


def test_an_unverified_report_shows_its_media_only_to_its_reporter_and_operators(client, system):
    report = new_report(client)
    mine = {"X-Tracking-Token": report["tracking_token"]}
    uploaded = post_file(client, report, hostile.jpeg(64, 48), headers=mine)
    assert uploaded.status_code == 201 and uploaded.json()["url"]  # the reporter sees it
    anonymous = client.get(f"/v1/reports/{report['id']}/media").json()
    assert (
        anonymous[0]["state"] == "ready" and anonymous[0]["url"] is None and anonymous[0]["renditions"] == []
    )
    assert client.get(f"/v1/reports/{report['id']}/media", headers=mine).json()[0]["url"]
    operator = client.get(f"/v1/reports/{report['id']}/media", headers=staff_headers(system)).json()
    assert operator[0]["url"] and operator[0]["faces_found"] == 0


def test_a_face_is_blurred_for_the_public_and_an_operator_can_redact_more(client, system):
    cx, cy = random.randint(330, 420), random.randint(380, 420)
    report = public_report(client, system)
    answer = post_file(client, report, hostile.face_photo(size=(1200, 800), face_px=320, at=(cx, cy)))
    assert answer.status_code == 201, answer.text
    public_view = answer.json()
    assert public_view["blurred"] is True
    [operator_view] = client.get(f"/v1/reports/{report['id']}/media", headers=staff_headers(system)).json()
    assert operator_view["blurred"] is False and operator_view["faces_found"] >= 1
    public, operator = pixels(fetch(public_view["url"])), pixels(fetch(operator_view["url"]))
    assert np.abs(operator - public).mean(axis=2)[cy - 100 : cy + 100, cx - 80 : cx + 80].mean() > 20
    assert operator[cy - 32, cx - 60 : cx + 60].mean() < 110  # operators still see the eyes

    region = {"x": 0.75, "y": 0.1, "w": 0.2, "h": 0.3, "unit": "norm"}
    path = f"/v1/operator/media/{public_view['id']}/review"
    assert client.post(path, json={"regions": [region]}).status_code == 401
    officer = staff_headers(system, "agency_officer", "UBND_18073")
    assert client.post(path, json={"regions": [region]}, headers=officer).status_code == 403
    reviewed = client.post(path, json={"regions": [region]}, headers=staff_headers(system))
    assert reviewed.status_code == 200, reviewed.text
    [after] = client.get(f"/v1/reports/{report['id']}/media").json()
    redacted = pixels(fetch(after["url"]))
    h, w = redacted.shape[:2]
    box = (slice(int(0.1 * h) + 8, int(0.4 * h) - 8), slice(int(0.75 * w) + 8, int(0.95 * w) - 8))
    detail = lambda a: float(np.abs(np.diff(a, axis=1)).mean())  # noqa: E731
    assert detail(public[box]) > 5 * detail(redacted[box])


def test_a_video_is_accepted_then_rendered_and_an_over_long_one_refused(client, system, tmp_path):
    report = public_report(client, system)
    clip = hostile.make_video(tmp_path / "clip.mp4", 2, size="320x240").read_bytes()
    answer = post_file(client, report, clip, filename="clip.mp4", claimed="video/mp4")
    assert answer.status_code == 202, answer.text  # checked; the web rendition is being made
    view = answer.json()
    assert view["state"] == "pending" and view["processing"] is True and view["kind"] == "video"
    done = wait_for(
        lambda: client.get(f"/v1/media/{view['id']}").json(), lambda v: v["state"] != "pending", 60
    )
    assert done["state"] == "ready" and {r["name"] for r in done["renditions"]} == {
        "video",
        "poster",
        "poster_thumb",
    }
    body = fetch(done["url"])
    assert body[4:8] == b"ftyp" and body.find(b"moov") < body.find(b"mdat")  # web-playable: index first
    long_clip = hostile.make_video(tmp_path / "long.mp4", 95, size="64x48", fps=5, audio=None).read_bytes()
    refused = post_file(client, report, long_clip, filename="long.mp4", claimed="video/mp4")
    assert refused.status_code == 422 and refused.json()["code"] == "VIDEO_TOO_LONG"

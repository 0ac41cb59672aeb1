"""Privacy by default against the real S3 server: metadata stripped, orientation applied, faces blurred in
public."""

from __future__ import annotations

import io
import random
import uuid
from datetime import UTC

import numpy as np
import pytest
from nameko.exceptions import RemoteError
from nameko.testing.services import entrypoint_waiter
from PIL import Image

from libs.contracts.events import ReportMediaVisibilityChangedV1
from services.intake.tests.interface.test_lifecycle_interface import publish
from services.media.tests.unit import hostile

from .support import OPERATOR, FakeIntake, assert_no_metadata, fetch, known_report, pixels, rendition, upload

pytestmark = pytest.mark.interface


def test_a_camera_jpeg_comes_back_without_gps_or_exif_and_correctly_rotated(media, rpc):
    lat, lon = round(random.uniform(17.9, 18.8), 5), round(random.uniform(105.1, 106.5), 5)
    data = hostile.camera_jpeg(lat, lon, orientation=6, size=(600, 400))
    assert b"Exif" in data and b"HienTruongCam" in data and b"0912345678" in data  # the input carries it all
    report_id = known_report()
    view = upload(rpc, data, report_id=report_id)  # a citizen, on a public report
    assert view["state"] == "ready" and (view["width"], view["height"]) == (400, 600)
    hint = view["location_hint"]  # offered once, to the uploader, before it is gone
    assert hint["source"] == "exif_gps" and hint["lat"] == pytest.approx(lat, abs=1e-5)
    assert hint["lon"] == pytest.approx(lon, abs=1e-5)
    for audience in (view, upload(rpc, data, report_id=report_id, actor=OPERATOR)):
        assert {r["name"] for r in audience["renditions"]} == {"master", "card", "thumb"}
        for item in audience["renditions"]:
            body = fetch(item["url"])
            assert_no_metadata(body)
            assert str(lat) not in body.decode("latin-1")
        with Image.open(io.BytesIO(fetch(audience["url"]))) as master:
            assert master.size == (400, 600)  # stored landscape, shown portrait
            top, bottom = master.getpixel((200, 30)), master.getpixel((200, 570))
        assert top[0] > 180 and top[2] < 70 and bottom[2] > 180 and bottom[0] < 70
    again = rpc.media.get_media(payload={"media_id": view["id"]})
    assert again["location_hint"] is None  # never stored


@pytest.fixture
def face_upload(media, rpc):
    center = (random.randint(330, 420), random.randint(380, 420))
    data = hostile.face_photo(size=(1200, 800), face_px=320, at=center)
    report_id = known_report(restricted=False)
    return center, report_id, upload(rpc, data, report_id=report_id)


def test_a_face_is_blurred_in_the_public_rendition_and_visible_to_operators_only(face_upload, rpc):
    (cx, cy), report_id, public_view = face_upload
    assert public_view["state"] == "ready" and public_view["blurred"] is True
    [operator_view] = rpc.media.list_media(payload={"report_id": report_id, "actor": OPERATOR})
    assert operator_view["blurred"] is False and operator_view["faces_found"] >= 1
    public, operator = pixels(fetch(public_view["url"])), pixels(fetch(operator_view["url"]))
    diff = np.abs(operator - public).mean(axis=2)
    assert diff[cy - 100 : cy + 100, cx - 80 : cx + 80].mean() > 20  # eyes, brows and mouth are gone
    far = np.ones(diff.shape, bool)
    far[max(0, cy - 340) : cy + 340, max(0, cx - 340) : cx + 340] = False
    assert diff[far].mean() < 1.5
    assert operator[cy - 32, cx - 60 : cx + 60].mean() < 110  # the operator still sees the dark eyes
    for name in ("card", "thumb"):
        assert (
            np.abs(
                pixels(fetch(rendition(public_view, name)["url"]))
                - pixels(fetch(rendition(operator_view, name)["url"]))
            ).mean()
            > 1.0
        )
    officer = {"sub": "o-1", "role": "agency_officer", "agency": "UBND_18073"}
    [agency_view] = rpc.media.list_media(payload={"report_id": report_id, "actor": officer})
    assert (
        agency_view["blurred"] is True and agency_view["faces_found"] is None
    )  # agencies see the public set


def test_an_operators_unblurred_view_is_audited_first_and_refused_without_an_audit(face_upload, rpc):
    _, report_id, view = face_upload
    FakeIntake.ACCESSES.clear()
    rpc.media.get_media(payload={"media_id": view["id"], "actor": OPERATOR})
    assert [(a["report_id"], a["media_ids"], a["actor"]["sub"]) for a in FakeIntake.ACCESSES] == [
        (report_id, [view["id"]], OPERATOR["sub"])
    ]
    rpc.media.get_media(payload={"media_id": view["id"]})  # the public's blurred view: nothing to audit
    assert len(FakeIntake.ACCESSES) == 1
    FakeIntake.AUDIT_DOWN = True
    try:
        with pytest.raises(RemoteError, match="UPSTREAM_UNAVAILABLE"):
            rpc.media.list_media(payload={"report_id": report_id, "actor": OPERATOR})
    finally:
        FakeIntake.AUDIT_DOWN = False


def test_a_hidden_file_is_served_to_operators_only(face_upload, media, rpc, stack):
    _, report_id, view = face_upload
    event = ReportMediaVisibilityChangedV1(report_id=report_id, media_id=view["id"], hidden=True)
    with entrypoint_waiter(media, "handle_media_visibility_changed", timeout=10):
        publish(stack, event)
    hidden = rpc.media.get_media(payload={"media_id": view["id"]})
    assert hidden["url"] is None and hidden["renditions"] == []
    assert rpc.media.get_media(payload={"media_id": view["id"], "actor": OPERATOR})["url"]
    shown = ReportMediaVisibilityChangedV1(report_id=report_id, media_id=view["id"], hidden=False)
    with entrypoint_waiter(media, "handle_media_visibility_changed", timeout=10):
        publish(stack, shown)
    assert rpc.media.get_media(payload={"media_id": view["id"]})["url"]


def test_an_operator_redacts_a_region_by_hand(face_upload, rpc):
    _, report_id, view = face_upload
    region = {"x": 0.75, "y": 0.1, "w": 0.2, "h": 0.3, "unit": "norm"}  # the striped scene, far from the face
    before = pixels(fetch(view["url"]))
    reviewed = rpc.media.review_media(
        payload={"media_id": view["id"], "actor": OPERATOR, "regions": [region]}
    )
    assert reviewed["state"] == "ready" and reviewed["faces_found"] >= 1
    [after_view] = rpc.media.list_media(report_id=report_id)
    after = pixels(fetch(after_view["url"]))
    h, w = after.shape[:2]
    box = (slice(int(0.1 * h) + 8, int(0.4 * h) - 8), slice(int(0.75 * w) + 8, int(0.95 * w) - 8))
    detail = lambda a: float(np.abs(np.diff(a, axis=1)).mean())  # noqa: E731
    assert detail(before[box]) > 5 * detail(after[box])  # the stripes are blurred away
    assert np.abs(before[: int(0.08 * h), : int(0.2 * w)] - after[: int(0.08 * h), : int(0.2 * w)]).mean() < 2
    operator = rpc.media.get_media(payload={"media_id": view["id"], "actor": OPERATOR})
    assert detail(pixels(fetch(operator["url"]))[box]) > 5 * detail(
        after[box]
    )  # operators keep the original view
    assert view["url"] != after_view["url"]  # new random keys


@pytest.mark.parametrize(
    ("actor", "payload", "code"),
    [
        ({"sub": "x", "role": "agency_officer", "agency": "UBND_18073"}, {"regions": []}, "FORBIDDEN"),
        (OPERATOR, {"release_video": True}, "VALIDATION_FAILED"),
    ],
)
def test_review_is_for_operators_and_fits_the_kind(media, rpc, actor, payload, code):
    view = upload(rpc, hostile.jpeg(64, 48), report_id=known_report())
    with pytest.raises(RemoteError, match=code):
        rpc.media.review_media(payload={"media_id": view["id"], "actor": actor, **payload})
    with pytest.raises(RemoteError, match="MEDIA_NOT_FOUND"):
        rpc.media.review_media(payload={"media_id": str(uuid.uuid4()), "actor": OPERATOR, "regions": []})


def test_retention_deletes_originals_of_cases_closed_long_ago_and_keeps_renditions(media, rpc, stack):
    from datetime import datetime, timedelta

    from .support import execute, in_bucket, row, wait_for

    long_ago = datetime.now(UTC) - timedelta(days=200)
    closed, recent, still_open = (known_report() for _ in range(3))
    FakeIntake.REPORTS[closed]["closed_at"] = long_ago.isoformat()
    FakeIntake.REPORTS[recent]["closed_at"] = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    views = {
        rid: upload(rpc, hostile.camera_jpeg(18.3, 105.9, size=(300, 200)), report_id=rid)
        for rid in (closed, recent, still_open)
    }
    for view in views.values():
        execute(
            stack.engine, "UPDATE media.uploads SET created_at = :t WHERE id = :m", t=long_ago, m=view["id"]
        )
    for (
        view
    ) in views.values():  # the sweep closes their old upload slots: let it finish, it touches these rows
        wait_for(lambda: row(stack.engine, view["id"]), lambda r: r.slot_key is None, timeout=30)
    keys = {rid: row(stack.engine, v["id"]).object_key for rid, v in views.items()}
    done = rpc.media.apply_retention()
    assert done["originals_deleted"] >= 1 and rpc.media.apply_retention()["originals_deleted"] == 0
    assert [in_bucket(stack, keys[r]) for r in (closed, recent, still_open)] == [False, True, True]
    assert row(stack.engine, views[closed]["id"]).original_deleted_at is not None
    kept = rpc.media.get_media(payload={"media_id": views[closed]["id"]})
    assert kept["state"] == "ready" and fetch(kept["url"])  # the renditions stay
    with pytest.raises(RemoteError, match="original_deleted"):
        rpc.media.review_media(
            payload={
                "media_id": views[closed]["id"],
                "actor": OPERATOR,
                "regions": [{"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2, "unit": "norm"}],
            }
        )

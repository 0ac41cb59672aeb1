"""Media against the real S3 server: presigned upload round trip, type from the bytes, limits."""
from __future__ import annotations

import io
import uuid

import httpx
import pytest
from nameko.exceptions import RemoteError

from services.media.service import MediaService

pytestmark = pytest.mark.interface


def png() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def media(start_service):
    return start_service(MediaService)


def upload(rpc, data: bytes, claimed: str = "image/png", report_id=None) -> dict:
    slot = rpc.media.create_upload(payload={"report_id": str(report_id or uuid.uuid4()), "content_type": claimed,
                                            "size": len(data)})
    assert httpx.put(slot["put_url"], content=data).status_code == 200
    return rpc.media.confirm_upload(slot["media_id"])


def test_presigned_round_trip_stores_and_serves_the_file(media, rpc):
    data = png()
    view = upload(rpc, data)
    assert view["state"] == "ready" and view["content_type"] == "image/png" and view["size"] == len(data)
    assert httpx.get(view["url"]).content == data


def test_type_comes_from_the_bytes_not_the_claim(media, rpc):
    view = upload(rpc, b"PK\x03\x04 zip renamed as a photo", claimed="image/jpeg")
    assert view["state"] == "rejected" and view["reject_reason"] == "UNSUPPORTED_MEDIA_TYPE"
    assert view["url"] is None


def test_confirm_before_upload_and_unknown_slot(media, rpc):
    slot = rpc.media.create_upload(payload={"report_id": str(uuid.uuid4()), "content_type": "image/png", "size": 10})
    with pytest.raises(RemoteError, match="MEDIA_NOT_FOUND"):
        rpc.media.confirm_upload(slot["media_id"])
    with pytest.raises(RemoteError, match="MEDIA_NOT_FOUND"):
        rpc.media.confirm_upload(str(uuid.uuid4()))


def test_declared_size_over_the_limit_is_refused_before_any_upload(media, rpc):
    with pytest.raises(RemoteError, match="MEDIA_TOO_LARGE"):
        rpc.media.create_upload(payload={"report_id": str(uuid.uuid4()), "content_type": "image/png",
                                         "size": 10**9})


def test_confirm_is_idempotent(media, rpc):
    data = png()
    slot = rpc.media.create_upload(payload={"report_id": str(uuid.uuid4()), "content_type": "image/png",
                                            "size": len(data)})
    httpx.put(slot["put_url"], content=data)
    first, second = rpc.media.confirm_upload(slot["media_id"]), rpc.media.confirm_upload(slot["media_id"])
    assert first["id"] == second["id"] and first["state"] == second["state"] == "ready"

"""Helpers of the media interface ring: a fake intake, uploads through presigned URLs, checks of the bytes
served."""

from __future__ import annotations

import io
import multiprocessing
import time
import uuid

import httpx
import numpy as np
import sqlalchemy as sa
from nameko.rpc import rpc
from PIL import Image

from libs.contracts.errors import ErrorCode
from libs.platform.errors import ServiceError

OPERATOR = {"sub": "op-" + uuid.uuid4().hex[:8], "role": "operator", "agency": None}
METADATA_MARKERS = (
    b"Exif",
    b"GPS",
    b"xmp",
    b"XMP",
    b"ICC_PROFILE",
    b"HienTruongCam",
    b"Model-XYZ",
    b"SecretTool",
    b"SecretFirmware",
    b"0912345678",
)


class FakeIntake:
    """Stands in for intake: `REPORTS[report_id] = {"restricted": bool, "token": str | None, "closed_at":
    iso}`; others unknown. Audited unblurred views land in `ACCESSES` (or fail while `AUDIT_DOWN`)."""

    name = "intake"
    REPORTS: dict[str, dict] = {}
    ACCESSES: list[dict] = []
    AUDIT_DOWN = False

    @rpc(expected_exceptions=ServiceError)
    def record_media_access(self, payload: dict) -> dict:
        if self.AUDIT_DOWN:
            raise ServiceError(ErrorCode.INTERNAL_ERROR, "audit unavailable")
        self.ACCESSES.append(payload)
        return {"report_id": payload["report_id"], "audit_ids": [1]}

    @rpc
    def case_closures(self, payload: dict) -> list[dict]:
        return [
            {"report_id": r, "closed_at": self.REPORTS[r].get("closed_at")}
            for r in payload["report_ids"]
            if r in self.REPORTS
        ]

    @rpc(expected_exceptions=ServiceError)
    def get_report(self, payload: dict) -> dict:
        report = self.REPORTS.get(payload["report_id"])
        if report is None:
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, "no such report")
        own = report.get("token") is not None and payload.get("tracking_token") == report["token"]
        return {"id": payload["report_id"], "restricted": report["restricted"] and not own}

    @rpc(expected_exceptions=ServiceError)
    def get_case(self, payload: dict) -> dict:
        report = self.REPORTS.get(payload["report_id"])
        held = {report.get("agency"), *report.get("past_agencies", ())} if report else set()
        if report is None or payload["actor"].get("agency") not in held:
            raise ServiceError(ErrorCode.REPORT_NOT_FOUND, "no such case")
        return {"id": payload["report_id"], "agency_code": report.get("agency"), "co_agencies": []}


def known_report(
    restricted: bool = False,
    token: str | None = None,
    agency: str | None = None,
    past_agencies: tuple[str, ...] = (),
) -> str:
    """A report id the fake intake knows (held by `agency`, formerly by `past_agencies`)."""
    report_id = str(uuid.uuid4())
    FakeIntake.REPORTS[report_id] = {
        "restricted": restricted,
        "token": token,
        "agency": agency,
        "past_agencies": past_agencies,
    }
    return report_id


def slot(
    rpc,
    data: bytes,
    claimed: str = "image/jpeg",
    report_id: str | None = None,
    role: str = "evidence",
    actor: dict | None = None,
) -> dict:
    """Ask for a slot and PUT the bytes to it."""
    answer = rpc.media.create_upload(
        payload={
            "report_id": report_id or str(uuid.uuid4()),
            "content_type": claimed,
            "size": max(1, len(data)),
            "role": role,
            "actor": actor,
        }
    )
    assert httpx.put(answer["put_url"], content=data, timeout=30).status_code == 200
    return answer


def upload(
    rpc,
    data: bytes,
    claimed: str = "image/jpeg",
    report_id: str | None = None,
    actor: dict | None = None,
    **extra,
) -> dict:
    """Presigned round trip: slot, PUT, confirm; returns the confirmation's view."""
    media_id = slot(rpc, data, claimed, report_id, actor=actor, **extra)["media_id"]
    return rpc.media.confirm_upload(payload={"media_id": media_id, "actor": actor})


def fetch(url: str) -> bytes:
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200, answer.text[:200]
    return answer.content


def rendition(view: dict, name: str) -> dict:
    return next(r for r in view["renditions"] if r["name"] == name)


def pixels(body: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(body)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def jpeg_header(body: bytes) -> tuple[list[int], bytes]:
    """Marker codes before the first scan, and those header bytes (where all metadata lives)."""
    markers, i = [], 2
    while body[i] == 0xFF and body[i + 1] != 0xDA:
        markers.append(body[i + 1])
        i += 2 + int.from_bytes(body[i + 2 : i + 4], "big")
    return markers, body[:i]


def assert_no_metadata(body: bytes) -> None:
    """A plain JFIF JPEG: no APP1..APP15 segment, no comment, none of the camera's strings."""
    assert body[:3] == b"\xff\xd8\xff"
    markers, header = jpeg_header(body)
    assert {m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE} == set()
    for marker in METADATA_MARKERS:
        assert marker not in header, marker
    with Image.open(io.BytesIO(body)) as image:
        assert len(image.getexif()) == 0 and not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)


def wait_for(fetch_value, predicate, timeout: float = 30.0, pause: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch_value()
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(pause)


def status_kb(pid: int, field: str) -> int:
    """A memory figure (VmHWM: peak resident set, VmRSS: current) of a process, in KiB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def pool_pids() -> list[int]:
    """The media pool's worker processes (children of this test process)."""
    return [p.pid for p in multiprocessing.active_children()]


def outbox_events(engine: sa.Engine, media_id: str) -> list[tuple[str, dict]]:
    """Events media wrote for one file (its outbox), oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT event_type, payload FROM media.outbox WHERE payload->>'media_id' = :m ORDER BY id"
            ),
            {"m": media_id},
        ).all()
    return [(r.event_type, r.payload) for r in rows]


def row(engine: sa.Engine, media_id: str):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT * FROM media.uploads WHERE id = :m"), {"m": media_id}).first()


def rendition_keys(engine: sa.Engine, media_id: str) -> list[str]:
    with engine.connect() as conn:
        return [
            k
            for (k,) in conn.execute(
                sa.text("SELECT object_key FROM media.renditions WHERE media_id = :m"), {"m": media_id}
            )
        ]


def in_bucket(stack, key: str) -> bool:
    """Whether the test bucket holds an object."""
    from services.media.adapters.objects import objects_from_config

    return objects_from_config(stack.service_config("media")).stat(key) is not None


def execute(engine: sa.Engine, sql: str, **params) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


__all__ = [
    "FakeIntake",
    "OPERATOR",
    "assert_no_metadata",
    "execute",
    "fetch",
    "in_bucket",
    "known_report",
    "outbox_events",
    "pixels",
    "pool_pids",
    "rendition",
    "rendition_keys",
    "row",
    "slot",
    "status_kb",
    "upload",
    "wait_for",
]

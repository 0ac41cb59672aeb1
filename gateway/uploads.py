"""Streaming uploads through the gateway, reusable by any route (reports, agencies, Open311 `media`).

`receive_file` reads a multipart body as it arrives: a declared Content-Length over the limit is refused
before a byte is read, the running total is counted while streaming (a chunked body over the limit is cut
off at once), and the file part goes to a private temporary file, never to memory. `store_file` then puts
it in the media service's presigned slot and asks the service to check and process it; a refused file is
a problem naming the form field. Nothing here trusts the client's type or name: the service reads the bytes.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID

import anyio
import httpx
from fastapi import Request
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from libs.contracts.errors import ERRORS, ErrorCode

from .deps import Runtime
from .problems import ApiError

CHUNK = 256 * 1024
SLACK = 64 * 1024  # multipart boundaries, part headers and small text fields around the file
HEAD = 64
PHOTO_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


class UploadSettings(BaseSettings):
    """The same limits as the media service (which checks again from the bytes)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    max_photo_bytes: int = Field(15 * 1024 * 1024, alias="MEDIA_MAX_PHOTO_BYTES", gt=0)
    max_video_bytes: int = Field(100 * 1024 * 1024, alias="MEDIA_MAX_VIDEO_BYTES", gt=0)
    confirm_timeout_s: float = Field(30.0, alias="MEDIA_CONFIRM_TIMEOUT_S", gt=0)
    fetch_timeout_s: float = Field(20.0, alias="MEDIA_FETCH_TIMEOUT_S", gt=0)

    @property
    def max_bytes(self) -> int:
        return max(self.max_photo_bytes, self.max_video_bytes)


@functools.cache
def upload_settings() -> UploadSettings:
    """Read once per process."""
    return UploadSettings()


def looks_like_photo(head: bytes) -> bool:
    """Photo signatures (JPEG, PNG, WebP, HEIF): the smaller photo limit applies as soon as they are seen."""
    if head.startswith(PHOTO_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return True
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def too_large(name: str, limit: int) -> ApiError:
    return ApiError(
        ErrorCode.MEDIA_TOO_LARGE,
        f"at most {limit} bytes",
        [{"field": name, "message": f"tối đa / at most {limit} bytes", "type": "too_large"}],
    )


def invalid(name: str, message: str) -> ApiError:
    return ApiError(
        ErrorCode.VALIDATION_FAILED, message, [{"field": name, "message": message, "type": "missing"}]
    )


@dataclass
class Received:
    """A file part spooled to disk (the caller removes `path`), plus the small text fields of the form."""

    path: str
    size: int = 0
    filename: str | None = None
    content_type: str | None = None
    head: bytes = b""
    fields: dict[str, str] = field(default_factory=dict)

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class PartHeaders:
    """python-multipart callbacks that collect each part's headers; subclasses say what to do with the
    parts."""

    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.header_name = self.header_value = b""

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.begin,
            "on_header_field": self.h_field,
            "on_header_value": self.h_value,
            "on_header_end": self.h_end,
            "on_headers_finished": self.headers_done,
            "on_part_data": self.data,
            "on_part_end": self.end,
        }

    def begin(self) -> None:
        self.headers = {}

    def h_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def h_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def h_end(self) -> None:
        self.headers[self.header_name.lower()] = self.header_value
        self.header_name = self.header_value = b""

    def disposition(self) -> dict[bytes, bytes]:
        """The options of the part's Content-Disposition (name, filename)."""
        return parse_options_header(self.headers.get(b"content-disposition", b""))[1]

    def headers_done(self) -> None:
        raise NotImplementedError

    def data(self, data: bytes, start: int, end: int) -> None:
        raise NotImplementedError

    def end(self) -> None:
        raise NotImplementedError


class _Parts(PartHeaders):
    """python-multipart callbacks: headers of each part, the file part to disk, small fields to memory."""

    def __init__(self, name: str, received: Received, handle, limits: UploadSettings):
        super().__init__()
        self.name, self.received, self.handle, self.limits = name, received, handle, limits
        self.current: str | None = None
        self.is_file = self.found = False
        self.value = bytearray()
        self.error: ApiError | None = None

    def begin(self) -> None:
        super().begin()
        self.value, self.current = bytearray(), None

    def headers_done(self) -> None:
        options = self.disposition()
        self.current = options.get(b"name", b"").decode("utf-8", "replace")
        self.is_file = self.current == self.name and not self.found
        if self.is_file:
            self.found = True
            self.received.filename = options.get(b"filename", b"").decode("utf-8", "replace")[:200] or None
            self.received.content_type = (
                self.headers.get(b"content-type", b"").decode("latin-1")[:100] or None
            )

    def data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None:
            return
        chunk = data[start:end]
        if not self.is_file:
            self.value += chunk
            if len(self.value) > 1024:
                self.error = invalid(self.current or "form", "text fields are limited to 1 KB")
            return
        r = self.received
        if len(r.head) < HEAD:
            r.head += chunk[: HEAD - len(r.head)]
        r.size += len(chunk)
        limit = self.limits.max_photo_bytes if looks_like_photo(r.head) else self.limits.max_bytes
        if r.size > limit:
            self.error = too_large(self.name, limit)
            return
        self.handle.write(chunk)

    def end(self) -> None:
        if not self.is_file and self.current:
            self.received.fields[self.current] = self.value.decode("utf-8", "replace")
        self.is_file = False


def check_headers(request: Request, name: str = "file", limits: UploadSettings | None = None) -> dict:
    """Refuse from the headers alone (call it first): not multipart, or a declared length over the limit."""
    limits = limits or upload_settings()
    mime, options = parse_options_header(request.headers.get("content-type", ""))
    if mime != b"multipart/form-data" or not options.get(b"boundary"):
        raise invalid(name, f"send multipart/form-data with a `{name}` part")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes + SLACK:
        raise too_large(name, limits.max_bytes)  # nothing read: the body is never buffered
    return options


async def receive_file(
    request: Request, name: str = "file", limits: UploadSettings | None = None
) -> Received:
    """Stream the multipart body; the `name` part lands in a temporary file. May raise 413 / 422 problems."""
    limits = limits or upload_settings()
    options = check_headers(request, name, limits)
    fd, path = tempfile.mkstemp(prefix="gateway-upload-")  # 0600
    received = Received(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            parts = _Parts(name, received, handle, limits)
            parser = MultipartParser(options[b"boundary"], parts.callbacks())
            total = 0
            async for chunk in request.stream():
                total += len(chunk)
                if total > limits.max_bytes + SLACK:
                    raise too_large(name, limits.max_bytes)
                parser.write(chunk)
                if parts.error is not None:
                    raise parts.error
            parser.finalize()
    except MultipartParseError:
        received.remove()
        raise invalid(name, "the multipart body is malformed") from None
    except BaseException:
        received.remove()
        raise
    if not parts.found:
        received.remove()
        raise invalid(name, f"the `{name}` part is missing")
    return received


async def _file_chunks(path: str) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as handle:
        while data := await handle.read(CHUNK):
            yield data


async def store_file(
    rt: Runtime,
    report_id: UUID | str,
    received: Received,
    *,
    name: str = "file",
    role: str = "evidence",
    actor: dict | None = None,
    tracking_token: str | None = None,
    grant: str | None = None,
) -> dict:
    """Slot → PUT → confirm; returns the media view (ready, or pending while a video renders). An operator's
    view is unblurred: `grant` (gateway.auth.personal_data_grant over the report) lets intake audit it."""
    try:
        return await _store(
            rt,
            str(report_id),
            received.size,
            received.content_type,
            _file_chunks(received.path),
            name,
            role,
            actor,
            tracking_token,
            grant,
        )
    finally:
        received.remove()


async def _store(
    rt: Runtime,
    report_id: str,
    size: int,
    claimed: str | None,
    chunks: AsyncIterator[bytes],
    name: str,
    role: str,
    actor: dict | None,
    tracking_token: str | None,
    grant: str | None = None,
) -> dict:
    slot = await rt.rpc.call(
        "media",
        "create_upload",
        payload={
            "report_id": report_id,
            "content_type": claimed or "application/octet-stream",
            "size": max(size, 1),
            "role": role,
            "actor": actor,
        },
    )
    try:
        put = await rt.http.put(slot["put_url"], content=chunks, headers={"Content-Length": str(size)})
    except httpx.HTTPError as exc:
        raise ApiError(
            ErrorCode.UPSTREAM_UNAVAILABLE, f"object store unreachable: {type(exc).__name__}"
        ) from exc
    if put.status_code >= 300:
        raise ApiError(ErrorCode.UPSTREAM_UNAVAILABLE, f"object store refused the upload ({put.status_code})")
    view = await rt.rpc.call(
        "media",
        "confirm_upload",
        timeout=upload_settings().confirm_timeout_s,
        payload={
            "media_id": slot["media_id"],
            "actor": actor,
            "tracking_token": tracking_token,
            "grant": grant,
        },
    )
    return accepted_or_problem(view, name)


def evidence_refused() -> ApiError:
    """403 for staff other than operators adding evidence: that is the reporter's (agencies add `result`)."""
    return ApiError(
        ErrorCode.FORBIDDEN,
        "evidence comes from the reporter; an agency adds after-photos",
        [
            {
                "field": "role",
                "message": "ảnh hiện trường do người phản ánh gửi; đơn vị xử lý gửi ảnh kết "
                "quả (result) / evidence is the reporter's; agencies upload role result",
                "type": "forbidden",
            }
        ],
    )


def accepted_or_problem(view: dict, name: str = "file") -> dict:
    """A rejected file becomes the problem of its reason (415, 413, 422...), naming the form field."""
    if view["state"] != "rejected":
        return view
    reason = view.get("reject_reason") or ErrorCode.MEDIA_REJECTED.value
    code = ErrorCode(reason) if reason in ErrorCode._value2member_map_ else ErrorCode.MEDIA_REJECTED
    spec = ERRORS[code]
    raise ApiError(
        code,
        f"media {view['id']} rejected: {reason}",
        [{"field": name, "message": f"{spec.title_vi} / {spec.title_en}", "type": reason.lower()}],
    )

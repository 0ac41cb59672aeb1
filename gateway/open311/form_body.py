"""The body of an Open311 POST, read as it arrives, with the partner's key checked before any file is stored.

A urlencoded body is small (the edge guard caps it) and read whole. A multipart body is parsed while it
streams: text fields go to memory (each and all of them capped), and when the first `media` part begins the
api_key sent so far is checked (`authorize`) before a byte of it is written: a request without a valid key is
refused with 403 while the file is still arriving, so nothing of it is stored (partners send `api_key` before
their files). Each `media` part goes to a private temporary file, counted against the upload limits (413
naming the field); other file parts are skipped unread."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ..uploads import HEAD, PartHeaders, Received, looks_like_photo, upload_settings
from .errors import Open311Error
from .params import invalid

MAX_FIELDS = 200  # text parameters of one request (attributes included)
MAX_FIELD_BYTES = 20 * 1024  # one text value (a 4,000-character description in any script fits)
MAX_TEXT_BYTES = 128 * 1024  # every text value together
Authorize = Callable[[list[tuple[str, str]]], Awaitable[dict]]


class _Events(PartHeaders):
    """python-multipart callbacks collected as events, handled after each chunk by async code."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple] = []

    def headers_done(self) -> None:
        options = self.disposition()
        self.events.append(
            (
                "part",
                options.get(b"name", b"").decode("utf-8", "replace"),
                options.get(b"filename"),
                self.headers.get(b"content-type", b"").decode("latin-1"),
            )
        )

    def data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(("data", data[start:end]))

    def end(self) -> None:
        self.events.append(("end",))

    def take(self) -> list[tuple]:
        events, self.events = self.events, []
        return events


def too_large(name: str, limit: int) -> Open311Error:
    return Open311Error(
        413,
        f"Tệp {name} quá lớn (tối đa {limit} byte) / {name} is larger than {limit} bytes",
        "MEDIA_TOO_LARGE",
    )


class _Form:
    """What has been received so far: text pairs, the stored files, the partner's grant."""

    def __init__(self, authorize: Authorize, max_files: int) -> None:
        self.authorize, self.max_files = authorize, max_files
        self.pairs: list[tuple[str, str]] = []
        self.files: list[Received] = []
        self.grant: dict | None = None
        self.text_bytes = 0
        self.kind: str | None = None  # "text", "media", "skip" for the current part
        self.name = ""
        self.value = bytearray()
        self.handle = None

    async def handle_events(self, events: list[tuple]) -> None:
        for event in events:
            if event[0] == "part":
                await self._part(*event[1:])
            elif event[0] == "data":
                self._data(event[1])
            else:
                self._end()

    async def _part(self, name: str, filename: bytes | None, content_type: str) -> None:
        self.name, self.value = name[:80], bytearray()
        if filename is None:
            self.kind = "text"
            if len(self.pairs) >= MAX_FIELDS:
                raise invalid("request", f"at most {MAX_FIELDS} parameters")
            return
        if name != "media":
            self.kind = "skip"
            return
        if self.grant is None:  # the key is checked before any file byte is written
            self.grant = await self.authorize(self.pairs)
        if len(self.files) >= self.max_files:
            raise invalid("media", f"at most {self.max_files} files")
        fd, path = tempfile.mkstemp(prefix="gateway-open311-")  # 0600
        received = Received(
            path,
            filename=filename.decode("utf-8", "replace")[:200] or None,
            content_type=content_type[:100] or None,
        )
        self.files.append(received)
        self.handle = os.fdopen(fd, "wb")
        self.kind = "media"

    def _data(self, chunk: bytes) -> None:
        if self.kind == "text":
            self.value += chunk
            self.text_bytes += len(chunk)
            if len(self.value) > MAX_FIELD_BYTES:
                raise invalid(self.name or "request", f"longer than {MAX_FIELD_BYTES} bytes")
            if self.text_bytes > MAX_TEXT_BYTES:
                raise invalid("request", f"text parameters longer than {MAX_TEXT_BYTES} bytes together")
        elif self.kind == "media":
            received, limits = self.files[-1], upload_settings()
            if len(received.head) < HEAD:
                received.head += chunk[: HEAD - len(received.head)]
            received.size += len(chunk)
            limit = limits.max_photo_bytes if looks_like_photo(received.head) else limits.max_bytes
            if received.size > limit:
                raise too_large("media", limit)
            self.handle.write(chunk)

    def _end(self) -> None:
        if self.kind == "text":
            self.pairs.append((self.name, self.value.decode("utf-8", "replace")))
        elif self.kind == "media":
            self.handle.close()
            self.handle = None
        self.kind = None

    def discard(self) -> None:
        if self.handle is not None:
            self.handle.close()
        for received in self.files:
            received.remove()


async def read_form(
    request: Request, authorize: Authorize, max_files: int
) -> tuple[list[tuple[str, str]], list[Received], dict]:
    """(text pairs, `media` files on disk — the caller removes them, the partner's grant); may raise
    Open311Error (403 before any file is stored, 400, 413)."""
    mime, options = parse_options_header(request.headers.get("content-type", ""))
    if mime != b"multipart/form-data":
        body = await request.body()  # bounded by the edge guard (FORM_MAX_BODY_BYTES)
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            raise invalid(
                "request", f"expected a urlencoded body of at most {MAX_FIELDS} UTF-8 parameters"
            ) from None
        return pairs, [], await authorize(pairs)
    if not options.get(b"boundary"):
        raise invalid("request", "multipart/form-data without a boundary")
    form, events = _Form(authorize, max_files), _Events()
    parser = MultipartParser(options[b"boundary"], events.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            await form.handle_events(events.take())
        parser.finalize()
        await form.handle_events(events.take())
        if form.grant is None:
            form.grant = await authorize(form.pairs)
    except MultipartParseError:
        form.discard()
        raise invalid("request", "the multipart body is malformed") from None
    except BaseException:
        form.discard()
        raise
    return form.pairs, form.files, form.grant

"""A small HTTP/1.1 client on asyncio streams with a pool of keep-alive connections, for the open-loop bench.

httpx costs a few milliseconds of CPU per request; on a 2-core machine the generator would then compete with
the system it measures and fall behind its own schedule. This client does only what the bench needs: a request
with an optional JSON body, an answer with Content-Length or chunked, keep-alive. A request that fails on a
reused connection before any answer (the server closed it while idle) is sent once more on a new connection;
the bench's writes carry an Idempotency-Key, so that never makes a second report."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlparse


class Answer:
    """Status, headers (lower-case names) and body of one response."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status_code, self.headers, self.content = status, headers, body

    def json(self):
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def request_bytes(method: str, path: str, host: str, body: bytes | None, headers: dict[str, str]) -> bytes:
    """The request as sent on the wire (pure, tested)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


async def read_answer(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    """One response from the stream, and whether the connection may be reused."""
    status_line = await reader.readuntil(b"\r\n")  # may raise IncompleteReadError on a closed connection
    version, status = status_line.split(b" ", 2)[:2]
    headers: dict[str, str] = {}
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
            pass
        body = b"".join(parts)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    reusable = headers.get("connection", "").lower() != "close" and version == b"HTTP/1.1"
    return Answer(int(status), headers, body), reusable


class Client:
    """Requests to one origin over pooled keep-alive connections (as many as there are requests in flight)."""

    def __init__(self, base_url: str, timeout: float = 60):
        url = urlparse(base_url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.netloc, self.timeout = url.netloc, timeout
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(
        self, method: str, path: str, json_body=None, headers: dict[str, str] | None = None
    ) -> Answer:
        body = None if json_body is None else json.dumps(json_body, ensure_ascii=False).encode()
        data = request_bytes(method, path, self.netloc, body, headers or {})
        for fresh in (False, True):
            reused = bool(self.idle) and not fresh
            conn = self.idle.pop() if reused else await asyncio.open_connection(self.host, self.port)
            try:
                answer, reusable = await asyncio.wait_for(self._exchange(conn, data), self.timeout)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                conn[1].close()
                if reused and not (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                    continue  # the idle connection had been closed by the server: once more on a new one
                raise
            except BaseException:
                conn[1].close()
                raise
            if reusable:
                self.idle.append(conn)
            else:
                conn[1].close()
            return answer
        raise AssertionError("unreachable")

    @staticmethod
    async def _exchange(conn, data: bytes) -> tuple[Answer, bool]:
        reader, writer = conn
        writer.write(data)
        await writer.drain()
        return await read_answer(reader)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return await self.request("GET", path, None, headers)

    async def post(self, path: str, json=None, headers: dict[str, str] | None = None) -> Answer:
        return await self.request("POST", path, json, headers)

    async def aclose(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()

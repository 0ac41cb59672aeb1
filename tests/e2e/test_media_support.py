"""Helpers of the media end-to-end tests: reports in a given visibility, staff headers, raw HTTP, process
memory."""

from __future__ import annotations

import io
import os
import select
import socket
import time
import uuid
from urllib.parse import urlparse

import httpx
import numpy as np
import pytest
from PIL import Image

from libs.auth.tokens import mint

REPORT = {
    "category": "GIAO_THONG_HA_TANG",
    "location": {"lat": 18.3419, "lon": 105.903},
    "address": "Đường Trần Phú",
}


@pytest.fixture
def client(system):
    with httpx.Client(base_url=system.base_url, timeout=30) as c:
        yield c


def staff_headers(system, role: str = "operator", agency: str | None = None) -> dict:
    token = mint(
        f"e2e-media-{role}-{uuid.uuid4().hex[:6]}", role, system.stack.secrets["HT_JWT_SECRET"], agency
    )
    return {"Authorization": f"Bearer {token}"}


def new_report(client) -> dict:
    """A fresh report, not yet verified (only its reporter and staff see its media)."""
    body = {
        **REPORT,
        "description": f"Ổ gà sâu {uuid.uuid4().hex[:8]}",
        "reporter": {"name": "Người dân", "phone": "09" + str(uuid.uuid4().int)[:8]},
    }
    answer = client.post("/v1/reports", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def public_report(client, system) -> dict:
    """A report an operator verified: public, so its media's public renditions are served to anyone."""
    ref = new_report(client)
    accepted = client.post(
        f"/v1/operator/reports/{ref['id']}/accept",
        json={"note": "Đã xác minh"},
        headers=staff_headers(system),
    )
    assert accepted.status_code == 200, accepted.text
    return ref


def reporter(report: dict) -> dict:
    """The headers of the report's own reporter (the tracking token)."""
    return {"X-Tracking-Token": report["tracking_token"]}


def post_file(
    client,
    report: dict,
    data: bytes,
    filename: str = "x.jpg",
    claimed: str = "image/jpeg",
    headers: dict | None = None,
) -> httpx.Response:
    """Upload as the reporter (or with the given staff headers)."""
    return client.post(
        f"/v1/reports/{report['id']}/media",
        files={"file": (filename, data, claimed)},
        headers=headers or reporter(report),
    )


def fetch(url: str) -> bytes:
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200, answer.text[:200]
    return answer.content


def pixels(body: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(body)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def wait_for(fetch_value, predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch_value()
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def status_kb(pid: int, field: str) -> int:
    """VmHWM (peak resident set) or VmRSS of a process, in KiB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def reset_peak(*pids: int) -> None:
    """Start VmHWM afresh (Linux: `5` → /proc/PID/clear_refs), so a peak measures only what follows."""
    for pid in pids:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")


def children(pid: int) -> list[int]:
    """Direct child processes (the media pool's workers are the media process's children)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as handle:
                    ppid = next(int(line.split()[1]) for line in handle if line.startswith("PPid:"))
            except (OSError, StopIteration):
                continue
            if ppid == pid:
                found.append(int(entry))
    return found


class Raw:
    """One request sent by hand: headers, then body chunks until the server answers (or closes); then the
    reply."""

    def __init__(self, base_url: str, head: str, chunks=(), timeout: float = 30.0):
        self.base_url, self.head, self.chunks, self.timeout = base_url, head, chunks, timeout
        self.sent, self.reply, self.seconds, self.closed = 0, b"", 0.0, False

    def run(self, whole: bool = True) -> Raw:
        """Send, then read the reply (`whole`: until the server closes, else its status line)."""
        url = urlparse(self.base_url)
        with socket.create_connection((url.hostname, url.port), timeout=self.timeout) as sock:
            started = time.monotonic()
            sock.sendall(self.head.encode())
            for chunk in self.chunks:
                if select.select([sock], [], [], 0)[0]:  # the server answered (or closed): stop sending
                    break
                try:
                    sock.sendall(chunk)
                except OSError:
                    break
                self.sent += len(chunk)
            try:
                while whole or b"\r\n" not in self.reply:
                    more = sock.recv(65536)
                    if not more:
                        self.closed = True
                        break
                    self.reply += more
            except OSError:
                self.closed = True
            self.seconds = time.monotonic() - started
        return self

    @property
    def status(self) -> int:
        return int(self.reply.split(b" ", 2)[1]) if self.reply.startswith(b"HTTP/") else 0

    @property
    def headers(self) -> dict[str, str]:
        head = self.reply.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
        return {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in head if ":" in line)}

    @property
    def body(self) -> str:
        return self.reply.split(b"\r\n\r\n", 1)[-1].decode("utf-8", "replace")


def raw_request(
    base_url: str, head: str, body_chunks=(), read_timeout: float = 5.0
) -> tuple[int, float, int]:
    """Send a request by hand (headers, then chunks until the server answers); (status, seconds, bytes
    sent)."""
    raw = Raw(base_url, head, body_chunks, read_timeout).run(whole=False)
    return raw.status, raw.seconds, raw.sent

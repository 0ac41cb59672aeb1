"""Fetch a photo a partner names by URL (Open311 `media_url`) without letting the URL reach inside our
network.

Only http and https; the host is resolved here and every address it resolves to must be public (no loopback,
private, link-local, carrier-grade NAT, multicast, reserved or unspecified address: cloud metadata services
live at link-local 169.254.169.254); the connection goes to the address that was checked (no second lookup a
DNS rebinding could change), with TLS verified against the host name. Each redirect is checked the same way,
at most `max_redirects` of them. The body is written to a file as it arrives and cut off past `max_bytes`; the
whole fetch has one deadline. `allow_hosts` (MEDIA_FETCH_ALLOW_HOSTS) names hosts exempt from the address
rule: local test servers only. Pure standard library (eventlet makes the sockets cooperative in the service
process)."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

CHUNK = 64 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchRefused(Exception):
    """The URL was not fetched; `reason` is short and safe to show staff."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Fetched:
    """Where the body went, how big it is, and the URL it finally came from."""

    path: str
    size: int
    url: str
    content_type: str | None


def public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (not ours, not anybody's local network)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_reserved
        or ip.is_link_local
        or ip.is_loopback
        or ip.is_private
        or ip.is_unspecified
    )


def _target(url: str, allow_hosts: frozenset[str]) -> tuple[str, str, int, str, str]:
    """(scheme, host, port, checked address, path) of a URL we may fetch; may raise FetchRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused("only http(s) URLs with a host")
    if parts.username or parts.password:
        raise FetchRefused("credentials in the URL")
    host, port = parts.hostname.lower(), parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused("the host does not resolve") from None
    addresses = sorted({info[4][0] for info in infos})
    allowed = host in allow_hosts or f"{host}:{port}" in allow_hosts
    if not addresses or not (allowed or all(public_address(a) for a in addresses)):
        raise FetchRefused("the host resolves to a private, loopback, link-local or reserved address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, addresses[0], path


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP to the checked address (the Host header still names the host)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLSConnection(_PinnedConnection):
    """HTTPS to the checked address, the certificate verified against the host name."""

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = ssl.create_default_context().wrap_socket(raw, server_hostname=self.host)


def fetch_to_file(
    url: str,
    path: str,
    *,
    max_bytes: int,
    timeout_s: float,
    max_redirects: int = 3,
    allow_hosts: frozenset[str] = frozenset(),
) -> Fetched:
    """GET `url` into a new 0600 file at `path`; may raise FetchRefused (nothing is left at `path` then)."""
    deadline = time.monotonic() + timeout_s
    for _ in range(max_redirects + 1):
        scheme, host, port, address, target = _target(url, allow_hosts)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchRefused("timed out")
        kind = _PinnedTLSConnection if scheme == "https" else _PinnedConnection
        conn = kind(host, port, address, timeout=left)
        try:
            conn.request(
                "GET", target, headers={"User-Agent": "HienTruong-media/1", "Accept": "image/*,video/*"}
            )
            resp = conn.getresponse()
            if resp.status in REDIRECTS:
                location = resp.getheader("Location")
                if not location:
                    raise FetchRefused(f"redirect {resp.status} without a location")
                url = urljoin(url, location)
                continue
            if resp.status != 200:
                raise FetchRefused(f"answered {resp.status}")
            declared = resp.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRefused(f"larger than {max_bytes} bytes")
            size = _spool(resp, path, max_bytes, deadline)
            return Fetched(path, size, url, resp.getheader("Content-Type"))
        except (OSError, http.client.HTTPException) as exc:
            raise FetchRefused(f"fetch failed: {type(exc).__name__}") from None
        finally:
            conn.close()
    raise FetchRefused(f"more than {max_redirects} redirects")


def _spool(resp, path: str, max_bytes: int, deadline: float) -> int:
    """Write the body to `path` (0600), at most `max_bytes`, before the deadline; removes it on refusal."""
    import os

    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := resp.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused(f"larger than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise FetchRefused("timed out")
                out.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return size

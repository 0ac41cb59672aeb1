"""Channel adapters: plain blocking calls over smtplib, httpx and kombu that report the outcome as a value."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # httpx stays out of the import of this package's pure parts
    import httpx

# Statuses worth retrying although they are 4xx: timeout, too early, rate limited.
RETRYABLE_4XX = frozenset({408, 425, 429})
MAX_RESPONSE_BYTES = 64 * 1024


class DeliveryResult(NamedTuple):
    """Outcome of one attempt; `error` is a short code without personal data, `permanent` = do not retry."""

    ok: bool
    status: int | None = None  # HTTP status, or the SMTP reply code
    error: str | None = None
    acknowledged: bool = False
    permanent: bool = False


def http_result(status: int) -> DeliveryResult:
    """A DeliveryResult from an HTTP status: 2xx ok, 4xx permanent unless retryable, the rest transient."""
    if 200 <= status < 300:
        return DeliveryResult(ok=True, status=status)
    permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
    return DeliveryResult(ok=False, status=status, error=f"http_{status}", permanent=permanent)


def transport_error(exc: Exception) -> DeliveryResult:
    """A DeliveryResult for a network failure (always retryable); the message is not kept, it may hold a
    URL."""
    return DeliveryResult(ok=False, error=f"transport:{type(exc).__name__}")


def read_capped(response: httpx.Response, limit: int = MAX_RESPONSE_BYTES) -> bytes:
    """At most `limit` bytes of a streamed body: a hostile or broken peer cannot fill our memory."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]

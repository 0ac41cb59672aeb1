"""Signed webhooks: HMAC-SHA256 over `"{timestamp}.{body}"`, one `v1` per active secret.

Header sent with every webhook (Stripe-like, so receivers can reuse familiar code)::

    X-HT-Signature: t=1767225600,v1=<hex>[,v1=<hex of the second secret>]
    X-HT-Delivery:  <delivery uuid>          (receivers dedupe on it)
    X-HT-Event:     <event type>             (e.g. case.routed)

Rotation: an agency's webhook has up to two active secrets while it moves to a new one; each secret yields
one `v1`, so a receiver holding either secret verifies. Receiver recipe (any language): split the header on
',', take `t` and every `v1`, reject when |now - t| > 300 s, compute
`hex(HMAC_SHA256(secret, f"{t}.".encode() + raw_body))` and compare in constant time with each `v1`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import uuid4

SIGNATURE_HEADER = "X-HT-Signature"
DELIVERY_HEADER = "X-HT-Delivery"
EVENT_HEADER = "X-HT-Event"
SCHEME = "v1"
DEFAULT_TOLERANCE_S = 300
MAX_ACTIVE_SECRETS = 2
# A header with more signatures than this is hostile or broken; refusing it bounds the work per request.
MAX_SIGNATURES_IN_HEADER = 8

Secret = str | bytes
Clock = datetime | int | float


class SignatureError(Exception):
    """A webhook signature did not verify; `reason` is 'missing', 'malformed', 'stale' or 'mismatch'."""

    REASONS = ("missing", "malformed", "stale", "mismatch")

    def __init__(self, reason: str) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown signature error reason: {reason!r}")
        super().__init__(reason)
        self.reason = reason


def unix_seconds(now: Clock) -> int:
    """Whole unix seconds of an aware datetime or a unix timestamp."""
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")  # a naive time would shift by the host's offset
        return int(now.timestamp())
    return int(now)


def _key(secret: Secret) -> bytes:
    """The secret as bytes; an empty secret would make every signature forgeable."""
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if not key:
        raise ValueError("webhook secret must not be empty")
    return key


def _body(body: bytes | str) -> bytes:
    """The exact bytes on the wire; a str is taken as UTF-8."""
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def compute_signature(secret: Secret, timestamp: int, body: bytes | str) -> str:
    """Hex HMAC-SHA256 of `"{timestamp}.{body}"` under one secret."""
    message = f"{timestamp}.".encode("ascii") + _body(body)
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def signature_header(body: bytes | str, secrets: Sequence[Secret], now: Clock) -> str:
    """The `X-HT-Signature` value: `t=<unix>,v1=<hex>` with one `v1` per active secret."""
    if isinstance(secrets, (str, bytes)):
        secrets = [secrets]  # a lone secret passed by mistake would otherwise be signed per character
    if not 1 <= len(secrets) <= MAX_ACTIVE_SECRETS:
        raise ValueError(f"need 1 to {MAX_ACTIVE_SECRETS} active secrets, got {len(secrets)}")
    timestamp = unix_seconds(now)
    parts = [f"t={timestamp}"] + [f"{SCHEME}={compute_signature(s, timestamp, body)}" for s in secrets]
    return ",".join(parts)


def sign(
    body: bytes | str,
    secrets: Sequence[Secret],
    now: Clock,
    *,
    event_type: str | None = None,
    delivery_id: str | None = None,
) -> dict[str, str]:
    """Headers to send with a webhook body: signature, delivery id (new uuid unless given) and event type."""
    headers = {
        SIGNATURE_HEADER: signature_header(body, secrets, now),
        DELIVERY_HEADER: str(delivery_id or uuid4()),
    }
    if event_type:
        headers[EVENT_HEADER] = event_type
    return headers


def parse_signature_header(header: str | None) -> tuple[int, list[str]]:
    """(timestamp, [v1 hex, ...]) from a header; may raise SignatureError('missing' | 'malformed')."""
    if header is None or not header.strip():
        raise SignatureError("missing")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or not value:
            raise SignatureError("malformed")
        if name == "t":
            if timestamp is not None or not value.isdigit():
                raise SignatureError("malformed")  # two timestamps would let an attacker pick one
            timestamp = int(value)
        elif name == SCHEME:
            if len(value) != 64 or any(c not in "0123456789abcdef" for c in value.lower()):
                raise SignatureError("malformed")
            signatures.append(value.lower())
        # other schemes (v0, v2 ...) are ignored so the format can grow
    if timestamp is None or not signatures or len(signatures) > MAX_SIGNATURES_IN_HEADER:
        raise SignatureError("malformed")
    return timestamp, signatures


def verify(
    body: bytes | str,
    header: str | None,
    secrets: Sequence[Secret],
    now: Clock,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> None:
    """Check a received webhook; raises SignatureError('missing'|'malformed'|'stale'|'mismatch')."""
    if isinstance(secrets, (str, bytes)):
        secrets = [secrets]
    if not secrets:
        raise ValueError("verify needs at least one secret")  # configuration error, not a bad request
    timestamp, signatures = parse_signature_header(header)
    # A timestamp too far in the future is refused like an old one: both defeat replay protection.
    if abs(unix_seconds(now) - timestamp) > tolerance_s:
        raise SignatureError("stale")
    matched = False
    for secret in secrets:
        expected = compute_signature(secret, timestamp, body)
        for candidate in signatures:
            # compare_digest is constant-time; no early exit, so timing does not reveal which one matched
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("mismatch")


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup for receivers holding a plain dict."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)

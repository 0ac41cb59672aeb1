"""Webhook channel: POST a signed JSON body; a 2xx reply with {"acknowledged": true} acknowledges it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from uuid import UUID

import httpx

from ..domain import signing
from . import DeliveryResult, http_result, read_capped, transport_error

USER_AGENT = "HienTruong-Webhook/1"


def _json_default(value: object) -> str:
    """JSON for the few non-JSON types a payload may hold."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def encode_payload(payload: Mapping[str, object]) -> bytes:
    """Compact UTF-8 JSON: these exact bytes are what gets signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode()


def _acknowledged(body: bytes) -> bool:
    """Whether a reply body is a JSON object with `"acknowledged": true` (exactly true, not truthy)."""
    try:
        reply = json.loads(body)
    except ValueError:
        return False
    return isinstance(reply, dict) and reply.get("acknowledged") is True


def post_webhook(
    url: str,
    payload: Mapping[str, object] | bytes,
    *,
    secrets: Sequence[signing.Secret],
    event_type: str,
    delivery_id: str,
    now: datetime | None = None,
    timeout: float = 10.0,
    client: httpx.Client | None = None,
) -> DeliveryResult:
    """Sign and POST one delivery; redirects are not followed (a 3xx is a failure, not a hop elsewhere)."""
    body = payload if isinstance(payload, bytes) else encode_payload(payload)
    headers = signing.sign(
        body, secrets, now or datetime.now(UTC), event_type=event_type, delivery_id=delivery_id
    )
    headers.update({"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT})
    own = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=False)
    try:
        request = http.build_request("POST", url, content=body, headers=headers, timeout=timeout)
        response = http.send(request, stream=True)
        try:
            reply = read_capped(response)
        finally:
            response.close()
    except httpx.HTTPError as exc:
        return transport_error(exc)  # the URL may hold a token: the message is not kept
    finally:
        if own:
            http.close()
    result = http_result(response.status_code)
    return result._replace(acknowledged=True) if result.ok and _acknowledged(reply) else result

"""SMS channel: POST (or GET) to a configurable HTTP SMS gateway with httpx and a timeout."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

import httpx

from . import DeliveryResult, http_result, read_capped, transport_error


@dataclass(frozen=True)
class SmsGatewayConfig:
    """A gateway's shape: URL template ({to}, {sender} url-quoted), auth header, JSON or form body."""

    url_template: str
    method: Literal["POST", "GET"] = "POST"
    auth_header: str = "Authorization"
    auth_value: str | None = field(default=None, repr=False)  # e.g. "Bearer <token>"; never logged
    body_format: Literal["json", "form"] = "json"
    to_field: str = "to"
    text_field: str = "text"
    sender: str | None = None  # brandname registered with the carriers
    sender_field: str = "from"
    extra_fields: Mapping[str, str] = field(default_factory=dict)
    # Some gateways answer 200 with an error inside: require e.g. {"CodeResult": "100"} when set.
    ok_field: str | None = None
    ok_value: object = None
    timeout: float = 10.0


def build_request(config: SmsGatewayConfig, to: str, text: str) -> httpx.Request:
    """The HTTP request for one SMS (GET puts the fields in the query string)."""
    url = config.url_template.format(to=quote(to, safe="+"), sender=quote(config.sender or "", safe=""))
    fields: dict[str, str] = {**config.extra_fields, config.to_field: to, config.text_field: text}
    if config.sender:
        fields[config.sender_field] = config.sender
    headers = {config.auth_header: config.auth_value} if config.auth_value else {}
    if config.method == "GET":
        request = httpx.Request("GET", url, params=fields, headers=headers)
    elif config.body_format == "form":
        request = httpx.Request("POST", url, data=fields, headers=headers)
    else:
        request = httpx.Request("POST", url, json=fields, headers=headers)
    # The configured timeout wins even over a shared client's own default.
    request.extensions["timeout"] = httpx.Timeout(config.timeout).as_dict()
    return request


def _gateway_says_ok(config: SmsGatewayConfig, body: bytes) -> bool:
    """Whether the JSON reply carries the configured success marker (True when none is configured)."""
    if config.ok_field is None:
        return True
    try:
        reply = json.loads(body)
    except ValueError:
        return False
    return isinstance(reply, dict) and reply.get(config.ok_field) == config.ok_value


def send_sms(
    config: SmsGatewayConfig, to: str, text: str, *, client: httpx.Client | None = None
) -> DeliveryResult:
    """Send one SMS; never raises for gateway or network failures (the phone number is not in `error`)."""
    request = build_request(config, to, text)
    own = client is None
    http = client or httpx.Client(timeout=config.timeout, follow_redirects=False)
    try:
        response = http.send(request, stream=True)
        try:
            body = read_capped(response)
        finally:
            response.close()
    except httpx.HTTPError as exc:
        return transport_error(exc)
    finally:
        if own:
            http.close()
    result = http_result(response.status_code)
    if result.ok and not _gateway_says_ok(config, body):
        return DeliveryResult(ok=False, status=response.status_code, error="gateway_refused")
    return result

"""Shared fixtures and helpers of the Open311 end-to-end suites (no tests here; imported by
test_open311_*.py)."""

from __future__ import annotations

import random
import string
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

API = "/open311/v2"
FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'
# XML containers whose children are list items (the JSON side has plain arrays there).
LISTS = {
    "attributes",
    "values",
    "endpoints",
    "formats",
    "notes",
    "photos",
    "errors",
    "services",
    "service_requests",
    "service_request_updates",
}
THANH_SEN = (18.3419, 105.903)  # Phường Thành Sen, Hà Tĩnh (unit 18073)
PHU_XUAN = (16.4785, 107.577)  # Phường Phú Xuân, Huế (unit 19753)


def word(n: int = 10) -> str:
    """A random lowercase word (unique text to find our own reports)."""
    return "".join(random.choices(string.ascii_lowercase, k=n))


def near(point: tuple[float, float], spread: float = 0.004) -> tuple[float, float]:
    """A random point within ~400 m."""
    return round(point[0] + random.uniform(-spread, spread), 6), round(
        point[1] + random.uniform(-spread, spread), 6
    )


def xml_tree(element: ET.Element) -> Any:
    """An XML element as the JSON value it stands for (lists for containers, dicts for records, text else)."""
    children = list(element)
    if element.tag in LISTS:
        return [xml_tree(child) for child in children]
    if not children:
        return element.text
    return {child.tag: xml_tree(child) for child in children}


def body(response: httpx.Response, fmt: str) -> Any:
    """A response as plain data: JSON parsed, XML checked (declaration, UTF-8) and converted."""
    assert response.headers["content-type"] == CONTENT_TYPES[fmt], response.headers["content-type"]
    if fmt == "json":
        return response.json()
    assert response.content.startswith(XML_DECLARATION), response.content[:80]
    root = ET.fromstring(response.content)
    return xml_tree(root)


def errors_of(response: httpx.Response, fmt: str) -> list[dict]:
    """The spec's error list, checked to carry the HTTP status as its code."""
    items = body(response, fmt)
    assert isinstance(items, list) and items, items
    for item in items:
        assert str(item["code"]) == str(response.status_code) and item["description"]
    return items


def wait_for(fetch, predicate, timeout: float = 20.0):
    """Poll until predicate(value) or the timeout; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def admin_token(system, role: str = "administrator", agency: str | None = None) -> str:
    """A staff bearer token signed with the running system's key."""
    from libs.auth.tokens import mint

    return mint(f"{role}-{uuid.uuid4().hex[:8]}", role, system.stack.secrets["HT_JWT_SECRET"], agency=agency)


def new_api_key(
    system, rate: int = 10_000, client_name: str | None = None, may_update_any: bool = False
) -> dict:
    """Issue a partner key through the administrator API; returns {key: view, api_key: secret}."""
    headers = {"Authorization": f"Bearer {admin_token(system)}"}
    answer = httpx.post(
        f"{system.base_url}/v1/admin/api-keys",
        headers=headers,
        timeout=20,
        json={
            "client_name": client_name or f"partner {word(6)}",
            "rate_limit_per_hour": rate,
            "may_update_any": may_update_any,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def o311(system):
    """An HTTP client on the Open311 base URL."""
    with httpx.Client(base_url=system.base_url + API, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def api_key(system) -> str:
    """A partner's secret key with a generous rate limit."""
    return new_api_key(system)["api_key"]


def post_request(
    o311: httpx.Client, api_key: str | None, fmt: str = "json", files=None, **fields: Any
) -> httpx.Response:
    """POST requests.{fmt} with form fields (defaults: a pothole in Thành Sen with a unique description)."""
    lat, lon = near(THANH_SEN)
    data: dict[str, Any] = {
        "service_code": "GIAO_THONG_HA_TANG",
        "lat": lat,
        "long": lon,
        "description": f"Ổ gà sâu trước chợ {word()}",
    }
    if api_key is not None:
        data["api_key"] = api_key
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return o311.post(f"/requests.{fmt}", data=data, files=files)


def submitted(o311: httpx.Client, api_key: str, **fields: Any) -> str:
    """Submit and return the service_request_id (checked)."""
    answer = post_request(o311, api_key, **fields)
    assert answer.status_code == 200, answer.text
    return answer.json()[0]["service_request_id"]


def fetch(o311: httpx.Client, request_id: str, fmt: str = "json", **params: Any) -> httpx.Response:
    """GET requests/{id}.{fmt}."""
    return o311.get(f"/requests/{request_id}.{fmt}", params=params)


def verified(item: dict) -> bool:
    """Whether an element is shown in full (operators verified it): restricted ones carry no location."""
    return item.get("lat") is not None


def visible(o311: httpx.Client, request_id: str, predicate=verified, **params: Any) -> dict:
    """Wait until GET requests/{id}.json answers and the predicate holds; returns the element."""

    def get():
        answer = fetch(o311, request_id, **params)
        return answer.json()[0] if answer.status_code == 200 else None

    item = wait_for(get, lambda value: value is not None and predicate(value))
    assert item is not None and predicate(item), item
    return item


def accept(rpc_e2e, request_id: str) -> str:
    """An IOC operator verifies the request (the default triage waits for one); returns the report's UUID."""
    page = rpc_e2e.intake.search_reports(payload={"ids": [request_id], "public_only": False, "limit": 1})
    report_id = page["items"][0]["id"]
    operator = {"sub": "operator-open311", "role": "operator"}
    rpc_e2e.intake.act_on_case(
        payload={
            "report_id": report_id,
            "actor": operator,
            "action": {"kind": "accept", "note": "Đã xác minh"},
        }
    )
    return report_id


def published(o311: httpx.Client, rpc_e2e, api_key: str, **fields: Any) -> str:
    """Submit, have an operator verify it, wait until it is public; returns the service_request_id."""
    request_id = submitted(o311, api_key, **fields)
    accept(rpc_e2e, request_id)
    visible(o311, request_id)
    return request_id

"""What fuzzing the OpenAPI found (issue 13), held through the real system: each hostile request answers a 4xx
in the edge's error format (problem+json naming the field; Open311's error list), never a 500, and the valid
request after it still succeeds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from libs.auth.tokens import mint

pytestmark = pytest.mark.e2e
# ISO 8601 allows offsets up to ±23:59; PostgreSQL refuses beyond ±15:59 (it was a 500 from the database).
FAR_OFFSET = "4324-06-23T17:45:54-19:40"
FAR_WEST = timezone(-timedelta(hours=19, minutes=40))


def recent(days: float) -> str:
    """`days` ago, written with an offset PostgreSQL would refuse (within Open311's 90-day windows)."""
    return (datetime.now(UTC) - timedelta(days=days)).astimezone(FAR_WEST).isoformat()


@pytest.fixture
def client(system):
    with httpx.Client(base_url=system.base_url, timeout=30) as http:
        yield http


@pytest.mark.parametrize("path", ["/v1/reports", "/v1/reports.geojson"])
@pytest.mark.parametrize("field", ["created_from", "created_to", "updated_from", "updated_to"])
def test_a_filter_instant_with_any_iso_offset_is_served(client, path, field):
    answer = client.get(path, params={field: FAR_OFFSET})
    assert answer.status_code == 200, answer.text
    assert client.get(path, params={"limit": 1}).status_code == 200


def test_a_staff_filter_instant_with_any_iso_offset_is_served(client, system):
    """`GET /v1/notify/deliveries?before=...-19:40` was a 500 too (found by hand after the fuzz)."""
    token = mint(f"e2e-op-{uuid.uuid4().hex[:6]}", "operator", system.stack.secrets["HT_JWT_SECRET"])
    answer = client.get(
        "/v1/notify/deliveries", params={"before": FAR_OFFSET}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("field", ["created_from", "updated_to"])
def test_a_filter_instant_utc_cannot_hold_is_a_422_naming_it(client, field):
    answer = client.get("/v1/reports", params={field: "0001-01-01T00:00:00+05:00"})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == [field]


@pytest.mark.parametrize("param", ["start_date", "end_date", "updated_after", "updated_before"])
def test_open311_date_parameters_with_any_iso_offset_are_served(client, param):
    answer = client.get(
        "/open311/v2/requests.json", params={param: recent(1 if "end" in param or "before" in param else 2)}
    )
    assert answer.status_code == 200, answer.text
    assert isinstance(answer.json(), list)


@pytest.mark.parametrize("value", ["0001", "0001-01-01T00:00:00"])  # read at +07:00: before year 1 in UTC
def test_an_open311_date_utc_cannot_hold_is_a_400_in_the_spec_format(client, value):
    answer = client.get("/open311/v2/requests.json", params={"start_date": value})
    assert answer.status_code == 400, answer.text
    [error] = answer.json()
    assert error["code"] == 400 and "start_date" in error["description"]


def test_open311_update_feed_with_any_iso_offset_is_served(client):
    answer = client.get(
        "/open311/v2/servicerequestupdates.json", params={"start_date": recent(2), "end_date": recent(1)}
    )
    assert answer.status_code == 200, answer.text
    assert isinstance(answer.json(), list)


def test_a_method_open311_does_not_serve_is_a_405_in_the_spec_format(client):
    answer = client.request("TRACE", "/open311/v2/services.json")
    assert answer.status_code == 405
    assert answer.json() == [
        {"code": 405, "description": "Phương thức không được hỗ trợ / method not allowed"}
    ]

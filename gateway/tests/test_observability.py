"""The request-id and metrics middleware on a small app built like the gateway (problems + observability)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from gateway import observability, problems
from gateway.problems import ApiError
from libs.contracts.errors import ErrorCode


def app() -> FastAPI:
    built = FastAPI()
    problems.install(built)
    observability.install(built)

    @built.get("/things/{thing_id}")
    async def thing(thing_id: int) -> dict:
        if thing_id == 0:
            raise ApiError(ErrorCode.REPORT_NOT_FOUND, "no such thing")
        if thing_id == 13:
            raise RuntimeError("a bug")
        return {"id": thing_id}

    return built


def count(route: str, status: str, method: str = "GET") -> float:
    return (
        REGISTRY.get_sample_value(
            "ht_http_requests_total", {"method": method, "route": route, "status": status}
        )
        or 0.0
    )


def test_answers_carry_the_request_id_and_requests_count_by_route_template():
    client = TestClient(app(), raise_server_exceptions=False)
    before = count("/things/{thing_id}", "200")
    ok = client.get("/things/7", headers={"X-Request-Id": "abc-123"})
    assert ok.headers["X-Request-Id"] == "abc-123"
    client.get("/things/8")
    assert count("/things/{thing_id}", "200") == before + 2  # the template, never /things/7


def test_problems_name_the_request_id_even_when_the_gateway_crashes():
    client = TestClient(app(), raise_server_exceptions=False)
    missing = client.get("/things/0", headers={"X-Request-Id": "ticket-9"})
    assert missing.status_code == 404 and missing.json()["request_id"] == "ticket-9"
    invalid = client.get("/things/x")
    assert invalid.status_code == 422 and invalid.json()["request_id"] == invalid.headers["X-Request-Id"]
    before = count("<unmatched>", "404")
    nowhere = client.get("/nowhere")
    assert (
        nowhere.json()["request_id"] == nowhere.headers["X-Request-Id"]
        and count("<unmatched>", "404") == before + 1
    )
    crashed = client.get("/things/13", headers={"X-Request-Id": "ticket-10"})
    assert crashed.status_code == 500 and crashed.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert crashed.headers["X-Request-Id"] == "ticket-10" and crashed.json()["request_id"] == "ticket-10"
    assert crashed.json()["code"] == "INTERNAL_ERROR"

"""Observability of the running system: one request id followed across processes, metrics and health ports."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import sqlalchemy as sa

from devtools.testing import wait_for

from .test_walking_skeleton import report_body

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(system):
    with httpx.Client(base_url=system.base_url, timeout=20) as c:
        yield c


def lines_with(system, service: str, request_id: str) -> list[dict]:
    """The JSON log lines of `service` that carry `request_id`."""
    found = []
    for line in system.log(service).splitlines():
        if request_id in line and line.startswith("{"):
            found.append(json.loads(line))
    return found


def test_one_request_id_is_followed_from_the_answer_through_intake_routing_and_notify(client, system):
    created = client.post("/v1/reports", json=report_body(), headers={"Idempotency-Key": str(uuid.uuid4())})
    report_id, submitted_by = created.json()["id"], created.headers["X-Request-Id"]
    assert len(submitted_by) == 32  # generated: the client sent none

    rid = f"e2e-{uuid.uuid4().hex}"
    token_headers = {"X-Request-Id": rid}
    from libs.auth.tokens import mint

    operator = mint("e2e-operator", "operator", system.stack.secrets["HT_JWT_SECRET"])
    accepted = client.post(
        f"/v1/operator/reports/{report_id}/accept",
        json={"note": "Đã xác minh"},
        headers={**token_headers, "Authorization": f"Bearer {operator}"},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.headers["X-Request-Id"] == rid  # the caller's id is kept and returned

    # intake's outbox row of report.accepted keeps the id; the relay sends it as nameko context data
    with system.stack.engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT request_id FROM intake.outbox WHERE event_type = 'report.accepted' "
                "AND payload->>'report_id' = :r"
            ),
            {"r": report_id},
        ).scalar_one()
    assert stored == rid

    expected = {"routing": "report.accepted", "intake": "report.routed", "notify": "report.routed"}
    for service, event_type in expected.items():
        lines = wait_for(
            lambda: lines_with(system, service, rid),
            lambda found: any(f"{event_type} " in line["msg"] for line in found),
            what=f"{service} logging {event_type} with request id {rid}",
        )
        assert all(line["request_id"] == rid and line["service"] == service for line in lines)
        handled = [line for line in lines if event_type in line["msg"]]
        assert handled[0]["report_id"] == report_id  # the case's id is on its lines too
    submitted = lines_with(system, "intake", submitted_by)
    assert any("submitted" in line["msg"] and line["report_id"] == report_id for line in submitted)


def test_problem_details_carry_the_request_id(client):
    missing = client.get(f"/v1/reports/{uuid.uuid4()}", headers={"X-Request-Id": "support-ticket-42"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.headers["X-Request-Id"] == "support-ticket-42"
    assert missing.json()["request_id"] == "support-ticket-42"

    invalid = client.post(
        "/v1/reports", json={"category": ""}, headers={"X-Request-Id": "bad id with spaces"}
    )
    assert invalid.status_code == 422
    assert invalid.headers["X-Request-Id"] != "bad id with spaces"  # not a sane token: replaced
    assert invalid.json()["request_id"] == invalid.headers["X-Request-Id"]

    unknown = client.get("/no/such/page")
    assert unknown.status_code == 404 and unknown.json()["request_id"] == unknown.headers["X-Request-Id"]


def scrape(url: str) -> str:
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_gateway_and_every_service_serve_metrics_and_health(client, system):
    client.get("/v1/categories")
    gateway = scrape(f"{system.base_url}/metrics")
    assert 'ht_http_requests_total{method="GET",route="/v1/categories",status="200"}' in gateway
    assert (
        'ht_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/categories"}' in gateway
    )
    assert 'ht_gateway_rpc_calls_total{method="list_categories",outcome="ok",service="routing"}' in gateway
    for service in system.metrics_ports:  # every service's RPC queue has its consumer
        assert f'ht_queue_consumers{{consumer="{service}",queue="rpc-{service}"}} 1.0' in gateway

    for service, port in system.metrics_ports.items():
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/health/live").json()["status"] == "ok"
        ready = httpx.get(f"{base}/health/ready")
        assert ready.status_code == 200 and ready.json() == {
            "status": "ready",
            "service": service,
            "database": True,
            "broker": True,
        }
        text = scrape(f"{base}/metrics")
        assert f'ht_metrics_probe_up{{probe="database",service="{service}"}} 1.0' in text
        if service not in ("accounts", "intake_reads"):  # they consume no events
            assert f'ht_inbox_parked{{service="{service}"}}' in text
        if service not in ("feedback", "accounts", "intake_reads"):  # they keep no outbox
            assert f'ht_outbox_backlog{{service="{service}"}}' in text
    intake = scrape(f"http://127.0.0.1:{system.metrics_ports['intake']}/metrics")
    assert 'ht_cases_open{state="CHO_TIEP_NHAN"}' in intake and "ht_cases_overdue " in intake
    assert 'ht_rpc_calls_total{method="list_categories",outcome="ok",service="routing"}' in scrape(
        f"http://127.0.0.1:{system.metrics_ports['routing']}/metrics"
    )
    assert (
        'ht_queue_consumers{consumer="routing",'
        'queue="evt-intake-report.accepted--routing.handle_report_accepted"} 1.0' in intake
    )

"""Writes are isolated from reads (issue 18): the gateway's public GETs go to `intake_reads`, a service of
their own with its own RPC queue and workers, so reads that cannot be served never hold up a citizen's
submission.

Deterministic, not a race: with intake_reads stopped (none of its workers free, the limit of "all busy"),
public reads wait in `rpc-intake_reads` until their deadline while a submission through the gateway answers
201 at its usual pace, the reporter's own read (tracking token: intake's) is served, and `/ready` names
intake_reads with the requests waiting for it."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devtools.testing import wait_for

from .test_lifecycle_support import report_body

pytestmark = pytest.mark.e2e
STUCK_READS = 8
SUBMIT_WITHIN_S = 5.0  # usually well under a second; the stuck reads wait RPC_TIMEOUT_S (10 s in the suite)
PUBLIC_READS = ["/v1/reports?limit=5", "/v1/reports.geojson?limit=5", "/open311/v2/requests.json?page_size=5"]


def fresh(url: str) -> str:
    """The URL with a search term of its own: no cache in front can answer it, the service must."""
    return f"{url}&q={uuid.uuid4().hex[:12]}"


def rpc_calls(client: httpx.Client) -> dict[tuple[str, str, str], float]:
    """The gateway's RPC counters by (service, method, outcome)."""
    return {
        (s.labels["service"], s.labels["method"], s.labels["outcome"]): s.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        if family.name == "ht_gateway_rpc_calls"
        for s in family.samples
        if s.name.endswith("_total")
    }


def delta(before: dict, after: dict, service: str, method: str) -> float:
    return sum(v - before.get(k, 0.0) for k, v in after.items() if k[:2] == (service, method))


def test_public_reads_are_served_by_intake_reads_and_never_by_intake(system):
    with httpx.Client(base_url=system.base_url, timeout=30) as client:
        ref = client.post("/v1/reports", json=report_body()).json()
        before = rpc_calls(client)
        for url in PUBLIC_READS:
            assert client.get(fresh(url)).status_code == 200, url
        assert client.get(f"/v1/reports/{ref['id']}").status_code == 200
        after = rpc_calls(client)
    assert delta(before, after, "intake_reads", "search_reports") >= len(PUBLIC_READS)
    assert delta(before, after, "intake_reads", "get_report") == 1
    assert (
        delta(before, after, "intake", "search_reports") == delta(before, after, "intake", "get_report") == 0
    )


def test_submissions_stay_prompt_while_public_reads_cannot_be_served(system):
    statuses: list[int] = []

    def read(url: str) -> None:
        with httpx.Client(base_url=system.base_url, timeout=60) as reader:
            statuses.append(reader.get(url).status_code)

    system.stop_process("intake_reads")
    try:
        readers = [
            threading.Thread(target=read, args=(fresh(PUBLIC_READS[i % len(PUBLIC_READS)]),), daemon=True)
            for i in range(STUCK_READS)
        ]
        for reader in readers:
            reader.start()
        with httpx.Client(base_url=system.base_url, timeout=30) as client:
            ready = wait_for(
                lambda: client.get("/ready").json(),
                lambda r: r["services"]["intake_reads"].get("queued", 0) >= STUCK_READS,
                timeout=30,
                what="the public reads waiting in rpc-intake_reads",
            )
            assert not ready["services"]["intake_reads"]["ok"] and ready["services"]["intake"]["ok"]
            assert ready["gateway"]["in_flight"]["read"] >= STUCK_READS
            sent = time.monotonic()
            answer = client.post("/v1/reports", json=report_body())
            took = time.monotonic() - sent
            assert answer.status_code == 201 and took < SUBMIT_WITHIN_S, (answer.status_code, took)
            own = client.get(
                f"/v1/reports/{answer.json()['id']}",
                headers={"X-Tracking-Token": answer.json()["tracking_token"]},
            )
            assert (
                own.status_code == 200 and own.json()["reporter"] is not None
            )  # the reporter's read: intake
        for reader in readers:
            reader.join(60)
        assert len(statuses) == STUCK_READS and set(statuses) <= {503, 504}, statuses  # at their deadline
    finally:
        system.restart_process("intake_reads")
        system.wait_ready()
    with httpx.Client(base_url=system.base_url, timeout=30) as client:
        assert all(client.get(fresh(url)).status_code == 200 for url in PUBLIC_READS)

"""One client reading fast must not silence every citizen (issue 18).

The gateway runs with its production limits (the suite's own gateway has none). One client (127.0.0.1) floods
with `ab` (a native load generator: Python threads would measure the GIL, not the gateway), 64 requests in
flight for FLOOD_S seconds, while a citizen at another address (127.0.0.2: Linux loopback answers every
127.x.y.z) submits one report a second. The submissions answer 201 within 2 s, the flooding client is answered
429/503 with `Retry-After`, `/ready` answers during the flood, and every service is ready again within 5 s of
its end. Once with public reads (list, map feed, Open311 list), once with invalid submissions. The figures are
printed (`-s`) and kept in docs/benchmarks.md."""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .test_lifecycle_support import report_body

pytestmark = pytest.mark.e2e
FLOOD_S = 20
IN_FLIGHT = 64
SUBMIT_WITHIN_S = 2.0
READY_WITHIN_S = 5.0
CITIZEN = "127.0.0.2"
# the production defaults (gateway/settings.py), named here so that a change of default is a change of this
# test
LIMITS = {
    "ADMISSION_READ_BURST": "120",
    "ADMISSION_READ_PER_MINUTE": "600",
    "ADMISSION_KEY_READ_BURST": "600",
    "ADMISSION_KEY_READ_PER_MINUTE": "3000",
    "ADMISSION_WRITE_BURST": "60",
    "ADMISSION_WRITE_PER_MINUTE": "120",
    "ADMISSION_REFUSAL_DELAY_S": "1",
    "ADMISSION_MAX_DELAYED": "256",
    "ADMISSION_MAX_IN_FLIGHT_READS": "8",
    "ADMISSION_MAX_IN_FLIGHT_WRITES": "64",
    "ADMISSION_MAX_IN_FLIGHT_STAFF": "64",
    "RPC_TIMEOUT_S": "5",
    "ADMISSION_EXEMPT_IPS": "",  # the flood comes from loopback, exempt by default (local tools)
    "READ_CACHE_TTL_S": "1",
}  # as in production: cached reads still cost the flooding client its tokens
READS = ["/v1/reports?limit=20", "/v1/reports.geojson?limit=50", "/open311/v2/requests.json"]
INVALID = b'{"category": 7, "location": {"lat": "north"}, "description": ""}'


@pytest.fixture(scope="module")
def guarded(system):
    """The system's gateway restarted with production limits; back to the suite's settings afterwards."""
    assert shutil.which("ab"), "ab (Debian apache2-utils) is missing: make system-packages"
    try:
        system.restart_process("gateway", **LIMITS)
        system.wait_ready()
        yield system
    finally:
        system.restart_process("gateway")
        system.wait_ready()


@dataclass
class Outcome:
    """What one flood did: ab's figures, the refusals counted by the gateway, the citizen's submissions."""

    requests: int = 0
    per_second: float = 0.0
    non_2xx: int = 0
    failed: int = 0
    refused: dict[str, float] = field(default_factory=dict)
    submissions: list[tuple[int, float]] = field(default_factory=list)  # (status, seconds); 0: no answer
    probe: httpx.Response | None = None
    ready_during: int | None = None
    ready_after_s: float | None = None

    @property
    def latencies(self) -> list[float]:
        return [seconds for _, seconds in self.submissions]

    @property
    def statuses(self) -> list[int]:
        return [status for status, _ in self.submissions]

    def summary(self) -> str:
        lat = sorted(self.latencies)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        return (
            f"flood {self.requests} requests, {self.per_second:.0f}/s, non-2xx {self.non_2xx}, failed "
            f"{self.failed}, refused {self.refused}; submissions {len(lat)}: p50 "
            f"{statistics.median(lat):.3f} s,"
            f" p99 {p99:.3f} s, max {lat[-1]:.3f} s, statuses {sorted(set(self.statuses))} (in order: "
            f"{' '.join(f'{t:.2f}' for t in self.latencies)}); /ready during "
            f"{self.ready_during}, ready {self.ready_after_s:.2f} s after"
        )


def ab(url: str, concurrency: int, body: bytes | None, tmp_path) -> subprocess.Popen:
    """`ab -k` for FLOOD_S seconds (a request limit too large to reach first), POSTing `body` when given."""
    cmd = ["ab", "-k", "-q", "-r", "-s", "10", "-t", str(FLOOD_S), "-n", "100000000", "-c", str(concurrency)]
    if body is not None:
        path = tmp_path / "invalid.json"
        path.write_bytes(body)
        cmd += ["-p", str(path), "-T", "application/json"]
    return subprocess.Popen([*cmd, url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def ab_figures(output: str) -> tuple[int, float, int, int]:
    """(complete requests, requests per second, non-2xx responses, failed requests) from ab's report."""

    def number(label: str) -> float:
        found = re.search(rf"^{label}:\s+([\d.]+)", output, re.M)
        return float(found.group(1)) if found else 0.0

    assert number("Complete requests") > 0, output
    return (
        int(number("Complete requests")),
        number("Requests per second"),
        int(number("Non-2xx responses")),
        int(number("Failed requests")),
    )


def submit(base_url: str, outcome: Outcome) -> None:
    """One citizen's report from CITIZEN: its status and how long it took."""
    transport = httpx.HTTPTransport(local_address=CITIZEN)
    with httpx.Client(base_url=base_url, transport=transport, timeout=15) as citizen:
        sent = time.monotonic()
        try:
            status = citizen.post("/v1/reports", json=report_body()).status_code
        except httpx.HTTPError:
            status = 0
        outcome.submissions.append((status, time.monotonic() - sent))


def refusals(citizen: httpx.Client) -> dict[str, float]:
    """The gateway's refusal counters, by `route_class/reason`."""
    text = citizen.get("/metrics").text
    return {
        f"{s.labels['route_class']}/{s.labels['reason']}": s.value
        for family in text_string_to_metric_families(text)
        if family.name == "ht_gateway_admission_refused"
        for s in family.samples
        if s.name.endswith("_total")
    }


def flood(system, tmp_path, urls: list[str], body: bytes | None) -> Outcome:
    """Flood from 127.0.0.1 with IN_FLIGHT requests in flight, submit once a second from CITIZEN meanwhile."""
    outcome = Outcome()
    transport = httpx.HTTPTransport(local_address=CITIZEN)
    with (
        httpx.Client(base_url=system.base_url, transport=transport, timeout=15) as citizen,
        httpx.Client(base_url=system.base_url, timeout=15) as flooder,
    ):
        before = refusals(citizen)
        shares = [IN_FLIGHT // len(urls) + (i < IN_FLIGHT % len(urls)) for i in range(len(urls))]
        floods = [ab(system.base_url + url, n, body, tmp_path) for url, n in zip(urls, shares)]
        started = time.monotonic()
        end = started + FLOOD_S
        time.sleep(2)  # the flood is under way: the flooding client's bucket is empty

        def probe():  # as the flooding client: a token that just came back may go to this asker, so ask again
            while time.monotonic() < end - 2:
                outcome.probe = (
                    flooder.get(urls[0])
                    if body is None
                    else flooder.post(
                        "/v1/reports", content=body, headers={"Content-Type": "application/json"}
                    )
                )
                if outcome.probe.status_code in (429, 503):
                    return

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        submitters = []
        for i in range(
            FLOOD_S - 3
        ):  # one a second from 2 s into the flood to 1 s before its end, each on its own
            time.sleep(max(0.0, started + 2 + i - time.monotonic()))  # connection: a slow one delays no other
            submitters.append(threading.Thread(target=submit, args=(system.base_url, outcome), daemon=True))
            submitters[-1].start()
            if i == FLOOD_S // 2 - 2:
                answer = citizen.get("/ready")  # answers under load (exempt), with the gateway's own state
                outcome.ready_during = answer.status_code if "in_flight" in answer.json()["gateway"] else None
        for submitter in submitters:
            submitter.join(30)
        outputs = [proc.communicate(timeout=FLOOD_S + 60)[0] for proc in floods]
        prober.join(20)
        over = time.monotonic()
        while (
            citizen.get("/ready", timeout=READY_WITHIN_S + 5).status_code != 200
            and time.monotonic() - over < READY_WITHIN_S + 10
        ):
            time.sleep(0.1)
        outcome.ready_after_s = time.monotonic() - over
        for figures in map(ab_figures, outputs):
            outcome.requests += figures[0]
            outcome.per_second += figures[1]
            outcome.non_2xx += figures[2]
            outcome.failed += figures[3]
        after = refusals(citizen)
        outcome.refused = {k: v - before.get(k, 0.0) for k, v in after.items() if v > before.get(k, 0.0)}
    print(outcome.summary())
    return outcome


def assert_citizens_kept_their_voice(outcome: Outcome) -> None:
    within = sum(1 for status, seconds in outcome.submissions if status == 201 and seconds <= SUBMIT_WITHIN_S)
    assert len(outcome.submissions) == FLOOD_S - 3, outcome.summary()
    assert within >= 0.99 * len(outcome.submissions), outcome.summary()
    assert outcome.probe.status_code in (429, 503) and int(outcome.probe.headers["Retry-After"]) >= 1, (
        outcome.probe.status_code,
        outcome.probe.headers,
    )
    assert outcome.non_2xx > 0 and sum(outcome.refused.values()) > 0, outcome.summary()
    assert outcome.ready_during is not None and outcome.ready_after_s <= READY_WITHIN_S, outcome.summary()


def test_a_flood_of_public_reads_leaves_submissions_prompt(guarded, tmp_path):
    outcome = flood(guarded, tmp_path, READS, None)
    assert_citizens_kept_their_voice(outcome)
    assert set(outcome.refused) <= {"read/rate_limited", "read/busy"}, outcome.refused


def test_a_flood_of_invalid_submissions_leaves_submissions_prompt(guarded, tmp_path):
    outcome = flood(guarded, tmp_path, ["/v1/reports"], INVALID)
    assert_citizens_kept_their_voice(outcome)
    assert set(outcome.refused) <= {"write/rate_limited", "write/busy"}, outcome.refused

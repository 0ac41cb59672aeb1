"""Open-loop submissions: reports sent at a fixed arrival rate, latency measured from each one's intended send
time.

A closed-loop bench (bench/submit.py) slows its own sending when the system slows, which hides queueing; here
report i is due at t0 + i/rate whatever happened before, and both latencies start at that due time:
- submit: `POST /v1/reports` → 201;
- submit→routed: → the `report.routed` event (an exclusive queue bound to `routing.events`, no polling). Two
  paths: `urgent` (KHAN, accepted and routed without a person) and `normal` (BINH_THUONG: the bench accepts
  each report as an operator, `POST /v1/operator/reports/{id}/accept`, as soon as it has its 201; that call is
  part of the routed latency and is reported on its own too).

If the client itself falls behind (a send starts later than due), that lag is reported: the figures are then
the client's as much as the system's. The client's own CPU per step is printed; it uses a small HTTP/1.1
client (bench/http11.py), as httpx cost several ms of CPU per report on this 2-core machine.

Runs 35/s and 100/s (BENCH_RATES), then searches for the highest rate with routed p99 ≤ BENCH_ROUTED_P99_MS (5
000), no errors and every report routed, in at most BENCH_SEARCH_STEPS (3) more steps per path. Before each
step it waits for the system's queues to drain (the previous step's work must not be measured twice).
Settings: BENCH_URL, AMQP_URI, BENCH_PATHS (urgent,normal), BENCH_DURATION (20 s), BENCH_SEARCH_DURATION (15
s), BENCH_DRAIN_TIMEOUT (60 s, for a step's routed events), BENCH_SETTLE_TIMEOUT (300 s, for the queues before
a step), HT_JWT_SECRET (else .run/secrets.json of the running `make run`)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

import aio_pika

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import http11  # noqa: E402
from bench.arrivals import ROUTED_P99_MS, Step, Summary, highest_sustained, next_rate, schedule  # noqa: E402,F401
from bench.hardware import describe, load_average  # noqa: E402
from bench.submit import CATEGORIES, CENTROIDS  # noqa: E402

URL = os.environ.get("BENCH_URL", "http://127.0.0.1:8000")
AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
PATHS = [p.strip() for p in os.environ.get("BENCH_PATHS", "urgent,normal").split(",") if p.strip()]
RATES = [float(r) for r in os.environ.get("BENCH_RATES", "35,100").split(",") if r.strip()]
DURATION = float(os.environ.get("BENCH_DURATION", "20"))
SEARCH_DURATION = float(os.environ.get("BENCH_SEARCH_DURATION", "15"))
SEARCH_STEPS = int(os.environ.get("BENCH_SEARCH_STEPS", "3"))
DRAIN_TIMEOUT = float(os.environ.get("BENCH_DRAIN_TIMEOUT", "60"))  # after a step, for its routed events
SETTLE_TIMEOUT = float(
    os.environ.get("BENCH_SETTLE_TIMEOUT", "300")
)  # before a step, for the system's queues
PRIORITY = {"urgent": "KHAN", "normal": "BINH_THUONG"}


# --- the system under test
# -----------------------------------------------------------------------------------


def body(i: int, priority: str) -> dict:
    at = random.choice(CENTROIDS)
    return {
        "category": random.choice(CATEGORIES),
        "description": f"Benchmark report {i}: ổ gà, rác, đèn hỏng",
        "location": {
            "lat": at["lat"] + random.uniform(-0.004, 0.004),
            "lon": at["lon"] + random.uniform(-0.004, 0.004),
        },
        "priority": priority,
        "reporter": {"phone": f"09{random.randrange(10**8):08d}"},
    }


def operator_token() -> str:
    """A staff token signed with the running system's key (HT_JWT_SECRET, else `make run`'s
    .run/secrets.json)."""
    from libs.auth.tokens import mint
    from libs.platform import engines

    key = (
        os.environ.get("HT_JWT_SECRET")
        or json.loads((engines.run_dir(ROOT) / "secrets.json").read_text())["HT_JWT_SECRET"]
    )  # may raise FileNotFoundError
    return mint("bench:operator", "operator", key, ttl=timedelta(hours=2))


def vhost_queues(amqp_uri: str) -> list[str]:
    """The names of the queues of the system's vhost (rabbitmqctl, once), to watch them drain; [] without
    it."""
    from libs.platform import engines

    ctl = engines.rabbitmqctl() if shutil.which("rabbitmqctl") or os.environ.get(engines.CTL_ENV) else None
    if not ctl:
        return []
    vhost = unquote(urlparse(amqp_uri).path[1:]) or "/"
    done = subprocess.run(
        [*ctl[0], "list_queues", "-q", "-p", vhost, "name", "durable"],
        env=ctl[1],
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()]
    return [
        r[0] for r in rows if len(r) == 2 and r[1] == "true"
    ]  # durable: the services', not exclusive ones


class Bench:
    """One connection to the broker (routed events, queue depths) and one HTTP client for every step."""

    def __init__(self, url: str = URL, amqp_uri: str = AMQP_URI):
        self.url, self.amqp_uri = url, amqp_uri
        self.routed_at: dict[str, float] = {}
        self.token = ""
        self.queues: list[str] = []

    async def __aenter__(self) -> Bench:
        self.connection = await aio_pika.connect_robust(self.amqp_uri)
        self.channel = await self.connection.channel()
        exchange = await self.channel.declare_exchange(
            "routing.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await self.channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="report.routed")
        await queue.consume(self._on_routed, no_ack=True)
        self.client = http11.Client(self.url, timeout=60)  # a few hundred µs of CPU a request, not httpx's ms
        deadline = (
            time.monotonic() + SETTLE_TIMEOUT
        )  # a service may still be busy with the reads' last requests
        while (ready := await self.client.get("/ready")).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the system at {self.url} is not ready: {ready.text[:300]}")
            await asyncio.sleep(1.0)
        self.queues = vhost_queues(self.amqp_uri)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.aclose()
        await self.connection.close()

    async def _on_routed(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self.routed_at.setdefault(json.loads(message.body)["report_id"], time.monotonic())

    async def backlog(self) -> int:
        """Messages waiting in the system's queues (0 when they could not be listed)."""
        total = 0
        channel = await self.connection.channel()
        try:
            for name in self.queues:
                try:
                    declared = await channel.declare_queue(name, passive=True)
                except aio_pika.exceptions.ChannelClosed:  # the queue went away: reopen and go on
                    channel = await self.connection.channel()
                    continue
                total += declared.declaration_result.message_count or 0
        finally:
            await channel.close()
        return total

    async def settle(self, timeout: float = SETTLE_TIMEOUT) -> int:
        """Wait until the system's queues are (almost) empty; returns what is left."""
        deadline = time.monotonic() + timeout
        while (left := await self.backlog()) > 5 and time.monotonic() < deadline:
            await asyncio.sleep(1.0)
        return left

    async def step(self, path: str, rate: float, duration: float) -> Step:
        """Send `rate` reports a second for `duration` seconds on `path`, then wait for their routing."""
        if path == "normal" and not self.token:
            self.token = operator_token()
        result = Step(path, rate, duration)
        submit_ms: list[float] = []
        accept_ms: list[float] = []
        lag_ms: list[float] = []
        due_of: dict[str, float] = {}
        tag = f"{time.time():.0f}"

        def fail(kind: str) -> None:
            result.errors[kind] = result.errors.get(kind, 0) + 1

        async def one(i: int, due: float) -> None:
            lag_ms.append((time.monotonic() - due) * 1000)
            try:
                resp = await self.client.post(
                    "/v1/reports",
                    json=body(i, PRIORITY[path]),
                    headers={
                        "Idempotency-Key": f"bench-{tag}-{path}-{rate:g}-{i}",
                        "X-Device-Id": f"bench-device-{tag}-{path}-{rate:g}-{i}",
                    },
                )
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                return fail(f"submit {type(exc).__name__}")
            if resp.status_code != 201:
                return fail(f"submit HTTP {resp.status_code}")
            submit_ms.append((time.monotonic() - due) * 1000)
            rid = resp.json()["id"]
            due_of[rid] = due
            if path == "normal":
                began = time.monotonic()
                try:
                    acc = await self.client.post(
                        f"/v1/operator/reports/{rid}/accept",
                        json={},
                        headers={"Authorization": f"Bearer {self.token}"},
                    )
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                    return fail(f"accept {type(exc).__name__}")
                if acc.status_code != 200:
                    return fail(f"accept HTTP {acc.status_code}")
                accept_ms.append((time.monotonic() - began) * 1000)

        cpu0 = _cpu_seconds()
        t0 = time.monotonic() + 0.2
        tasks = []
        for i, offset in enumerate(schedule(rate, duration)):
            due = t0 + offset
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(i, due)))
        result.send_seconds = time.monotonic() - t0 + 1 / rate  # the last report's interval counts
        result.sent = len(tasks)
        await asyncio.gather(*tasks)
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while any(r not in self.routed_at for r in due_of) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        result.client_cpu_ms = (_cpu_seconds() - cpu0) * 1000
        routed = [(self.routed_at[r] - due) * 1000 for r, due in due_of.items() if r in self.routed_at]
        result.submit, result.routed = Summary.of(submit_ms), Summary.of(routed)
        result.accept, result.lag = Summary.of(accept_ms), Summary.of(lag_ms)
        return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(
    paths: list[str] = PATHS, rates: list[float] = RATES, report=print
) -> dict[str, list[Step]]:
    """The fixed rates, then the search, on each path; `report` gets each step's lines as they are
    measured."""
    steps: dict[str, list[Step]] = {p: [] for p in paths}
    async with Bench() as bench:
        if not bench.queues:
            report("(rabbitmqctl not available: the bench cannot wait for the queues to drain between steps)")
        for path in paths:
            tried: set[float] = set()
            for rate in [*rates, *([None] * SEARCH_STEPS)]:
                if rate is None:  # search
                    passed = [s.rate for s in steps[path] if s.sustained()]
                    rate = next_rate(passed, [s.rate for s in steps[path] if not s.sustained()])
                    if rate is None or rate in tried:
                        break
                    duration = SEARCH_DURATION
                else:
                    duration = DURATION
                tried.add(rate)
                left = await bench.settle()
                if left > 5:
                    report(f"(the system still had {left} messages queued after {SETTLE_TIMEOUT:g} s)")
                step = await bench.step(path, rate, duration)
                steps[path].append(step)
                report(step.line())
    return steps


def main() -> int:
    print(f"hardware: {describe()}; load average {load_average()}")
    print(
        f"target: {URL}  open loop, paths {', '.join(PATHS)}, rates {', '.join(f'{r:g}' for r in RATES)}/s "
        f"then up to {SEARCH_STEPS} search steps; sustained = routed p99 ≤ {ROUTED_P99_MS:,.0f} ms, no error"
    )
    steps = asyncio.run(measure())
    for path, done in steps.items():
        best = highest_sustained(done)
        print(
            f"highest sustained rate, {path}: "
            + (f"{best.rate:g} reports/s" if best else "none of the rates")
        )
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

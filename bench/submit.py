"""Submit N reports through the gateway; print reports/s and p50/p95/p99 of submit and submit→routed latency.

Run the system first (`make run`), then `make bench-submit` (or `python bench/submit.py`); closed loop: the
open-loop bench is bench/openloop.py, part of `make bench`. Settings: BENCH_URL (http://127.0.0.1:8000),
BENCH_N (500), BENCH_CONCURRENCY (16), BENCH_PRIORITY (KHAN: the urgent fast track, accepted and routed
without waiting for triage; with BINH_THUONG start the system with AUTO_ACCEPT_CATEGORIES='*' to measure
routing), AMQP_URI (the broker the system uses: routed times are taken from the `report.routed` events
themselves, not by polling). Each report comes from its own phone and device (`X-Device-Id`), as from the app.
Loopback is exempt from rate limits by default; to measure a citizen's path with its rate-limit counters,
start the system with RATE_LIMIT_EXEMPT_IPS=192.0.2.1/32 and an IP limit above BENCH_N (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

import aio_pika
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.hardware import describe, percentile  # noqa: E402
from libs import refdata  # noqa: E402

URL = os.environ.get("BENCH_URL", "http://127.0.0.1:8000")
N = int(os.environ.get("BENCH_N", "500"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
# Normal reports wait for the IOC's triage; urgent ones (and AUTO_ACCEPT_* categories) are routed at once.
PRIORITY = os.environ.get("BENCH_PRIORITY", "KHAN")
CATEGORIES = ("GIAO_THONG_HA_TANG", "MOI_TRUONG_RAC", "CHIEU_SANG", "THOAT_NUOC", "AN_NINH_TRAT_TU")


CENTROIDS = [u["centroid"] for u in refdata.load().units()]


def body(i: int) -> dict:
    """A report near a random commune's centre (inside the province)."""
    at = random.choice(CENTROIDS)
    return {
        "category": random.choice(CATEGORIES),
        "description": f"Benchmark report {i}: ổ gà, rác, đèn hỏng",
        "location": {
            "lat": at["lat"] + random.uniform(-0.004, 0.004),
            "lon": at["lon"] + random.uniform(-0.004, 0.004),
        },
        "priority": PRIORITY,
        "reporter": {"phone": f"09{random.randrange(10**8):08d}"},
    }


async def main() -> int:
    connection = await aio_pika.connect_robust(AMQP_URI)
    channel = await connection.channel()
    exchange = await channel.declare_exchange("routing.events", aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="report.routed")
    routed_at: dict[str, float] = {}
    all_routed = asyncio.Event()
    submitted_at: dict[str, float] = {}

    async def on_routed(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        rid = json.loads(message.body)["report_id"]
        routed_at.setdefault(rid, time.perf_counter())
        if len(routed_at.keys() & submitted_at.keys()) >= N:
            all_routed.set()

    await queue.consume(on_routed, no_ack=True)
    submit_ms: list[float] = []
    errors = 0
    failures: dict[int, int] = {}
    samples: dict[int, str] = {}
    gate = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(base_url=URL, timeout=30) as client:
        ready = await client.get("/ready")
        if ready.status_code != 200:
            print(f"the system at {URL} is not ready: {ready.text}", file=sys.stderr)
            return 2

        async def one(i: int) -> None:
            nonlocal errors
            async with gate:
                t0 = time.perf_counter()
                resp = await client.post(
                    "/v1/reports",
                    json=body(i),
                    headers={"Idempotency-Key": f"bench-{i}-{t0}", "X-Device-Id": f"bench-device-{i}-{t0}"},
                )
                t1 = time.perf_counter()
            if resp.status_code != 201:
                errors += 1
                failures[resp.status_code] = failures.get(resp.status_code, 0) + 1
                samples.setdefault(resp.status_code, resp.text[:300])
                return
            submitted_at[resp.json()["id"]] = t0
            submit_ms.append((t1 - t0) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(N)))
        elapsed = time.perf_counter() - started
    try:
        await asyncio.wait_for(all_routed.wait(), timeout=60)
    except TimeoutError:
        pass
    await connection.close()
    routed_ms = sorted((routed_at[r] - t) * 1000 for r, t in submitted_at.items() if r in routed_at)
    submit_ms.sort()
    print(f"hardware: {describe()}")
    print(f"target: {URL}  reports: {N}  concurrency: {CONCURRENCY}  priority: {PRIORITY}  errors: {errors}")
    for status, count in sorted(failures.items()):
        print(f"  {count} × HTTP {status}: {samples[status]}")
    print(f"throughput: {len(submit_ms) / elapsed:.0f} reports/s (submit, {elapsed:.2f} s)")
    print(
        "submit latency ms:          p50 {:.1f}  p95 {:.1f}  p99 {:.1f}".format(
            *(percentile(submit_ms, p) for p in (50, 95, 99))
        )
    )
    print(
        "submit→routed latency ms:   p50 {:.1f}  p95 {:.1f}  p99 {:.1f}  ({} of {} routed)".format(
            *(percentile(routed_ms, p) for p in (50, 95, 99)), len(routed_ms), len(submit_ms)
        )
    )
    return 0 if errors == 0 and len(routed_ms) == len(submit_ms) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

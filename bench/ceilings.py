"""The raw ceilings of this machine, measured in the same run as the figures they bound.

- RabbitMQ: persistent messages (delivery_mode 2) to a durable throwaway queue with publisher confirms, one at
  a
  time and with 64 in flight (the queue is deleted after);
- PostgreSQL: single-row INSERT + COMMIT on one connection and on four (a table in a scratch schema of the
  run's
  database, dropped after; a real table, since a temporary one writes no WAL and its commit is not flushed);
- the gateway's trivial `GET /health` with `ab -k -c 32`.

`python bench/ceilings.py` prints them; `bench/suite.py` (`make bench`) uses `measure()`.
Settings: BENCH_URL, AMQP_URI, DATABASE_URL (the running system's), BENCH_CEILING_SECONDS (3).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import ab  # noqa: E402
from bench.hardware import describe, load_average  # noqa: E402

URL = os.environ.get("BENCH_URL", "http://127.0.0.1:8000")
AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/hientruong")
SECONDS = float(os.environ.get("BENCH_CEILING_SECONDS", "3"))
AB_CONCURRENCY = int(os.environ.get("BENCH_AB_CONCURRENCY", "32"))


@dataclass(frozen=True)
class Ceilings:
    publish_1: float  # confirmed persistent publishes/s, one at a time
    publish_64: float  # the same with 64 in flight
    pg_tx_1: float  # INSERT + COMMIT per second, one connection
    pg_tx_4: float  # the same on four connections
    health: ab.AbResult  # GET /health, ab -k -c 32

    def lines(self) -> list[str]:
        h = self.health
        return [
            f"RabbitMQ confirmed persistent publishes: {self.publish_1:,.0f} msg/s one at a time, "
            f"{self.publish_64:,.0f} msg/s with 64 in flight",
            f"PostgreSQL single-row insert+commit: {self.pg_tx_1:,.0f} tx/s on one connection, "
            f"{self.pg_tx_4:,.0f} tx/s on four",
            f"gateway GET /health (ab -k -c {AB_CONCURRENCY}): {h.rps:,.0f} req/s, p50 {h.p50_ms:.0f} ms, "
            f"p99 {h.p99_ms:.0f} ms, errors {h.errors}",
        ]


async def _publishes(uri: str, seconds: float, in_flight: int) -> float:
    """Confirmed persistent publishes per second through the default exchange to a durable throwaway queue."""
    connection = await aio_pika.connect(uri)
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(f"bench.ceiling.{uuid.uuid4().hex[:8]}", durable=True)
        body = b'{"bench": "ceiling", "padding": "' + b"x" * 400 + b'"}'  # about an event's size
        done = 0
        deadline = time.perf_counter() + seconds

        async def publisher() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await channel.default_exchange.publish(  # returns when the broker confirms
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=queue.name,
                )
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(publisher() for _ in range(in_flight)))
        elapsed = time.perf_counter() - started
        await queue.delete(if_unused=False, if_empty=False)
        return done / elapsed
    finally:
        await connection.close()


def publishes(uri: str = AMQP_URI, seconds: float = SECONDS, in_flight: int = 1) -> float:
    return asyncio.run(_publishes(uri, seconds, in_flight))


def pg_transactions(url: str = DATABASE_URL, seconds: float = SECONDS, connections: int = 1) -> float:
    """Single-row INSERT + COMMIT per second, each connection in its own thread (psycopg2 releases the
    GIL)."""
    schema = f"bench_ceiling_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url, pool_size=connections + 1, max_overflow=0)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
            conn.execute(
                sa.text(
                    f"CREATE TABLE {schema}.rows (id bigserial PRIMARY KEY, at timestamptz "
                    f"NOT NULL DEFAULT now(), body text NOT NULL)"
                )
            )
        counts = [0] * connections
        deadline = time.perf_counter() + seconds
        insert = f"INSERT INTO {schema}.rows (body) VALUES (%s)"

        def worker(n: int) -> None:
            raw = engine.raw_connection()
            try:
                cur = raw.cursor()
                while time.perf_counter() < deadline:
                    cur.execute(insert, ("benchmark row " * 8,))
                    raw.commit()
                    counts[n] += 1
            finally:
                raw.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        return sum(counts) / elapsed
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def measure(url: str = URL, seconds: float = SECONDS) -> Ceilings:
    """Every ceiling, one after the other (a few seconds each)."""
    return Ceilings(
        publish_1=publishes(seconds=seconds, in_flight=1),
        publish_64=publishes(seconds=seconds, in_flight=64),
        pg_tx_1=pg_transactions(seconds=seconds, connections=1),
        pg_tx_4=pg_transactions(seconds=seconds, connections=4),
        health=ab.run(f"{url}/health", AB_CONCURRENCY, max(seconds, 3)),
    )


def main() -> int:
    print(f"hardware: {describe()}; load average {load_average()}")
    for line in measure().lines():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The outbox relay and the inbox against the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from kombu import Connection, Queue
from sqlalchemy.orm import Session

from libs.platform import topology
from libs.platform.db import UnitOfWork
from libs.platform.relay import OutboxRelay
from libs.platform.tables import inbox_table, outbox_table

pytestmark = pytest.mark.interface


@pytest.fixture
def tables(stack):
    """A throw-away schema with an outbox and an inbox."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    metadata = sa.MetaData(schema=schema)
    outbox, inbox = outbox_table(metadata), inbox_table(metadata)
    with stack.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        metadata.create_all(conn)
    yield schema, outbox, inbox
    with stack.engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def listener(stack):
    """An exclusive queue bound to a test producer's exchange; returns (source, drain())."""
    source = f"producer{uuid.uuid4().hex[:8]}"
    conn = Connection(stack.amqp_uri)
    queue = Queue(
        f"listen-{source}", exchange=topology.event_exchange(source), routing_key="#", exclusive=True
    )
    queue(conn.default_channel).declare()

    def drain(expected: int, timeout: float = 5.0) -> list[dict]:
        got = []
        with conn.Consumer(
            [queue], callbacks=[lambda body, msg: (got.append(body), msg.ack())], accept=["json"]
        ):
            while len(got) < expected:
                conn.drain_events(timeout=timeout)
        return got

    yield source, drain
    conn.release()


def add_events(stack, outbox, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    with stack.engine.begin() as conn:
        conn.execute(
            sa.insert(outbox),
            [
                dict(event_id=i, event_type="thing.happened", payload={"event_id": str(i), "n": k})
                for k, i in enumerate(ids)
            ],
        )
    return ids


def test_relay_publishes_confirmed_events_in_order_and_stamps_them(stack, tables, listener):
    schema, outbox, _ = tables
    source, drain = listener
    ids = add_events(stack, outbox, 5)
    relay = OutboxRelay(stack.engine, outbox, stack.amqp_uri, source)
    assert relay.drain() == 5
    assert [b["n"] for b in drain(5)] == [0, 1, 2, 3, 4]
    with stack.engine.connect() as conn:
        stamped = conn.execute(sa.select(sa.func.count()).where(outbox.c.published_at.is_not(None))).scalar()
    assert stamped == 5 and relay.drain() == 0
    relay.close()
    assert ids


def test_unreachable_broker_becomes_state_with_backoff(stack, tables):
    _, outbox, _ = tables
    add_events(stack, outbox, 2)
    relay = OutboxRelay(stack.engine, outbox, "amqp://guest:guest@127.0.0.1:1/", "nowhere")
    assert relay.relay_once() == 0
    with stack.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox).order_by(outbox.c.id)).all()
    assert rows[0].attempts == 1 and rows[0].last_error and rows[0].published_at is None
    assert rows[0].next_attempt_at > rows[0].created_at
    assert rows[1].attempts == 0  # stopped at the first failure, the rest waits


def test_a_batch_is_confirmed_together_and_a_refused_message_becomes_state(
    stack, tables, listener, monkeypatch
):
    """200 events in one batch wait for their confirms together (a few socket reads, not 200 round trips); a
    message the broker refuses (nack: a full queue that rejects publishes) is retried later, the ones before
    it are stamped, the ones after it wait for the next pass."""
    _, outbox, _ = tables
    source, drain = listener
    add_events(stack, outbox, 200)
    relay = OutboxRelay(stack.engine, outbox, stack.amqp_uri, source)
    reads = []
    relay._producer_ready()
    real = relay._conn.drain_events
    monkeypatch.setattr(relay._conn, "drain_events", lambda **kw: (reads.append(1), real(**kw))[1])
    assert relay.relay_once() == 200
    assert 1 <= len(reads) < 50, len(reads)
    assert [b["n"] for b in drain(200)] == list(range(200))
    # a queue of the exchange that holds 2 messages and refuses the rest: the third publish is nacked
    conn = Connection(stack.amqp_uri)
    full = Queue(
        f"full-{source}",
        exchange=topology.event_exchange(source),
        routing_key="#",
        exclusive=True,
        queue_arguments={"x-max-length": 2, "x-overflow": "reject-publish"},
    )
    full(conn.default_channel).declare()
    add_events(stack, outbox, 4)
    assert relay.relay_once() == 2
    with stack.engine.connect() as db:
        rows = db.execute(sa.select(outbox).order_by(outbox.c.id)).all()[200:]
    assert [r.published_at is not None for r in rows] == [True, True, False, False]
    assert rows[2].attempts == 1 and "nack" in rows[2].last_error and rows[3].attempts == 0
    relay.close()
    conn.release()


def test_two_relays_share_the_work_without_publishing_twice(stack, tables, listener):
    _, outbox, _ = tables
    source, drain = listener
    add_events(stack, outbox, 60)
    relays = [OutboxRelay(stack.engine, outbox, stack.amqp_uri, source, batch=5) for _ in range(2)]
    counts = [0, 0]

    def run(k: int) -> None:
        counts[k] = relays[k].drain()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 60
    bodies = drain(60)
    assert sorted(b["n"] for b in bodies) == list(range(60))
    for relay in relays:
        relay.close()


def test_inbox_claims_an_event_once_per_consumer(stack, tables):
    _, outbox, inbox = tables
    event_id = uuid.uuid4()
    with Session(stack.engine) as session:
        uow = UnitOfWork(session, outbox, inbox, on_commit=lambda: None)
        assert uow.claim(event_id, "svc.handle_a", "thing.happened") is True
        assert uow.claim(event_id, "svc.handle_a", "thing.happened") is False
        assert uow.claim(event_id, "svc.handle_b", "thing.happened") is True
        uow.commit()


def test_uncommitted_unit_of_work_leaves_nothing(stack, tables):
    _, outbox, inbox = tables
    from libs.contracts.events import ReportUnroutableV1

    with Session(stack.engine) as session:
        uow = UnitOfWork(session, outbox, inbox, on_commit=lambda: None)
        uow.emit(
            ReportUnroutableV1(
                report_id=uuid.uuid4(), code="HT-1", category="KHAC", reason="x", directory_version=1
            )
        )
        uow.claim(uuid.uuid4(), "svc.h", "t")
    with stack.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(inbox)).scalar() == 0

"""`retry_conflicts` against the real PostgreSQL: a deadlock is retried inside the service, never an internal
error."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from libs.contracts.errors import ErrorCode
from libs.platform.db import UnitOfWork, retry_conflicts
from libs.platform.errors import ServiceError

pytestmark = pytest.mark.interface


@pytest.fixture
def table(stack):
    """A throw-away schema with two rows, a and b."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    with stack.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(sa.text(f'CREATE TABLE "{schema}".cells (name text PRIMARY KEY, n int NOT NULL)'))
        conn.execute(sa.text(f"INSERT INTO \"{schema}\".cells VALUES ('a', 0), ('b', 0)"))
    yield f'"{schema}".cells'
    with stack.engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


class Rounds:
    """Per round, the worker holds a, then the other transaction holds b: each round is one deadlock."""

    def __init__(self, n: int):
        self.n = n
        self.holding_a = [threading.Event() for _ in range(n)]
        self.holds_b = [threading.Event() for _ in range(n)]


class Worker:
    """A service worker's shape: `self.db` is its unit of work; `move` locks a, then b."""

    def __init__(self, engine, table: str, rounds: Rounds):
        self.db = UnitOfWork(Session(engine), None, None, lambda: None)
        self.table, self.rounds = table, rounds
        self.attempts = 0

    @retry_conflicts(attempts=3)
    def move(self) -> int:
        self.attempts += 1
        self.db.execute(sa.text("SET LOCAL deadlock_timeout = '50ms'"))  # this side detects it: the victim
        self.db.execute(sa.text(f"UPDATE {self.table} SET n = n + 1 WHERE name = 'a'"))
        if self.attempts <= self.rounds.n:
            self.rounds.holding_a[self.attempts - 1].set()
            assert self.rounds.holds_b[self.attempts - 1].wait(10)
        n = self.db.execute(
            sa.text(f"UPDATE {self.table} SET n = n + 1 WHERE name = 'b' RETURNING n")
        ).scalar_one()
        self.db.commit()
        return n


def other_transaction(engine, table: str, rounds: Rounds) -> None:
    """Each round: once the worker holds a, lock b, then a (the opposite order)."""
    for i in range(rounds.n):
        assert rounds.holding_a[i].wait(10)
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL deadlock_timeout = '5s'"))
            conn.execute(sa.text(f"UPDATE {table} SET n = n + 1 WHERE name = 'b'"))
            rounds.holds_b[i].set()
            conn.execute(sa.text(f"UPDATE {table} SET n = n + 1 WHERE name = 'a'"))


def deadlocking(stack, table: str, n: int):
    rounds = Rounds(n)
    other = threading.Thread(target=other_transaction, args=(stack.engine, table, rounds))
    other.start()
    return Worker(stack.engine, table, rounds), other


def test_a_deadlocked_transaction_is_run_again_and_succeeds(stack, table):
    worker, other = deadlocking(stack, table, 1)
    try:
        assert worker.move() == 2  # the other transaction's +1 on b, then ours
    finally:
        other.join(20)
        worker.db.session.close()
    assert worker.attempts == 2
    with stack.engine.connect() as conn:
        assert dict(conn.execute(sa.text(f"SELECT name, n FROM {table}")).all()) == {"a": 2, "b": 2}


def test_when_every_attempt_deadlocks_the_caller_gets_a_conflict_not_an_internal_error(stack, table):
    worker, other = deadlocking(stack, table, 3)
    try:
        with pytest.raises(ServiceError) as caught:
            worker.move()
    finally:
        other.join(30)
        worker.db.session.close()
    assert caught.value.code == ErrorCode.CONCURRENT_CHANGE.value and worker.attempts == 3


def test_other_database_errors_are_not_retried(stack, table):
    class Broken:
        def __init__(self):
            self.db = UnitOfWork(Session(stack.engine), None, None, lambda: None)
            self.attempts = 0

        @retry_conflicts()
        def run(self):
            self.attempts += 1
            self.db.execute(sa.text(f"INSERT INTO {table} VALUES ('a', 0)"))  # a duplicate key

    broken = Broken()
    with pytest.raises(sa.exc.IntegrityError):
        broken.run()
    broken.db.session.close()
    assert broken.attempts == 1

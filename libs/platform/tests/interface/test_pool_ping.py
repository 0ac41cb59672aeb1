"""The services' pooled connections: checked before use only after idling, replaced when the server dropped
them."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from libs.platform.db import make_engine

pytestmark = pytest.mark.interface


def backend(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()


def terminate(stack, pid: int) -> None:
    with stack.engine.connect() as admin:
        assert admin.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()


def test_an_idle_connection_is_checked_and_replaced_when_dead_a_busy_one_is_not_checked(stack):
    engine = make_engine(stack.database_url, pool_size=1, ping_idle_s=1.0)
    try:
        first = backend(engine)
        assert [backend(engine) for _ in range(3)] == [first] * 3  # one pooled connection, reused
        terminate(stack, first)
        time.sleep(1.2)
        second = backend(
            engine
        )  # idle past the threshold: pinged, found dead, replaced; no error for the caller
        assert second != first
        terminate(stack, second)  # just used: not pinged, so the first statement meets the dead connection
        with pytest.raises(sa.exc.OperationalError) as failed:
            backend(engine)
        assert failed.value.connection_invalidated
        assert backend(engine) not in (first, second)  # the pool replaced it: the next unit of work runs
    finally:
        engine.dispose()

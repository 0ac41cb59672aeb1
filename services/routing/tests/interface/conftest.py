"""Routing's interface ring runs against its own database (directory changes never leak into other rings)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from kombu import Connection
from sqlalchemy.engine import make_url

from libs.platform import migrate, topology
from services.routing.repository.models import outbox
from services.routing.seed import DEFAULT_DATA, seed
from services.routing.service import RoutingService


def _recreate(url: str, drop_only: bool = False) -> None:
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        if not drop_only:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def routing_db(stack):
    """`hientruong_<HT_TEST_ID>_routing`: migrated and seeded; dropped at the end."""
    base = make_url(stack.database_url)
    url = base.set(database=f"{base.database}_routing").render_as_string(hide_password=False)
    _recreate(url)
    migrate.upgrade("routing", url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        seed(conn, DEFAULT_DATA)
    yield url, engine
    engine.dispose()
    _recreate(url, drop_only=True)


@pytest.fixture
def db(routing_db) -> sa.Engine:
    return routing_db[1]


@pytest.fixture
def routing(start_service, routing_db):
    """The routing service on the test vhost and routing's own database."""
    return start_service(RoutingService, DATABASE_URL=routing_db[0])


def publish(stack, event) -> None:
    """Publish an event as its producer would."""
    with Connection(stack.amqp_uri) as conn:
        conn.Producer(serializer="json").publish(
            event.model_dump(mode="json"),
            exchange=topology.event_exchange(event.producer),
            routing_key=event.event_type,
            declare=[topology.event_exchange(event.producer)],
        )


def emitted(engine: sa.Engine, report_id: uuid.UUID, event_type: str | None = None) -> list[dict]:
    """Events routing wrote to its outbox about one report, oldest first."""
    stmt = (
        sa.select(outbox.c.payload, outbox.c.event_type)
        .where(outbox.c.payload["report_id"].astext == str(report_id))
        .order_by(outbox.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [{**p, "event_type": t} for p, t in rows if event_type in (None, t)]

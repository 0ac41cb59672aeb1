"""nameko 2.14 on quorum queues: in a vhost whose default queue type is quorum (as deployed), every queue a
service declares (RPC, events, replies) is a quorum queue, and RPC, the outbox relay's confirmed publishes,
consumption and a requeued redelivery all work. (What a dying node does is in docs/operations.md; one broker
node here cannot show it.)"""

from __future__ import annotations

import subprocess
import uuid

import pytest
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from devtools import devstack
from devtools.testing import BASE_AMQP, TEST_ID, wait_for
from libs.contracts.events import ReportUnroutableV1
from libs.platform import engines
from libs.platform.db import Database
from libs.platform.events import consumes
from libs.platform.tables import inbox_table, outbox_table

pytestmark = pytest.mark.interface

SCHEMA = f"quorum_{uuid.uuid4().hex[:8]}"
metadata = sa.MetaData(schema=SCHEMA)
outbox, inbox = outbox_table(metadata), inbox_table(metadata)
tries: list[str] = []


class QuorumProbe:
    """Announces an event through its outbox and handles it, failing the first try."""

    name = "quorum_probe"
    db = Database(outbox=outbox, inbox=inbox, relay_interval=0.2)

    @rpc
    def announce(self, reason: str) -> str:
        event = ReportUnroutableV1(
            report_id=uuid.uuid4(), code="HT-2026-000001", category="KHAC", reason=reason, directory_version=1
        )
        self.db.emit(event)
        self.db.commit()
        return str(event.event_id)

    @event_handler("quorum_probe", "report.unroutable", requeue_on_error=True)
    @consumes(ReportUnroutableV1)
    def handle_report_unroutable(self, event: ReportUnroutableV1) -> None:
        tries.append(event.reason)
        if tries.count(event.reason) == 1:
            raise RuntimeError("first try fails: the quorum queue redelivers it")
        self.db.commit()


@pytest.fixture
def quorum_vhost(stack):
    if not engines.rabbitmqctl():
        pytest.fail("rabbitmqctl is needed to read queue types (it ships with the RabbitMQ server)")
    vhost = f"hientruong_{TEST_ID}_quorum"
    devstack.ensure_vhost(vhost, fresh=True, queue_type="quorum")
    with stack.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{SCHEMA}"'))
        metadata.create_all(conn)
    yield vhost, devstack.amqp_uri_for(BASE_AMQP, vhost)
    with stack.engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{SCHEMA}" CASCADE'))


def queue_types(vhost: str) -> dict[str, str]:
    ctl, env = engines.rabbitmqctl()  # the private node's when the session runs on one
    done = subprocess.run(
        [*ctl, "-q", "list_queues", "-p", vhost, "name", "type"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
    return {name: kind for name, kind in rows if name != "name"}


def test_a_service_runs_on_quorum_queues(stack, quorum_vhost, container_factory):
    vhost, amqp_uri = quorum_vhost
    container = container_factory(
        QuorumProbe, {"AMQP_URI": amqp_uri, "DATABASE_URL": stack.database_url, "max_workers": 4}
    )
    container.start()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as proxy:
        event_id = proxy.quorum_probe.announce("no_contact_for_category")
    with stack.engine.connect() as conn:
        wait_for(
            lambda: conn.execute(sa.select(inbox.c.outcome).where(inbox.c.event_id == event_id)).scalar(),
            lambda outcome: outcome == "handled",
            timeout=30,
            what="the event handled after its redelivery",
        )
        published = conn.execute(
            sa.select(outbox.c.published_at).where(outbox.c.event_id == event_id)
        ).scalar()
    assert published is not None  # the relay's publish was confirmed by the quorum queue
    assert tries == ["no_contact_for_category", "no_contact_for_category"]  # failed, redelivered, handled
    types = queue_types(vhost)
    assert types["rpc-quorum_probe"] == "quorum"
    assert types["evt-quorum_probe-report.unroutable--quorum_probe.handle_report_unroutable"] == "quorum"
    replies = [name for name in types if name.startswith("rpc.reply-")]
    assert replies and all(types[name] == "quorum" for name in replies)

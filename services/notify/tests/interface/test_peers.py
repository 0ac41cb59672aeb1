"""Notify and its peers: names from routing in every message, and a prompt, clean stop on SIGTERM even while
a peer never answers (notify run as `nameko run`, as in production)."""

from __future__ import annotations

import signal
import time
import uuid

import pytest
import sqlalchemy as sa
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy.engine import make_url

from devtools import devstack
from devtools.testing import BASE_AMQP, TEST_ID, _fresh_database, clean_env, spawn
from libs.platform import migrate
from services.notify.tests.loopback import LoopbackServer

from .helpers import (  # noqa: F401
    FakeRouting,
    agency_code,
    fake_intake,
    person,
    publish,
    routed,
    set_channel,
    start_notify,
    status_changed,
    wait_for,
)

pytestmark = pytest.mark.interface
STOP_BOUND_S = 5.0  # measured 1.5–1.7 s on a busy 2-core machine; before: the whole RPC timeout (here 60 s)


@pytest.fixture
def fake_routing(container_factory, stack):
    FakeRouting.CALLERS.clear()
    FakeRouting.NAMES = {"version": 0}
    container = container_factory(FakeRouting, {"AMQP_URI": stack.amqp_uri})
    container.start()
    return FakeRouting


def test_agencies_and_citizens_read_names_not_codes(
    tmp_path, start_notify, fake_intake, fake_routing, rpc, stack
):
    agency = agency_code()
    fake_routing.NAMES = {
        "version": 7,
        "categories": [
            {"code": "GIAO_THONG_HA_TANG", "name_vi": "Hạ tầng giao thông", "name_en": "Road infrastructure"}
        ],
        "agencies": [
            {
                "code": agency,
                "name_vi": "UBND Phường Thành Sen",
                "name_en": "People's Committee of Thành Sen Ward",
            }
        ],
        "units": [{"code": "18073", "name_vi": "Phường Thành Sen", "name_en": "Thành Sen Ward"}],
    }
    with LoopbackServer("smtp", tmp_path) as smtp:
        start_notify(NOTIFY_SMTP_HOST="127.0.0.1", NOTIFY_SMTP_PORT=str(smtp.port))
        inbox = f"{agency.lower()}@agency.example.vn"
        set_channel(rpc, agency_code=agency, kind="email", email=inbox)
        event = routed(agency)
        reporter, follower = person("en"), person("vi", role="follower")
        fake_intake.RECIPIENTS[str(event.report_id)] = [reporter, follower]
        publish(stack, event)
        mails = {m["rcpt_tos"][0]: m for m in wait_for(smtp.received, lambda m: len(m) >= 3, what="e-mails")}

    to_agency = mails[inbox]
    assert to_agency["subject"].endswith(
        f"[{event.code}] Phản ánh mới chuyển đến đơn vị: Hạ tầng giao thông – Phường Thành Sen"
    )
    assert "Địa bàn: Phường Thành Sen" in to_agency["text"] and "18073" not in to_agency["text"]
    assert (
        mails[follower["email"]]["subject"]
        == f"[{event.code}] Phản ánh đã được chuyển đến UBND Phường Thành Sen"
    )
    assert "Địa bàn: Phường Thành Sen." in mails[follower["email"]]["text"]
    english = mails[reporter["email"]]
    assert english["subject"] == f"[{event.code}] Report routed to People's Committee of Thành Sen Ward"
    assert "(Road infrastructure)" in english["text"] and "Ward/commune: Thành Sen Ward." in english["text"]
    assert agency not in english["text"] and agency not in to_agency["text"]
    assert set(fake_routing.CALLERS) == {"notify"}  # nameko's proxy carries notify's call-id stack


# --- stopping
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def silent_intake(stack):
    """A vhost and a database of its own, where `intake` has its RPC queue but nothing consumes it: every call
    to intake waits (as when intake stops at the same moment as notify)."""
    vhost = f"hientruong_{TEST_ID}_notify_stop"
    devstack.ensure_vhost(vhost, fresh=True)
    amqp_uri = devstack.amqp_uri_for(BASE_AMQP, vhost)
    url = make_url(stack.database_url)
    db_url = url.set(database=f"{url.database}_notify_stop").render_as_string(hide_password=False)
    _fresh_database(db_url)
    migrate.upgrade("notify", db_url)
    queue = Queue(
        "rpc-intake", Exchange("nameko-rpc", type="topic", durable=True), routing_key="intake.*", durable=True
    )
    with Connection(amqp_uri) as conn:
        queue(conn.default_channel).declare()
    engine = sa.create_engine(db_url)
    yield amqp_uri, db_url, engine, queue
    engine.dispose()


def waiting_calls(amqp_uri: str, queue: Queue) -> int:
    with Connection(amqp_uri) as conn:
        return queue(conn.default_channel).queue_declare(passive=True).message_count


def test_sigterm_stops_notify_within_the_bound_while_intake_never_answers(stack, silent_intake, tmp_path):
    amqp_uri, db_url, engine, queue = silent_intake
    env = clean_env(
        **stack.env(AMQP_URI=amqp_uri, DATABASE_URL=db_url),
        NOTIFY_RPC_TIMEOUT_S="60",
        NOTIFY_QUIET_HOURS="off",
        PYTHONWARNINGS="ignore::DeprecationWarning",
    )
    log = tmp_path / "notify.log"
    proc = spawn(devstack.service_command("notify"), env, log)
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as rpc:
            wait_for(lambda: proc.poll() is None and _healthy(rpc), bool, timeout=60, what="notify up")
        case = uuid.uuid4()
        publish(stack, status_changed(case, "HT-2026-000001", "CHO_TIEP_NHAN", "DA_TIEP_NHAN"), amqp_uri)
        wait_for(lambda: waiting_calls(amqp_uri, queue), lambda n: n >= 1, what="a call to intake in flight")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(STOP_BOUND_S * 4)
        seconds = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert code == 0, log.read_text(errors="replace")[-3000:]
    assert seconds < STOP_BOUND_S, f"notify took {seconds:.1f} s to stop"
    with engine.connect() as db:  # abandoned cleanly: the notice is still due, no attempt was counted
        state, attempts = db.execute(
            sa.text("SELECT state, attempts FROM notify.notices WHERE report_id = :r"), {"r": case}
        ).one()
    assert (state, attempts) == ("pending", 0)


def _healthy(rpc) -> bool:
    try:
        return rpc.notify.health()["ok"]
    except Exception:  # not consuming yet
        return False

"""Agency deliveries against real servers on loopback: SMTP, a signing webhook receiver, RabbitMQ
consumers."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from kombu import Connection, Queue

from services.notify.channels.amqp import agency_exchange, provision
from services.notify.domain import routingkeys, signing
from services.notify.tests.loopback import LoopbackServer

from .helpers import (  # noqa: F401
    OPERATOR,
    agency_code,
    deliveries,
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


def agency_rows(rpc, report_id) -> list[dict]:
    return [d for d in deliveries(rpc, report_id) if d["audience"] == "agency"]


def test_agency_email_is_vietnamese_without_reporter_data_and_citizens_get_their_language(
    tmp_path, start_notify, fake_intake, rpc, stack
):
    agency = agency_code()
    with LoopbackServer("smtp", tmp_path) as smtp:
        start_notify(NOTIFY_SMTP_HOST="127.0.0.1", NOTIFY_SMTP_PORT=str(smtp.port))
        channel = set_channel(
            rpc, agency_code=agency, kind="email", email=f"{agency.lower()}@agency.example.vn"
        )
        assert channel["kind"] == "email" and channel["secret_hints"] == []
        event = routed(agency)
        reporter, follower = person("en", phone=True), person("vi", role="follower")
        fake_intake.RECIPIENTS[str(event.report_id)] = [reporter, follower]
        publish(stack, event)
        mails = wait_for(smtp.received, lambda m: len(m) >= 3, what="three e-mails")
    by_rcpt = {m["rcpt_tos"][0]: m for m in mails}
    assert set(by_rcpt) == {f"{agency.lower()}@agency.example.vn", reporter["email"], follower["email"]}

    to_agency = by_rcpt[f"{agency.lower()}@agency.example.vn"]
    assert "Phản ánh mới chuyển đến đơn vị" in to_agency["subject"] and event.code in to_agency["subject"]
    assert (
        f"https://ht.example.vn/staff/cases/{event.report_id}" in to_agency["text"]
    )  # the console's case page
    assert "Hạn xử lý" in to_agency["text"] and to_agency["headers"]["X-HT-Event"] == "case.routed"
    for secret in (reporter["email"], reporter["phone"], reporter["recipient_ref"], follower["email"]):
        assert secret not in json.dumps(to_agency, ensure_ascii=False)  # sealed identity
    assert "Hủy đăng ký" not in to_agency["text"]

    to_reporter, to_follower = by_rcpt[reporter["email"]], by_rcpt[follower["email"]]
    assert to_reporter["subject"] == f"[{event.code}] Report routed to {agency}"
    assert "Unsubscribe: https://ht.example.vn/v1/notifications/unsubscribe/" in to_reporter["text"]
    assert (
        to_reporter["headers"]["List-Unsubscribe"]
        .strip()
        .startswith("<https://ht.example.vn/v1/notifications/")
    )
    assert to_follower["subject"] == f"[{event.code}] Phản ánh đã được chuyển đến {agency}"
    assert (
        str(event.report_id),
        "notify:case_routed",
    ) in fake_intake.CALLS  # contacts asked for at send time

    rows = deliveries(rpc, event.report_id)
    assert {(d["audience"], d["channel"], d["state"]) for d in rows} == {
        ("agency", "email", "sent"),
        ("citizen", "email", "sent"),
        ("citizen", "inapp", "sent"),
    }
    assert not any(reporter["email"] in json.dumps(d) for d in rows)


def test_signed_webhook_verifies_and_tampered_wrong_secret_and_stale_requests_are_rejected(
    tmp_path, start_notify, rpc, stack
):
    old, new = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    agency, stranger = agency_code(), agency_code()
    with LoopbackServer("webhook", tmp_path, [new]) as hook:
        start_notify()
        # rotation: the channel signs with both secrets, the receiver already holds only the new one
        set_channel(rpc, agency_code=agency, kind="webhook", url=f"{hook.url}/cases", secrets=[old, new])
        created = set_channel(rpc, agency_code=stranger, kind="webhook", url=f"{hook.url}/cases")
        assert created["new_secret"] and created["secret_hints"] == ["…" + created["new_secret"][-4:]]
        good, bad = routed(agency), routed(stranger)
        publish(stack, good)
        publish(stack, bad)
        wait_for(
            lambda: agency_rows(rpc, good.report_id),
            lambda r: r and r[0]["state"] == "acknowledged",
            what="acknowledged by the webhook's reply",
        )
        refused = wait_for(
            lambda: agency_rows(rpc, bad.report_id),
            lambda r: r and r[0]["state"] == "failed",
            what="unknown secret refused",
        )
        assert refused[0]["last_error"] == "http_401" and refused[0]["next_attempt_at"] is None  # parked

        [accepted] = [r for r in hook.received() if r["status"] == 200]
        [delivery] = agency_rows(rpc, good.report_id)
        assert accepted["delivery_id"] == delivery["id"] and accepted["reason"] == "processed"
        body = json.loads(accepted["body"])
        assert (
            body["schema_version"] == 1 and body["event"] == "case.routed" and body["agency_code"] == agency
        )
        assert body["delivery_id"] == delivery["id"] and body["code"] == good.code
        assert {r["reason"] for r in hook.received() if r["status"] == 401} == {"mismatch"}  # the stranger's

        header = accepted["headers"][signing.SIGNATURE_HEADER]
        plain = {"Content-Type": "application/json", signing.DELIVERY_HEADER: accepted["delivery_id"]}

        def post(content: bytes, signature: str) -> httpx.Response:
            return httpx.post(
                f"{hook.url}/cases",
                content=content,
                headers={**plain, signing.SIGNATURE_HEADER: signature},
                timeout=5,
            )

        tampered = accepted["body"].replace(good.code, "HT-2026-999999").encode()
        assert post(tampered, header).json() == {"error": "mismatch"}
        raw = accepted["body"].encode()
        assert post(raw, signing.signature_header(raw, [secrets.token_urlsafe(32)], time.time())).json() == {
            "error": "mismatch"
        }
        stale = signing.signature_header(raw, [new], time.time() - 301)
        assert post(raw, stale).status_code == 401 and post(raw, stale).json() == {"error": "stale"}
        assert post(raw, header).json() == {"acknowledged": True}  # the untouched request still verifies


def test_a_receiver_down_for_a_while_gets_every_delivery_exactly_once(tmp_path, start_notify, rpc, stack):
    agency, secret = agency_code(), secrets.token_urlsafe(32)
    with LoopbackServer("webhook", tmp_path, [secret], fail_for=4) as hook:
        start_notify()
        set_channel(rpc, agency_code=agency, kind="webhook", url=f"{hook.url}/in", secrets=[secret])
        events = [
            routed(agency, category=c)
            for c in ("GIAO_THONG_HA_TANG", "CHIEU_SANG", "CAY_XANH", "THOAT_NUOC", "MOI_TRUONG_RAC")
        ]
        for event in events:
            publish(stack, event)
        publish(stack, events[0])  # the broker may deliver an event twice: planned once
        rows = wait_for(
            lambda: [d for e in events for d in agency_rows(rpc, e.report_id)],
            lambda r: len(r) == 5 and all(d["state"] == "acknowledged" for d in r),
            timeout=40,
            what="every delivery acknowledged after the outage",
        )
        received = hook.received()
    assert any(r["status"] == 503 for r in received), "the receiver was down at first"
    assert any(d["attempts"] > 1 for d in rows)
    processed = [r["delivery_id"] for r in received if r["status"] == 200]
    assert sorted(processed) == sorted(d["id"] for d in rows)  # each delivery id accepted exactly once
    assert not [r for r in received if r["reason"] == "duplicate"]


def test_an_agency_queue_receives_its_cases_and_no_others(start_notify, rpc, stack):
    mine, other, escalation = agency_code(), agency_code(), agency_code()
    with Connection(stack.amqp_uri) as conn:
        queue = provision(conn, mine)  # the platform declares the agency's queue; the agency only reads it
        start_notify()
        ours = [routed(mine, category="CHIEU_SANG"), routed(mine, category="CAY_XANH", ward_code="18070")]
        theirs = routed(other)
        for event in (*ours, theirs):
            publish(stack, event)
        for event in ours:  # deadlines come hours after routing: let the routing land first
            wait_for(lambda: agency_rows(rpc, event.report_id), bool, what="routed")
        due = datetime.now(UTC) + timedelta(hours=2)
        publish(stack, _deadline("report.due_soon", ours[0], mine, due))
        publish(stack, _deadline("report.overdue", ours[1], mine, due, level=2, escalation_agency=escalation))
        got = _drain(conn, queue, expect=3)
        queue(conn.default_channel).delete()
    assert queue.name == f"agency.{mine}" and queue.routing_key == f"case.*.{mine}.#"
    keys = sorted(m.delivery_info["routing_key"] for m in got)
    assert keys == sorted(
        [
            f"case.routed.{mine}.18073.CHIEU_SANG",
            f"case.routed.{mine}.18070.CAY_XANH",
            f"case.due_soon.{mine}.18073.CHIEU_SANG",
        ]
    )
    bodies = [m.payload for m in got]
    assert {b["agency_code"] for b in bodies} == {mine} and theirs.code not in {b["code"] for b in bodies}
    assert all(m.properties["message_id"] == b["delivery_id"] for m, b in zip(got, bodies))
    sent = wait_for(
        lambda: agency_rows(rpc, ours[0].report_id),
        lambda r: len(r) == 2 and all(d["state"] == "sent" for d in r),
        what="published with confirms",
    )
    assert {d["kind"] for d in sent} == {"case.routed", "case.due_soon"}
    # no queue is bound for the other agency: not "sent" into the void, but failing visibly until one is
    unbound = wait_for(
        lambda: agency_rows(rpc, theirs.report_id),
        lambda r: r and r[0]["attempts"] >= 1,
        what="an unroutable publish",
    )
    assert unbound[0]["state"] in ("failed", "pending") and unbound[0]["last_error"] == "amqp_unroutable"
    escalated = wait_for(
        lambda: agency_rows(rpc, ours[1].report_id), lambda r: len(r) == 2, what="escalation"
    )
    assert {d["recipient"] for d in escalated} == {mine, escalation}


def _deadline(kind: str, event, agency: str, due: datetime, **extra):
    from libs.contracts.events import ReportDueSoonV1, ReportOverdueV1

    cls = ReportDueSoonV1 if kind == "report.due_soon" else ReportOverdueV1
    return cls(
        report_id=event.report_id,
        code=event.code,
        agency_code=agency,
        due_at=due,
        deadline="process",
        **({"level": 1} if cls is ReportOverdueV1 and "level" not in extra else {}),
        **extra,
    )


def _drain(conn, queue, expect: int, timeout: float = 20.0) -> list:
    """Messages from a queue until `expect` arrived, then one more second to catch any extra."""
    got, deadline, settle = [], time.monotonic() + timeout, None
    bound = queue(conn.default_channel)
    while time.monotonic() < deadline:
        message = bound.get(no_ack=True)
        if message is not None:
            got.append(message)
            continue
        if len(got) >= expect:
            settle = settle or time.monotonic() + 1.0
            if time.monotonic() > settle:
                break
        time.sleep(0.1)
    return got


def test_operator_sees_failed_deliveries_and_redelivers_one(tmp_path, start_notify, rpc, stack):
    agency, secret = agency_code(), secrets.token_urlsafe(32)
    with LoopbackServer("webhook", tmp_path, [secret]) as hook:
        start_notify()
        channel = set_channel(
            rpc, agency_code=agency, kind="webhook", url=f"{hook.url}/x", secrets=[secrets.token_urlsafe(32)]
        )  # misconfigured: the receiver refuses
        event = routed(agency)
        publish(stack, event)
        wait_for(
            lambda: agency_rows(rpc, event.report_id),
            lambda r: r and r[0]["state"] == "failed",
            what="a parked delivery",
        )
        failed = rpc.notify.query_deliveries(
            payload={"state": "failed", "parked": True, "agency_code": agency, "actor": OPERATOR}
        )
        assert [(d["report_id"], d["last_error"]) for d in failed] == [(str(event.report_id), "http_401")]
        listed = rpc.notify.query_deliveries(payload={"state": "failed", "actor": OPERATOR, "limit": 500})
        assert failed[0]["id"] in {d["id"] for d in listed}

        set_channel(
            rpc, id=channel["id"], agency_code=agency, kind="webhook", url=f"{hook.url}/x", secrets=[secret]
        )
        again = rpc.notify.redeliver(payload={"delivery_id": failed[0]["id"], "actor": OPERATOR})
        assert again["state"] == "pending" and again["attempts"] == 0
        done = wait_for(
            lambda: agency_rows(rpc, event.report_id),
            lambda r: r[0]["state"] == "acknowledged",
            what="redelivered and acknowledged",
        )
    assert done[0]["id"] == failed[0]["id"]  # the same delivery id: receivers dedupe on it
    assert [r["delivery_id"] for r in hook.received() if r["status"] == 200] == [failed[0]["id"]]
    assert not rpc.notify.query_deliveries(
        payload={"state": "failed", "agency_code": agency, "actor": OPERATOR}
    )
    with pytest.raises(Exception) as refused:
        rpc.notify.redeliver(
            payload={
                "delivery_id": failed[0]["id"],
                "actor": {**OPERATOR, "role": "agency_officer", "agency": agency},
            }
        )
    assert "FORBIDDEN" in str(refused.value)


def test_unacknowledged_cases_past_the_accept_deadline_are_listed_until_the_agency_acknowledges(
    start_notify, rpc, stack
):
    agency = agency_code()
    officer = {"sub": "officer-1", "role": "agency_officer", "agency": agency}
    queue = Queue(
        f"agency-{agency.lower()}",
        exchange=agency_exchange(),
        routing_key=routingkeys.agency_binding(agency),
        durable=False,
        auto_delete=True,
    )
    with Connection(stack.amqp_uri) as conn:
        queue(conn.default_channel).declare()
        start_notify()
        late = routed(agency, accept_due_at=datetime.now(UTC) - timedelta(hours=1))
        fresh = routed(agency)
        accepted = routed(agency, accept_due_at=datetime.now(UTC) - timedelta(hours=2))
        for event in (late, fresh, accepted):
            publish(stack, event)
        wait_for(lambda: agency_rows(rpc, accepted.report_id), bool, what="routed")
        publish(
            stack,
            status_changed(
                accepted.report_id,
                accepted.code,
                "DA_CHUYEN_XU_LY",
                "DANG_XU_LY",
                actor_role="agency_officer",
                actor_agency=agency,
                agency_code=agency,
            ),
        )
        _drain(conn, queue, expect=3)

    def queue_of(actor=OPERATOR, **q):
        return rpc.notify.list_unacknowledged(payload={"agency_code": agency, "actor": actor, **q})

    wait_for(queue_of, lambda r: [c["report_id"] for c in r] == [str(late.report_id)], what="the late case")
    assert {c["report_id"] for c in queue_of(overdue_only=False)} == {
        str(late.report_id),
        str(fresh.report_id),
    }
    assert queue_of()[0]["deliveries_sent"] == 1
    [delivery] = agency_rows(rpc, late.report_id)
    foreign = {"sub": "x", "role": "agency_officer", "agency": agency_code()}
    with pytest.raises(Exception) as hidden:
        rpc.notify.acknowledge_delivery(payload={"delivery_id": delivery["id"], "actor": foreign})
    assert "DELIVERY_NOT_FOUND" in str(hidden.value)
    acked = rpc.notify.acknowledge_delivery(payload={"delivery_id": delivery["id"], "actor": officer})
    assert acked["state"] == "acknowledged"
    assert queue_of() == []
    assert [c["report_id"] for c in queue_of(actor=officer, overdue_only=False)] == [str(fresh.report_id)]
    case = rpc.notify.acknowledge_case(payload={"report_id": str(fresh.report_id), "actor": officer})
    assert case["agency_code"] == agency and queue_of(overdue_only=False) == []
    with pytest.raises(Exception) as not_theirs:
        rpc.notify.acknowledge_case(payload={"report_id": str(uuid.uuid4()), "actor": officer})
    assert "REPORT_NOT_FOUND" in str(not_theirs.value)


def test_a_rerouted_case_stops_chasing_the_agency_that_no_longer_holds_it(start_notify, rpc, stack):
    first, second = agency_code(), agency_code()
    start_notify()
    set_channel(rpc, agency_code=first, kind="webhook", url="http://127.0.0.1:9/closed", secrets=["s" * 32])
    event = routed(first)
    publish(stack, event)
    wait_for(
        lambda: agency_rows(rpc, event.report_id), lambda r: r and r[0]["attempts"] >= 1, what="a failing try"
    )
    publish(stack, routed(second, report_id=event.report_id, code=event.code))
    rows = wait_for(
        lambda: agency_rows(rpc, event.report_id),
        lambda r: len(r) == 2 and any(d["state"] == "skipped" for d in r),
        what="the old agency's delivery skipped",
    )
    old = next(d for d in rows if d["recipient"] == first)
    assert old["state"] == "skipped" and old["last_error"] == "rerouted"
    with pytest.raises(Exception) as conflict:
        rpc.notify.redeliver(payload={"delivery_id": old["id"], "actor": OPERATOR})
    assert "DELIVERY_STATE_CONFLICT" in str(conflict.value)
    queue = rpc.notify.list_unacknowledged(
        payload={"overdue_only": False, "actor": OPERATOR, "agency_code": second}
    )
    assert [c["report_id"] for c in queue] == [str(event.report_id)]


@pytest.mark.parametrize(
    "public_url", ["", "http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]/"]
)
def test_production_refuses_to_start_with_links_to_this_machine(start_service, public_url):
    from libs.platform.boot import BootError
    from services.notify.service import NotifyService

    with pytest.raises(BootError, match="NOTIFY_PUBLIC_URL"):
        start_service(NotifyService, HT_ENV="production", NOTIFY_PUBLIC_URL=public_url)


def test_production_starts_with_a_public_address(start_notify, rpc):
    start_notify(HT_ENV="production", NOTIFY_PUBLIC_URL="https://phananh.hatinh.gov.vn")
    assert rpc.notify.health()["ok"] is True

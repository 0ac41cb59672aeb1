"""Routing owns the deadlines, intake follows: two instances of each service (as deployed) on the real
RabbitMQ and PostgreSQL.

Intake acts through its RPCs as staff and citizens would; routing decides and announces each new deadline with
a version; intake takes only newer ones. Media is not running: the tests publish its `media.stored`
themselves. Either instance may take any event, so the tests wait on the databases, never on one container.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from kombu import Connection
from nameko.testing.services import entrypoint_hook

from devtools.testing import wait_for
from libs.contracts.common import utcnow
from libs.contracts.events import (
    MediaStoredV1,
    ReportDeadlineChangedV1,
    ReportOverdueV1,
    ReportStatusChangedV1,
)
from libs.platform import topology
from services.intake.repository import models as intake_models
from services.intake.service import IntakeService
from services.routing.domain.workcalendar import DEFAULT_CALENDAR as CAL
from services.routing.repository import models as routing_models
from services.routing.repository.models import cases
from services.routing.service import RoutingService

from .conftest import emitted, publish

pytestmark = pytest.mark.interface
OPERATOR = {"sub": "op-deadlines", "role": "operator", "agency": None}
SOURCES = (
    "intake",
    "routing",
    "media",
)  # whose events these tests cause; no other service consumes them here


@pytest.fixture(autouse=True, scope="module")
def purge_event_queues(stack):
    """After the module: empty the durable event queues of the test vhost (only events these tests caused)."""
    yield
    with Connection(stack.amqp_uri) as conn:
        for source in SOURCES:
            for queue in topology.queues_for(source):
                bound = queue(conn.default_channel)
                bound.declare()
                bound.purge()


@pytest.fixture
def routings(start_service, routing, routing_db) -> list:
    """Two routing instances on routing's own database."""
    return [routing, start_service(RoutingService, DATABASE_URL=routing_db[0])]


@pytest.fixture
def intake(start_service, routings):
    """Two intake instances on the stack's database, next to routing's two; returns the first."""
    first, _ = (
        start_service(IntakeService, RATE_LIMITS="device:100/60,ip:1000/3600", MAX_MEDIA="2")
        for _ in range(2)
    )
    return first


@pytest.fixture
def act(rpc):
    def call(report_id: str, actor: dict, **action) -> dict:
        return rpc.intake.act_on_case(payload={"report_id": report_id, "actor": actor, "action": action})

    return call


def intake_row(stack, report_id):
    reports = intake_models.reports
    with stack.engine.connect() as conn:
        return conn.execute(sa.select(reports).where(reports.c.id == uuid.UUID(str(report_id)))).one()


def routing_row(db, report_id):
    with db.connect() as conn:
        return conn.execute(sa.select(cases).where(cases.c.report_id == uuid.UUID(str(report_id)))).first()


def agreed(stack, db, report_id, what: str):
    """Wait until both services hold the same deadlines at the same version; returns routing's row."""

    def both():
        mine, theirs = intake_row(stack, report_id), routing_row(db, report_id)
        return mine, theirs

    def same(pair) -> bool:
        mine, theirs = pair
        return (
            theirs is not None
            and theirs.deadline_version >= 1
            and (mine.due_at, mine.accept_due_at, mine.deadline_version)
            == (theirs.due_at, theirs.accept_due_at, theirs.deadline_version)
        )

    return wait_for(both, same, what=what)[1]


def routed_case(rpc, stack, db, act, **report) -> tuple[dict, dict]:
    """A report submitted, accepted by the operator and routed; returns (its reference, its agency
    officer)."""
    ref = submit(rpc, **report)
    act(ref["id"], OPERATOR, kind="accept")
    wait_for(lambda: intake_row(stack, ref["id"]), lambda r: r.status == "DA_CHUYEN_XU_LY", what="routed")
    agreed(stack, db, ref["id"], "the routed deadlines")
    agency = intake_row(stack, ref["id"]).agency_code
    return ref, {"sub": f"officer-{uuid.uuid4().hex[:6]}", "role": "agency_officer", "agency": agency}


def submit(rpc, **overrides) -> dict:
    report = {
        "category": "GIAO_THONG_HA_TANG",
        "description": f"Ổ gà {uuid.uuid4()}",
        "location": {"lat": 18.3419, "lon": 105.903},
        "reporter": {"name": "Phạm Văn D", "phone": "09" + str(uuid.uuid4().int)[:8]},
        **overrides,
    }
    return rpc.intake.submit_report(payload={"report": report})


def tracked(db, report_id, predicate, what: str):
    return wait_for(lambda: routing_row(db, report_id), lambda r: r is not None and predicate(r), what=what)


def sweep(routings) -> None:
    """Both instances sweep (the escalations table lets each warning fire once)."""
    for instance in routings:
        with entrypoint_hook(instance, "sweep_deadlines") as run:
            run()


def handled(
    stack, event, engine: sa.Engine | None = None, inbox=intake_models.inbox, who: str = "intake"
) -> None:
    """Publish an event and wait until one instance of its consumer (intake unless told) has handled it (its
    inbox holds it)."""
    publish(stack, event)

    def seen():
        with (engine or stack.engine).connect() as conn:
            return conn.execute(sa.select(inbox.c.event_id).where(inbox.c.event_id == event.event_id)).first()

    wait_for(seen, lambda row: row is not None, what=f"{who} handles {event.event_type}")


def test_a_reopened_case_has_the_operators_new_deadline_on_both_sides_and_no_escalation_for_the_old(
    routings, intake, rpc, stack, db, act
):
    ref, officer = routed_case(rpc, stack, db, act)
    act(ref["id"], officer, kind="agency_accept")
    photo = uuid.uuid4()
    handled(
        stack,
        MediaStoredV1(
            media_id=photo, report_id=ref["id"], role="result", content_type="image/jpeg", size=100
        ),
    )
    act(ref["id"], officer, kind="post_result", note="Đã vá xong", media_ids=[str(photo)])
    tracked(db, ref["id"], lambda r: r.closed_at is not None, "routing closes the clock")
    long_ago = utcnow() - timedelta(days=30)  # as if handled a month ago: the original deadline is long past
    with db.begin() as conn:
        conn.execute(
            sa.update(cases)
            .where(cases.c.report_id == uuid.UUID(ref["id"]))
            .values(clock_started_at=long_ago, due_at=long_ago + timedelta(days=9))
        )
    act(ref["id"], OPERATOR, kind="publish", note="Kết quả đã kiểm tra")
    citizen = {"report_id": ref["id"], "tracking_token": ref["tracking_token"]}
    rpc.intake.citizen_action(payload={**citizen, "action": {"kind": "rate", "rating": "KHONG_HAI_LONG"}})
    rpc.intake.citizen_action(
        payload={**citizen, "action": {"kind": "request_reopen", "note": "Ổ gà vẫn còn"}}
    )
    view = act(ref["id"], OPERATOR, kind="approve_reopen", due_in_days=5)
    new_due = intake_row(stack, ref["id"]).due_at
    assert view["status"] == "DANG_XU_LY" and new_due > utcnow() + timedelta(days=4)

    case = agreed(stack, db, ref["id"], "the reopened deadline")
    assert (case.due_at, case.reopen_due_at, case.status, case.closed_at) == (
        new_due,
        new_due,
        "DANG_XU_LY",
        None,
    )
    [moved] = emitted(db, ref["id"], "report.deadline_changed")
    assert (moved["reason"], moved["deadline_version"]) == ("reopened", case.deadline_version)
    sweep(routings)
    assert emitted(db, ref["id"], "report.overdue") == [] and emitted(db, ref["id"], "report.due_soon") == []
    assert "QUA_HAN" not in intake_row(stack, ref["id"]).flags


def test_an_extension_moves_both_deadlines_and_late_events_of_the_old_one_change_nothing(
    routings, intake, rpc, stack, db, act
):
    ref, officer = routed_case(rpc, stack, db, act)
    first = routing_row(db, ref["id"])
    act(ref["id"], officer, kind="agency_accept")
    act(ref["id"], officer, kind="request_extension", days=2, note="Chờ vật tư")
    act(ref["id"], OPERATOR, kind="approve_extension", note="Đồng ý")
    tracked(db, ref["id"], lambda r: r.extension_days == 2, "routing applies the extension")
    case = agreed(stack, db, ref["id"], "the extended deadline")
    assert case.due_at == CAL.add_working_hours(first.due_at, 2 * CAL.hours_per_day)
    assert case.deadline_version == first.deadline_version + 1
    assert [e["reason"] for e in emitted(db, ref["id"], "report.deadline_changed")] == ["extension_approved"]

    late = [
        ReportDeadlineChangedV1(
            report_id=ref["id"],
            accept_due_at=first.accept_due_at,
            due_at=first.due_at,
            reason="rerouted",
            deadline_version=first.deadline_version,
        ),
        ReportOverdueV1(
            report_id=ref["id"],
            code=ref["code"],
            agency_code=officer["agency"],
            due_at=first.due_at,
            deadline="process",
            level=1,
        ),
    ]
    for event in late:  # delivered late: an older deadline, a warning about it
        handled(stack, event)
    row = intake_row(stack, ref["id"])
    assert (row.due_at, row.deadline_version, "QUA_HAN" in row.flags) == (
        case.due_at,
        case.deadline_version,
        False,
    )
    steps = rpc.intake.get_case(payload={"report_id": ref["id"], "actor": OPERATOR})["timeline"]
    assert not [s for s in steps if s["action"] == "overdue"]
    sweep(routings)
    assert emitted(db, ref["id"], "report.overdue") == []


def test_the_only_clock_stop_waits_on_the_citizen_before_routing_so_the_routed_clock_starts_whole(
    routings, intake, rpc, stack, db, act
):
    """No verb of an agency stops the clock (workflow.json); the operator's request for information does,
    before routing: routing has no case yet and ignores it, and its clock starts when it routes."""
    ref = submit(rpc)
    act(ref["id"], OPERATOR, kind="request_info", note="Cần ảnh rõ hơn")
    answered = rpc.intake.citizen_action(
        payload={
            "report_id": ref["id"],
            "tracking_token": ref["tracking_token"],
            "action": {"kind": "supply_info", "note": "Ảnh đây"},
        }
    )
    assert answered["status"] == "CHO_TIEP_NHAN"
    resumed_at = utcnow()
    act(ref["id"], OPERATOR, kind="accept")
    case = agreed(stack, db, ref["id"], "the routed deadlines")
    assert case.clock_started_at >= resumed_at and case.pauses == [] and case.paused_at is None
    assert case.deadline_version == 1 and emitted(db, ref["id"], "report.deadline_changed") == []

    # The request for information delivered after the routing (two instances, a requeue): a step from before
    # the clock started stops nothing and moves the case nowhere.
    late = ReportStatusChangedV1(
        report_id=ref["id"],
        code=ref["code"],
        category=case.category,
        from_status="CHO_TIEP_NHAN",
        to_status="CHO_BO_SUNG",
        actor_role="operator",
        clock="stop",
        occurred_at=resumed_at - timedelta(seconds=1),
    )
    handled(stack, late, db, routing_models.inbox, "routing")
    after = routing_row(db, ref["id"])
    assert (after.status, after.paused_at, after.pauses, after.due_at) == (
        "DA_CHUYEN_XU_LY",
        None,
        [],
        case.due_at,
    )

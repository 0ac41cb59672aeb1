"""Routing against the real RabbitMQ and PostgreSQL: decide, re-route, follow the clock, escalate once."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from libs.contracts.common import Location, Priority, Status, utcnow
from libs.contracts.events import ReportAcceptedV1, ReportRerouteRequestedV1, ReportStatusChangedV1
from services.routing.domain.workcalendar import DEFAULT_CALENDAR as CAL
from services.routing.repository.models import assignments, cases

from ..unit.builders import UNITS
from .conftest import emitted, publish

pytestmark = pytest.mark.interface
ADMIN = {"sub": "admin-test", "role": "administrator"}


def accepted(unit: str = "18844", category: str = "AN_NINH_TRAT_TU", **kw) -> ReportAcceptedV1:
    """An accepted report at a unit's centroid, random id."""
    fields = dict(
        report_id=uuid.uuid4(),
        code=f"HT-T-{uuid.uuid4().hex[:6]}",
        category=category,
        priority=Priority.BINH_THUONG,
        location=Location(lat=UNITS[unit].lat, lon=UNITS[unit].lon),
    )
    return ReportAcceptedV1(**{**fields, **kw})


def status(
    event: ReportAcceptedV1, to: Status, frm: Status = Status.DANG_XU_LY, **kw
) -> ReportStatusChangedV1:
    return ReportStatusChangedV1(
        report_id=event.report_id,
        code=event.code,
        category=event.category,
        from_status=frm,
        to_status=to,
        **{"actor_role": "agency_officer", **kw},
    )


def deliver(stack, container, method: str, *events) -> None:
    """Publish each event and wait until `method` has handled that very event (the shared test vhost may hold
    older events of other tests for the same queue)."""
    for event in events:

        def handled(worker_ctx, result, exc_info, event_id=str(event.event_id)) -> bool:
            return bool(worker_ctx.args) and worker_ctx.args[0].get("event_id") == event_id

        with entrypoint_waiter(container, method, timeout=10, callback=handled):
            publish(stack, event)


def case_row(db, report_id):
    with db.connect() as conn:
        return conn.execute(sa.select(cases).where(cases.c.report_id == report_id)).one()


def held_by(db, report_id) -> list[tuple[str, str | None]]:
    with db.connect() as conn:
        return [
            (r.agency_code, r.released_reason)
            for r in conn.execute(
                sa.select(assignments).where(assignments.c.report_id == report_id).order_by(assignments.c.id)
            )
        ]


def test_accepted_report_is_routed_recorded_and_explainable(routing, stack, db, rpc):
    event = accepted()
    deliver(stack, routing, "handle_report_accepted", event, event)  # redelivered: handled once
    [routed] = emitted(db, event.report_id)
    assert (routed["event_type"], routed["agency_code"], routed["ward_code"], routed["reason"]) == (
        "report.routed",
        "CA_18844",
        "18844",
        "default",
    )
    assert (routed["agency_name"], routed["agency_name_en"]) == (
        "Công an xã Kỳ Thượng",
        "Kỳ Thượng commune/ward police",
    )
    assert routed["ward_approximate"] is True and routed["directory_version"] >= 1
    case = case_row(db, event.report_id)
    assert (case.status, case.agency_code, case.escalation_agency) == (
        "DA_CHUYEN_XU_LY",
        "CA_18844",
        "CONG_AN_TINH",
    )
    explained = rpc.routing.explain_decision(payload={"report_id": str(event.report_id)})
    [decision] = explained["decisions"]
    assert decision["trigger"] == "accepted" and "CA_18844" in decision["explanation"]
    assert explained["assignments"][0]["agency_code"] == "CA_18844"
    replay = rpc.routing.replay_decision(payload={"report_id": str(event.report_id)})
    assert replay["identical"] is True and replay["differences"] == []
    assert rpc.routing.get_decision(str(event.report_id))["agency_code"] == "CA_18844"


def test_report_off_the_province_is_unroutable_with_its_reason(routing, stack, db):
    event = accepted(location=Location(lat=18.3, lon=106.9))  # the East Sea, ~85 km out
    deliver(stack, routing, "handle_report_accepted", event)
    [gap] = emitted(db, event.report_id)
    assert (gap["event_type"], gap["reason"]) == ("report.unroutable", "location_outside_province")
    assert case_row(db, event.report_id).agency_code is None


def test_acceptance_and_extension_move_the_deadline_with_a_new_version(routing, stack, db):
    """As intake sends them (the agency accepts, the operator approves an extension); no verb after routing
    stops the clock (the request for information comes before it): see test_deadlines_with_intake.py."""
    event = accepted(category="GIAO_THONG_HA_TANG")
    deliver(stack, routing, "handle_report_accepted", event)
    routed = case_row(db, event.report_id)
    extension = status(event, Status.DANG_XU_LY, extension_working_days=2, actor_role="operator")
    deliver(
        stack,
        routing,
        "handle_report_status_changed",
        status(event, Status.DANG_XU_LY, Status.DA_CHUYEN_XU_LY),
        extension,
        extension,
    )  # redelivered: once
    case = case_row(db, event.report_id)
    assert case.accepted_at is not None and case.paused_at is None and case.extension_days == 2
    assert case.due_at == CAL.add_working_hours(routed.due_at, 2 * CAL.hours_per_day)
    assert (routed.deadline_version, case.deadline_version) == (1, 2)
    [first] = emitted(db, event.report_id, "report.routed")
    changes = [
        (e["reason"], datetime.fromisoformat(e["due_at"]), e["deadline_version"])
        for e in emitted(db, event.report_id, "report.deadline_changed")
    ]
    assert first["deadline_version"] == 1 and changes == [("extension_approved", case.due_at, 2)]


def test_steps_arriving_out_of_order_never_close_a_reopened_case_again(routing, stack, db):
    """Two instances, requeues: intake's steps may arrive in any order; their `sequence` says which is
    newer."""
    event = accepted(category="GIAO_THONG_HA_TANG")
    deliver(stack, routing, "handle_report_accepted", event)
    base, new_due = uuid.uuid4().int % 10**9, (utcnow() + timedelta(days=5)).replace(microsecond=0)
    deliver(
        stack,
        routing,
        "handle_report_status_changed",
        status(event, Status.DANG_XU_LY, Status.DA_CHUYEN_XU_LY, sequence=base + 1),
        status(event, Status.DA_XU_LY, sequence=base + 2),
        status(
            event,
            Status.DANG_XU_LY,
            Status.DA_DANH_GIA,
            sequence=base + 5,
            reopen_due_at=new_due,
            actor_role="operator",
        ),
        status(event, Status.DA_CONG_KHAI, Status.DA_XU_LY, sequence=base + 3, actor_role="operator"),  # late
        status(event, Status.DA_DANH_GIA, Status.DA_CONG_KHAI, sequence=base + 4, actor_role="citizen"),
    )  # late
    case = case_row(db, event.report_id)
    assert (case.status, case.closed_at, case.due_at, case.reopen_due_at) == (
        "DANG_XU_LY",
        None,
        new_due,
        new_due,
    )
    assert case.status_sequence == base + 5
    assert [e["reason"] for e in emitted(db, event.report_id, "report.deadline_changed")] == ["reopened"]


def test_operator_reroute_is_manual_and_keeps_every_agency(routing, stack, db):
    event = accepted(unit="18682", category="AN_TOAN_GIAO_THONG")
    deliver(stack, routing, "handle_report_accepted", event)
    deliver(
        stack, routing, "handle_report_status_changed", status(event, Status.TRA_LAI, Status.DA_CHUYEN_XU_LY)
    )
    reroute = ReportRerouteRequestedV1(
        report_id=event.report_id,
        code=event.code,
        category=event.category,
        priority=event.priority,
        location=event.location,
        agency_code="CONG_AN_TINH",
        previous_agencies=["CA_18682"],
        note="quốc lộ 1A",
    )
    deliver(stack, routing, "handle_report_reroute_requested", reroute)
    routed = emitted(db, event.report_id, "report.routed")
    assert [(e["agency_code"], e["reason"]) for e in routed] == [
        ("CA_18682", "default"),
        ("CONG_AN_TINH", "manual"),
    ]
    assert routed[1]["co_handlers"] == ["UBND_18682"]
    assert held_by(db, event.report_id) == [("CA_18682", "returned"), ("CONG_AN_TINH", None)]
    fix = ReportRerouteRequestedV1(
        report_id=event.report_id,
        code=event.code,
        category="GIAO_THONG_HA_TANG",
        priority=event.priority,
        location=event.location,
        ward_code="18673",
    )
    deliver(stack, routing, "handle_report_reroute_requested", fix)
    last = emitted(db, event.report_id, "report.routed")[-1]
    assert (last["agency_code"], last["ward_code"], last["ward_approximate"]) == (
        "UBND_18673",
        "18673",
        False,
    )
    moved = emitted(db, event.report_id, "report.deadline_changed")[
        -1
    ]  # 3 → 7 working days: dates always move
    assert (moved["reason"], moved["due_at"]) == ("rerouted", last["due_at"])
    assert case_row(db, event.report_id).operator_ward == "18673"


def test_merging_units_reroutes_their_open_cases(routing, stack, db, rpc):
    inside = accepted(unit="18118", category="GIAO_THONG_HA_TANG")
    elsewhere = accepted(unit="18073", category="GIAO_THONG_HA_TANG")
    deliver(stack, routing, "handle_report_accepted", inside, elsewhere)
    before = rpc.routing.read_directory(payload={"actor": ADMIN, "part": "summary"})["version"]
    with db.begin() as conn:  # as if an extension had been approved: the new agency's fresh dates differ
        conn.execute(
            sa.update(cases)
            .where(cases.c.report_id == inside.report_id)
            .values(due_at=cases.c.due_at + timedelta(days=3))
        )
    try:
        view = rpc.routing.change_directory(
            payload={
                "actor": ADMIN,
                "change": {"op": "merge_units", "into": "18115", "sources": ["18118"]},
                "meta": {"reroute_open_cases": True, "note": "Sáp nhập Nam Hồng Lĩnh vào Bắc Hồng Lĩnh"},
            }
        )
        assert view["rerouted"] >= 1 and view["version"] == before + 1 and view["pending"] is False
        last = emitted(db, inside.report_id, "report.routed")[-1]
        assert (last["agency_code"], last["ward_code"], last["directory_version"]) == (
            "UBND_18115",
            "18115",
            view["version"],
        )
        assert emitted(db, inside.report_id, "report.deadline_changed")[-1]["reason"] == "directory_changed"
        assert held_by(db, inside.report_id) == [("UBND_18118", "directory_change"), ("UBND_18115", None)]
        assert len(emitted(db, elsewhere.report_id, "report.routed")) == 1  # untouched
        explained = rpc.routing.explain_decision(payload={"report_id": str(inside.report_id)})
        assert explained["decisions"][-1]["trigger"] == "directory_change"
        assert "Sáp nhập" in explained["decisions"][-1]["note"]
        replay = rpc.routing.replay_decision(
            payload={
                "report_id": str(inside.report_id),
                "decision_id": explained["decisions"][0]["decision_id"],
            }
        )
        assert replay["identical"] is True  # the first decision still replays on its own version
    finally:
        rpc.routing.change_directory(
            payload={"actor": ADMIN, "change": {"op": "restore_version", "version": before}}
        )


def test_a_future_version_is_applied_by_the_sweep_when_it_comes_into_force(routing, stack, db, rpc):
    event = accepted(unit="18844", category="CAY_XANH")
    deliver(stack, routing, "handle_report_accepted", event)
    rule = {
        "rule_id": f"cx-{uuid.uuid4().hex[:6]}",
        "category": "CAY_XANH",
        "units": ["18844"],
        "agency": "SO_XD",
        "kind": "override",
    }
    effective = utcnow() + timedelta(seconds=2)
    view = rpc.routing.change_directory(
        payload={
            "actor": ADMIN,
            "change": {"op": "put_rule", "rule": rule},
            "meta": {"effective_from": effective.isoformat(), "reroute_open_cases": True},
        }
    )
    try:
        assert view["pending"] is True and view["rerouted"] == 0
        assert (
            view["version"]
            in rpc.routing.read_directory(payload={"actor": ADMIN, "part": "summary"})["pending_versions"]
        )
        dry = rpc.routing.dry_run(payload={"category": "CAY_XANH", "location": event.location.model_dump()})
        assert dry["agency_code"] == "UBND_18844"  # not yet
        time.sleep(max(0.0, (effective - utcnow()).total_seconds()) + 0.05)
        with entrypoint_hook(routing, "sweep_deadlines") as sweep:
            sweep()
        last = emitted(db, event.report_id, "report.routed")[-1]
        assert (last["agency_code"], last["reason"], last["directory_version"]) == (
            "SO_XD",
            "override",
            view["version"],
        )
        versions = rpc.routing.read_directory(payload={"actor": ADMIN, "part": "versions"})
        applied = next(v for v in versions if v["version"] == view["version"])
        assert (
            applied["applied_at"] is not None
            and applied["rerouted"] >= 1
            and applied["author"] == "admin-test"
        )
    finally:
        rpc.routing.change_directory(
            payload={"actor": ADMIN, "change": {"op": "delete_rule", "rule_id": rule["rule_id"]}}
        )


def test_sweep_warns_once_per_deadline_and_level(routing, stack, db):
    late, soon = accepted(unit="18073", category="CHIEU_SANG"), accepted(unit="18100", category="CHIEU_SANG")
    deliver(stack, routing, "handle_report_accepted", late, soon)
    deliver(
        stack,
        routing,
        "handle_report_status_changed",
        status(late, Status.DANG_XU_LY, Status.DA_CHUYEN_XU_LY),
        status(soon, Status.DANG_XU_LY, Status.DA_CHUYEN_XU_LY),
    )
    now = utcnow()
    with db.begin() as conn:  # move the clocks: one long overdue, one due in one working hour
        conn.execute(
            sa.update(cases)
            .where(cases.c.report_id == late.report_id)
            .values(due_at=now - timedelta(days=10))
        )
        conn.execute(
            sa.update(cases)
            .where(cases.c.report_id == soon.report_id)
            .values(due_at=CAL.add_working_hours(now, 1))
        )
    for _ in range(2):
        with entrypoint_hook(routing, "sweep_deadlines") as sweep:
            sweep()
    overdue = emitted(db, late.report_id, "report.overdue")
    assert [(e["level"], e["deadline"], e["escalation_agency"]) for e in overdue] == [
        (1, "process", "SO_XD"),
        (2, "process", "SO_XD"),
    ]
    [warned] = emitted(db, soon.report_id, "report.due_soon")
    assert (warned["deadline"], warned["agency_code"]) == ("process", "UBND_18100")
    assert emitted(db, soon.report_id, "report.overdue") == []


def test_directory_changes_are_validated_and_reserved_to_administrators(routing, rpc):
    bad_rule = {"rule_id": "bad", "category": "CAY_XANH", "units": ["99999"], "agency": "SO_XD"}
    with pytest.raises(RemoteError) as err:
        rpc.routing.change_directory(payload={"actor": ADMIN, "change": {"op": "put_rule", "rule": bad_rule}})
    assert "VALIDATION_FAILED" in str(err.value) and "rule.bad.units" in str(err.value)
    with pytest.raises(RemoteError) as err:
        rpc.routing.change_directory(
            payload={
                "actor": {"sub": "op", "role": "operator"},
                "change": {"op": "retire_agency", "code": "SO_TP"},
            }
        )
    assert "FORBIDDEN" in str(err.value)
    with pytest.raises(RemoteError) as err:
        rpc.routing.change_directory(
            payload={"actor": ADMIN, "change": {"op": "retire_agency", "code": "SO_XD"}}
        )
    assert "DIRECTORY_CONFLICT" in str(err.value)
    with pytest.raises(RemoteError) as err:
        rpc.routing.change_directory(
            payload={
                "actor": ADMIN,
                "change": {"op": "delete_rule", "rule_id": "nope"},
                "meta": {"effective_from": "2020-01-01T00:00:00+07:00"},
            }
        )
    assert "DIRECTORY_CONFLICT" in str(err.value) and "effective_from" in str(err.value)
    with pytest.raises(RemoteError) as err:
        rpc.routing.read_directory(payload={"actor": ADMIN, "part": "agencies", "key": "SO_KHONG_CO"})
    assert "DIRECTORY_ENTRY_NOT_FOUND" in str(err.value)


def test_official_polygons_loaded_by_rpc_decide_point_to_ward(routing, rpc):
    cells = rpc.routing.read_directory(payload={"actor": ADMIN, "part": "ward_geometry"})
    assert cells["approximate"] is True and len(cells["features"]) == 69
    by_code = {f["properties"]["code"]: f for f in cells["features"]}
    a, b = by_code["18073"], by_code["18100"]
    a["geometry"], b["geometry"] = b["geometry"], a["geometry"]
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"ma_xa": c}, "geometry": f["geometry"]}
            for c, f in by_code.items()
        ],
    }
    rpc.routing.change_directory(
        payload={"actor": ADMIN, "change": {"op": "load_ward_geometry", "feature_collection": fc}}
    )
    try:
        hit = rpc.routing.locate_ward(
            payload={"location": {"lat": UNITS["18073"].lat, "lon": UNITS["18073"].lon}}
        )
        assert (hit["unit_code"], hit["approximate"], hit["method"]) == ("18100", False, "inside")
        versions = rpc.routing.read_directory(payload={"actor": ADMIN, "part": "versions"})
        assert versions[0]["op"] == "load_ward_geometry"
    finally:
        rpc.routing.change_directory(payload={"actor": ADMIN, "change": {"op": "clear_ward_geometry"}})
    hit = rpc.routing.locate_ward(
        payload={"location": {"lat": UNITS["18073"].lat, "lon": UNITS["18073"].lon}}
    )
    assert (hit["unit_code"], hit["approximate"]) == ("18073", True)


def test_seed_is_idempotent_and_does_not_overwrite_administrator_changes(routing, db, rpc, tmp_path):
    import json
    import shutil

    from services.routing.seed import DEFAULT_DATA, seed

    with db.begin() as conn:
        assert seed(conn, DEFAULT_DATA) is None  # unchanged files, or admin changes since: nothing written
    rpc.routing.change_directory(
        payload={
            "actor": ADMIN,
            "change": {"op": "put_holidays", "holidays": {"year": 2031, "days_off": ["2031-01-02"]}},
        }
    )
    changed = tmp_path / "hatinh"
    shutil.copytree(DEFAULT_DATA, changed)
    agencies = json.loads((changed / "agencies.json").read_text())
    agencies["agencies"][0]["name_en"] = "Provincial People's Committee"
    (changed / "agencies.json").write_text(json.dumps(agencies))
    with db.begin() as conn:
        assert seed(conn, changed) is None  # administrators changed the directory in the tests above
    with db.begin() as conn:
        version = seed(conn, changed, force=True)
    summary = rpc.routing.read_directory(payload={"actor": ADMIN, "part": "summary"})
    assert version is not None and summary["version"] == version
    assert (
        rpc.routing.read_directory(payload={"actor": ADMIN, "part": "holidays"}) == []
    )  # the seed replaced all
    assert (
        rpc.routing.read_directory(payload={"actor": ADMIN, "part": "agencies", "key": "UBND_TINH"})[
            "name_en"
        ]
        == "Provincial People's Committee"
    )

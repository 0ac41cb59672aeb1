"""Intake against the real RabbitMQ and PostgreSQL: submission, idempotency, events in and out.

The lifecycle (triage, agency work, re-routing, merge, audit) is in test_lifecycle_interface.py.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from kombu import Connection
from nameko.testing.services import entrypoint_waiter

from libs.contracts.events import ReportRoutedV1
from libs.platform import topology
from services.intake.repository.models import outbox, reports, timeline
from services.intake.service import IntakeService

pytestmark = pytest.mark.interface


def submission(**overrides) -> dict:
    report = {
        "category": "MOI_TRUONG_RAC",
        "description": f"Rác ùn ứ {uuid.uuid4()}",
        "location": {"lat": 18.3419, "lon": 105.903},
        "reporter": {"name": "Trần Thị B", "phone": "0987654321", "email": "b@example.vn"},
    }
    report.update(overrides)
    return report


def publish(stack, event) -> None:
    with Connection(stack.amqp_uri) as conn:
        conn.Producer(serializer="json").publish(
            event.model_dump(mode="json"),
            exchange=topology.event_exchange(event.producer),
            routing_key=event.event_type,
            declare=[topology.event_exchange(event.producer)],
        )


@pytest.fixture
def intake(start_service):
    return start_service(IntakeService)


@pytest.fixture
def auto_intake(start_service):
    """Intake configured to accept every category automatically (AUTO_ACCEPT_CATEGORIES=*)."""
    return start_service(IntakeService, AUTO_ACCEPT_CATEGORIES="*")


def test_manual_triage_is_the_default(intake, rpc, stack):
    ref = rpc.intake.submit_report(payload={"report": submission()})
    rid = uuid.UUID(ref["id"])
    assert ref["status"] == "CHO_TIEP_NHAN"
    with stack.engine.connect() as db:
        events = (
            db.execute(sa.select(outbox.c.event_type).where(outbox.c.payload["report_id"].astext == str(rid)))
            .scalars()
            .all()
        )
    assert events == ["report.submitted"]


def test_submit_commits_report_timeline_and_outbox_together(auto_intake, rpc, stack):
    ref = rpc.intake.submit_report(payload={"report": submission(), "idempotency_key": str(uuid.uuid4())})
    rid = uuid.UUID(ref["id"])
    assert (
        ref["code"].startswith("HT-") and ref["status"] == "DA_TIEP_NHAN" and len(ref["tracking_token"]) >= 24
    )
    with stack.engine.connect() as db:
        row = db.execute(sa.select(reports).where(reports.c.id == rid)).one()
        steps = (
            db.execute(
                sa.select(timeline.c.to_status).where(timeline.c.report_id == rid).order_by(timeline.c.id)
            )
            .scalars()
            .all()
        )
        events = (
            db.execute(sa.select(outbox.c.event_type).where(outbox.c.payload["report_id"].astext == str(rid)))
            .scalars()
            .all()
        )
    assert steps == ["CHO_TIEP_NHAN", "DA_TIEP_NHAN"]
    assert sorted(events) == ["report.accepted", "report.status_changed", "report.submitted"]
    assert b"0987654321" not in bytes(row.reporter_sealed), "personal data must be encrypted at rest"


def test_same_idempotency_key_gives_the_same_report(intake, rpc, stack):
    key, body = str(uuid.uuid4()), submission()
    first = rpc.intake.submit_report(payload={"report": body, "idempotency_key": key})
    second = rpc.intake.submit_report(payload={"report": body, "idempotency_key": key})
    assert second["id"] == first["id"] and second["tracking_token"] == first["tracking_token"]
    assert second["replayed"] is True
    with stack.engine.connect() as db:
        assert (
            db.execute(
                sa.select(sa.func.count()).select_from(reports).where(reports.c.idempotency_key == key)
            ).scalar()
            == 1
        )


def test_same_key_with_another_body_is_refused(intake, rpc):
    from nameko.exceptions import RemoteError

    key = str(uuid.uuid4())
    rpc.intake.submit_report(payload={"report": submission(), "idempotency_key": key})
    with pytest.raises(RemoteError) as err:
        rpc.intake.submit_report(payload={"report": submission(), "idempotency_key": key})
    assert "IDEMPOTENCY_KEY_REUSED" in str(err.value)


def test_invalid_payload_names_the_fields(intake, rpc):
    from nameko.exceptions import RemoteError

    with pytest.raises(RemoteError) as err:
        rpc.intake.submit_report(
            payload={"report": submission(description="", location={"lat": 200, "lon": 1})}
        )
    assert "VALIDATION_FAILED" in str(err.value)
    assert "report.description" in str(err.value) and "report.location.lat" in str(err.value)


def test_personal_data_only_with_the_tracking_token(intake, rpc):
    ref = rpc.intake.submit_report(payload={"report": submission()})
    public = rpc.intake.get_report(payload={"report_id": ref["id"]})
    wrong = rpc.intake.get_report(payload={"report_id": ref["id"], "tracking_token": "x" * 32})
    own = rpc.intake.get_report(payload={"report_id": ref["id"], "tracking_token": ref["tracking_token"]})
    assert public["reporter"] is None and wrong["reporter"] is None
    assert own["reporter"]["phone"] == "0987654321"
    assert "0987654321" not in str(public)
    assert (
        public["restricted"] and public["description"] == "" and public["timeline"] == []
    )  # not verified yet
    assert not own["restricted"] and own["description"].startswith("Rác")


def test_routed_event_moves_the_case_once_even_when_delivered_twice(auto_intake, rpc, stack):
    intake = auto_intake
    ref = rpc.intake.submit_report(payload={"report": submission()})
    event = ReportRoutedV1(
        report_id=ref["id"],
        code=ref["code"],
        category="MOI_TRUONG_RAC",
        priority="BINH_THUONG",
        ward_code="18073",
        ward_approximate=True,
        agency_code="UBND_18073",
        reason="default",
        directory_version=1,
    )
    for _ in range(2):
        with entrypoint_waiter(intake, "handle_report_routed", timeout=10):
            publish(stack, event)
    view = rpc.intake.get_report(payload={"report_id": ref["id"]})
    assert view["status"] == "DA_CHUYEN_XU_LY" and view["agency_code"] == "UBND_18073"
    assert [s["to_status"] for s in view["timeline"]].count("DA_CHUYEN_XU_LY") == 1


def test_unknown_report_is_not_found(intake, rpc):
    from nameko.exceptions import RemoteError

    with pytest.raises(RemoteError) as err:
        rpc.intake.get_report(payload={"report_id": str(uuid.uuid4())})
    assert "REPORT_NOT_FOUND" in str(err.value)

"""Entrypoints of intake and intake_reads with nameko's `worker_factory` and fakes: each passes its worker's
collaborators to its use case (no broker, no database)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from nameko.testing.services import worker_factory

from libs.contracts.errors import ErrorCode
from libs.contracts.events import MediaStoredV1, ReportUnroutableV1
from libs.platform.errors import ServiceError
from services.intake.domain.tokens import Sealer
from services.intake.domain.workflow import State
from services.intake.reads_service import IntakeReads
from services.intake.repository.models import media, reports, timeline
from services.intake.service import IntakeService
from services.intake.settings import IntakeSettings
from services.intake.usecases import triage

SETTINGS = IntakeSettings(sealer=Sealer(Fernet.generate_key().decode()), token_key="t" * 40)


class FakeResult:
    """What a statement answers: one row (or none), an id."""

    def __init__(self, row=None):
        self.row, self.rowcount = row, 0

    def first(self):
        return self.row

    def scalar_one(self):
        return 1

    def scalars(self):
        return iter(())


class FakeUnitOfWork:
    """The Database provider's unit of work: records statements, events, inbox claims and commits; `rows` are
    the rows the statements answer, in order (None after)."""

    def __init__(self, *rows):
        self.rows, self.statements, self.events, self.claims = list(rows), [], [], []
        self.commits = self.rollbacks = 0

    def execute(self, statement, params=None):
        self.statements.append(statement)
        return FakeResult(self.rows.pop(0) if self.rows else None)

    def emit(self, *events):
        self.events.extend(events)

    def claim(self, event_id, consumer, event_type, outcome="handled", error=None):
        self.claims.append((event_id, consumer, event_type, outcome))
        return True

    def commit(self):
        self.commits += 1

    def rollback(self):
        self.rollbacks += 1


class FakeCategories:
    """The category cache: knows `codes`, remembers whom it was asked through."""

    def __init__(self, *codes):
        self.codes, self.asked = set(codes), []

    def known(self, code, routing):
        self.asked.append((code, routing))
        return code in self.codes


def table_of(statement):
    """The table an INSERT or UPDATE writes, or the one a SELECT reads."""
    return statement.table if hasattr(statement, "table") else statement.get_final_froms()[0]


def intake(db=None, categories=None):
    return worker_factory(
        IntakeService,
        db=db or FakeUnitOfWork(),
        settings=SETTINGS,
        categories=categories or FakeCategories("CHIEU_SANG"),
    )


def test_submit_report_checks_the_category_with_routing_before_writing_anything():
    db, categories = FakeUnitOfWork(), FakeCategories("CHIEU_SANG")
    service = intake(db, categories)
    payload = {
        "report": {
            "category": "KHONG_CO",
            "description": "Đèn đường hỏng",
            "location": {"lat": 18.34, "lon": 105.9},
        },
        "channel": "web",
    }
    with pytest.raises(ServiceError) as refused:
        service.submit_report(payload)
    assert refused.value.code == ErrorCode.UNKNOWN_CATEGORY
    assert categories.asked == [("KHONG_CO", service.routing)]  # the worker's own RpcProxy
    assert db.statements == [] and db.events == [] and db.commits == 0


def test_submit_report_refuses_an_invalid_payload_naming_the_field():
    service = intake()
    with pytest.raises(ServiceError) as refused:
        service.submit_report({"report": {"category": "CHIEU_SANG"}, "channel": "web"})
    assert refused.value.code == ErrorCode.VALIDATION_FAILED
    assert "report.description" in {e["field"] for e in refused.value.errors}


def test_act_on_case_gives_the_verb_the_workers_desk(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        triage, "act_on_case", lambda desk, payload: seen.update(desk=desk, payload=payload) or {}
    )
    categories = FakeCategories("CHIEU_SANG")
    service = intake(categories=categories)
    service.act_on_case({"any": "payload"})
    desk = seen["desk"]
    assert (
        desk.db is service.db and desk.settings is service.settings and seen["payload"] == {"any": "payload"}
    )
    assert desk.known_category("CHIEU_SANG") and not desk.known_category("KHONG_CO")
    assert categories.asked == [("CHIEU_SANG", service.routing), ("KHONG_CO", service.routing)]


def test_media_stored_is_claimed_in_the_inbox_under_its_old_consumer_key_and_attached():
    report_id = uuid.uuid4()
    db = FakeUnitOfWork(SimpleNamespace(id=report_id))  # repository.get finds the report
    event = MediaStoredV1(
        media_id=uuid.uuid4(), report_id=report_id, role="evidence", content_type="image/jpeg", size=1000
    )
    intake(db).handle_media_stored(event.model_dump(mode="json"))
    assert db.claims == [(event.event_id, "Consumers.handle_media_stored", "media.stored", "handled")]
    assert [table_of(s) for s in db.statements] == [reports, media] and db.commits == 1


def test_unroutable_puts_an_accepted_case_in_the_operators_queue_with_the_reason():
    report_id = uuid.uuid4()
    db = FakeUnitOfWork(SimpleNamespace(id=report_id, status=State.DA_TIEP_NHAN.value))
    event = ReportUnroutableV1(
        report_id=report_id,
        code="HT-2026-000001",
        category="CHIEU_SANG",
        reason="no_contact_for_category",
        directory_version=1,
    )
    intake(db).handle_report_unroutable(event.model_dump(mode="json"))
    assert db.claims[0][1] == "Consumers.handle_report_unroutable"
    _, update, step = db.statements
    assert (
        update.table is reports
        and update.compile().params["queue_reason"] == "unroutable:no_contact_for_category"
    )
    assert step.table is timeline and db.commits == 1


def test_an_invalid_event_is_parked_not_handled():
    db = FakeUnitOfWork()
    intake(db).handle_media_stored({"event_id": str(uuid.uuid4()), "report_id": "not a uuid"})
    assert [c[3] for c in db.claims] == ["invalid"] and db.statements == []


def test_retention_now_runs_the_schedule_with_the_settings_policy():
    db = FakeUnitOfWork()  # nothing due: no identity to erase, no audit row old enough
    counts = intake(db).apply_retention()
    assert counts == {"identities_erased": 0, "texts_masked": 0, "audit_rows_deleted": 0}
    assert db.commits == 1


def test_intake_reads_refuses_a_tracking_token_without_reading():
    db = FakeUnitOfWork()
    reads = worker_factory(IntakeReads, db=db)
    with pytest.raises(ServiceError) as refused:
        reads.get_report({"report_id": str(uuid.uuid4()), "tracking_token": "x" * 32})
    assert refused.value.code == ErrorCode.VALIDATION_FAILED and db.statements == []

"""What one submission costs in database round trips, counted on intake's real PostgreSQL engine.

The figures are budgets: a change that adds a statement, a transaction or a connection checkout to the
submission path fails here and must say why (docs/benchmarks.md records what they were: 15 statements in 9
transactions on 9 checkouts, 20 statements for an urgent report, before they were folded together).
"""

from __future__ import annotations

import random
import re
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError

from devtools.testing import unique_ip
from libs.platform.db import Database
from services.intake.dependencies import Settings
from services.intake.domain.duplicates import bounding_box
from services.intake.domain.ratelimit import limit_key
from services.intake.domain.tokens import report_code
from services.intake.domain.workflow import OPEN_STATES
from services.intake.repository import reports as repo
from services.intake.repository.models import followers, outbox, rate_counters, reports, timeline
from services.intake.repository.search import DUPLICATE_CANDIDATES, near_params
from services.intake.service import IntakeService

pytestmark = pytest.mark.interface

# One submission of a citizen (rate-limited: device, phone and IP; with an Idempotency-Key), urgent or not:
STATEMENTS = 4  # the key look-up, every rate-limit counter, the report with all its rows, the outbox rows
TRANSACTIONS = 1  # the counters count in the submission's own transaction
CHECKOUTS = 1  # one pooled connection for the whole call (pinged only after idling, libs/platform/db.py)


@dataclass
class Cost:
    statements: list[str] = field(default_factory=list)
    uncacheable: list[str] = field(default_factory=list)  # compiled anew at every call (SQLAlchemy: "no key")
    transactions: int = 0
    checkouts: int = 0


def _in_submission() -> bool:
    """Whether the caller runs inside intake's submit_report (not the outbox relay, not the test)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "submit_report" and frame.f_code.co_filename.endswith("submission.py"):
            return True
        frame = frame.f_back
    return False


@contextmanager
def counted(container):
    """Count what submit_report does on the service's engine while the block runs."""
    engine = next(d for d in container.dependencies if isinstance(d, Database)).engine
    cost = Cost()

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        if _in_submission():
            cost.statements.append(statement)
            if context.cache_hit.name == "NO_CACHE_KEY":
                cost.uncacheable.append(statement)

    def on_end(conn):
        if _in_submission():
            cost.transactions += 1

    def on_checkout(dbapi_conn, record, proxy):
        if _in_submission():
            cost.checkouts += 1

    listeners = [
        (engine, "before_cursor_execute", on_statement),
        (engine, "commit", on_end),
        (engine, "rollback", on_end),
        (engine.pool, "checkout", on_checkout),
    ]
    for target, name, fn in listeners:
        sa.event.listen(target, name, fn)
    try:
        yield cost
    finally:
        for target, name, fn in listeners:
            sa.event.remove(target, name, fn)


@pytest.fixture
def intake(start_service):
    return start_service(IntakeService, RATE_LIMITS="device:3/60,device:10/3600,phone:10/3600,ip:60/3600")


def citizen(**overrides) -> dict:
    report = {
        "category": "MOI_TRUONG_RAC",
        "description": f"Rác ùn ứ {uuid.uuid4()}",
        "location": {"lat": 18.3419, "lon": 105.903},
        "reporter": {"name": "Lê Văn C", "phone": f"09{uuid.uuid4().int % 10**8:08d}"},
    }
    report.update(overrides)
    client = {"ip": unique_ip(), "device_id": f"dev-{uuid.uuid4()}"}
    return {"report": report, "idempotency_key": f"cost-{uuid.uuid4()}", "client": client}


def hits(db, container, payload: dict) -> dict[str, int]:
    """Key → hits counted (all buckets) on the counters of a submission's device, phone and IP."""
    settings = next(d for d in container.dependencies if isinstance(d, Settings)).settings
    values = {
        "device": payload["client"]["device_id"],
        "phone": payload["report"]["reporter"]["phone"],
        "ip": payload["client"]["ip"],
    }
    keys = [limit_key(r, values[r.scope], settings.rate_pepper) for r in settings.rate_rules]
    return dict(
        db.execute(
            sa.select(rate_counters.c.key, sa.func.sum(rate_counters.c.count))
            .where(rate_counters.c.key.in_(keys))
            .group_by(rate_counters.c.key)
        ).all()
    )


def describe(cost: Cost) -> str:
    return "\n".join(" ".join(s.split())[:160] for s in cost.statements)


@pytest.mark.parametrize("priority,rows", [("BINH_THUONG", 1), ("KHAN", 2)])  # KHAN is accepted at once
def test_one_submission_stays_within_its_round_trip_budget(intake, rpc, stack, priority, rows):
    payload = citizen(priority=priority)
    with counted(intake) as cost:
        ref = rpc.intake.submit_report(payload=payload)
    assert len(cost.statements) <= STATEMENTS, describe(cost)
    assert cost.transactions <= TRANSACTIONS and cost.checkouts <= CHECKOUTS, (
        cost.transactions,
        cost.checkouts,
    )
    assert cost.uncacheable == [], "compiling these at every submission costs more than their round trips"
    rid = uuid.UUID(ref["id"])
    with stack.engine.connect() as db:  # everything the folded statements must still write
        row = db.execute(sa.select(reports).where(reports.c.id == rid)).one()
        steps = (
            db.execute(
                sa.select(timeline.c.to_status).where(timeline.c.report_id == rid).order_by(timeline.c.id)
            )
            .scalars()
            .all()
        )
        follower = db.execute(
            sa.select(followers.c.role, followers.c.source_report_id).where(followers.c.report_id == rid)
        ).one()
        events = db.execute(
            sa.select(outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.payload["report_id"].astext == str(rid))
            .order_by(outbox.c.id)
        ).all()
        counters = hits(db, intake, payload)
    assert (
        row.code == ref["code"]
        and row.status == ref["status"]
        and row.idempotency_key == payload["idempotency_key"]
    )
    assert payload["report"]["reporter"]["phone"].encode() not in bytes(row.reporter_sealed)
    assert len(steps) == rows and tuple(follower) == ("reporter", rid)
    assert sorted(counters.values()) == [1, 1, 1, 1], counters  # device 60 s and 1 h, phone, IP: one hit each
    assert all(p["code"] == ref["code"] for _, p in events)
    expected = (
        ["report.status_changed", "report.accepted", "report.submitted"]
        if rows == 2
        else ["report.submitted"]
    )
    assert [t for t, _ in events] == expected


def test_a_replay_reads_one_row_and_writes_nothing(intake, rpc):
    payload = citizen()
    first = rpc.intake.submit_report(payload=payload)
    with counted(intake) as cost:
        again = rpc.intake.submit_report(payload=payload)
    assert again["id"] == first["id"] and again["replayed"] is True
    assert len(cost.statements) == 1 and cost.statements[0].lstrip().upper().startswith("SELECT"), describe(
        cost
    )


def test_a_denied_submission_costs_the_counters_only_and_writes_no_report(intake, rpc, stack):
    payload = citizen()
    for _ in range(3):
        rpc.intake.submit_report(payload={**citizen(), "client": payload["client"]})
    with counted(intake) as cost, pytest.raises(RemoteError) as err:
        rpc.intake.submit_report(payload=payload)
    assert "RATE_LIMITED" in str(err.value) and "client.device" in str(err.value)
    assert len(cost.statements) <= 3 and cost.transactions == 1, describe(
        cost
    )  # look-up, counters, give back
    with stack.engine.connect() as db:
        assert (
            db.execute(
                sa.select(reports.c.id).where(reports.c.idempotency_key == payload["idempotency_key"])
            ).first()
            is None
        )
        counts = hits(db, intake, payload)
    assert sorted(counts.values()) == [3, 3, 3], counts  # the device's and the IP's three; the phone: no hit


@pytest.mark.parametrize("seq", [1, 123, 999_999, 1_000_000, 12_345_678])
def test_the_database_writes_the_code_as_the_domain_does(stack, seq):
    with stack.engine.connect() as db:
        assert db.execute(
            sa.select(repo.code_sql(2026, sa.literal(seq, sa.BigInteger)))
        ).scalar() == report_code(2026, seq)


def test_duplicate_candidates_are_read_through_the_open_nearby_index(stack):
    """Among thousands of reports the "is this yours?" query uses its partial index, whose open states are the
    state machine's (a state added to OPEN_STATES needs a migration of the index, or the index is not
    used)."""
    now, rng = datetime.now(UTC), random.Random(7)
    # public (verified) reports, as candidates are: unverified ones only would leave the map's partial index
    # (ix_reports_public_map, verified only) empty, and the planner rightly reads an empty index instead
    rows = [
        dict(
            id=uuid.uuid4(),
            code=f"IDX-{uuid.uuid4()}",
            category=rng.choice(["MOI_TRUONG_RAC", "CHIEU_SANG"]),
            description="x",
            lat=18.0 + rng.random(),
            lon=105.5 + rng.random(),
            priority="BINH_THUONG",
            status=rng.choice(["CHO_TIEP_NHAN", "DONG", "DA_CONG_KHAI"]),
            channel="app",
            verified_at=now,
            created_at=now - timedelta(days=rng.random() * 90),
            updated_at=now,
        )
        for _ in range(4000)
    ]
    query = DUPLICATE_CANDIDATES.params(
        near_params("MOI_TRUONG_RAC", bounding_box(18.34, 105.9, 150), now - timedelta(days=30))
    )
    with stack.engine.connect() as db:  # rolled back at the end: nothing stays
        db.execute(sa.insert(reports), rows)
        db.execute(sa.text("ANALYZE intake.reports"))
        compiled = query.compile(db, compile_kwargs={"literal_binds": True})
        plan = db.execute(sa.text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar()
        definition = db.execute(
            sa.text(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = 'intake' "
                "AND indexname = 'ix_reports_open_nearby'"
            )
        ).scalar()
        db.rollback()
    assert "ix_reports_open_nearby" in str(plan), plan
    assert set(re.findall(r"'(\w+)'", definition)) == {s.value for s in OPEN_STATES}, definition

"""intake_reads' `open311_feed` (the servicerequestupdates feed) over RPC against PostgreSQL: its fixed order
with ties across both sources, keyset batches that neither skip nor repeat, offsets, the snapshot bound and
visibility."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.intake.reads_service import IntakeReads

pytestmark = pytest.mark.interface
T = datetime(2026, 3, 16, 1, 30, tzinfo=UTC)


def insert_report(conn, lat: float, lon: float, public: bool) -> tuple[uuid.UUID, str]:
    rid = uuid.uuid4()
    code = conn.execute(
        sa.text(
            "INSERT INTO intake.reports (id, code, category, description, lat, lon, priority, status, "
            "channel,"
            " created_at, updated_at, verified_at) VALUES (:id, 'HT-FEED-' || "
            "nextval('intake.report_code_seq'),"
            " 'CHIEU_SANG', 'Đèn hỏng', :lat, :lon, 'BINH_THUONG', :status, 'web', :t, :t, :verified) "
            "RETURNING code"
        ),
        {
            "id": rid,
            "lat": lat,
            "lon": lon,
            "t": T - timedelta(hours=1),
            "status": "DA_TIEP_NHAN" if public else "CHO_TIEP_NHAN",
            "verified": T - timedelta(hours=1) if public else None,
        },
    ).scalar_one()
    return rid, code


def step(conn, rid, at, to_status, visibility="public", note=None) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO intake.timeline (report_id, at, actor_role, to_status, visibility, note)"
            " VALUES (:rid, :at, 'operator', :to, :vis, :note) RETURNING id"
        ),
        {"rid": rid, "at": at, "to": to_status, "vis": visibility, "note": note},
    ).scalar_one()


def posted(conn, key_id, rid, updated_at, received_at) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO intake.open311_updates (client_name, key_id, external_id, report_id, status, "
            "state_at_post,"
            " updated_at, received_at) VALUES ('feed test', :key, :ext, :rid, 'OPEN', 'DA_TIEP_NHAN', :u, :r)"
            " RETURNING id"
        ),
        {"key": key_id, "ext": uuid.uuid4().hex, "rid": rid, "u": updated_at, "r": received_at},
    ).scalar_one()


@pytest.fixture
def intake(start_service):
    """The read-only process that serves the feed."""
    return start_service(IntakeReads)


@pytest.fixture
def world(stack):
    """A public report and a hidden one in a box of their own; ties in time within and across the two
    sources."""
    lat, lon = 18.0 + random.uniform(0, 0.5), 105.5 + random.uniform(0, 0.5)
    with stack.engine.begin() as conn:
        key_id = uuid.uuid4()
        conn.execute(
            sa.text(
                "INSERT INTO intake.open311_api_keys (id, client_name, prefix, key_hash, rate_limit_per_hour,"
                " created_at, created_by) VALUES (:id, 'feed test', 'ht311_feed', :hash, 10, :t, 'test')"
            ),
            {"id": key_id, "hash": uuid.uuid4().hex, "t": T},
        )
        rid, code = insert_report(conn, lat, lon, public=True)
        hidden, _ = insert_report(conn, lat, lon, public=False)
        s1 = step(conn, rid, T, "CHO_TIEP_NHAN")
        step(conn, rid, T, "DA_TIEP_NHAN", visibility="staff", note="nội bộ")
        s2 = step(conn, rid, T, "DA_TIEP_NHAN", note="Gọi 0912345678")
        p1 = posted(conn, key_id, rid, T, T)
        p2 = posted(conn, key_id, rid, T, T)
        late = posted(conn, key_id, rid, T - timedelta(minutes=30), T + timedelta(seconds=1))  # dated back
        s3 = step(conn, rid, T + timedelta(seconds=1), "DA_CHUYEN_XU_LY")
        step(conn, hidden, T, "CHO_TIEP_NHAN")
        after = step(conn, rid, T + timedelta(minutes=5), "DANG_XU_LY")
    box = [lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001]
    return {
        "code": code,
        "box": box,
        "order": [(0, s1), (0, s2), (1, p1), (1, p2), (0, s3), (1, late)],
        "after": (0, after),
    }


def feed(rpc, world, **extra) -> dict:
    query = {
        "updated_from": (T - timedelta(hours=1)).isoformat(),
        "updated_to": (T + timedelta(hours=1)).isoformat(),
        "recorded_to": (T + timedelta(minutes=1)).isoformat(),
        "bbox": world["box"],
        **extra,
    }
    return rpc.intake_reads.open311_feed(payload=query)


def test_the_feed_is_in_recorded_order_and_batches_of_one_walk_it_exactly(intake, rpc, world):
    whole = feed(rpc, world, limit=1000)
    assert [(i["kind"], i["id"]) for i in whole["items"]] == world["order"] and whole["next"] is None
    steps = [i for i in whole["items"] if i["kind"] == 0]
    assert [s["ordinal"] for s in steps] == [1, 2, 3]  # the staff step between them is not counted
    assert "0912345678" not in str(whole) and all(i["code"] == world["code"] for i in whole["items"])
    assert [i["update_id"] for i in whole["items"] if i["kind"] == 1] == [
        f"U{i}" for k, i in world["order"] if k == 1
    ]
    walked, cursor = [], None
    while True:
        page = feed(rpc, world, limit=1, **({"after": cursor} if cursor else {}))
        walked += [(i["kind"], i["id"]) for i in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert walked == world["order"]


def test_offsets_and_the_snapshot_bound(intake, rpc, world):
    assert [(i["kind"], i["id"]) for i in feed(rpc, world, offset=2, limit=3)["items"]] == world["order"][2:5]
    later = feed(rpc, world, limit=1000, recorded_to=(T + timedelta(minutes=10)).isoformat())
    assert [(i["kind"], i["id"]) for i in later["items"]] == world["order"] + [world["after"]]
    early = feed(rpc, world, limit=1000, recorded_to=T.isoformat())
    assert [(i["kind"], i["id"]) for i in early["items"]] == world["order"][:4]

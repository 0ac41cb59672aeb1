"""intake_reads against the real RabbitMQ and PostgreSQL: the same public answers as intake's, on its own RPC
queue, in transactions PostgreSQL keeps read-only; no relay, no timers, no event handlers."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.rpc import Rpc, rpc

from libs.platform.db import Database
from services.intake.reads_service import IntakeReads
from services.intake.service import IntakeService

from .test_intake_service import submission

pytestmark = pytest.mark.interface


@pytest.fixture
def both(start_service):
    """intake (accepting every category: its reports are public) and intake_reads, each on its own queue."""
    return start_service(IntakeService, AUTO_ACCEPT_CATEGORIES="*"), start_service(IntakeReads)


def test_reads_answer_what_intake_answers(both, rpc):
    ref = rpc.intake.submit_report(payload={"report": submission()})
    one = {"report_id": ref["id"]}
    assert rpc.intake_reads.get_report(payload=one) == rpc.intake.get_report(payload=one)
    search = {"ids": [ref["code"]], "public_only": True}
    page = rpc.intake_reads.search_reports(payload=search)
    assert page == rpc.intake.search_reports(payload=search) and [r["code"] for r in page["items"]] == [
        ref["code"]
    ]
    assert "0987654321" not in str(page) + str(rpc.intake_reads.get_report(payload=one))
    compact = rpc.intake_reads.search_reports(payload={**search, "timeline": False})
    assert page["items"][0]["timeline"] and "timeline" not in compact["items"][0]
    assert compact["items"][0] == {k: v for k, v in page["items"][0].items() if k != "timeline"}
    assert rpc.intake_reads.list_open311_updates(payload={"report_ids": [ref["id"]]}) == {"items": []}
    assert rpc.intake_reads.health() == {"service": "intake_reads", "ok": True, "checks": {"database": True}}


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"report_id": "00000000-0000-4000-8000-000000000000"}, "REPORT_NOT_FOUND"),
        (
            {"report_id": str(uuid.uuid4()), "tracking_token": "x" * 32},
            "VALIDATION_FAILED",
        ),  # tokens are intake's
    ],
)
def test_reads_refuse_what_is_not_theirs(both, rpc, payload, code):
    with pytest.raises(RemoteError) as err:
        rpc.intake_reads.get_report(payload=payload)
    assert code in str(err.value)


def test_the_reads_service_has_only_rpc_entrypoints_and_no_relay(both):
    _, reads = both
    assert {type(e) for e in reads.entrypoints} == {Rpc}
    [db] = [d for d in reads.dependencies if isinstance(d, Database)]
    assert db.relay is None and db.outbox is None and db.inbox is None


class ReadOnlyProbe:
    """A worker of a read-only Database that tries to write."""

    name = "read_only_probe"
    db = Database(read_only=True)

    @rpc
    def write(self) -> None:
        self.db.execute(sa.text("UPDATE intake.reports SET code = code WHERE false"))


def test_postgresql_refuses_a_write_from_a_read_only_database(start_service, rpc):
    start_service(ReadOnlyProbe, "intake_reads")
    with pytest.raises(RemoteError) as err:
        rpc.read_only_probe.write()
    assert "read-only transaction" in str(err.value)


def test_the_map_feed_counts_cells_in_sql_at_low_zoom_and_gives_compact_masked_points_at_high_zoom(both, rpc):
    spot = {
        "lat": 18.3419 + (uuid.uuid4().int % 1000) / 1e6,
        "lon": 105.903 + (uuid.uuid4().int % 1000) / 1e6,
    }
    ids = {
        rpc.intake.submit_report(
            payload={
                "report": submission(
                    location=spot,
                    description=f"Rác ùn ứ lâu ngày ở đầu hẻm, gọi 0912345678 {uuid.uuid4()} "
                    "xin xử lý sớm giúp bà con trong khu phố",
                )
            }
        )["id"]
        for _ in range(2)
    }
    box = [spot["lon"] - 1e-6, spot["lat"] - 1e-6, spot["lon"] + 1e-6, spot["lat"] + 1e-6]
    search = {"bbox": box, "public_only": True}
    points = rpc.intake_reads.map_feed(payload={"search": search, "zoom": 16})
    assert points["mode"] == "points" and {f["id"] for f in points["features"]} == ids
    for feature in points["features"]:
        assert set(feature["properties"]) == {
            "category",
            "status",
            "title",
            "due_at",
        }  # no timeline, photos, address
        assert feature["properties"]["category"] == "MOI_TRUONG_RAC"
        title = feature["properties"]["title"]
        assert len(title) <= 60 and title.endswith("…") and "0912345678" not in title
    clusters = rpc.intake_reads.map_feed(payload={"search": search, "zoom": 5})
    [cell] = clusters["features"]
    assert clusters["mode"] == "clusters" and clusters["total"] == 2
    assert cell["properties"]["count"] == 2 and cell["properties"]["categories"] == {"MOI_TRUONG_RAC": 2}
    assert sum(cell["properties"]["statuses"].values()) == 2
    assert cell["geometry"]["coordinates"] == [round(spot["lon"], 5), round(spot["lat"], 5)]
    with pytest.raises(RemoteError) as err:
        rpc.intake_reads.map_feed(payload={"search": search, "zoom": 23})
    assert "VALIDATION_FAILED" in str(err.value) and "zoom" in str(err.value)

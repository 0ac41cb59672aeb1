"""A me-too follower's private token (only its hash stored), what notify is told about followers, and the
category check against routing through the shared timed-call helper."""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError
from nameko.rpc import rpc as rpc_entrypoint

from services.intake.repository.models import followers
from services.intake.service import IntakeService

from .test_lifecycle_interface import act, intake, read_recipients, staff, submit  # noqa: F401

pytestmark = pytest.mark.interface


def follow(rpc, report_id: str, **contact) -> dict:
    return rpc.intake.me_too(payload={"report_id": report_id, "contact": contact or None})


def not_found(call) -> str:
    with pytest.raises(RemoteError) as err:
        call()
    assert "REPORT_NOT_FOUND" in str(err.value)
    return str(err.value)


def test_a_follower_token_is_random_stored_as_a_hash_and_opens_only_its_own_case(intake, rpc, stack, act):
    case, other = submit(rpc), submit(rpc)
    act(case["id"], staff(), kind="accept")
    act(other["id"], staff(), kind="accept")
    mine, theirs = follow(rpc, case["id"], language="en"), follow(rpc, other["id"])
    token = mine["follower_token"]
    assert (
        len(token) >= 40
        and token != mine["recipient_ref"]
        and token != follow(rpc, case["id"])["follower_token"]
    )
    with stack.engine.connect() as db:
        row = db.execute(
            sa.select(followers).where(followers.c.ref == uuid.UUID(mine["recipient_ref"]))
        ).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(tuple(row))  # the token itself is nowhere in the row

    ref = rpc.intake.follower_ref(payload={"report_id": case["id"], "follower_token": token})
    assert ref == {"report_id": case["id"], "recipient_ref": mine["recipient_ref"]}
    unknown = str(uuid.uuid4())
    wrong = not_found(
        lambda: rpc.intake.follower_ref(payload={"report_id": case["id"], "follower_token": "x" * 43})
    )
    foreign = not_found(
        lambda: rpc.intake.follower_ref(
            payload={"report_id": case["id"], "follower_token": theirs["follower_token"]}
        )
    )
    nowhere = not_found(
        lambda: rpc.intake.follower_ref(payload={"report_id": unknown, "follower_token": token})
    )
    assert (
        wrong == foreign == nowhere.replace(unknown, case["id"])
    )  # nothing tells a wrong token from no case

    recipients = read_recipients(rpc, stack, case["id"], "test")
    by_ref = {r["recipient_ref"]: r for r in recipients}
    assert (by_ref[mine["recipient_ref"]]["inbox"], by_ref[mine["recipient_ref"]]["language"]) == (True, "en")
    assert [r["inbox"] for r in recipients if r["role"] == "reporter"] == [
        False
    ]  # the tracking token opens it

    not_found(
        lambda: rpc.intake.unsubscribe_follower(
            payload={"report_id": case["id"], "follower_token": theirs["follower_token"]}
        )
    )
    done = rpc.intake.unsubscribe_follower(payload={"report_id": case["id"], "follower_token": token})
    assert done["unsubscribed"] is True
    after = read_recipients(rpc, stack, case["id"], "test")
    assert {r["recipient_ref"]: r["unsubscribed"] for r in after}[mine["recipient_ref"]] is True
    assert all(not r["unsubscribed"] for r in read_recipients(rpc, stack, other["id"], "test"))


def test_the_reporter_of_a_merged_report_is_named_with_their_own_report(intake, rpc, stack, act):
    primary, duplicate = submit(rpc), submit(rpc)
    act(primary["id"], staff(), kind="accept")
    act(duplicate["id"], staff(), kind="merge", into=primary["code"], note="Trùng")
    recipients = read_recipients(rpc, stack, primary["id"], "test")
    assert sorted((r["role"], r["report_id"]) for r in recipients) == [
        ("follower", duplicate["id"]),
        ("reporter", None),
    ]  # notify opens the co-reporter's inbox by their report


class SlowRouting:
    """A test-only `routing` whose category list comes too late (CategoryCache waits 2 s)."""

    name = "routing"

    @rpc_entrypoint
    def list_categories(self) -> list[dict]:
        time.sleep(4)
        return [{"code": "ONLY_FROM_ROUTING"}]


class Routing:
    name = "routing"

    @rpc_entrypoint
    def list_categories(self) -> list[dict]:
        return [{"code": "ONLY_FROM_ROUTING"}]


@pytest.mark.parametrize(
    ("routing", "known", "unknown"),
    [
        (None, "GIAO_THONG_HA_TANG", "ONLY_FROM_ROUTING"),  # no routing on the broker: the seed list at once
        (SlowRouting, "GIAO_THONG_HA_TANG", "ONLY_FROM_ROUTING"),  # too slow: the seed list after the bound
        (Routing, "ONLY_FROM_ROUTING", "GIAO_THONG_HA_TANG"),  # routing's directory wins
    ],
)
def test_categories_come_from_routing_within_a_bound_else_from_the_seed(
    routing, known, unknown, container_factory, start_service, stack, rpc
):
    if routing is not None:
        container_factory(routing, {"AMQP_URI": stack.amqp_uri}).start()
    start_service(IntakeService)
    started = time.monotonic()
    unknown_error = pytest.raises(RemoteError, lambda: submit(rpc, category=unknown))
    assert "UNKNOWN_CATEGORY" in str(unknown_error.value) and time.monotonic() - started < 3.5
    assert submit(rpc, category=known)["status"] == "CHO_TIEP_NHAN"

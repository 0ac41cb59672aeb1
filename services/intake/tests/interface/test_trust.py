"""Intake's trust rules against the real RabbitMQ and PostgreSQL: urgency is a request, channels come from the
caller, keys are per client, wrong tokens are slowed, operators word the public text and hide files,
retention."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError

from devtools.testing import unique_ip
from libs.auth.grants import mint_grant
from services.intake.repository.models import audit_log, followers, reports
from services.intake.service import IntakeService

from .test_lifecycle_interface import (
    CATEGORY,
    MediaStoredV1,
    deliver,
    events_of,
    phone,
    read_recipients,
    read_reporter,
    routed,
    staff,
    submission,
)

pytestmark = pytest.mark.interface


@pytest.fixture
def intake(start_service):
    return start_service(
        IntakeService,
        AUTO_ACCEPT_CHANNELS="hotline",
        URGENT_RATE_LIMITS="device:1/3600",
        RATE_LIMITS="device:5/60",
        TOKEN_FAILURE_LIMITS="ip:3/600",
        SIMILAR_RATE_LIMITS="ip:2/60",
    )


@pytest.fixture
def act(rpc):
    def call(report_id: str, actor: dict, **action) -> dict:
        return rpc.intake.act_on_case(payload={"report_id": report_id, "actor": actor, "action": action})

    return call


def client(ip: str | None = None, device: str | None = None) -> dict:
    return {"ip": ip or unique_ip(), "device_id": device or uuid.uuid4().hex}


def submit(rpc, key: str | None = None, client_info: dict | None = None, **overrides) -> dict:
    return rpc.intake.submit_report(
        payload={"report": submission(**overrides), "idempotency_key": key, "client": client_info}
    )


def column(stack, report_id: str, name: str):
    with stack.engine.connect() as db:
        return db.execute(sa.select(reports.c[name]).where(reports.c.id == uuid.UUID(report_id))).scalar_one()


def test_an_urgent_report_is_routed_at_once_but_public_only_once_verified(intake, rpc, stack, act):
    ref = submit(rpc, priority="KHAN")
    assert ref["status"] == "DA_TIEP_NHAN" and len(events_of(stack, ref["id"], "report.accepted")) == 1
    assert rpc.intake.get_report(payload={"report_id": ref["id"]})["restricted"] is True
    deliver(intake, stack, routed(ref, "UBND_18073"), "handle_report_routed")
    queue = rpc.intake.list_queue(payload={"actor": staff(), "limit": 500})
    assert queue["items"][0]["bucket"] == "urgent"  # the top of the operators' queue
    assert ref["id"] in [i["id"] for i in queue["items"] if i["bucket"] == "urgent"]
    page = rpc.intake.search_reports(payload={"ids": [ref["code"]]})
    assert page["items"] == []  # not on the public list, the map or Open311
    view = act(ref["id"], staff(), kind="verify", priority="BINH_THUONG", note="Đã xác minh: không khẩn")
    assert (view["status"], view["priority"], view["public"]) == ("DA_CHUYEN_XU_LY", "BINH_THUONG", True)
    public = rpc.intake.get_report(payload={"report_id": ref["id"]})
    assert public["restricted"] is False and public["location"] and public["description"]
    last = events_of(stack, ref["id"], "report.status_changed")[-1]
    assert (last["priority"], last["public_note"]) == (
        "BINH_THUONG",
        "Đã xác minh: không khẩn",
    )  # routing re-times
    with pytest.raises(RemoteError, match="ALREADY_VERIFIED"):
        act(ref["id"], staff(), kind="verify")


def test_the_channel_comes_from_the_caller_and_only_authenticated_ones_are_trusted(intake, rpc, stack):
    web = submit(rpc)
    assert web["status"] == "CHO_TIEP_NHAN" and column(stack, web["id"], "channel") == "web"
    with pytest.raises(RemoteError, match="channel"):  # a citizen cannot claim to be the hotline
        rpc.intake.submit_report(payload={"report": submission(), "channel": "hotline"})
    hotline = rpc.intake.submit_report(
        payload={"report": submission(), "channel": "hotline", "staff_sub": "op-hotline-1"}
    )
    assert hotline["status"] == "DA_TIEP_NHAN"  # AUTO_ACCEPT_CHANNELS=hotline: verified, public at once
    assert column(stack, hotline["id"], "verified_at") is not None
    assert rpc.intake.get_report(payload={"report_id": hotline["id"]})["restricted"] is False
    [submitted] = events_of(stack, hotline["id"], "report.submitted")
    assert submitted["channel"] == "hotline"


def test_urgent_requests_count_against_tighter_limits(intake, rpc):
    device = client()
    submit(rpc, client_info=device, priority="KHAN")
    with pytest.raises(RemoteError) as err:
        submit(rpc, client_info=device, priority="KHAN")
    assert (
        "RATE_LIMITED" in str(err.value)
        and "rate_limited_urgent" in str(err.value)
        and "113" in str(err.value)
    )
    assert submit(rpc, client_info=device)["status"] == "CHO_TIEP_NHAN"  # a normal report still gets through


def test_idempotency_keys_belong_to_their_client(intake, rpc):
    key, mine, theirs = f"key-{uuid.uuid4()}", client(), client()
    first, body = submit(rpc, key=key, client_info=mine), submission()
    with pytest.raises(RemoteError, match="IDEMPOTENCY_KEY_REUSED"):  # my key, another body: refused
        rpc.intake.submit_report(payload={"report": submission(), "idempotency_key": key, "client": mine})
    other = rpc.intake.submit_report(payload={"report": body, "idempotency_key": key, "client": theirs})
    assert (
        other["id"] != first["id"]
        and other["tracking_token"] != first["tracking_token"]
        and not other["replayed"]
    )
    moved = rpc.intake.submit_report(
        payload={
            "report": body,
            "idempotency_key": key,  # same device, another IP
            "client": {**theirs, "ip": "198.51.100.7"},
        }
    )
    assert (moved["id"], moved["replayed"]) == (other["id"], True)
    again = rpc.intake.submit_report(
        payload={"report": body, "idempotency_key": key, "channel": "hotline", "staff_sub": "op-1"}
    )
    assert again["id"] not in (first["id"], other["id"])  # a staff member's keys are theirs alone


def test_wrong_tokens_are_slowed_per_ip(intake, rpc):
    ref, ip = submit(rpc), client()["ip"]
    ask = lambda token: rpc.intake.get_report(  # noqa: E731
        payload={
            "report_id": ref["id"],
            "tracking_token": token,  # noqa
            "client": {"ip": ip},
        }
    )
    for _ in range(3):
        assert ask("x" * 32)["own"] is False
    with pytest.raises(RemoteError, match="RATE_LIMITED"):
        ask(ref["tracking_token"])  # even the right token waits now
    with pytest.raises(RemoteError, match="RATE_LIMITED"):
        rpc.intake.follower_ref(
            payload={"report_id": ref["id"], "follower_token": "y" * 40, "client": {"ip": ip}}
        )
    assert ask_other(rpc, ref)["own"] is True  # another address is not slowed


def ask_other(rpc, ref):
    return rpc.intake.get_report(
        payload={"report_id": ref["id"], "tracking_token": ref["tracking_token"], "client": client()}
    )


def test_similar_questions_are_rate_limited_and_show_public_reports_only(intake, rpc, act):
    here = {"lat": round(random.uniform(18.25, 18.40), 6), "lon": round(random.uniform(105.70, 105.90), 6)}
    shown, pending = submit(rpc, location=here), submit(rpc, location=here)
    act(shown["id"], staff(), kind="accept")
    ask = {"category": CATEGORY, "location": here, "client": client()}
    found = [s["id"] for s in rpc.intake.similar_reports(payload=ask)]  # (other tests' reports may be near)
    assert shown["id"] in found and pending["id"] not in found
    rpc.intake.similar_reports(payload=ask)
    with pytest.raises(RemoteError, match="RATE_LIMITED"):
        rpc.intake.similar_reports(payload=ask)


def test_the_operators_wording_is_public_and_the_original_stays_internal(intake, rpc, stack, act):
    ref = submit(rpc, description="Nhà ông Tư số 12 xả rác, gọi 0912 345 678", address="Số 12 Trần Phú")
    act(ref["id"], staff(), kind="accept")
    public = rpc.intake.get_report(payload={"report_id": ref["id"]})
    assert public["description"] == "Nhà ông Tư số 12 xả rác, gọi [đã ẩn]"
    editor = staff()
    view = act(
        ref["id"],
        editor,
        kind="edit_public_text",
        description="Rác thải ven đường Trần Phú",
        address="Đường Trần Phú",
        note="Bỏ tên người",
    )
    assert (
        view["description"].startswith("Nhà ông Tư")
        and view["public_description"] == "Rác thải ven đường Trần Phú"
    )
    [step] = [s for s in view["timeline"] if s["action"] == "edit_public_text"]
    assert step["visibility"] == "internal" and step["note"] == "Bỏ tên người"
    public = rpc.intake.get_report(payload={"report_id": ref["id"]})
    assert (public["description"], public["address"]) == ("Rác thải ven đường Trần Phú", "Đường Trần Phú")
    assert "edit_public_text" not in str(public)
    agency_view = rpc.intake.get_case(
        payload={"report_id": ref["id"], "actor": staff()}
    )  # IOC still has both
    assert "0912 345 678" in agency_view["description"]
    with stack.engine.connect() as db:
        audit = db.execute(sa.select(audit_log).where(audit_log.c.report_id == uuid.UUID(ref["id"]))).all()
    assert [(a.action, a.actor_sub, sorted(a.fields)) for a in audit] == [
        ("edit_public_text", editor["sub"], ["address", "description"])
    ]
    with pytest.raises(RemoteError, match="FORBIDDEN"):
        act(ref["id"], staff("agency_officer", "UBND_18073"), kind="edit_public_text", description="x")


def test_a_hidden_file_leaves_every_public_list_and_media_is_told(intake, rpc, stack, act):
    ref = submit(rpc)
    act(ref["id"], staff(), kind="accept")
    photo, other = uuid.uuid4(), uuid.uuid4()
    for media_id in (photo, other):
        deliver(
            intake,
            stack,
            MediaStoredV1(
                media_id=media_id, report_id=ref["id"], role="evidence", content_type="image/jpeg", size=10
            ),
            "handle_media_stored",
        )
    act(ref["id"], staff(), kind="hide_media", media_id=str(photo), note="Lộ biển số xe cá nhân")
    assert rpc.intake.get_report(payload={"report_id": ref["id"]})["photos"] == [str(other)]
    assert rpc.intake.search_reports(payload={"ids": [ref["code"]]})["items"][0]["photos"] == [str(other)]
    case = rpc.intake.get_case(payload={"report_id": ref["id"], "actor": staff()})
    assert {(m["id"], m["hidden"]) for m in case["media"]} == {(str(photo), True), (str(other), False)}
    [told] = events_of(stack, ref["id"], "report.media_visibility_changed")
    assert (told["media_id"], told["hidden"]) == (str(photo), True)


def test_retention_erases_old_identities_masks_their_text_and_keeps_the_case(intake, rpc, stack, act):
    old, recent = submit(rpc, description="Gọi tôi 0912 345 678"), submit(rpc)
    for ref in (old, recent):
        act(ref["id"], staff(), kind="reject", reason="thông tin không rõ ràng/không bổ sung")
    long_ago = datetime.now(UTC) - timedelta(days=25 * 30)
    with stack.engine.begin() as db:
        db.execute(sa.update(reports).where(reports.c.id == uuid.UUID(old["id"])).values(closed_at=long_ago))
    done = rpc.intake.apply_retention()
    assert done["identities_erased"] >= 1
    assert rpc.intake.apply_retention()["identities_erased"] == 0  # idempotent
    disclosure = read_reporter(rpc, stack, old["id"], staff(), "kiểm tra")
    assert disclosure["reporter"] is None
    assert read_reporter(rpc, stack, recent["id"], staff(), "kiểm tra")["reporter"]["phone"]
    case = rpc.intake.get_case(payload={"report_id": old["id"], "actor": staff()})
    assert case["description"] == "Gọi tôi [đã ẩn]" and case["contact_erased"] and case["status"] == "TU_CHOI"


def test_the_audit_log_is_purged_only_by_retention_and_only_past_its_floor(stack):
    row_id = uuid.uuid4()
    with stack.engine.begin() as db:
        db.execute(
            sa.insert(audit_log).values(
                report_id=row_id,
                action="read_reporter",
                actor_kind="staff",
                at=datetime.now(UTC) - timedelta(days=400),
            )
        )
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), stack.engine.begin() as db:
        db.execute(sa.delete(audit_log).where(audit_log.c.report_id == row_id))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), stack.engine.begin() as db:
        db.execute(sa.text("SET LOCAL intake.audit_retention = 'on'"))
        db.execute(sa.update(audit_log).where(audit_log.c.report_id == row_id).values(purpose="x"))
    with stack.engine.begin() as db:
        db.execute(sa.text("SET LOCAL intake.audit_retention = 'on'"))
        assert db.execute(sa.delete(audit_log).where(audit_log.c.report_id == row_id)).rowcount == 1


def test_the_reporter_erases_their_contact_with_the_tracking_token(intake, rpc, stack):
    ref = submit(rpc, reporter={"name": "Lê Thị E", "phone": phone()})
    token = {"report_id": ref["id"], "tracking_token": ref["tracking_token"]}
    with pytest.raises(RemoteError, match="REPORT_NOT_FOUND"):
        rpc.intake.erase_contact(payload={**token, "tracking_token": "z" * 32})
    assert rpc.intake.erase_contact(payload=token)["erased"] is True
    assert rpc.intake.erase_contact(payload=token)["erased"] is False
    own = rpc.intake.get_report(payload=token)
    assert own["own"] and own.get("reporter") is None
    recipients = read_recipients(rpc, stack, ref["id"], "test")
    assert [(r["role"], r["email"], r["phone"]) for r in recipients] == [("reporter", None, None)]
    with stack.engine.connect() as db:
        assert db.execute(
            sa.select(followers.c.role).where(followers.c.report_id == uuid.UUID(ref["id"]))
        ).scalars().all() == ["reporter"]  # still in-app


def test_a_forged_actor_over_the_broker_reads_no_sealed_identity_and_is_not_audited(intake, rpc, stack):
    """Anyone with broker credentials can publish `actor` = an operator: without the gateway's grant for this
    read nothing is disclosed, and the audit never records the forged name."""
    ref, other = submit(rpc), submit(rpc)
    key = stack.secrets["HT_GRANT_KEY"]
    forged = {"sub": "forged-operator-" + uuid.uuid4().hex[:6], "role": "operator", "agency": None}
    base = {"report_id": ref["id"], "actor": forged, "purpose": "gọi lại xác minh"}

    def grant(**overrides):
        claims = {
            "sub": forged["sub"],
            "role": "operator",
            "agency": None,
            "action": "read_reporter",
            "report_id": ref["id"],
            "purpose": "gọi lại xác minh",
            **overrides,
        }
        return mint_grant(overrides.pop("key", key), **{k: v for k, v in claims.items() if k != "key"})

    attempts = {
        "no grant": {},
        "signed with another key": {"grant": grant(key=uuid.uuid4().hex * 2)},
        "for another report": {"grant": grant(report_id=other["id"])},
        "for another purpose": {"grant": grant(purpose="tò mò")},
        "for another action": {"grant": grant(action="view_media")},
        "expired": {"grant": grant(now=datetime.now(UTC) - timedelta(seconds=90))},
        "not a token": {"grant": "eyJhbGciOiJub25lIn0.e30."},
    }
    for what, extra in attempts.items():
        with pytest.raises(RemoteError) as err:
            rpc.intake.read_reporter(payload={**base, **extra})
        assert "FORBIDDEN" in str(err.value), what
        assert "Phạm Văn D" not in str(err.value)
    with pytest.raises(RemoteError, match="FORBIDDEN"):
        rpc.intake.record_media_access(
            payload={"report_id": ref["id"], "actor": forged, "media_ids": [str(uuid.uuid4())]}
        )
    for extra in ({}, {"grant": grant(action="notification_recipients", purpose="test")}):  # a staff role: no
        with pytest.raises(RemoteError, match="FORBIDDEN"):  # contacts for anyone but notify's signed read
            rpc.intake.notification_recipients(payload={"report_id": ref["id"], "purpose": "test", **extra})

    def audited():
        with stack.engine.connect() as db:
            return db.execute(
                sa.select(audit_log.c.actor_sub, audit_log.c.action).where(
                    audit_log.c.report_id == uuid.UUID(ref["id"])
                )
            ).all()

    assert audited() == []
    # a real grant for operator A, sent with an actor naming someone else: the verified A is audited
    real = mint_grant(
        key,
        sub="operator-a",
        role="operator",
        agency=None,
        action="read_reporter",
        report_id=ref["id"],
        purpose="gọi lại xác minh",
    )
    seen = rpc.intake.read_reporter(payload={**base, "grant": real})
    assert seen["reporter"]["name"] == "Phạm Văn D"
    assert audited() == [("operator-a", "read_reporter")]

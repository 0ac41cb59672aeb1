"""Citizens told at every step: language, channels (e-mail, SMS gateway, in-app), unsubscribe, quiet hours,
and intake (asked for contacts at send time) being away."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from services.notify.domain import templates
from services.notify.repository.models import notices
from services.notify.tests.loopback import LoopbackServer

from .helpers import (  # noqa: F401
    OPERATOR,
    FakeIntake,
    deliveries,
    fake_intake,
    person,
    publish,
    start_notify,
    status_changed,
    wait_for,
)

pytestmark = pytest.mark.interface


def citizen_rows(rpc, report_id, **filters) -> list[dict]:
    return deliveries(rpc, report_id, audience="citizen", **filters)


def inbox(rpc, report_id, recipient_ref: str | None = None) -> list[dict]:
    """The reporter's inbox of a report, or with `recipient_ref` that follower's inbox of the case."""
    return rpc.notify.list_inbox(payload={"report_id": str(report_id), "recipient_ref": recipient_ref})


@pytest.fixture
def servers(tmp_path):
    with LoopbackServer("smtp", tmp_path) as smtp, LoopbackServer("sms", tmp_path) as sms:
        yield smtp, sms


def mail_settings(smtp, sms) -> dict:
    return {
        "NOTIFY_SMTP_HOST": "127.0.0.1",
        "NOTIFY_SMTP_PORT": str(smtp.port),
        "NOTIFY_SMS_URL": f"{sms.url}/send",
        "NOTIFY_SMS_OK_FIELD": "CodeResult",
        "NOTIFY_SMS_OK_VALUE": "100",
    }


def test_every_step_reaches_each_follower_in_their_language_on_their_channels(
    servers, start_notify, fake_intake, rpc, stack
):
    smtp, sms = servers
    start_notify(**mail_settings(smtp, sms))
    case, merged, code = uuid.uuid4(), uuid.uuid4(), f"HT-2026-{uuid.uuid4().int % 10**6:06d}"
    reporter = person("en")  # e-mail + in-app (the case's own reporter)
    follower = person(
        "vi", email=False, phone=True, role="follower"
    )  # SMS only (no follower token: no inbox)
    co_reporter = person("vi", email=False, report_id=merged)  # merged duplicate, anonymous: in-app only
    me_too = {**person("en", email=False, role="follower"), "inbox": True}  # follower token: in-app only
    fake_intake.RECIPIENTS[str(case)] = [reporter, follower, co_reporter, me_too]
    steps = [
        ("CHO_TIEP_NHAN", "CHO_BO_SUNG", {"public_note": "Vui lòng chụp thêm ảnh rõ vị trí ổ gà."}),
        ("CHO_BO_SUNG", "CHO_TIEP_NHAN", {"actor_role": "citizen"}),  # the citizen's own step: nothing
        ("CHO_TIEP_NHAN", "DA_TIEP_NHAN", {}),
        (
            "DA_XU_LY",
            "DA_CONG_KHAI",
            {"public_note": "Đã vá ổ gà, hoàn trả mặt đường.", "agency_code": "UBND_18073"},
        ),
    ]
    for frm, to, extra in steps:
        publish(stack, status_changed(case, code, frm, to, **extra))
    mails = wait_for(smtp.received, lambda m: len(m) >= 3, what="three e-mails")
    texts = wait_for(sms.received, lambda m: len(m) >= 3, what="three SMS")
    mine = wait_for(lambda: inbox(rpc, case), lambda m: len(m) >= 3, what="the reporter's inbox")
    theirs = wait_for(lambda: inbox(rpc, merged), lambda m: len(m) >= 3, what="the co-reporter's inbox")
    followed = wait_for(
        lambda: inbox(rpc, case, me_too["recipient_ref"]),
        lambda m: len(m) >= 3,
        what="the me-too follower's inbox",
    )

    assert {m["rcpt_tos"][0] for m in mails} == {reporter["email"]}
    assert sorted(m["subject"] for m in mails) == sorted(
        [
            f"[{code}] More information needed for the report",
            f"[{code}] Report accepted",
            f"[{code}] Report resolved",
        ]
    )
    assert any("Vui lòng chụp thêm ảnh rõ vị trí ổ gà." in m["text"] for m in mails)
    assert {t["json"]["to"] for t in texts} == {follower["phone"]}
    assert all(t["json"]["text"].isascii() and templates.sms_segments(t["json"]["text"]) == 1 for t in texts)
    assert any(t["json"]["text"].startswith(f"Phan anh {code} da duoc tiep nhan") for t in texts)
    assert {m["language"] for m in mine} == {m["language"] for m in followed} == {"en"}
    assert {m["language"] for m in theirs} == {"vi"} and inbox(rpc, case, follower["recipient_ref"]) == []
    assert {m["id"] for m in followed}.isdisjoint({m["id"] for m in mine})  # each reads their own messages
    assert (
        {m["template"] for m in mine}
        == {m["template"] for m in theirs}
        == {m["template"] for m in followed}
        == {"info_requested", "case_accepted", "result_published"}
    )
    assert all(
        "Unsubscribe" not in m["body"] for m in mine
    )  # the inbox shows the message, not the e-mail footer
    assert len(inbox(rpc, case)) == 3 and inbox(rpc, uuid.uuid4()) == []
    after = mine[-1]["id"]
    assert rpc.notify.list_inbox(payload={"report_id": str(case), "after": after}) == []

    reminder = "SELECT state FROM notify.notices WHERE report_id = :r AND template = 'rating_reminder'"
    with stack.engine.connect() as db:
        assert (
            db.execute(sa.text(reminder), {"r": case}).scalar_one() == "pending"
        )  # due 5 days after publishing
    publish(stack, status_changed(case, code, "DA_CONG_KHAI", "DA_DANH_GIA", actor_role="citizen"))
    wait_for(
        lambda: stack.engine.connect().execute(sa.text(reminder), {"r": case}).scalar_one(),
        lambda s: s == "cancelled",
        what="the reminder cancelled by the rating",
    )
    asked = [purpose for report, purpose in FakeIntake.CALLS if report == str(case)]
    assert sorted(asked) == sorted(
        ["notify:info_requested", "notify:case_accepted", "notify:result_published"]
    )


def test_an_unsubscribe_link_stops_email_about_that_case_but_not_the_inbox(
    servers, start_notify, fake_intake, rpc, stack
):
    smtp, sms = servers
    start_notify(**mail_settings(smtp, sms))
    case, other, code = uuid.uuid4(), uuid.uuid4(), f"HT-2026-{uuid.uuid4().int % 10**6:06d}"
    reporter = person("vi")
    fake_intake.RECIPIENTS[str(case)] = [reporter]
    fake_intake.RECIPIENTS[str(other)] = [{**reporter, "recipient_ref": reporter["recipient_ref"] + "-o"}]
    publish(stack, status_changed(case, code, "CHO_TIEP_NHAN", "DA_TIEP_NHAN"))
    publish(stack, status_changed(other, "HT-2026-000001", "CHO_TIEP_NHAN", "DA_TIEP_NHAN"))
    [first, _] = wait_for(smtp.received, lambda m: len(m) == 2, what="two acceptances")
    mail = next(m for m in smtp.received() if code in m["subject"])
    token = mail["headers"]["List-Unsubscribe"].strip().strip("<>").rsplit("/", 1)[1]
    done = rpc.notify.unsubscribe_link(payload={"token": token})
    assert done == {"report_id": str(case), "code": None, "unsubscribed": True}

    publish(stack, status_changed(case, code, "DA_XU_LY", "DA_CONG_KHAI", public_note="Đã xử lý xong."))
    publish(stack, status_changed(other, "HT-2026-000001", "DA_XU_LY", "DA_CONG_KHAI", public_note="Xong."))
    wait_for(lambda: inbox(rpc, case), lambda m: len(m) == 2, what="the inbox still told")
    wait_for(smtp.received, lambda m: len(m) == 3, what="the other case's mail")
    assert [m for m in smtp.received() if code in m["subject"]] == [mail]  # nothing more about this case
    with pytest.raises(Exception) as unknown:
        rpc.notify.unsubscribe_link(payload={"token": "x" * 32})
    assert "NOT_FOUND" in str(unknown.value)


def test_quiet_hours_hold_non_urgent_email_until_morning_but_not_urgent_or_inapp(
    servers, start_notify, fake_intake, rpc, stack
):
    smtp, sms = servers
    local = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    window = f"{(local - timedelta(hours=1)):%H:%M}-{(local + timedelta(hours=2)):%H:%M}"
    start_notify(NOTIFY_QUIET_HOURS=window, **mail_settings(smtp, sms))
    calm, urgent = uuid.uuid4(), uuid.uuid4()
    for case in (calm, urgent):
        fake_intake.RECIPIENTS[str(case)] = [person("vi")]
    publish(stack, status_changed(calm, "HT-2026-000002", "CHO_TIEP_NHAN", "DA_TIEP_NHAN"))
    publish(stack, status_changed(urgent, "HT-2026-000003", "CHO_TIEP_NHAN", "DA_TIEP_NHAN", priority="KHAN"))
    wait_for(smtp.received, lambda m: len(m) == 1, what="the urgent e-mail")
    held = wait_for(lambda: citizen_rows(rpc, calm), lambda r: len(r) == 2, what="planned deliveries")
    by_channel = {d["channel"]: d for d in held}
    assert by_channel["inapp"]["state"] == "sent" and by_channel["email"]["state"] == "pending"
    wake = datetime.fromisoformat(by_channel["email"]["next_attempt_at"]).astimezone(local.tzinfo)
    assert f"{wake:%H:%M}" == window.split("-")[1] and wake > local
    assert [m["subject"] for m in smtp.received()] == ["[HT-2026-000003] Phản ánh đã được tiếp nhận"]


def test_when_intake_cannot_answer_the_notice_is_parked_visibly_and_an_operator_redelivers_it(
    servers, start_notify, container_factory, rpc, stack
):
    smtp, sms = servers
    start_notify(NOTIFY_CITIZEN_MAX_ATTEMPTS="2", NOTIFY_RPC_TIMEOUT_S="1", **mail_settings(smtp, sms))
    case, code = uuid.uuid4(), f"HT-2026-{uuid.uuid4().int % 10**6:06d}"
    publish(stack, status_changed(case, code, "CHO_TIEP_NHAN", "DA_TIEP_NHAN"))
    [parked] = wait_for(
        lambda: citizen_rows(rpc, case, state="failed"), bool, timeout=30, what="a parked notice"
    )
    assert (
        parked["channel"] == "none" and parked["kind"] == "citizen.case_accepted" and parked["attempts"] == 2
    )
    assert parked["last_error"] in ("unknown_service", "timeout")
    failed = rpc.notify.query_deliveries(
        payload={"state": "failed", "audience": "citizen", "actor": OPERATOR, "limit": 500}
    )
    assert parked["id"] in {d["id"] for d in failed}

    FakeIntake.RECIPIENTS[str(case)] = [person("en")]
    container_factory(FakeIntake, {"AMQP_URI": stack.amqp_uri}).start()
    rpc.notify.redeliver(payload={"delivery_id": parked["id"], "actor": OPERATOR})
    mails = wait_for(smtp.received, lambda m: any(code in x["subject"] for x in m), what="the e-mail at last")
    assert [m["subject"] for m in mails if code in m["subject"]] == [f"[{code}] Report accepted"]
    rows = citizen_rows(rpc, case)
    assert {(d["channel"], d["state"]) for d in rows} == {
        ("none", "skipped"),
        ("email", "sent"),
        ("inapp", "sent"),
    }
    with stack.engine.connect() as db:
        assert (
            db.execute(sa.select(notices.c.state).where(notices.c.report_id == case)).scalar_one()
            == "expanded"
        )

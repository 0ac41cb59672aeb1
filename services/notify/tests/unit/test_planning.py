"""What agencies and citizens are told, as tables: templates per step, channels, scopes, messages, e-mails."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from libs.contracts.directory import DirectoryNames, NamedEntry
from libs.contracts.events import ReportRoutedV1, ReportStatusChangedV1
from libs.contracts.notify import AgencyCaseMessageV1, NotificationRecipient
from services.notify.domain import agency, citizens, routingkeys, templates
from services.notify.domain.agency import CaseFacts
from services.notify.domain.names import NameBook

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)


def change(frm: str | None, to: str, role: str = "operator", **extra) -> ReportStatusChangedV1:
    return ReportStatusChangedV1(
        report_id=uuid.uuid4(),
        code=f"HT-2026-{secrets.randbelow(10**6):06d}",
        category="CHIEU_SANG",
        from_status=frm,
        to_status=to,
        actor_role=role,
        occurred_at=NOW,
        **extra,
    )


NOTE = "Đã thay bóng đèn."


@pytest.mark.parametrize(
    ("frm", "to", "role", "extra", "template", "field"),
    [
        ("CHO_TIEP_NHAN", "DA_TIEP_NHAN", "operator", {}, "case_accepted", None),
        ("CHO_TIEP_NHAN", "DA_TIEP_NHAN", "system", {}, "case_accepted", None),
        ("CHO_TIEP_NHAN", "CHO_BO_SUNG", "operator", {"public_note": NOTE}, "info_requested", "note"),
        ("CHO_TIEP_NHAN", "TU_CHOI", "operator", {"public_note": NOTE}, "case_rejected", "reason"),
        ("CHO_BO_SUNG", "TU_CHOI", "system", {}, "case_rejected", "reason"),
        (
            "DA_CHUYEN_XU_LY",
            "DANG_XU_LY",
            "agency_officer",
            {"agency_code": "UBND_18073"},
            "agency_progress",
            "note",
        ),
        ("DANG_XU_LY", "DANG_XU_LY", "agency_officer", {"public_note": NOTE}, "agency_progress", "note"),
        ("DANG_XU_LY", "DANG_XU_LY", "operator", {"extension_working_days": 3}, "agency_progress", "note"),
        ("DA_XU_LY", "DA_CONG_KHAI", "operator", {"public_note": NOTE}, "result_published", "result_summary"),
        ("DA_DANH_GIA", "DANG_XU_LY", "operator", {}, "reopen_approved", None),
        ("DA_DANH_GIA", "DA_DANH_GIA", "operator", {"public_note": NOTE}, "reopen_refused", "reason"),
    ],
)
def test_steps_the_citizen_hears_about(frm, to, role, extra, template, field):
    plan = citizens.plan_status_change(change(frm, to, role, **extra))
    assert plan is not None and plan.template == template
    if field:
        note = plan.values[field]
        assert note == extra.get("public_note", note) and note  # the public note, or a readable default
    values = {
        **plan.values,
        "category_name": "x",
        "agency_name": "UBND",
        "case_url": "https://h/c",
        "unsubscribe_url": "https://h/u",
        "rating_url": "https://h/r",
        "due_at": NOW,
    }
    for language in templates.LANGUAGES:
        templates.render(template, language, values)  # every planned notice renders in both languages


@pytest.mark.parametrize(
    ("frm", "to", "role", "extra"),
    [
        ("CHO_BO_SUNG", "CHO_TIEP_NHAN", "citizen", {}),  # the citizen's own answer
        ("DA_TIEP_NHAN", "DA_CHUYEN_XU_LY", "system", {}),  # told by report.routed (with the deadline)
        ("DA_CHUYEN_XU_LY", "TRA_LAI", "agency_officer", {"public_note": NOTE}),  # internal
        ("TRA_LAI", "DA_CHUYEN_XU_LY", "operator", {}),
        ("DANG_XU_LY", "DANG_XU_LY", "agency_officer", {}),  # extension request, co-handler: staff only
        ("DANG_XU_LY", "DANG_XU_LY", "operator", {}),  # extension refused
        ("DANG_XU_LY", "DA_XU_LY", "agency_officer", {}),  # result awaits the operator's review
        ("DA_XU_LY", "DANG_XU_LY", "operator", {}),  # sent back
        ("DA_CONG_KHAI", "DA_DANH_GIA", "citizen", {}),
        ("DA_CONG_KHAI", "DONG", "system", {}),
        ("DA_DANH_GIA", "DA_DANH_GIA", "citizen", {}),  # the citizen's own reopen request
    ],
)
def test_steps_the_citizen_is_not_told_about(frm, to, role, extra):
    assert citizens.plan_status_change(change(frm, to, role, **extra)) is None


def test_urgent_cases_skip_quiet_hours_and_routing_carries_the_deadline():
    assert citizens.plan_status_change(change("CHO_TIEP_NHAN", "DA_TIEP_NHAN", priority="KHAN")).urgent
    assert not citizens.plan_status_change(
        change("CHO_TIEP_NHAN", "DA_TIEP_NHAN", priority="BINH_THUONG")
    ).urgent
    event = ReportRoutedV1(
        report_id=uuid.uuid4(),
        code="HT-2026-000001",
        category="CHIEU_SANG",
        priority="KHAN",
        ward_code="18073",
        ward_approximate=True,
        agency_code="UBND_18073",
        reason="default",
        directory_version=1,
        due_at=NOW + timedelta(hours=4),
    )
    plan = citizens.plan_routed(event)
    assert (
        plan.template == "case_routed"
        and plan.urgent
        and citizens.revive(plan.values)["due_at"] == event.due_at
    )


def test_a_rating_reminder_is_planned_on_publication_and_ends_with_the_rating():
    published = change("DA_XU_LY", "DA_CONG_KHAI")
    plan = citizens.plan_rating_reminder(published, timedelta(days=7), timedelta(days=2))
    assert plan.template == "rating_reminder" and plan.delay == timedelta(days=5)
    assert citizens.revive(plan.values)["rating_due_at"] == NOW + timedelta(days=7)
    assert (
        citizens.plan_rating_reminder(change("CHO_TIEP_NHAN", "DA_TIEP_NHAN"), timedelta(7), timedelta(2))
        is None
    )
    assert citizens.ends_rating(change("DA_CONG_KHAI", "DA_DANH_GIA", "citizen"))
    assert citizens.ends_rating(change("DA_CONG_KHAI", "DONG", "system"))
    assert not citizens.ends_rating(change("DA_XU_LY", "DA_CONG_KHAI"))


def recipient(**fields) -> NotificationRecipient:
    return NotificationRecipient.model_validate({"recipient_ref": "r-1", "role": "reporter", **fields})


@pytest.mark.parametrize(
    ("fields", "inbox", "expected"),
    [
        ({"email": "a@example.vn", "phone": "0912345678"}, True, ["inapp", "email"]),
        ({"phone": "0912345678"}, True, ["inapp", "sms"]),
        ({}, True, ["inapp"]),
        ({"email": "a@example.vn"}, False, ["email"]),
        ({}, False, []),
    ],
)
def test_channels_of_a_recipient(fields, inbox, expected):
    assert citizens.channels_for(recipient(**fields), inbox) == expected


def test_the_inbox_belongs_to_the_reporters_own_report():
    case, own = uuid.uuid4(), uuid.uuid4()
    assert citizens.inbox_owner(recipient(), case) == case
    assert citizens.inbox_owner(recipient(role="follower"), case) is None
    assert citizens.inbox_owner(recipient(role="follower", report_id=str(own)), case) == own
    assert recipient(unknown_field="ignored", language=None).language is None  # intake may add fields


@dataclass
class Row:
    category: str | None
    enabled: bool = True
    kind: str = "webhook"


def test_category_specific_channels_win_over_catch_all_ones():
    catch_all, lights, off = Row(None), Row("CHIEU_SANG", kind="email"), Row("CHIEU_SANG", enabled=False)
    rows = [catch_all, lights, off]
    assert agency.pick_channels(rows, "CHIEU_SANG") == [lights]
    assert agency.pick_channels(rows, "CAY_XANH") == [catch_all]
    assert agency.pick_channels([off], "CHIEU_SANG") == []
    assert agency.pick_channels([], None) == []
    assert agency.recipients_of_routing("UBND_1", ["CA_1", "UBND_1", "CA_1"]) == ["UBND_1", "CA_1"]


@pytest.mark.parametrize(
    ("frm", "to", "role", "actor_agency", "agency_code", "update", "ack"),
    [
        ("DA_CHUYEN_XU_LY", "DANG_XU_LY", "agency_officer", "UBND_1", "UBND_1", False, True),
        ("DA_CHUYEN_XU_LY", "TRA_LAI", "agency_leader", "UBND_1", "UBND_1", False, True),
        ("DANG_XU_LY", "DANG_XU_LY", "agency_officer", "UBND_1", "UBND_1", False, False),
        ("DA_XU_LY", "DANG_XU_LY", "operator", None, "UBND_1", True, False),  # result sent back
        ("DA_DANH_GIA", "DANG_XU_LY", "operator", None, "UBND_1", True, False),  # reopened
        ("DANG_XU_LY", "DANG_XU_LY", "operator", None, "UBND_1", True, False),  # extension decided
        ("DA_XU_LY", "DA_CONG_KHAI", "operator", None, "UBND_1", True, False),
        ("DA_TIEP_NHAN", "DA_CHUYEN_XU_LY", "system", None, "UBND_1", False, False),  # case.routed says it
        ("CHO_TIEP_NHAN", "DA_TIEP_NHAN", "operator", None, None, False, False),  # no agency yet
    ],
)
def test_which_changes_reach_the_holding_agency_and_which_acknowledge_receipt(
    frm, to, role, actor_agency, agency_code, update, ack
):
    event = change(frm, to, role, actor_agency=actor_agency, agency_code=agency_code)
    assert agency.is_update_for_agency(event) is update
    assert agency.acknowledges_receipt(event) is ack


def facts(**over) -> CaseFacts:
    values = dict(
        report_id=uuid.uuid4(),
        code="HT-2026-000042",
        agency_code="UBND_18073",
        category="CHIEU_SANG",
        priority="KHAN",
        ward_code="18073",
        accept_due_at=NOW + timedelta(hours=8),
        due_at=NOW + timedelta(days=5),
    )
    return CaseFacts(**{**values, **over})


def test_one_message_for_every_channel_with_its_routing_key():
    delivery = uuid.uuid4()
    msg = agency.message("case.routed", delivery, facts(), "UBND_18073", NOW, "https://h/inbox/1")
    assert isinstance(msg, AgencyCaseMessageV1) and msg.delivery_id == delivery and msg.schema_version == 1
    assert agency.routing_key(msg) == "case.routed.UBND_18073.18073.CHIEU_SANG"
    assert routingkeys.topic_matches(routingkeys.agency_binding("UBND_18073"), agency.routing_key(msg))
    province = agency.message(
        "case.overdue",
        delivery,
        facts(ward_code=None, category=None),
        "SO_XD",
        NOW,
        "https://h/inbox/1",
        deadline="process",
        level=2,
        holding_agency="UBND_18073",
    )
    assert agency.routing_key(province) == "case.overdue.SO_XD._._"
    assert set(msg.model_dump()) & templates.REPORTER_FIELDS == set()


def name_book() -> NameBook:
    """Names as routing's `list_names` answers them."""
    book = NameBook(ttl_s=300)
    book.refresh(
        lambda: DirectoryNames(
            version=3,
            categories=[
                NamedEntry(code="CHIEU_SANG", name_vi="Chiếu sáng công cộng", name_en="Street lighting")
            ],
            agencies=[
                NamedEntry(
                    code="UBND_18073",
                    name_vi="UBND Phường Thành Sen",
                    name_en="People's Committee of Thành Sen Ward",
                )
            ],
            units=[NamedEntry(code="18073", name_vi="Phường Thành Sen", name_en="Thành Sen Ward")],
        ).model_dump(mode="json")
    )
    return book


@pytest.mark.parametrize(
    ("kind", "extra", "subject", "line"),
    [
        ("case.routed", {}, "[KHẨN] [HT-2026-000042] Phản ánh mới chuyển đến đơn vị", "Hạn xử lý:"),
        (
            "case.updated",
            {"public_note": "Đã duyệt gia hạn."},
            "[KHẨN] [HT-2026-000042] Cập nhật phản ánh",
            "Đã duyệt gia hạn.",
        ),
        (
            "case.due_soon",
            {"deadline": "accept"},
            "[HT-2026-000042] Phản ánh sắp đến hạn",
            "Hạn tiếp nhận sắp đến.",
        ),
        (
            "case.overdue",
            {"deadline": "process", "level": 2, "holding_agency": "UBND_18073"},
            "[QUÁ HẠN] [HT-2026-000042]",
            "Chuyển cấp: UBND Phường Thành Sen đã quá hạn",
        ),
    ],
)
def test_agency_emails_are_vietnamese_with_names_and_link_to_the_inbox(kind, extra, subject, line):
    msg = agency.message(
        kind,
        uuid.uuid4(),
        facts(),
        "SO_XD" if extra.get("level") == 2 else "UBND_18073",
        NOW,
        "https://h/co-quan/1",
        **extra,
    )
    mail = agency.email(msg, name_book())
    assert mail.subject.startswith(subject) and line in mail.text
    assert (
        mail.subject.endswith("Chiếu sáng công cộng – Phường Thành Sen") and "Phường Thành Sen" in mail.text
    )
    assert "https://h/co-quan/1" in mail.text and "18073" not in mail.subject
    assert "Hủy đăng ký" not in mail.text


def test_without_names_from_routing_agency_emails_show_codes():
    msg = agency.message(
        "case.overdue",
        uuid.uuid4(),
        facts(),
        "SO_XD",
        NOW,
        "https://h/co-quan/1",
        deadline="process",
        level=2,
        holding_agency="UBND_18073",
    )
    book = NameBook(ttl_s=300)
    book.refresh(lambda: None)  # routing could not answer
    mail = agency.email(msg, book)
    assert mail.subject.endswith("CHIEU_SANG – 18073") and "Chuyển cấp: UBND_18073 đã quá hạn" in mail.text


def test_the_inbox_body_is_the_message_without_the_email_footer():
    values = {
        "code": "HT-2026-000007",
        "category_name": "x",
        "case_url": "https://h/c",
        "unsubscribe_url": "https://h/u",
    }
    msg = templates.render("case_accepted", "vi", values)
    assert (
        msg.body
        and msg.text.startswith(msg.body)
        and "https://h/u" in msg.text
        and "https://h/u" not in msg.body
    )


def test_an_agency_queue_is_provisioned_read_only_for_its_own_user():
    from services.notify.channels.amqp import agency_queue, broker_commands

    queue = agency_queue("ubnd_18073")
    assert (queue.name, queue.routing_key, queue.exchange.name) == (
        "agency.UBND_18073",
        "case.*.UBND_18073.#",
        "agency.cases",
    )
    assert queue.durable and not queue.auto_delete
    add, grant = broker_commands("UBND_18073", "hientruong")
    assert add.startswith("rabbitmqctl add_user agency_ubnd_18073 ")
    assert (
        grant
        == "rabbitmqctl set_permissions -p hientruong agency_ubnd_18073 '^$' '^$' '^agency\\.UBND_18073$'"
    )


def test_a_follower_has_an_inbox_only_with_a_follower_token():
    case = uuid.uuid4()
    reporter, follower, with_token = (
        recipient(),
        recipient(role="follower"),
        recipient(role="follower", inbox=True),
    )
    assert citizens.has_inbox(reporter, citizens.inbox_owner(reporter, case))
    assert not citizens.has_inbox(follower, citizens.inbox_owner(follower, case))
    assert citizens.has_inbox(with_token, citizens.inbox_owner(with_token, case))
    assert citizens.channels_for(with_token, citizens.has_inbox(with_token, None)) == ["inapp"]

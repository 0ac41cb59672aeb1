"""Message templates: both languages, no leftovers, sealed reporter data, SMS length."""

from __future__ import annotations

import random
import re
import secrets as rnd
from datetime import UTC, date, datetime, timedelta

import pytest

from services.notify.domain import templates as t
from services.notify.domain.templates import TemplateError

ALL = t.AGENCY_TEMPLATES + t.CITIZEN_TEMPLATES


def make_values(**overrides) -> dict:
    """Every field any template uses, with random codes and realistic Vietnamese text."""
    token = rnd.token_urlsafe(8)
    code = f"HT-2026-{random.randrange(10**6):06d}"
    due = datetime(2026, 3, 20, 10, 0, tzinfo=UTC) + timedelta(hours=random.randrange(200))
    values = {
        "code": code,
        "category_name": {"vi": "Hạ tầng giao thông", "en": "Road & transport infrastructure"},
        "ward_name": "Phường Thành Sen",
        "agency_name": {"vi": "UBND phường Thành Sen", "en": "Thanh Sen Ward People's Committee"},
        "due_at": due,
        "rating_due_at": due + timedelta(days=7),
        "inbox_url": f"https://ht.example.vn/co-quan/phan-anh/{code}",
        "case_url": f"https://ht.example.vn/t/{token}",
        "unsubscribe_url": f"https://ht.example.vn/huy/{token}",
        "rating_url": f"https://ht.example.vn/dg/{token}",
        "note": "Đề nghị chụp thêm ảnh rõ vị trí ổ gà.",
        "reason": "Nội dung là khiếu nại, không thuộc phạm vi phản ánh hiện trường.",
        "result_summary": "Đã vá ổ gà, hoàn trả mặt đường ngày 18/03.",
    }
    values.update(overrides)
    return values


REPORTER = {
    "reporter_name": "Nguyễn Thị Hoa",
    "reporter_phone": "0912345678",
    "reporter_email": "hoa.nguyen@example.vn",
    "phone": "+84912345678",
    "device_id": "dev-7f3a9c",
    "tracking_token": "trk-5b1e2d",
}


def all_text(msg: t.RenderedMessage) -> str:
    """Subject, body and SMS together."""
    return "\n".join((msg.subject, msg.text, msg.sms))


@pytest.mark.parametrize("language", t.LANGUAGES)
@pytest.mark.parametrize("template", ALL)
def test_every_template_renders_without_leftovers(template, language):
    values = make_values()
    msg = t.render(template, language, values)
    assert msg.language == language and msg.template == template
    for part in (msg.subject, msg.text, msg.sms):
        assert part.strip()
        assert not re.search(r"[{}]", part), part  # no placeholder left behind
    assert "\n" not in msg.subject
    assert values["code"] in msg.subject and values["code"] in msg.sms


@pytest.mark.parametrize("language", t.LANGUAGES)
@pytest.mark.parametrize("template", ALL)
def test_sms_is_one_gsm7_segment(template, language):
    long_text = "Người dân phản ánh ổ gà rất lớn, nguy hiểm cho xe máy vào ban đêm; " * 5
    values = make_values(
        note=long_text,
        reason=long_text,
        result_summary=long_text,
        agency_name="Ủy ban nhân dân phường Thành Sen, thành phố Hà Tĩnh, tỉnh Hà Tĩnh",
        priority="KHAN",
    )
    sms = t.render(template, language, values).sms
    assert t.gsm7_length(sms) is not None and t.gsm7_length(sms) <= 160
    assert sms.isascii()
    assert t.sms_segments(sms) == 1
    assert values["code"] in sms
    link = values["inbox_url"] if template in t.AGENCY_TEMPLATES else None
    if link:
        assert link in sms  # links are never cut


@pytest.mark.parametrize("language", t.LANGUAGES)
def test_long_free_text_is_shortened_with_ellipsis(language):
    note = "Vui lòng gửi thêm ảnh chụp rõ vị trí và kích thước ổ gà. " * 6
    values = make_values(note=note)
    msg = t.render("info_requested", language, values)
    assert "..." in msg.sms and values["case_url"] in msg.sms
    assert note.strip() in msg.text  # the e-mail keeps the whole note


@pytest.mark.parametrize("language", t.LANGUAGES)
def test_agency_template_never_carries_reporter_data(language):
    msg = t.render("agency_case_routed", language, make_values(**REPORTER))
    text = all_text(msg)
    for value in REPORTER.values():
        assert value not in text
        assert t.fold_vietnamese(value) not in text
    assert "unsubscribe" not in msg.text.lower() and "Hủy đăng ký" not in msg.text


def test_catalogue_check_passes_and_agency_fields_exclude_reporter_fields():
    t.check_catalogue()
    assert not t.required_fields("agency_case_routed") & t.REPORTER_FIELDS
    assert t.required_fields("agency_case_routed") == {
        "code",
        "category_name",
        "ward_name",
        "due_at",
        "inbox_url",
    }


@pytest.mark.parametrize("template", t.CITIZEN_TEMPLATES)
@pytest.mark.parametrize(("language", "line"), [("vi", "Hủy đăng ký: "), ("en", "Unsubscribe: ")])
def test_citizen_messages_have_a_per_case_unsubscribe_line(template, language, line):
    values = make_values()
    assert line + values["unsubscribe_url"] in t.render(template, language, values).text


@pytest.mark.parametrize(
    ("template", "language", "snippet"),
    [
        ("case_accepted", "vi", "đã được xác minh và tiếp nhận"),
        ("case_accepted", "en", "has been verified and accepted"),
        ("case_rejected", "vi", "Lý do:\n\nNội dung là khiếu nại"),
        ("reopen_refused", "en", "Reason:\n\nNội dung là khiếu nại"),
        ("reopen_approved", "vi", "chuyển lại cho UBND phường Thành Sen"),
        ("reopen_approved", "en", "back with Thanh Sen Ward People's Committee"),
        ("agency_case_routed", "vi", "Lĩnh vực: Hạ tầng giao thông\nĐịa bàn: Phường Thành Sen"),
        ("agency_case_routed", "en", "Category: Road & transport infrastructure"),
        ("rating_request", "vi", "Hài lòng, Chấp nhận hoặc Không hài lòng"),
    ],
)
def test_wording_and_language_specific_values(template, language, snippet):
    assert snippet in t.render(template, language, make_values()).text


@pytest.mark.parametrize(
    ("language", "expected"),
    [("vi", "17:00 ngày 20/03/2026"), ("en", "17:00, 20 Mar 2026")],
)
def test_datetimes_show_in_vietnam_time(language, expected):
    values = make_values(due_at=datetime(2026, 3, 20, 10, 0, tzinfo=UTC))
    assert expected in t.render("case_routed", language, values).text


def test_dates_and_naive_datetimes():
    values = make_values(due_at=date(2026, 3, 20))
    assert "20/03/2026" in t.render("case_routed", "vi", values).text
    with pytest.raises(TemplateError):
        t.render("case_routed", "vi", make_values(due_at=datetime(2026, 3, 20, 10, 0)))


@pytest.mark.parametrize(("priority", "tagged"), [("KHAN", True), ("BINH_THUONG", False), (None, False)])
def test_urgent_tag_on_agency_messages(priority, tagged):
    msg = t.render("agency_case_routed", "vi", make_values(priority=priority))
    assert msg.subject.startswith("[KHẨN] ") is tagged
    assert msg.sms.startswith("[KHAN] ") is tagged


@pytest.mark.parametrize("field", ["code", "case_url", "unsubscribe_url", "reason"])
def test_missing_value_is_named(field):
    values = make_values()
    del values[field]
    with pytest.raises(TemplateError, match=field):
        t.render("case_rejected", "vi", values)


def test_unknown_template():
    with pytest.raises(TemplateError):
        t.render("case_exploded", "vi", make_values())


def test_values_cannot_inject_headers_or_placeholders():
    values = make_values(
        agency_name="Sở Xây dựng\r\nBcc: evil@example.com", reason="{code} {unsubscribe_url}"
    )
    msg = t.render("case_routed", "vi", values)
    assert "\n" not in msg.subject and "\r" not in msg.subject
    rejected = t.render("case_rejected", "vi", values)
    assert "{code} {unsubscribe_url}" in rejected.text  # values are not re-expanded


@pytest.mark.parametrize(
    ("preferred", "language"),
    [
        (None, "vi"),
        ("", "vi"),
        ("vi", "vi"),
        ("vi-VN", "vi"),
        ("en", "en"),
        ("en_US", "en"),
        ("EN-gb", "en"),
        ("fr", "vi"),
        ("zh-CN", "vi"),
    ],
)
def test_pick_language(preferred, language):
    assert t.pick_language(preferred) == language
    assert t.render("case_accepted", preferred, make_values()).language == language


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Phản ánh đã được tiếp nhận", "Phan anh da duoc tiep nhan"),
        ("ĐỀ NGHỊ XỬ LÝ LẠI", "DE NGHI XU LY LAI"),
        ("Hà Tĩnh, Thừa Thiên Huế", "Ha Tinh, Thua Thien Hue"),
        ("Ủy ban nhân dân", "Uy ban nhan dan"),
        ("plain ASCII 123", "plain ASCII 123"),
    ],
)
def test_fold_vietnamese(text, folded):
    assert t.fold_vietnamese(text) == folded


@pytest.mark.parametrize(
    ("text", "length", "segments"),
    [
        ("a" * 160, 160, 1),
        ("a" * 161, 161, 2),
        ("a" * 306, 306, 2),
        ("a" * 307, 307, 3),
        ("[x]", 5, 1),  # extension characters cost two septets
        ("Phản ánh", None, 1),  # needs UCS-2
        ("ả" * 70, None, 1),
        ("ả" * 71, None, 2),
    ],
)
def test_gsm7_length_and_segments(text, length, segments):
    assert t.gsm7_length(text) == length
    assert t.sms_segments(text) == segments


def test_to_gsm7_replaces_what_it_cannot_fold():
    assert t.to_gsm7("Hà Tĩnh – “đẹp” 🚧") == 'Ha Tinh - "dep" ?'


def test_reporter_values_are_dropped_even_if_an_agency_template_asks_for_them(monkeypatch):
    """A template edited by mistake to show the reporter fails loudly instead of leaking."""
    real = {lang: t._catalogue(lang) for lang in t.LANGUAGES}
    leaky = {
        lang: {
            **cat,
            "agency_case_routed": {
                **cat["agency_case_routed"],
                "text": "Người phản ánh: {reporter_name} {reporter_phone}",
            },
        }
        for lang, cat in real.items()
    }
    monkeypatch.setattr(t, "_catalogue", leaky.__getitem__)
    with pytest.raises(TemplateError, match="reporter_name"):
        t.render("agency_case_routed", "vi", make_values(**REPORTER))
    with pytest.raises(TemplateError, match="reporter fields"):
        t.check_catalogue()
    msg = t.render("case_accepted", "vi", make_values(**REPORTER))  # citizen templates are unaffected
    assert msg.subject

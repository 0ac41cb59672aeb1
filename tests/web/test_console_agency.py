"""The agency side of the console (issue 11): the inbox as cards on a phone, inviting a co-handling agency
(which then sees the case and may only post progress), and the officer seeing their own after-photo while the
result awaits the operators' review. Debian's Chromium against every real process; HT_SCREENS=docs/screens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .journeys import photo_bytes
from .staff_desk import PHONE
from .test_staff_console import AGENCY, act, routed_case

pytestmark = pytest.mark.e2e
CO_AGENCY = "DIEN_LUC_HT"  # the power company, asked to cut the current


def test_the_inbox_is_cards_on_a_phone_a_co_handler_is_invited_and_the_officer_sees_their_after_photo(
    desk, admin, system, staff_api
):
    ref = routed_case(system, staff_api)
    officer = desk(size=PHONE)
    officer.first_sign_in(admin.create("agency_officer", AGENCY))
    page = officer.page
    expect(page.get_by_role("heading", name="Hộp việc của đơn vị")).to_be_visible()
    link = page.get_by_role("link", name=ref["code"])
    expect(link).to_be_visible()
    row = page.locator("tr", has=link)
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"  # a card, not a table row
    expect(row.locator("td[data-label='Hạn xử lý']")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    officer.screenshot("19-agency-inbox-cards-phone")

    link.click()
    act(page, "Nhận xử lý", "Đơn vị đã nhận")
    expect(page.locator(".case-head").get_by_text("Đang xử lý")).to_be_visible(timeout=20000)
    invite = page.locator("details.action").filter(has=page.locator("summary", has_text="Mời phối hợp"))
    invite.locator("summary").click()
    form = page.get_by_role("form", name="Mời phối hợp")
    form.get_by_label(re.compile("^Đơn vị phối hợp")).select_option([CO_AGENCY])
    form.get_by_label(re.compile("^Ghi chú")).fill("Cần điện lực xã phối hợp cắt điện")
    form.get_by_role("button", name="Mời phối hợp").click()
    expect(page.locator(".facts dt", has_text="Đơn vị phối hợp")).to_be_visible(timeout=20000)
    case = staff_api.get(f"/v1/operator/reports/{ref['id']}")
    assert CO_AGENCY in case["co_agencies"]

    helper = desk()
    helper.first_sign_in(admin.create("agency_officer", CO_AGENCY))
    helper.page.goto(f"/staff/cases/{ref['id']}")
    expect(helper.page.get_by_text("Đơn vị bạn phối hợp xử lý")).to_be_visible()
    expect(helper.page.locator("details.action summary")).to_have_text(["Cập nhật tiến độ"])  # nothing else
    helper.page.goto("/staff/inbox")
    helper.page.get_by_role("tab", name=re.compile("^Đang xử lý")).click()
    expect(helper.page.get_by_role("link", name=ref["code"])).to_be_visible()

    act(
        page,
        "Báo cáo kết quả",
        "Đã thay bóng đèn",
        files=[{"name": "sau-xu-ly.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(1200, 900)}],
    )
    expect(page.locator(".case-head").get_by_text("Đã xử lý, đang duyệt kết quả")).to_be_visible(
        timeout=20000
    )
    after = page.locator("li.photo", has_text="Ảnh sau xử lý").locator("img")
    expect(after).to_be_visible(timeout=30000)  # their own after-photo, while the result awaits review
    assert after.evaluate("img => img.complete && img.naturalWidth > 0"), "the after-photo does not load"
    officer.screenshot("20-agency-after-photo-phone")
    assert not officer.csp_violations(), officer.errors

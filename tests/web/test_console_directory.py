"""The administrator edits the routing directory field by field (issue 11): a rule, a unit, the deadlines;
wrong values are named next to their field, whether the browser or the API finds them. Debian's Chromium
against every real process; HT_SCREENS=docs/screens saves the screenshots."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from libs.auth.tokens import mint

pytestmark = pytest.mark.e2e


def test_an_administrator_adds_a_rule_with_field_errors_next_to_the_fields_then_reads_units_and_deadlines(
    desk, admin, system
):
    d = desk()
    d.first_sign_in(admin.create("administrator", name="Quản trị Danh mục"))
    page = d.page
    page.goto("/staff/admin/directory")
    expect(page.get_by_role("heading", name="Danh mục định tuyến")).to_be_visible()
    page.get_by_text("Thêm quy tắc", exact=True).click()
    rule = page.get_by_role("form", name="Thêm quy tắc")

    rule.get_by_label(re.compile("^Mã quy tắc")).fill("quy tắc sai!")  # the URL's pattern refuses it (API)
    rule.get_by_label(re.compile("^Lĩnh vực")).fill("CHIEU_SANG")
    rule.get_by_label(re.compile("^Đơn vị xử lý")).fill("UBND_{unit_code}")
    rule.get_by_role("button", name="Lưu (tạo phiên bản mới)").click()
    rule_id = rule.get_by_label(re.compile("^Mã quy tắc"))
    expect(rule_id).to_have_attribute("aria-invalid", "true")
    expect(rule.locator(".field-error").first).to_be_visible()
    expect(rule.get_by_role("alert").get_by_role("link", name=re.compile("^Mã quy tắc"))).to_have_count(1)

    new_id = f"web-{uuid.uuid4().hex[:6]}"
    rule_id.fill(new_id)
    rule.get_by_label(re.compile("^Xã/phường áp dụng")).fill("18073")
    agency = rule.get_by_label(re.compile("^Đơn vị xử lý"))
    agency.fill("KHONG_TON_TAI")  # routing finds no such agency: the message lands next to this field
    rule.get_by_role("button", name="Lưu (tạo phiên bản mới)").click()
    expect(agency).to_have_attribute("aria-invalid", "true")
    expect(rule.locator(".field-error", has_text="KHONG_TON_TAI")).to_be_visible()
    d.screenshot("17-admin-directory-rule-errors")

    agency.fill("UBND_{unit_code}")
    rule.get_by_role("button", name="Lưu (tạo phiên bản mới)").click()
    expect(page.get_by_text(re.compile(r"^Đã lưu: phiên bản \d+"))).to_be_visible()
    token = mint("web-admin-check", "administrator", system.stack.secrets["HT_JWT_SECRET"])
    saved = httpx.get(
        f"{system.base_url}/v1/admin/routing/rules/{new_id}",
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert (
        saved["units"] == ["18073"]
        and saved["agency"] == "UBND_{unit_code}"
        and saved["category"] == "CHIEU_SANG"
    )
    assert saved["co_handlers"] is None  # left empty: the category's co-handlers

    page.get_by_label("Loại", exact=True).select_option("units")
    page.get_by_role("button", name="Sửa 18073").click()
    unit = page.get_by_role("form", name="Xã/phường 18073")
    expect(unit.get_by_label(re.compile("^Mã"))).to_have_attribute("readonly", "")
    expect(unit.get_by_label(re.compile("^Vĩ độ tâm"))).to_have_value(re.compile(r"^18\.\d+"))
    unit.get_by_label(re.compile("^Vĩ độ tâm")).fill("bắc")
    unit.get_by_role("button", name="Lưu (tạo phiên bản mới)").click()
    expect(unit.locator(".field-error", has_text="Cần một số")).to_be_visible()

    deadlines = page.get_by_role("form", name="Thời hạn xử lý")
    expect(deadlines.get_by_label(re.compile("^Khẩn: số giờ làm việc"))).to_have_value(re.compile(r"^\d"))
    deadlines.get_by_label(re.compile("^Giờ làm việc trong ngày")).fill("7h30 đến 11h30")
    deadlines.get_by_role("button", name="Lưu (tạo phiên bản mới)").click()
    expect(deadlines.locator(".field-error", has_text="giờ:phút")).to_be_visible()
    d.screenshot("18-admin-directory-deadlines")
    assert not d.csp_violations(), d.errors

"""Citizen app details of issue 10, in Chromium at phone size against the running system: dates typed the
Vietnamese way (dd/mm/yyyy) in the filter whatever the browser's locale, the "Của tôi" tab marked on my
reports, and the reporter erasing their contact data from the report page. HT_SCREENS=docs/screens saves
screenshots."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from devtools.testing import wait_for

from .journeys import CATEGORY, geolocation, import_to_phone, spot, unique

pytestmark = pytest.mark.e2e


def test_the_date_filter_reads_and_writes_dd_mm_yyyy_even_in_an_english_browser(phone, system):
    p = phone(lang="en-US")  # Chrome's own date input would show mm/dd/yyyy here
    page = p.page
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/v1/reports?" in r.url else None)
    page.goto("/#/list")
    expect(page.get_by_role("heading", name="Danh sách phản ánh")).to_be_visible()
    page.get_by_text("Bộ lọc", exact=True).click()
    start = page.get_by_label("Từ ngày")
    expect(start).to_have_attribute("placeholder", "dd/mm/yyyy")
    start.fill("31/02/2026")  # no such day
    page.get_by_role("button", name="Áp dụng").click()
    expect(page.get_by_text(re.compile("^Ngày không hợp lệ"))).to_be_visible()
    expect(start).to_have_attribute("aria-invalid", "true")
    start.fill("1/3/2026")
    page.get_by_label("Đến ngày").fill("16/03/2026")
    p.screenshot("12-filter-dates")
    page.get_by_role("button", name="Áp dụng").click()
    wait_for(
        lambda: asked,
        lambda urls: any("created_from=2026-03-01" in u and "created_to=2026-03-16" in u for u in urls),
        timeout=20,
        what="the filtered list asked for",
        sleep=lambda seconds: page.wait_for_timeout(seconds * 1000),
    )
    expect(page.get_by_text("Bộ lọc (2)")).to_be_visible()
    page.get_by_text("Bộ lọc (2)").click()
    expect(page.get_by_label("Từ ngày")).to_have_value("01/03/2026")
    expect(page.get_by_label("Đến ngày")).to_have_value("16/03/2026")
    assert not p.csp_violations(), p.errors


def test_my_report_marks_the_mine_tab_and_its_reporter_erases_their_contact(phone, system, staff_api):
    point = spot("18073")
    answer = staff_api.http.post(
        "/v1/reports",
        json={
            "category": CATEGORY,
            "description": unique("Đèn đường tắt"),
            "location": point,
            "attributes": {"pole_number": "CS-9"},
            "reporter": {"name": "Trần Thị Mai", "phone": "0912 345 678"},
        },
    )
    assert answer.status_code == 201, answer.text
    ref = answer.json()
    p = phone(geolocation=geolocation(point))
    page = p.page
    import_to_phone(page, ref)
    tab = page.get_by_role("navigation").get_by_role("link", name="Của tôi")
    expect(tab).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name=re.compile(ref["code"])).click()
    expect(page.get_by_text(f"Mã phản ánh {ref['code']}")).to_be_visible()
    expect(tab).to_have_attribute("aria-current", "page")  # my report: still under "Của tôi", not the map

    contact = page.locator("section.contact")
    expect(contact.get_by_role("heading", name="Thông tin liên hệ của bạn")).to_be_visible()
    expect(contact.get_by_text(re.compile("0912 ?345 ?678"))).to_be_visible()
    contact.get_by_role("button", name="Xóa thông tin liên hệ của tôi").click()
    expect(contact.get_by_role("button", name="Xóa vĩnh viễn")).to_be_visible()
    expect(page.locator("#toast .toast")).to_have_count(0)  # the import's notice has gone (6 s)
    # As the browser scrolls for a user (scroll-padding keeps it clear of the tab bar), not Playwright's own
    # way.
    contact.get_by_role("button", name="Không xóa").evaluate("b => b.scrollIntoView({block: 'nearest'})")
    p.screenshot("13-report-erase-contact")
    contact.get_by_role("button", name="Xóa vĩnh viễn").click()
    expect(
        page.locator("section.contact").get_by_text(re.compile("^Đã xóa thông tin liên hệ của bạn"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile("0912 ?345 ?678"))).to_have_count(0)
    case = staff_api.get(f"/v1/operator/reports/{ref['id']}")
    assert case["contact_erased"] is True
    sealed = staff_api.get(f"/v1/operator/reports/{ref['id']}/reporter", params={"purpose": "kiểm thử xóa"})
    assert not (sealed.get("reporter") or {}).get("phone")
    assert not p.csp_violations(), p.errors

    page.goto("/#/")  # the public map: no tab but the map's is marked
    expect(page.get_by_role("navigation").get_by_role("link", name="Bản đồ")).to_have_attribute(
        "aria-current", "page"
    )
    expect(tab).not_to_have_attribute("aria-current", "page")

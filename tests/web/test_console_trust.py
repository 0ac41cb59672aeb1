"""The operations centre's trust work in the console (issue 11): urgent reports awaiting verification stand
out above the queue and are verified or downgraded from the case; a hotline call is entered; the public
wording of a report is edited and a photo hidden, each checked through the public API. Debian's Chromium
against every real process; HT_SCREENS=docs/screens saves the screenshots."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_lifecycle_support import report_body, wait_for

from .journeys import CENTROID, photo_bytes
from .staff_desk import Desk

pytestmark = pytest.mark.e2e
WARD = "18073"


def submit(system, **overrides) -> dict:
    answer = httpx.post(f"{system.base_url}/v1/reports", json=report_body(ward=WARD, **overrides), timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def operator_desk(desk, admin) -> Desk:
    d = desk()
    d.first_sign_in(admin.create("operator"))
    expect(d.page.get_by_role("heading", name="Hàng chờ tiếp nhận")).to_be_visible()
    return d


def test_urgent_reports_stand_above_the_queue_and_are_verified_or_downgraded_from_the_case(
    desk, admin, system, staff_api
):
    first, second = submit(system, priority="KHAN"), submit(system, priority="KHAN")
    for ref in (first, second):  # routed at once, not verified
        wait_for(lambda: staff_api.get(f"/v1/operator/reports/{ref['id']}"), lambda c: c["agency_code"], 30)
    d = operator_desk(desk, admin)
    page = d.page
    banner = page.locator(".urgent-banner")
    expect(banner.get_by_role("heading", name=re.compile("phản ánh khẩn chờ xác minh"))).to_be_visible()
    expect(banner.get_by_role("link", name=first["code"])).to_be_visible()
    expect(banner.get_by_role("link", name=second["code"])).to_be_visible()
    urgent_tab = page.get_by_role("tab", name=re.compile("^Khẩn chưa xác minh"))
    expect(urgent_tab).to_have_class(re.compile("tab--alarm"))
    d.screenshot("13-urgent-queue")

    banner.get_by_role("link", name=first["code"]).click()
    expect(page.get_by_role("heading", name="Khẩn — chưa xác minh")).to_be_visible()
    d.screenshot("14-urgent-case")
    page.get_by_role("form", name="Xác minh", exact=True).get_by_label(re.compile("^Ghi chú")).fill(
        "Đã gọi lại người dân, đúng là nguy hiểm"
    )
    page.get_by_role("button", name="Xác minh", exact=True).click()
    expect(page.get_by_role("heading", name="Khẩn — chưa xác minh")).to_have_count(0)
    case = staff_api.get(f"/v1/operator/reports/{first['id']}")
    assert case["verified_at"] and case["public"] and case["priority"] == "KHAN"
    public = httpx.get(f"{system.base_url}/v1/reports/{first['id']}", timeout=30).json()
    assert not public.get("restricted") and public["description"]

    page.goto(f"/staff/cases/{second['id']}")
    downgrade = page.get_by_role("form", name="Hạ mức độ và xác minh")
    downgrade.get_by_label("Mức độ mới").select_option("BINH_THUONG")
    downgrade.get_by_label(re.compile("^Ghi chú")).fill("Không nguy hiểm tức thời")
    downgrade.get_by_role("button", name="Hạ mức độ và xác minh").click()
    expect(page.get_by_role("heading", name="Khẩn — chưa xác minh")).to_have_count(0)
    case = staff_api.get(f"/v1/operator/reports/{second['id']}")
    assert case["verified_at"] and case["priority"] == "BINH_THUONG"

    page.goto("/staff/queue")  # both verified: nothing left above the queue
    expect(page.get_by_role("tab", name=re.compile("^Mới"))).to_be_visible()
    expect(page.locator(".urgent-banner").get_by_role("link", name=first["code"])).to_have_count(0)
    expect(page.locator(".urgent-banner").get_by_role("link", name=second["code"])).to_have_count(0)
    assert not d.csp_violations(), d.errors


def test_an_operator_enters_a_hotline_call_with_the_fields_named_when_missing(desk, admin, system, staff_api):
    d = operator_desk(desk, admin)
    page = d.page
    page.get_by_role("link", name="Nhập cuộc gọi đường dây nóng").click()
    form = page.get_by_role("form", name="Nhập phản ánh qua đường dây nóng")
    form.get_by_role("button", name="Tạo phản ánh").click()
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("link", name=re.compile("Chọn lĩnh vực"))).to_be_visible()
    expect(alert.get_by_role("link", name=re.compile("Nhập nội dung phản ánh"))).to_be_visible()
    expect(form.get_by_label(re.compile("^Vĩ độ"))).to_have_attribute("aria-invalid", "true")

    form.get_by_label(re.compile("^Lĩnh vực")).select_option("CHIEU_SANG")
    form.get_by_label(re.compile("^Nội dung phản ánh")).fill(
        "Đèn đường hỏng cả dãy trước chợ, người gọi báo lúc 19 giờ"
    )
    form.get_by_label(re.compile("^Xã/phường")).select_option(WARD)
    expect(form.get_by_label(re.compile("^Vĩ độ"))).to_have_value(re.compile(r"^\d+\.\d+$"))
    form.get_by_label("Điện thoại").fill("0912 345 678")
    form.get_by_label("Điện thoại").fill("12")  # a bad phone: the API names the field
    form.get_by_role("button", name="Tạo phản ánh").click()
    expect(form.get_by_label("Điện thoại")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Điện thoại").fill("0912 345 678")
    d.screenshot("15-hotline")
    form.get_by_role("button", name="Tạo phản ánh").click()
    heading = page.get_by_role("heading", name=re.compile(r"^HT-\d{4}-\d+ — "))
    expect(heading).to_be_visible()
    expect(page.get_by_text("Đường dây nóng")).to_be_visible()
    case_id = page.url.rstrip("/").split("/")[-1]
    case = staff_api.get(f"/v1/operator/reports/{case_id}")
    assert case["channel"] == "hotline" and case["category"] == "CHIEU_SANG"
    centre = CENTROID[WARD]  # the ward's middle, placed when the ward was picked
    assert (
        abs(case["location"]["lat"] - centre["lat"]) < 0.05
        and abs(case["location"]["lon"] - centre["lon"]) < 0.05
    )
    caller = staff_api.get(f"/v1/operator/reports/{case_id}/reporter", params={"purpose": "kiểm thử"})
    assert caller["reporter"]["phone"].replace(" ", "").endswith("912345678")
    assert not d.csp_violations(), d.errors


def test_the_public_text_is_edited_and_a_photo_hidden_from_the_public(desk, admin, system, staff_api):
    ref = submit(system, description="Rác thải đổ trộm, gọi tôi 0912 345 678 nhé")
    upload = httpx.post(
        f"{system.base_url}/v1/reports/{ref['id']}/media",
        timeout=60,
        files={"file": ("rac.jpg", photo_bytes(800, 600), "image/jpeg")},
        headers={"X-Tracking-Token": ref["tracking_token"]},
    )
    assert upload.status_code in (201, 202), upload.text
    media_id = upload.json()["id"]
    staff_api.post(f"/v1/operator/reports/{ref['id']}/accept", json={"note": "Đã xác minh"})
    public_media = lambda: httpx.get(f"{system.base_url}/v1/reports/{ref['id']}/media", timeout=30).json()  # noqa: E731
    assert wait_for(public_media, lambda m: m and m[0]["url"], 30)[0]["url"]

    d = operator_desk(desk, admin)
    page = d.page
    page.goto(f"/staff/cases/{ref['id']}")
    page.get_by_text("Sửa nội dung công khai").click()
    edit = page.get_by_role("form", name="Sửa nội dung công khai")
    edit.get_by_label(re.compile("^Nội dung công khai")).fill("Rác thải sinh hoạt bị đổ trộm ven đường")
    edit.get_by_label(re.compile("^Lý do sửa")).fill("Bỏ thông tin cá nhân, viết lại cho rõ")
    edit.get_by_role("button", name="Lưu nội dung công khai").click()
    expect(page.get_by_text("Rác thải sinh hoạt bị đổ trộm ven đường")).to_be_visible()
    public = httpx.get(f"{system.base_url}/v1/reports/{ref['id']}", timeout=30).json()
    assert public["description"] == "Rác thải sinh hoạt bị đổ trộm ven đường"

    page.get_by_role("button", name=f"Ẩn với công chúng {media_id[:8]}").click()
    expect(page.get_by_text("Đã ẩn", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=f"Hiện lại {media_id[:8]}")).to_be_visible()
    d.screenshot("16-case-public-text-hidden-photo")
    hidden = wait_for(public_media, lambda m: not m or not m[0]["url"], 30)
    assert not hidden or not hidden[0]["url"]
    assert staff_api.get(f"/v1/reports/{ref['id']}/media")[0]["url"]  # the IOC still sees it
    assert not d.csp_violations(), d.errors

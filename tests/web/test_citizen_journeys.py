"""The citizen app in a real browser against the running system, at phone size (390×844): report, report
offline, follow a case live to its result, rate and ask to reopen, English, accessibility."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from devtools.testing import wait_for

from .journeys import CATEGORY, compose, geolocation, import_to_phone, spot, unique

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"


def public_report(client, staff_api, point: dict, description: str) -> dict:
    """An open, verified report of the journeys' category at a point (what "is this yours?" may show)."""
    answer = client.post(
        "/v1/reports",
        json={
            "category": CATEGORY,
            "description": description,
            "location": point,
            "attributes": {"pole_number": "CS-1"},
        },
    )
    assert answer.status_code == 201, answer.text
    ref = answer.json()
    staff_api.post(f"/v1/operator/reports/{ref['id']}/accept", json={"note": "Đã xác minh"})
    return ref


def reports_with(system, description: str) -> list:
    with system.stack.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT id, code FROM intake.reports WHERE description = :d"), {"d": description}
        ).all()


def test_report_from_a_phone_with_location_question_photo_and_is_this_yours(phone, system, staff_api):
    point = spot("18073")
    earlier = public_report(staff_api.http, staff_api, point, unique("Đèn đường tắt cả tuần"))
    p = phone(geolocation=geolocation(point))
    page = p.page
    description = unique("Ba cột đèn không sáng")
    photo_spot = {"lat": point["lat"] + 0.0006, "lon": point["lon"]}  # ~65 m away: offered, with consent

    uploads = []
    page.on(
        "response",
        lambda r: (
            uploads.append((r.status, r.url, r.request.headers.get("x-tracking-token"), r.text()))
            if r.url.endswith("/media") and r.request.method == "POST"
            else None
        ),
    )
    compose(page, point, description, screens=p.screenshot, photo_gps=photo_spot)
    similar = page.get_by_role("region", name="Có phải phản ánh này?")
    expect(similar).to_be_visible()
    expect(similar.get_by_text(earlier["code"])).to_be_visible()
    expect(similar.get_by_role("button", name=f"Tôi cũng gặp: {earlier['code']}")).to_be_visible()
    expect(page.get_by_text("Chỉ Trung tâm Điều hành của tỉnh xem được thông tin liên hệ")).to_be_visible()
    p.screenshot("05-report-contact-similar")
    page.get_by_role("button", name="Gửi phản ánh").click()

    expect(page.get_by_role("heading", name="Phản ánh của tôi")).to_be_visible()
    rows = wait_for(
        lambda: reports_with(system, description), lambda r: len(r) == 1, timeout=60, what="the report stored"
    )
    code = rows[0].code
    card = page.get_by_role("link", name=re.compile(code))
    expect(card).to_be_visible(timeout=60000)  # sent in the background, photo included, then listed
    expect(card.get_by_text("Chờ tiếp nhận")).to_be_visible()
    p.screenshot("06-mine")

    case = staff_api.get(f"/v1/operator/reports/{rows[0].id}")
    assert case["attributes"] == {"pole_number": "CS-12"}
    assert abs(case["location"]["lat"] - photo_spot["lat"]) < 1e-5  # the photo's place, as the citizen agreed
    media = wait_for(
        lambda: staff_api.get(f"/v1/reports/{rows[0].id}/media"),
        lambda m: len(m) == 1 and m[0]["state"] == "ready",
        timeout=60,
        what=f"the photo processed (uploads: {uploads})",
    )
    assert max(media[0]["width"], media[0]["height"]) <= 2048  # downscaled in the browser from 3000×2000
    assert media[0]["size"] < 1_000_000
    card.click()
    expect(page.get_by_role("heading", name="Chiếu sáng")).to_be_visible()
    expect(page.get_by_text(f"Mã phản ánh {code}")).to_be_visible()
    assert not p.csp_violations(), p.errors


def test_a_report_composed_without_signal_is_sent_once_when_the_signal_returns(phone, system):
    point = spot("18583")
    p = phone(geolocation=geolocation(point))
    page = p.page
    description = unique("Đèn chập chờn ở ngã ba")
    compose(page, point, description)

    p.context.set_offline(True)
    page.get_by_role("button", name="Gửi phản ánh").click()
    expect(page.get_by_role("heading", name="Phản ánh của tôi")).to_be_visible()
    expect(page.get_by_text("Chờ gửi", exact=True)).to_be_visible()
    expect(page.get_by_text("Ngoại tuyến")).to_be_visible()
    p.screenshot("07-mine-waiting-offline")
    assert reports_with(system, description) == []

    # Back online, the first answer is lost on the way back (the server did store the report): the app retries
    # with the same Idempotency-Key and the server answers with the same report.
    posts = []

    def lose_first_answer(route):
        posts.append(route.request.headers.get("idempotency-key"))
        if len(posts) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r"/v1/reports$"), lose_first_answer)
    replays = []
    page.on(
        "response",
        lambda r: (
            replays.append(r.headers.get("idempotent-replayed"))
            if r.url.endswith("/v1/reports") and r.request.method == "POST"
            else None
        ),
    )
    p.context.set_offline(False)
    # The route handler above runs only while this thread is inside Playwright: wait through the page.
    rows = wait_for(
        lambda: reports_with(system, description),
        lambda r: len(r) == 1,
        timeout=60,
        what="the report stored once the signal is back",
        sleep=lambda seconds: page.wait_for_timeout(seconds * 1000),
    )
    expect(page.get_by_role("link", name=re.compile(rows[0].code))).to_be_visible(timeout=60000)
    expect(page.get_by_text("Chờ gửi", exact=True)).to_be_hidden()
    expect(page.get_by_text("Đang gửi…", exact=True)).to_be_hidden()
    rows = reports_with(system, description)
    assert len(rows) == 1, rows
    assert len(posts) >= 2 and len(set(posts)) == 1 and posts[0]
    assert "true" in replays


def test_the_citizen_follows_the_case_live_to_its_result_rates_it_and_asks_to_reopen(
    phone, system, staff_api
):
    point = spot("18073")
    answer = staff_api.http.post(
        "/v1/reports",
        json={
            "category": CATEGORY,
            "description": unique("Đèn cao áp đổ nghiêng"),
            "location": point,
            "attributes": {"pole_number": "CS-7"},
        },
        headers={"Idempotency-Key": unique("web-follow").replace(" ", "-")},
    )
    ref = answer.json()
    p = phone(geolocation=geolocation(point))
    page = p.page
    # The report reaches this phone by the transfer link (as from another phone): tokens in the fragment only.
    import_to_phone(page, ref)
    expect(page.get_by_text("Đã thêm 1 phản ánh vào mục Của tôi.")).to_be_visible()
    assert "import" not in page.url  # the tokens left the address bar
    page.get_by_role("link", name=re.compile(ref["code"])).click()
    expect(page.get_by_text("Tin nhắn mới sẽ hiện ngay tại đây.")).to_be_visible(timeout=15000)

    staff_api.post(f"/v1/operator/reports/{ref['id']}/accept", json={"note": "Đã xác minh"})
    case = wait_for(
        lambda: staff_api.get(f"/v1/operator/reports/{ref['id']}"),
        lambda c: c["status"] == "DA_CHUYEN_XU_LY",
        timeout=30,
        what="routed",
    )
    agency = case["agency_code"]
    staff_api.post(
        f"/v1/agency/reports/{ref['id']}/accept",
        role="agency_officer",
        agency=agency,
        json={"note": "Đã nhận"},
    )
    after = staff_api.http.post(
        f"/v1/agency/reports/{ref['id']}/media",
        headers=staff_api.headers("agency_officer", agency),
        files={"file": ("sau.jpg", _small_jpeg(), "image/jpeg")},
        data={"role": "result"},
    )
    assert after.status_code == 201, after.text
    staff_api.post(
        f"/v1/agency/reports/{ref['id']}/result",
        role="agency_officer",
        agency=agency,
        json={"note": "Đã dựng lại cột đèn và thay bóng", "media_ids": [after.json()["id"]]},
    )
    staff_api.post(
        f"/v1/operator/reports/{ref['id']}/publish",
        json={"note": "Đã dựng lại cột đèn và thay bóng; kiểm tra đạt"},
    )

    # Without reloading: the status, the result and the timeline update, the message arrives.
    expect(page.get_by_text("Đã có kết quả").first).to_be_visible(timeout=40000)
    expect(page.get_by_role("heading", name="Kết quả xử lý", exact=True)).to_be_visible()
    result = page.locator("section.result")
    expect(result.get_by_text("Đã dựng lại cột đèn và thay bóng; kiểm tra đạt")).to_be_visible()
    expect(result.get_by_role("img", name="Ảnh sau xử lý 1")).to_be_visible()
    messages = page.locator("ol.messages > li")
    expect(messages.first).to_be_visible(timeout=40000)
    expect(page.get_by_role("heading", name="Đánh giá kết quả xử lý")).to_be_visible(timeout=20000)
    p.screenshot("08-report-result-rate")

    page.get_by_role("radio", name="Không hài lòng").check()
    page.get_by_role("textbox", name="Ý kiến thêm (không bắt buộc)").fill("Đèn vẫn tắt vào ban đêm")
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_role("heading", name="Đề nghị xử lý lại")).to_be_visible()
    page.get_by_role("textbox", name="Vì sao chưa đạt?").fill("Đèn vẫn tắt sau 18 giờ")
    page.get_by_role("button", name="Đề nghị xử lý lại").click()
    expect(page.get_by_text("Đã gửi đề nghị xử lý lại").first).to_be_visible()
    queue = staff_api.get("/v1/operator/queue", params={"bucket": "reopen_requests", "limit": 500})
    assert ref["id"] in [i["id"] for i in queue["items"]]
    assert not any("token=" in r for r in _requested_urls(p)), "a token travelled in a URL"


def _small_jpeg() -> bytes:
    from .journeys import photo_bytes

    return photo_bytes(640, 480)


def _requested_urls(p) -> list[str]:
    return p.page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")


def test_english_switch(phone):
    p = phone()
    page = p.page
    page.goto("/")
    expect(page.get_by_role("link", name="Bản đồ")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Map")).to_be_visible()
    expect(page.get_by_role("link", name="My reports")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_role("link", name="New report").click()
    expect(page.get_by_role("heading", name="Where is it?")).to_be_visible()
    p.screenshot("09-english-report")
    page.reload()
    expect(page.get_by_role("button", name="Tiếng Việt")).to_be_visible()  # the choice is remembered
    page.get_by_role("link", name="Statistics").click()
    expect(page.get_by_role("heading", name="Statistics")).to_be_visible()
    p.screenshot("10-english-stats")


LOADED = re.compile(r"Không có phản ánh nào|Đang hiện|\d+/\d+ phản ánh|phản ánh trong vùng đang xem")
SCREENS = [
    ("/", "Bản đồ phản ánh", LOADED),
    ("/#/list", "Danh sách phản ánh", LOADED),
    ("/#/new", "Vấn đề ở đâu?", "Chưa chọn vị trí."),
    ("/#/mine", "Phản ánh của tôi", "Chưa có phản ánh nào"),
    ("/#/stats", "Thống kê xử lý phản ánh", "Tỷ lệ người dân đánh giá"),
]


@pytest.mark.parametrize("path,heading,loaded", SCREENS, ids=[s[0] for s in SCREENS])
def test_accessibility_scan_finds_nothing_serious(phone, path, heading, loaded):
    p = phone()
    page = p.page
    page.goto(path)
    expect(page.get_by_role("heading", name=heading)).to_be_attached()
    expect(page.get_by_text(loaded).first).to_be_visible(timeout=15000)  # the screen's data has arrived
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")  # through the debugger protocol: the CSP stays on
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, ensure_ascii=False)
    if path == "/":
        p.screenshot("01-map")
    if path == "/#/stats":
        p.screenshot("11-stats")
    assert not p.csp_violations(), p.errors

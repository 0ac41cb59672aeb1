"""The staff console in Debian's Chromium against every real process: the operations centre, agencies, leaders
and administrators at work (issue 11's journeys), the accessibility scan of the main screens, and screenshots
(HT_SCREENS=docs/screens)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from devtools import testing as platform_testing
from tests.e2e.test_lifecycle_support import report_body, wait_for

from .journeys import photo_bytes
from .staff_desk import PHONE

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
WARD, AGENCY = "18073", "UBND_18073"


def submit(system) -> dict:
    answer = httpx.post(f"{system.base_url}/v1/reports", json=report_body(ward=WARD), timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def case_of(system, staff_api, report_id: str) -> dict:
    return staff_api.get(f"/v1/operator/reports/{report_id}")


def routed_case(system, staff_api) -> dict:
    ref = submit(system)
    staff_api.post(f"/v1/operator/reports/{ref['id']}/accept", json={"note": "Đã xác minh"})
    wait_for(lambda: case_of(system, staff_api, ref["id"]), lambda c: c["status"] == "DA_CHUYEN_XU_LY", 30)
    return ref


def act(page, verb: str, note: str | None = None, files: list | None = None) -> None:
    """Open an action's form on the case page (when folded), fill it and send it."""
    action = page.locator("details.action").filter(
        has=page.locator("summary", has_text=re.compile(f"^{verb}$"))
    )
    if action.get_attribute("open") is None:
        action.locator("summary").click()
    form = page.get_by_role("form", name=verb)
    if note is not None:
        form.get_by_label(re.compile("^Ghi chú")).fill(note)
    if files:
        form.locator("input[type=file]").set_input_files(files)
    form.get_by_role("button", name=verb).click()


def test_an_operator_signs_in_with_totp_sees_a_new_report_arrive_live_and_accepts_it(desk, admin, system):
    d = desk()
    d.first_sign_in(admin.create("operator"), screens=True)
    page = d.page
    expect(page.get_by_role("heading", name="Hàng chờ tiếp nhận")).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile("^Mới"))).to_have_attribute("aria-selected", "true")
    expect(page.locator("#live")).to_have_text("Trực tuyến")
    counts = page.get_by_role("tab", name=re.compile("^Mới")).locator(".count")
    expect(counts).to_have_text(re.compile(r"^\d+$"))
    before = int(counts.inner_text())
    ref = submit(
        system
    )  # nobody reloads: the live channel brings it (or, if a hint is lost, the 20 s re-read)
    expect(counts).to_have_text(str(before + 1), timeout=45000)
    link = page.get_by_role("link", name=ref["code"])
    more = page.get_by_role("button", name=re.compile("^Xem thêm"))
    if (
        before >= 100
    ):  # oldest due first: in a long queue (a whole suite's leftovers) the new case is further down
        expect(page.get_by_text(re.compile(f"^Đang hiện 100/{before + 1} hồ sơ"))).to_be_visible()
        shown = page.get_by_text(re.compile("^Đang hiện")).all_inner_texts
        for _ in range(4):  # 100 more each time, up to 500
            if link.is_visible():
                break
            before_click = shown()
            more.click()
            platform_testing.wait_for(
                lambda: (link.is_visible(), shown()),
                lambda v: v[0] or v[1] != before_click,
                20,
                "more cases shown",
                sleep=lambda s: page.wait_for_timeout(s * 1000),
            )
    expect(link).to_be_visible()
    d.screenshot("03-operator-queue")
    link.click()
    expect(page.get_by_role("heading", name=re.compile(ref["code"]))).to_be_visible()
    expect(page.get_by_text("Chờ tiếp nhận").first).to_be_visible()
    d.screenshot("04-operator-case")
    act(page, "Tiếp nhận", "Đã xác minh qua điện thoại")
    expect(page.locator(".case-head").get_by_text("Đã chuyển đơn vị xử lý")).to_be_visible(timeout=20000)
    assert not d.csp_violations(), d.errors


def test_identity_reveal_asks_for_a_purpose_and_shows_who_else_read_it(desk, admin, system, staff_api):
    ref = submit(system)
    staff_api.get(f"/v1/operator/reports/{ref['id']}/reporter", params={"purpose": "kiểm tra trước"})
    d = desk()
    d.first_sign_in(admin.create("operator"))
    page = d.page
    page.goto(f"/staff/cases/{ref['id']}")
    panel = page.get_by_role("form", name="Người phản ánh")
    panel.get_by_role("button", name="Xem thông tin người phản ánh").click()
    expect(page.get_by_role("alert")).to_contain_text("Nêu mục đích")  # the purpose is required
    panel.get_by_label(re.compile("^Mục đích xem")).fill("Gọi lại xác minh vị trí")
    panel.get_by_role("button", name="Xem thông tin người phản ánh").click()
    expect(page.get_by_text("Gọi lại xác minh vị trí")).to_be_visible()
    expect(page.get_by_text("kiểm tra trước")).to_be_visible()  # someone else's earlier read
    d.screenshot("05-operator-identity")


def test_an_agency_officer_on_a_phone_accepts_posts_an_after_photo_result_the_operator_publishes_and_the_leader_sees_it(  # noqa: E501
    desk, admin, system, staff_api
):
    ref = routed_case(system, staff_api)
    leader = desk()
    leader.first_sign_in(admin.create("agency_leader", AGENCY))
    leader.page.goto("/staff/dashboard")
    resolved = leader.page.locator('[data-kpi="resolved"]')
    expect(resolved).to_have_text(re.compile(r"^\d+$"))
    before = int(resolved.inner_text())

    officer = desk(size=PHONE)
    officer.first_sign_in(admin.create("agency_officer", AGENCY))
    page = officer.page
    expect(page.get_by_role("heading", name="Hộp việc của đơn vị")).to_be_visible()
    officer.screenshot("06-agency-inbox-phone")
    page.get_by_role("link", name=ref["code"]).click()
    act(page, "Nhận xử lý", "Đơn vị đã nhận, cử cán bộ xuống hiện trường")
    expect(page.locator(".case-head").get_by_text("Đang xử lý")).to_be_visible(timeout=15000)
    act(
        page,
        "Báo cáo kết quả",
        "Đã vá ổ gà, thông xe",
        files=[{"name": "sau-xu-ly.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(1200, 900)}],
    )
    expect(page.locator(".case-head").get_by_text("Đã xử lý, đang duyệt kết quả")).to_be_visible(
        timeout=20000
    )
    officer.screenshot("07-agency-case-phone")

    operator = desk()
    operator.first_sign_in(admin.create("operator"))
    operator.page.goto(f"/staff/cases/{ref['id']}")
    expect(operator.page.get_by_text("Ảnh sau xử lý").first).to_be_visible()
    act(operator.page, "Công khai kết quả", "Kết quả đạt yêu cầu")
    expect(operator.page.locator(".case-head").get_by_text("Đã có kết quả")).to_be_visible(timeout=15000)
    expect(resolved).to_have_text(str(before + 1), timeout=20000)  # the leader's page, not reloaded
    leader.screenshot("08-leader-dashboard")


def test_an_administrator_creates_an_officer_who_signs_in_then_is_disabled_and_refused(desk, admin, system):
    boss = desk()
    boss.first_sign_in(admin.create("administrator", name="Quản trị Tỉnh"))
    page = boss.page
    expect(page.get_by_role("heading", name="Tài khoản cán bộ")).to_be_visible()
    form = page.get_by_role("form", name="Tạo tài khoản")
    username = f"canbo.{uuid.uuid4().hex[:8]}"
    form.get_by_label(re.compile("^Tên đăng nhập")).fill(username)
    form.get_by_label(re.compile("^Họ tên")).fill("Phạm Văn Cán Bộ")
    form.get_by_label(re.compile("^Vai trò")).select_option("agency_officer")
    form.get_by_label(re.compile("^Đơn vị xử lý")).select_option(AGENCY)
    form.get_by_role("button", name="Tạo tài khoản").click()
    secret = page.locator(".secret-box code.secret")
    expect(secret).to_be_visible()
    boss.screenshot("09-admin-accounts")
    created = {
        "account": {"username": username, "role": "agency_officer"},
        "one_time_password": secret.inner_text(),
    }

    officer = desk()
    officer.first_sign_in(created)
    expect(officer.page.get_by_role("heading", name="Hộp việc của đơn vị")).to_be_visible()

    page.get_by_role("button", name=f"Vô hiệu hóa {username}").click()
    expect(page.get_by_role("row", name=re.compile(username)).get_by_text("Đã vô hiệu hóa")).to_be_visible()
    officer.page.get_by_role("tab", name=re.compile("^Đang xử lý")).click()  # the officer's next action
    expect(officer.page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    expect(officer.page.get_by_text("Phiên làm việc đã kết thúc")).to_be_visible()

    page.goto("/staff/admin/audit")
    expect(page.get_by_role("cell", name="Vô hiệu hóa").first).to_be_visible()
    boss.screenshot("10-admin-audit")


def test_an_officer_of_another_agency_gets_the_not_found_page(desk, admin, system, staff_api):
    ref = routed_case(system, staff_api)
    d = desk()
    d.first_sign_in(admin.create("agency_officer", "UBND_18076"))
    d.page.goto(f"/staff/cases/{ref['id']}")
    expect(d.page.get_by_role("heading", name="Không tìm thấy")).to_be_visible()
    expect(d.page.get_by_text(ref["code"])).to_have_count(0)


HOLD_COUNTS = """() => {
  // the queue's counts wait in the browser until released: a slow network, in the page's own fetch
  const real = window.fetch, held = { asked: false, answered: false };
  const gate = new Promise((resolve) => { held.release = resolve; });
  window.fetch = (input, init) => (String(input?.url ?? input).includes('/v1/operator/queue/counts')
    ? (held.asked = true, gate.then(() => real(input, init)).finally(() => { held.answered = true; }))
    : real(input, init));
  window.__held = held;
}"""


def test_a_screen_left_while_it_loads_never_comes_back_over_the_next_one(desk, admin, system):
    """The queue's answers are held (a slow network) while the operator moves on to the dashboard; when they
    arrive the queue finishes out of sight and the dashboard stays."""
    d = desk()
    d.first_sign_in(admin.create("operator"))
    page = d.page
    expect(page.get_by_role("heading", name="Hàng chờ tiếp nhận")).to_be_visible()
    page.get_by_role("link", name="Thống kê", exact=True).click()
    expect(page.get_by_role("heading", name="Thống kê xử lý phản ánh")).to_be_visible()
    page.evaluate(HOLD_COUNTS)
    page.get_by_role("link", name="Hàng chờ tiếp nhận", exact=True).click()
    expect(page.get_by_text("Đang tải")).to_be_visible()
    page.wait_for_function("() => window.__held.asked")
    page.get_by_role("link", name="Thống kê", exact=True).click()
    expect(page.get_by_role("heading", name="Thống kê xử lý phản ánh")).to_be_visible()
    page.evaluate("() => window.__held.release()")
    page.wait_for_function("() => window.__held.answered")
    page.wait_for_timeout(1000)  # the queue draws within milliseconds of its answers: give it ample time
    expect(page.get_by_role("heading", name="Thống kê xử lý phản ánh")).to_be_visible()
    expect(page.get_by_role("heading", name="Hàng chờ tiếp nhận")).to_have_count(0)
    assert not d.csp_violations(), d.errors


def test_five_wrong_passwords_lock_the_account(desk, admin):
    created = admin.create("agency_officer", AGENCY)
    d = desk()
    page = d.page
    d.sign_in_form(created["account"]["username"], "not my password")
    alert = page.get_by_role("alert")
    for _ in range(4):  # the button waits as the server asks (1 s, then 2 s) before it can be pressed again
        expect(alert).to_contain_text("không đúng")
        page.get_by_role("button", name="Đăng nhập").click(timeout=15000)
    expect(alert).to_contain_text("Tài khoản tạm khóa")
    d.screenshot("11-locked")
    page.get_by_label("Mật khẩu", exact=False).fill(created["one_time_password"])
    page.get_by_role("button", name="Đăng nhập").click()
    expect(alert).to_contain_text("Tài khoản tạm khóa")  # the right password too, while locked


MAIN_SCREENS = [
    ("operator", "/staff/queue", "Hàng chờ tiếp nhận"),
    ("operator", "case", None),
    ("agency_officer", "/staff/inbox", "Hộp việc của đơn vị"),
    ("agency_leader", "/staff/dashboard", None),
    ("administrator", "/staff/admin/accounts", "Tài khoản cán bộ"),
    ("administrator", "/staff/admin/dry-run", "Thử định tuyến"),
    (None, "/staff/", "Đăng nhập"),
]


@pytest.mark.parametrize("role,path,heading", MAIN_SCREENS, ids=[f"{r}:{p}" for r, p, _ in MAIN_SCREENS])
def test_accessibility_scan_of_the_main_screens_finds_nothing_serious(
    desk, admin, system, staff_api, role, path, heading
):
    d = desk()
    page = d.page
    if role:
        d.first_sign_in(admin.create(role, AGENCY if role.startswith("agency") else None))
    if path == "case":
        ref = routed_case(system, staff_api)
        path, heading = f"/staff/cases/{ref['id']}", re.compile(ref["code"])
    page.goto(path)
    if heading:
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    else:
        expect(page.get_by_role("heading").first).to_be_visible()
    expect(page.locator(".loading")).to_have_count(0)  # not networkidle: the live stream stays open
    page.wait_for_timeout(800)
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, ensure_ascii=False)
    if role is None:
        d.screenshot("01-sign-in")
    if path == "/staff/admin/dry-run":
        d.screenshot("12-admin-dry-run")
    assert not d.csp_violations(), d.errors

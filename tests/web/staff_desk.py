"""Steps of the staff console's browser tests: a desk-sized (or phone-sized) browser context of its own,
signing in through the console's screens (one-time password, new password, TOTP enrolment read off the page),
accounts made through the administrators' API."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pyotp
from playwright.sync_api import expect

from libs.auth.tokens import mint

from .conftest import SCREENS

DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "Sông Lam xanh biếc 2026"


def random_ip() -> str:
    """Each browser a client address of its own (X-Forwarded-For from 127.0.0.1 is trusted), so sign-in
    throttles of one test never touch another."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


class Desk:
    """A browser context on the console; only the system under test and its object store are reachable."""

    def __init__(self, browser, system, size: dict = DESK, lang: str = "vi-VN"):
        self.system = system
        phone = size == PHONE
        self.context = browser.new_context(
            viewport=size,
            device_scale_factor=1,
            is_mobile=phone,
            has_touch=phone,
            locale=lang,
            timezone_id="Asia/Ho_Chi_Minh",
            base_url=system.base_url,
            extra_http_headers={"X-Forwarded-For": random_ip()},
        )
        allowed = "|".join(re.escape(u) for u in (system.base_url, system.stack.s3_endpoint))
        self.context.route(re.compile(rf"^(?!({allowed})/).*"), lambda route: route.abort())
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.totp: str | None = None

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e]

    def screenshot(self, name: str) -> None:
        if SCREENS:
            Path(SCREENS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SCREENS) / f"staff-{name}.png"), full_page=True)

    def sign_in_form(self, username: str, password: str) -> None:
        page = self.page
        page.goto("/staff/")
        expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu", exact=False).fill(password)
        page.get_by_role("button", name="Đăng nhập").click()

    def first_sign_in(self, created: dict, screens: bool = False) -> None:
        """One-time password → new password → (TOTP enrolment, its secret read off the page) → home screen."""
        page = self.page
        self.sign_in_form(created["account"]["username"], created["one_time_password"])
        expect(page.get_by_role("heading", name="Đặt mật khẩu mới")).to_be_visible()
        page.get_by_label(re.compile("^Mật khẩu mới")).fill(NEW_PASSWORD)
        page.get_by_label(re.compile("^Nhập lại mật khẩu mới")).fill(NEW_PASSWORD)
        page.get_by_role("button", name="Tiếp tục").click()
        if created["account"]["role"] in ("operator", "administrator"):
            expect(page.get_by_role("heading", name="Bật xác thực hai lớp")).to_be_visible()
            qr = page.get_by_role("img", name=re.compile("Mã QR"))
            expect(qr).to_be_visible()
            assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code does not render"
            screens and self.screenshot("02-enrol-totp")
            self.totp = page.locator("code.secret").inner_text().replace(" ", "")
            page.get_by_label(re.compile("^Mã 6 chữ số")).fill(pyotp.TOTP(self.totp).now())
            page.get_by_role("button", name="Xác nhận và đăng nhập").click()
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()

    def sign_in_again(self, username: str) -> None:
        """A later sign-in: password, then a code of the next time step (the enrolment's code is spent)."""
        self.sign_in_form(username, NEW_PASSWORD)
        if self.totp:
            nxt = datetime.now(UTC).timestamp() + 30
            self.page.get_by_label(re.compile("^Mã 6 chữ số")).fill(pyotp.TOTP(self.totp).at(nxt))
            self.page.get_by_role("button", name="Đăng nhập").click()
        expect(self.page.get_by_role("button", name="Đăng xuất")).to_be_visible()

    def close(self) -> None:
        self.context.close()


class Admin:
    """The administrators' API with a development token (accounts the browsers then sign in with)."""

    def __init__(self, system):
        token = mint(
            f"web-admin-{uuid.uuid4().hex[:6]}", "administrator", system.stack.secrets["HT_JWT_SECRET"]
        )
        self.http = httpx.Client(
            base_url=system.base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )

    def create(self, role: str, agency: str | None = None, name: str = "Nguyễn Thị Kiểm Thử") -> dict:
        body = {
            "username": f"{role.split('_')[-1][:5]}.{uuid.uuid4().hex[:8]}",
            "display_name": name,
            "role": role,
            "agency": agency,
        }
        answer = self.http.post("/v1/admin/accounts", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def close(self) -> None:
        self.http.close()

"""Browser fixtures: Debian's Chromium driven by Playwright for Python (no browser download), a phone-sized
context per test, everything outside the system under test blocked (map tiles included: the app must stay
usable without them). Set HT_SCREENS=<dir> to save the journeys' screenshots there (docs/screens is made that
way)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import httpx
import pytest

from libs.auth.tokens import mint

ROOT = Path(__file__).resolve().parents[2]
DIST = Path(os.environ.get("WEB_DIST") or ROOT / "web" / "dist")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SCREENS = os.environ.get("HT_SCREENS")


@pytest.fixture(scope="session")
def playwright_session():
    if not (DIST / "index.html").is_file():
        pytest.fail(f"the web apps are not built in {DIST}: run `make web` (make test does)")
    from playwright.sync_api import sync_playwright

    # Started, never stopped: with eventlet monkey-patched in this process (root conftest), Playwright's own
    # shutdown waits forever for its driver. The browser is closed below; the driver ends with this process
    # (its stdin closes).
    yield sync_playwright().start()


@pytest.fixture(scope="session")
def browser(playwright_session):
    from playwright.sync_api import expect

    expect.set_options(
        timeout=20_000
    )  # a shared 2-core CI box can be slow to render; never a race, only patience
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield browser
    browser.close()


class Phone:
    """A phone-sized browser context on the running system, with what the test needs to watch."""

    def __init__(
        self,
        browser,
        base_url: str,
        allowed: tuple[str, ...] = (),
        lang: str = "vi-VN",
        geolocation: dict | None = None,
    ):
        self.base_url = base_url
        self.context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
            locale=lang,
            timezone_id="Asia/Ho_Chi_Minh",
            base_url=base_url,
            permissions=["geolocation"],
            geolocation=geolocation or {"latitude": 18.3419, "longitude": 105.903, "accuracy": 10},
        )
        origins = "|".join(
            re.escape(o.rstrip("/")) for o in (base_url, *allowed)
        )  # the gateway, the photos' store
        self.context.route(re.compile(rf"^(?!({origins})/).*"), lambda route: route.abort())
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e]

    def screenshot(self, name: str) -> None:
        if SCREENS:
            Path(SCREENS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SCREENS) / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def phone(browser, system):
    made: list[Phone] = []

    def open_phone(**kwargs) -> Phone:
        made.append(Phone(browser, system.base_url, (system.stack.s3_endpoint,), **kwargs))
        return made[-1]

    yield open_phone
    for p in made:
        p.close()


class StaffApi:
    """The staff side through the HTTP API, with tokens minted as `make token` does."""

    def __init__(self, system):
        self.key = system.stack.secrets["HT_JWT_SECRET"]
        self.http = httpx.Client(base_url=system.base_url, timeout=30)

    def headers(self, role: str = "operator", agency: str | None = None) -> dict:
        return {
            "Authorization": f"Bearer {mint(f'web-{role}-{uuid.uuid4().hex[:6]}', role, self.key, agency)}"
        }

    def post(self, path: str, role: str = "operator", agency: str | None = None, **kwargs) -> dict:
        answer = self.http.post(path, headers=self.headers(role, agency), **kwargs)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def get(self, path: str, role: str = "operator", agency: str | None = None, **kwargs) -> dict:
        answer = self.http.get(path, headers=self.headers(role, agency), **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def staff_api(system):
    api = StaffApi(system)
    yield api
    api.http.close()


@pytest.fixture
def desk(browser, system):
    """Console browsers (desk-sized unless `size=PHONE`), closed after the test."""
    from .staff_desk import Desk

    made: list = []

    def open_desk(**kwargs):
        made.append(Desk(browser, system, **kwargs))
        return made[-1]

    yield open_desk
    for d in made:
        d.close()


@pytest.fixture
def admin(system):
    """The administrators' API with a development token."""
    from .staff_desk import Admin

    api = Admin(system)
    yield api
    api.close()

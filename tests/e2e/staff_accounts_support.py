"""Helpers for tests that sign staff in through the gateway: accounts made by an administrator, the first
sign-in walked over HTTP (one-time password → new password → TOTP enrolment), cookies read from Set-Cookie."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import httpx

from libs.auth.tokens import mint
from services.accounts.tests.builders import NEW_PASSWORD, code


def random_ip() -> str:
    """A client address of its own (sent as X-Forwarded-For, which the gateway trusts from 127.0.0.1), so one
    test's failures never throttle another's."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def admin_headers(system) -> dict:
    """A development administrator token (no session), to create the accounts a test signs in with."""
    token = mint(f"e2e-admin-{uuid.uuid4().hex[:6]}", "administrator", system.stack.secrets["HT_JWT_SECRET"])
    return {"Authorization": f"Bearer {token}"}


def create_account(
    client: httpx.Client,
    system,
    role: str = "agency_officer",
    agency: str | None = "UBND_18073",
    username: str | None = None,
) -> dict:
    body = {
        "username": username or f"{role[:3]}{uuid.uuid4().hex[:10]}",
        "display_name": "Trần Thị Kiểm Thử",
        "role": role,
        "agency": agency if role in ("agency_officer", "agency_leader") else None,
    }
    answer = client.post("/v1/admin/accounts", json=body, headers=admin_headers(system))
    assert answer.status_code == 201, answer.text
    return answer.json()


def cookies_of(response: httpx.Response) -> dict[str, dict]:
    """Every Set-Cookie of a response: name → {value, attributes (lower-case)}."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            flags = {k for k in ("httponly", "secure") if k in header.lower()}
            found[name] = {
                "value": morsel.value,
                "path": morsel["path"],
                "samesite": morsel["samesite"],
                "max-age": morsel["max-age"],
                "flags": flags,
            }
    return found


@dataclass
class SignedIn:
    """A signed-in staff member: the sign-in answer, its secret, and (cookie mode) the cookies it was
    given."""

    username: str
    password: str
    answer: dict
    totp_secret: str | None
    ip: str
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def bearer(self) -> dict:
        return {"Authorization": f"Bearer {self.answer['access_token']}", "X-Forwarded-For": self.ip}

    def cookie_headers(self, csrf: bool = True) -> dict:
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "X-Forwarded-For": self.ip,
        }
        if csrf:
            headers["X-CSRF-Token"] = self.answer["csrf_token"]
        return headers


def first_sign_in(
    client: httpx.Client, created: dict, mode: str = "token", ip: str | None = None
) -> SignedIn:
    """Walk the first sign-in over HTTP; returns the signed-in answer (tokens in the body or in cookies)."""
    ip, user = ip or random_ip(), created["account"]["username"]
    headers = {"X-Forwarded-For": ip}
    step = client.post(
        "/v1/auth/sign-in",
        json={"username": user, "password": created["one_time_password"], "mode": mode},
        headers=headers,
    )
    assert step.status_code == 200 and step.json()["step"] == "change_password", step.text
    step = client.post(
        "/v1/auth/sign-in/continue",
        json={"challenge": step.json()["challenge"], "new_password": NEW_PASSWORD, "mode": mode},
        headers=headers,
    )
    assert step.status_code == 200, step.text
    secret = None
    if step.json()["status"] == "challenge":
        assert step.json()["step"] == "enrol_totp"
        secret = step.json()["enrolment"]["secret"]
        step = client.post(
            "/v1/auth/sign-in/continue",
            json={"challenge": step.json()["challenge"], "code": code(secret), "mode": mode},
            headers=headers,
        )
    assert step.status_code == 200 and step.json()["status"] == "signed_in", step.text
    jar = {name: c["value"] for name, c in cookies_of(step).items()}
    return SignedIn(user, NEW_PASSWORD, step.json(), secret, ip, jar)

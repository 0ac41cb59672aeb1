"""Test data for the accounts service: random usernames, the steps of a first sign-in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.accounts.domain import factors

ADMIN = {"sub": "test-admin", "role": "administrator"}
NEW_PASSWORD = "Mật-khẩu-mới-2026!"


def username(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_account(role: str = "agency_officer", agency: str | None = "UBND_18073", **extra) -> dict:
    body = {
        "actor": ADMIN,
        "username": username(role[:3]),
        "display_name": "Nguyễn Văn Test",
        "role": role,
        "agency": agency if role in ("agency_officer", "agency_leader") else None,
    }
    return {**body, **extra}


def code(secret: str, when: datetime | None = None) -> str:
    return factors.code_at(secret, when or datetime.now(UTC))


def first_sign_in(call, created: dict, client: dict | None = None) -> tuple[dict, str | None]:
    """One-time password → new password → (TOTP enrolment) → session; `call(method, payload)` is the
    transport. Returns (session grant, TOTP secret or None)."""
    client = client or {"ip": f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"}
    user = created["account"]["username"]
    step = call("sign_in", {"username": user, "password": created["one_time_password"], "client": client})
    step = call(
        "continue_sign_in",
        {"challenge": step["challenge"]["token"], "new_password": NEW_PASSWORD, "client": client},
    )
    secret = None
    if step.get("challenge"):
        secret = step["challenge"]["enrolment"]["secret"]
        step = call(
            "continue_sign_in",
            {"challenge": step["challenge"]["token"], "code": code(secret), "client": client},
        )
    return step["session"], secret

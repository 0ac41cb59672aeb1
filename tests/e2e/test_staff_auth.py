"""Staff sign-in through the gateway, against every real process: tokens, cookies, refresh rotation,
revocation, CSRF and the lockout rules (docs/accounts.md)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, timedelta

import pytest

from libs.auth.tokens import mint
from services.accounts.tests.builders import NEW_PASSWORD, code

from .staff_accounts_support import admin_headers, cookies_of, create_account, first_sign_in, random_ip
from .test_lifecycle_support import client  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e
QUEUE, INBOX = "/v1/operator/queue", "/v1/agency/inbox"


def test_an_operator_needs_a_new_password_and_totp_then_gets_a_short_lived_token(client, system):
    signed = first_sign_in(client, create_account(client, system, "operator"))
    answer = signed.answer
    assert signed.totp_secret and answer["account"]["totp_enabled"]
    lifetime = _at(answer["access_expires_at"]) - _now()
    assert timedelta(minutes=14) < lifetime <= timedelta(minutes=15)
    assert client.get(QUEUE, headers=signed.bearer).status_code == 200
    # the next sign-in: password, then a fresh code (the enrolment's code cannot be replayed)
    step = client.post(
        "/v1/auth/sign-in",
        json={"username": signed.username, "password": NEW_PASSWORD, "mode": "token"},
        headers={"X-Forwarded-For": signed.ip},
    )
    assert step.json()["step"] == "totp" and "enrolment" not in step.json()


def test_an_agency_officer_signs_in_without_a_second_factor(client, system):
    signed = first_sign_in(client, create_account(client, system, "agency_officer", "UBND_18073"))
    assert signed.totp_secret is None and signed.answer["account"]["agency"] == "UBND_18073"
    assert client.get(INBOX, headers=signed.bearer).status_code == 200
    assert client.get(QUEUE, headers=signed.bearer).status_code == 403


def test_refresh_rotates_the_token_and_sign_out_ends_the_session_at_once(client, system):
    signed = first_sign_in(client, create_account(client, system))
    first = signed.answer["refresh_token"]
    rotated = client.post("/v1/auth/refresh", json={"mode": "token", "refresh_token": first})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["refresh_token"]
    assert second != first and rotated.json()["access_token"] != signed.answer["access_token"]
    race = client.post("/v1/auth/refresh", json={"mode": "token", "refresh_token": first})
    assert race.status_code == 409 and race.json()["code"] == "REFRESH_RACE"
    assert client.post("/v1/auth/sign-out", headers=signed.bearer).status_code == 204
    refused = client.get(INBOX, headers=signed.bearer)  # the access token has not expired, the session has
    assert refused.status_code == 401 and refused.json()["code"] == "SESSION_REVOKED"
    gone = client.post("/v1/auth/refresh", json={"mode": "token", "refresh_token": second})
    assert gone.status_code == 401 and gone.json()["code"] == "SESSION_REVOKED"


@pytest.mark.parametrize("verb", ["disable", "reset-password", "reset-factor"])
def test_an_administrator_s_verb_ends_the_sessions_before_the_next_request(client, system, verb):
    role = "operator" if verb == "reset-factor" else "agency_officer"
    signed = first_sign_in(client, create_account(client, system, role))
    path = QUEUE if role == "operator" else INBOX
    assert client.get(path, headers=signed.bearer).status_code == 200
    done = client.post(f"/v1/admin/accounts/{signed.username}/{verb}", headers=admin_headers(system))
    assert done.status_code == 200, done.text
    refused = client.get(path, headers=signed.bearer)
    assert refused.status_code == 401 and refused.json()["code"] == "SESSION_REVOKED"
    assert (done.json().get("one_time_password") is not None) == (verb == "reset-password")


def test_a_role_change_ends_the_sessions_and_an_enabled_account_signs_in_again(client, system):
    signed = first_sign_in(client, create_account(client, system))
    admin = admin_headers(system)
    client.patch(f"/v1/admin/accounts/{signed.username}", json={"agency": "UBND_18076"}, headers=admin)
    assert client.get(INBOX, headers=signed.bearer).status_code == 401
    client.post(f"/v1/admin/accounts/{signed.username}/disable", headers=admin)
    body = {"username": signed.username, "password": NEW_PASSWORD, "mode": "token"}
    disabled = client.post("/v1/auth/sign-in", json=body, headers={"X-Forwarded-For": signed.ip})
    assert disabled.status_code == 403 and disabled.json()["code"] == "ACCOUNT_DISABLED"
    client.post(f"/v1/admin/accounts/{signed.username}/enable", headers=admin)
    again = client.post("/v1/auth/sign-in", json=body, headers={"X-Forwarded-For": signed.ip})
    assert again.status_code == 200 and again.json()["account"]["agency"] == "UBND_18076"


def test_cookies_are_http_only_secure_strict_and_writes_need_the_csrf_token(client, system):
    created = create_account(client, system, "operator")
    signed = first_sign_in(client, created, mode="cookie")
    assert "access_token" not in signed.answer and "refresh_token" not in signed.answer
    assert set(signed.cookies) == {"ht_access", "ht_refresh", "ht_csrf"}
    assert signed.cookies["ht_csrf"] == signed.answer["csrf_token"]
    fresh = client.post(
        "/v1/auth/sign-in",
        json={"username": signed.username, "password": NEW_PASSWORD},
        headers={"X-Forwarded-For": signed.ip},
    )
    step = client.post(
        "/v1/auth/sign-in/continue",
        json={
            "challenge": fresh.json()["challenge"],
            "code": code(signed.totp_secret, _now() + timedelta(seconds=30)),
        },
        headers={"X-Forwarded-For": signed.ip},
    )
    cookies = cookies_of(step)
    assert (
        cookies["ht_access"]["flags"] == {"httponly", "secure"}
        and cookies["ht_access"]["samesite"].lower() == "strict"
    )
    assert cookies["ht_access"]["path"] == "/" and int(cookies["ht_access"]["max-age"]) == 900
    assert (
        cookies["ht_refresh"]["flags"] == {"httponly", "secure"}
        and cookies["ht_refresh"]["path"] == "/v1/auth"
    )
    assert cookies["ht_csrf"]["flags"] == {"secure"}  # the console's script reads it to send X-CSRF-Token

    assert (
        client.get(QUEUE, headers=signed.cookie_headers(csrf=False)).status_code == 200
    )  # reads need no token
    write = f"/v1/operator/reports/{uuid.uuid4()}/accept"
    missing = client.post(write, json={}, headers=signed.cookie_headers(csrf=False))
    assert missing.status_code == 403 and missing.json()["code"] == "CSRF_FAILED"
    other = first_sign_in(client, create_account(client, system, "operator"), mode="cookie")
    wrong = client.post(
        write, json={}, headers={**signed.cookie_headers(), "X-CSRF-Token": other.answer["csrf_token"]}
    )
    assert wrong.status_code == 403 and wrong.json()["code"] == "CSRF_FAILED"
    right = client.post(write, json={}, headers=signed.cookie_headers())
    assert (
        right.status_code == 404 and right.json()["code"] == "REPORT_NOT_FOUND"
    )  # through the auth, to intake

    no_csrf = client.post("/v1/auth/refresh", json={}, headers=signed.cookie_headers(csrf=False))
    assert no_csrf.status_code == 403
    rotated = client.post("/v1/auth/refresh", json={}, headers=signed.cookie_headers())
    assert rotated.status_code == 200 and set(cookies_of(rotated)) == {"ht_access", "ht_refresh", "ht_csrf"}
    session = client.get("/v1/auth/session", headers=signed.cookie_headers(csrf=False))
    assert (
        session.json()["csrf_token"] == signed.answer["csrf_token"]
    )  # bound to the session, not to the token
    out = client.post("/v1/auth/sign-out", headers=signed.cookie_headers())
    assert out.status_code == 204 and all(c["max-age"] == "0" for c in cookies_of(out).values())


def test_expired_and_forged_tokens_are_refused(client, system):
    key = system.stack.secrets["HT_JWT_SECRET"]
    expired = mint("someone", "operator", key, ttl=timedelta(minutes=15), now=_now() - timedelta(hours=1))
    forged = mint("someone", "operator", "another-key-" + uuid.uuid4().hex * 2)
    for token, reason in ((expired, "expired"), (forged, "bad_signature")):
        answer = client.get(QUEUE, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401 and answer.json()["errors"][0]["message"] == reason
    unknown_session = mint("someone", "operator", key, ttl=timedelta(minutes=15), sid=uuid.uuid4())
    answer = client.get(QUEUE, headers={"Authorization": f"Bearer {unknown_session}"})
    assert answer.status_code == 401 and answer.json()["code"] == "SESSION_REVOKED"


def test_five_wrong_passwords_slow_down_then_lock_the_account(client, system):
    created = create_account(client, system)
    user, ip = created["account"]["username"], random_ip()
    body, codes = {"username": user, "password": "not the password", "mode": "token"}, []
    while len(codes) < 5:
        answer = client.post("/v1/auth/sign-in", json=body, headers={"X-Forwarded-For": ip})
        if answer.status_code == 429:  # too early: refused unchecked, not counted
            time.sleep(int(answer.headers["Retry-After"]))
            continue
        codes.append((answer.status_code, answer.json()["code"], answer.headers.get("Retry-After")))
    assert codes[:2] == [(401, "INVALID_CREDENTIALS", None)] * 2
    assert codes[2] == (401, "INVALID_CREDENTIALS", "1") and codes[3] == (401, "INVALID_CREDENTIALS", "2")
    assert codes[4] == (423, "ACCOUNT_LOCKED", "900")
    right = client.post(
        "/v1/auth/sign-in",
        json={**body, "password": created["one_time_password"]},
        headers={"X-Forwarded-For": random_ip()},
    )  # another IP: the account itself is locked
    assert right.status_code == 423 and int(right.headers["Retry-After"]) > 800
    audit = client.get(
        "/v1/admin/sign-in-audit", params={"username": user}, headers=admin_headers(system)
    ).json()
    events = [e["event"] for e in audit]
    assert (
        events.count("sign_in_failed") == 5 and "account_locked" in events and events[0] == "sign_in_refused"
    )
    assert client.post(f"/v1/admin/accounts/{user}/unlock", headers=admin_headers(system)).status_code == 200
    assert (
        client.post(
            "/v1/auth/sign-in",
            json={**body, "password": created["one_time_password"]},
            headers={"X-Forwarded-For": ip},
        ).status_code
        == 200
    )


def test_unknown_usernames_fail_like_known_ones_and_an_ip_is_blocked_after_many_failures(client, system):
    ip = random_ip()
    unknown = client.post(
        "/v1/auth/sign-in",
        json={"username": f"ghost{uuid.uuid4().hex[:8]}", "password": "x"},
        headers={"X-Forwarded-For": ip},
    )
    assert unknown.status_code == 401 and unknown.json()["code"] == "INVALID_CREDENTIALS"
    for _ in range(29):  # IP_MAX_FAILURES = 30 per 15 minutes, over any usernames
        client.post(
            "/v1/auth/sign-in",
            json={"username": f"ghost{uuid.uuid4().hex[:8]}", "password": "x"},
            headers={"X-Forwarded-For": ip},
        )
    created = create_account(client, system)
    body = {"username": created["account"]["username"], "password": created["one_time_password"]}
    blocked = client.post("/v1/auth/sign-in", json=body, headers={"X-Forwarded-For": ip})
    assert blocked.status_code == 429 and blocked.json()["code"] == "SIGN_IN_THROTTLED"
    assert (
        client.post("/v1/auth/sign-in", json=body, headers={"X-Forwarded-For": random_ip()}).status_code
        == 200
    )


def test_only_administrators_manage_accounts_and_read_the_audit(client, system):
    operator = first_sign_in(client, create_account(client, system, "operator"))
    for method, path in (
        ("GET", "/v1/admin/accounts"),
        ("GET", "/v1/admin/sign-in-audit"),
        ("POST", f"/v1/admin/accounts/{operator.username}/disable"),
    ):
        assert client.request(method, path, headers=operator.bearer).status_code == 403
    listed = client.get(
        "/v1/admin/accounts", params={"q": operator.username}, headers=admin_headers(system)
    ).json()
    assert [a["username"] for a in listed] == [operator.username]
    assert "password" not in str(listed).replace("must_change_password", "")
    conflict = client.post(
        "/v1/admin/accounts",
        json={"username": operator.username, "display_name": "x", "role": "operator"},
        headers=admin_headers(system),
    )
    assert conflict.status_code == 409
    no_agency = client.post(
        "/v1/admin/accounts",
        json={"username": f"x{uuid.uuid4().hex[:8]}", "display_name": "x", "role": "agency_officer"},
        headers=admin_headers(system),
    )
    assert no_agency.status_code == 422


def _now():
    from datetime import datetime

    return datetime.now(UTC)


def _at(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))

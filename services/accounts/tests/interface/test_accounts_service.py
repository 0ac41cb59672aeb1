"""The accounts service against the real broker and database: first sign-in, sessions, revocation, lockout."""

from __future__ import annotations

import time

import pytest
from nameko.exceptions import RemoteError

from services.accounts.service import AccountsService
from services.accounts.tests.builders import ADMIN, NEW_PASSWORD, code, first_sign_in, new_account

pytestmark = pytest.mark.interface


@pytest.fixture
def accounts(start_service, rpc):
    start_service(AccountsService)
    return rpc.accounts


def call_with(accounts):
    return lambda method, payload: getattr(accounts, method)(payload=payload)


def error_code(exc: RemoteError) -> str:
    return str(exc.value).split("'")[1]


def test_an_operator_changes_the_one_time_password_and_enrols_totp_before_a_session(accounts):
    created = accounts.create_account(payload=new_account("operator"))
    assert created["account"]["must_change_password"] and created["one_time_password"]
    session, secret = first_sign_in(call_with(accounts), created)
    assert secret and session["account"]["totp_enabled"] and not session["account"]["must_change_password"]
    state = accounts.check_session(payload={"session_id": session["session_id"]})
    assert state["active"] and state["account"]["role"] == "operator"
    # the next sign-in asks for the code; the code just used is refused (replay)
    again = accounts.sign_in(
        payload={
            "username": created["account"]["username"],
            "password": NEW_PASSWORD,
            "client": {"ip": "10.1.1.1"},
        }
    )
    assert again["challenge"]["step"] == "totp"
    with pytest.raises(RemoteError) as err:
        accounts.continue_sign_in(
            payload={
                "challenge": again["challenge"]["token"],
                "code": code(secret),
                "client": {"ip": "10.1.1.1"},
            }
        )
    assert error_code(err) == "INVALID_CREDENTIALS"


def test_refresh_rotates_and_a_replaced_token_is_a_race_not_a_session(accounts):
    session, _ = first_sign_in(call_with(accounts), accounts.create_account(payload=new_account()))
    rotated = accounts.refresh_session(payload={"refresh_token": session["refresh_token"]})
    assert (
        rotated["session_id"] == session["session_id"]
        and rotated["refresh_token"] != session["refresh_token"]
    )
    with pytest.raises(RemoteError) as err:
        accounts.refresh_session(payload={"refresh_token": session["refresh_token"]})
    assert error_code(err) == "REFRESH_RACE"
    assert accounts.refresh_session(payload={"refresh_token": rotated["refresh_token"]})["refresh_token"]


def test_disabling_ends_every_session_at_once(accounts):
    created = accounts.create_account(payload=new_account())
    session, _ = first_sign_in(call_with(accounts), created)
    accounts.account_command(
        payload={"actor": ADMIN, "username": created["account"]["username"], "action": "disable"}
    )
    state = accounts.check_session(payload={"session_id": session["session_id"]})
    assert state == {
        "session_id": session["session_id"],
        "active": False,
        "reason": "disabled",
        "account": None,
    }
    with pytest.raises(RemoteError) as err:
        accounts.refresh_session(payload={"refresh_token": session["refresh_token"]})
    assert error_code(err) == "SESSION_REVOKED"


def test_failures_slow_down_then_lock_and_are_audited(accounts):
    created = accounts.create_account(payload=new_account())
    user, client = created["account"]["username"], {"ip": "10.2.3.4"}
    outcomes = []
    for _ in range(5):
        try:
            accounts.sign_in(payload={"username": user, "password": "wrong password!", "client": client})
        except RemoteError as exc:
            outcomes.append(error_code(exc))
            if "Retry-After" in str(exc.value) and outcomes[-1] == "INVALID_CREDENTIALS":
                with pytest.raises(RemoteError) as early:  # too soon: refused without checking
                    accounts.sign_in(
                        payload={"username": user, "password": "wrong password!", "client": client}
                    )
                assert error_code(early) == "SIGN_IN_THROTTLED"
                time.sleep(int(str(exc.value).split("'Retry-After', 'message': '")[1].split("'")[0]))
    assert outcomes == ["INVALID_CREDENTIALS"] * 4 + ["ACCOUNT_LOCKED"]
    with pytest.raises(RemoteError) as err:  # the right password is refused too while locked
        accounts.sign_in(
            payload={"username": user, "password": created["one_time_password"], "client": client}
        )
    assert error_code(err) == "ACCOUNT_LOCKED"
    events = [e["event"] for e in accounts.list_audit(payload={"username": user})]
    assert events[:3] == ["sign_in_refused", "account_locked", "sign_in_failed"]
    assert events.count("sign_in_failed") == 5
    accounts.account_command(payload={"actor": ADMIN, "username": user, "action": "unlock"})
    assert (
        accounts.sign_in(
            payload={"username": user, "password": created["one_time_password"], "client": client}
        )["challenge"]["step"]
        == "change_password"
    )

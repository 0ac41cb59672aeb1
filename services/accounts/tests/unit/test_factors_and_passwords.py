"""TOTP acceptance (drift, replay) and the password rules (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.accounts.domain import factors, passwords

NOW = datetime(2026, 3, 16, 8, 0, 10, tzinfo=UTC)


def test_a_code_is_accepted_within_one_step_and_only_once():
    secret = factors.new_secret()
    step = factors.accept(secret, factors.code_at(secret, NOW), None, NOW)
    assert step == int(NOW.timestamp()) // 30
    assert factors.accept(secret, factors.code_at(secret, NOW), step, NOW) is None  # replay
    assert factors.accept(secret, factors.code_at(secret, NOW - timedelta(seconds=30)), None, NOW) == step - 1
    assert factors.accept(secret, factors.code_at(secret, NOW - timedelta(seconds=90)), None, NOW) is None
    assert (
        factors.accept(secret, "000000" if factors.code_at(secret, NOW) != "000000" else "111111", None, NOW)
        is None
    )


def test_enrolment_shows_an_otpauth_uri_as_an_svg_qr_code():
    uri = factors.otpauth_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "nguyen.van.a")
    assert (
        uri.startswith("otpauth://totp/")
        and "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri
        and "nguyen.van.a" in uri
    )
    svg = factors.qr_svg(uri)
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg and "<script" not in svg


@pytest.mark.parametrize(
    "password, refused",
    [
        ("short", True),
        ("aaaaaaaaaaaaaaaa", True),
        ("my-nguyenvana-2026", True),
        ("password1234", True),
        ("Ruộng lúa xanh 2026", False),
        ("correct horse battery", False),
    ],
)
def test_password_rules(password, refused):
    assert (passwords.weakness(password, "nguyenvana") is not None) is refused


def test_hash_and_verify_and_the_unknown_account_never_matches():
    stored = passwords.hash_password("Ruộng lúa xanh 2026")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "Ruộng lúa xanh 2026") == (True, False)
    assert passwords.verify_password(stored, "ruộng lúa xanh 2026")[0] is False
    assert passwords.verify_password(None, "anything at all") == (False, False)

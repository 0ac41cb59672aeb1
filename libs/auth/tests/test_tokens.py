"""Unit tests of staff tokens, key settings and the CLI."""

import base64
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError

from libs.auth import AuthSettings, InvalidToken, WeakSigningKey, check_signing_key, mint, parse_ttl, verify
from libs.auth.cli import main

REPO = Path(__file__).resolve().parents[3]


def make_key() -> str:
    return base64.b64encode(os.urandom(48)).decode()


def make_sub() -> str:
    return f"staff-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    "role,agency",
    [
        ("operator", None),
        ("administrator", None),
        ("agency_officer", "UBND_18073"),
        ("agency_leader", "SO_XD"),
    ],
)
def test_round_trip(role, agency):
    key, sub = make_key(), make_sub()
    before = datetime.now(UTC).replace(microsecond=0)
    p = verify(mint(sub, role, key, agency, ttl=timedelta(hours=2)), key)
    assert (p.sub, p.role, p.agency) == (sub, role, agency)
    assert p.exp - p.iat == timedelta(hours=2) and p.iat >= before


def test_claims_on_the_wire():
    key = make_key()
    token = mint(make_sub(), "agency_officer", key, "UBND_18073")
    header, claims = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert (
        claims["iss"] == "hientruong"
        and claims["agency"] == "UBND_18073"
        and claims["role"] == "agency_officer"
    )
    assert {"sub", "iat", "exp"} <= claims.keys()


def reason_of(token: str, key: str) -> str:
    with pytest.raises(InvalidToken) as err:
        verify(token, key)
    assert err.value.code == "INVALID_TOKEN"
    return err.value.reason


def test_expired():
    key = make_key()
    old = datetime.now(UTC) - timedelta(hours=9)
    assert reason_of(mint(make_sub(), "operator", key, ttl=timedelta(hours=8), now=old), key) == "expired"


def test_wrong_key():
    assert reason_of(mint(make_sub(), "operator", make_key()), make_key()) == "bad_signature"


def raw(claims: dict, key: str, **kw) -> str:
    now = int(datetime.now(UTC).timestamp())
    return jwt.encode(
        {"sub": make_sub(), "iss": "hientruong", "iat": now, "exp": now + 600, **claims}, key, **kw
    )


@pytest.mark.parametrize(
    "claims,reason",
    [
        ({"role": "operator", "iss": "someone-else"}, "wrong_issuer"),
        ({"role": "agency_officer"}, "agency_required"),
        ({"role": "operator", "agency": "UBND_18073"}, "agency_not_allowed"),
        ({"role": "citizen"}, "bad_role"),
        ({}, "missing_claim"),
        ({"role": "operator", "iat": 4_102_444_800, "exp": 4_102_448_400}, "not_yet_valid"),  # issued in 2100
    ],
)
def test_bad_claims_are_refused(claims, reason):
    key = make_key()
    assert reason_of(raw(claims, key, algorithm="HS256"), key) == reason


def test_other_algorithms_and_garbage_are_refused():
    key = make_key()
    assert reason_of(raw({"role": "operator"}, key, algorithm="HS512"), key) == "bad_algorithm"
    unsigned = raw({"role": "operator"}, "", algorithm="none")
    assert reason_of(unsigned, key) in {"bad_algorithm", "malformed"}
    assert reason_of("not-a-token", key) == "malformed"


@pytest.mark.parametrize(
    "role,agency", [("agency_officer", None), ("agency_leader", ""), ("operator", "SO_XD"), ("citizen", None)]
)
def test_mint_refuses_bad_role_agency_combinations(role, agency):
    with pytest.raises(ValueError):
        mint(make_sub(), role, make_key(), agency)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "short",
        "changeme-changeme-changeme-changeme",
        "secretsecretsecretsecretsecretsecret",
        "a" * 64,
        "hientruong-dev-key-0123456789-abcdefghij",
        "your-256-bit-secret-goes-here-please-now",
    ],
)
def test_weak_keys_are_refused(key):
    with pytest.raises(WeakSigningKey):
        check_signing_key(key)


def test_dev_flag_allows_weak_but_not_empty_key():
    assert check_signing_key("dev", allow_weak=True) == "dev"
    with pytest.raises(WeakSigningKey):
        check_signing_key("", allow_weak=True)
    assert check_signing_key(key := make_key()) == key


def test_settings_read_environment(monkeypatch):
    key = make_key()
    monkeypatch.setenv("HT_JWT_SECRET", key)
    monkeypatch.setenv("HT_JWT_TTL", "30m")
    settings = AuthSettings()
    assert settings.key == key and parse_ttl(settings.jwt_ttl) == timedelta(minutes=30)
    assert key not in repr(settings)  # the secret never shows in logs
    monkeypatch.setenv("HT_JWT_SECRET", "changeme")
    with pytest.raises(ValidationError):
        AuthSettings()
    monkeypatch.setenv("HT_AUTH_ALLOW_WEAK_KEY", "true")
    assert AuthSettings().key == "changeme"
    monkeypatch.delenv("HT_JWT_SECRET")
    with pytest.raises(ValidationError):
        AuthSettings()


@pytest.mark.parametrize(
    "text,expected",
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("8h", timedelta(hours=8)),
        ("2d", timedelta(days=2)),
    ],
)
def test_parse_ttl(text, expected):
    assert parse_ttl(text) == expected


@pytest.mark.parametrize("text", ["", "8", "0h", "-1h", "1w", "h8"])
def test_parse_ttl_refuses(text):
    with pytest.raises(ValueError):
        parse_ttl(text)


def test_cli_prints_a_verifiable_token():
    key = make_key()
    env = {**os.environ, "HT_JWT_SECRET": key}
    env.pop("HT_AUTH_ALLOW_WEAK_KEY", None)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "libs.auth.cli",
            "mint",
            "--role",
            "agency_officer",
            "--agency",
            "UBND_18073",
            "--ttl",
            "8h",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    p = verify(out.stdout.strip(), key)
    assert (p.role, p.agency, p.exp - p.iat) == ("agency_officer", "UBND_18073", timedelta(hours=8))


@pytest.mark.parametrize(
    "env,argv,code,message",
    [
        ({"HT_JWT_SECRET": "changeme"}, ["mint", "--role", "operator"], 2, "configuration refused"),
        ({}, ["mint", "--role", "agency_officer"], 2, "agency_required"),
        ({}, ["mint", "--role", "operator", "--ttl", "1y"], 2, "bad ttl"),
        ({}, ["verify", "abc"], 1, "malformed"),
    ],
)
def test_cli_errors(monkeypatch, capsys, env, argv, code, message):
    monkeypatch.setenv("HT_JWT_SECRET", make_key())
    monkeypatch.delenv("HT_AUTH_ALLOW_WEAK_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == code
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_cli_verify_prints_claims(monkeypatch, capsys):
    key, sub = make_key(), make_sub()
    monkeypatch.setenv("HT_JWT_SECRET", key)
    monkeypatch.delenv("HT_AUTH_ALLOW_WEAK_KEY", raising=False)
    assert main(["mint", "--role", "operator", "--sub", sub]) == 0
    token = capsys.readouterr().out.strip()
    assert main(["verify", token]) == 0
    assert f'"sub":"{sub}"' in capsys.readouterr().out

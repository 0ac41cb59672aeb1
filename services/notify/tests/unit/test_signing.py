"""Signed webhooks: sign, verify, reasons, rotation."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets as rnd
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.notify.domain import signing
from services.notify.domain.signing import SignatureError


def make_secret() -> str:
    """A random webhook secret."""
    return "whsec_" + rnd.token_hex(16)


def make_body() -> bytes:
    """A random JSON body with Vietnamese text, as sent on the wire."""
    payload = {"event_id": str(uuid4()), "code": f"HT-2026-{rnd.randbelow(10**6):06d}", "ward": "Thành Sen"}
    return json.dumps(payload, ensure_ascii=False).encode()


NOW = datetime(2026, 3, 20, 3, 0, tzinfo=UTC)


def reason_of(body: bytes, header: str | None, secrets: list[str], now: datetime = NOW) -> str | None:
    """The SignatureError reason, or None when it verifies."""
    try:
        signing.verify(body, header, secrets, now)
    except SignatureError as exc:
        return exc.reason
    return None


def test_good_signature_verifies_and_headers_are_complete():
    secret, body, delivery = make_secret(), make_body(), str(uuid4())
    headers = signing.sign(body, [secret], NOW, event_type="case.routed", delivery_id=delivery)
    assert headers[signing.DELIVERY_HEADER] == delivery
    assert headers[signing.EVENT_HEADER] == "case.routed"
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", headers[signing.SIGNATURE_HEADER])
    assert reason_of(body, headers[signing.SIGNATURE_HEADER], [secret]) is None


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    """The documented receiver recipe, computed independently."""
    secret, body = make_secret(), make_body()
    header = signing.signature_header(body, [secret], NOW)
    ts = int(NOW.timestamp())
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert header == f"t={ts},v1={expected}"


def test_delivery_id_is_a_fresh_uuid_when_not_given():
    body, secret = make_body(), make_secret()
    ids = {signing.sign(body, [secret], NOW)[signing.DELIVERY_HEADER] for _ in range(3)}
    assert len(ids) == 3
    assert signing.EVENT_HEADER not in signing.sign(body, [secret], NOW)


@pytest.mark.parametrize(
    "case",
    ["tampered_body", "wrong_secret", "extra_byte", "other_timestamp_same_sig"],
)
def test_mismatch(case):
    secret, body = make_secret(), make_body()
    header = signing.signature_header(body, [secret], NOW)
    if case == "tampered_body":
        body = body.replace(b"Th", b"TH")
    elif case == "wrong_secret":
        secret = make_secret()
    elif case == "extra_byte":
        body += b" "
    else:
        header = header.replace(f"t={int(NOW.timestamp())}", f"t={int(NOW.timestamp()) + 1}")
    assert reason_of(body, header, [secret]) == "mismatch"


@pytest.mark.parametrize(
    ("offset_s", "reason"),
    [
        (0, None),
        (-300, None),
        (300, None),
        (-301, "stale"),
        (301, "stale"),
        (-86400, "stale"),
        (3600, "stale"),
    ],
)
def test_timestamp_tolerance(offset_s, reason):
    """Signed at NOW + offset, checked at NOW: old and future timestamps beyond 300 s are refused."""
    secret, body = make_secret(), make_body()
    header = signing.signature_header(body, [secret], NOW + timedelta(seconds=offset_s))
    assert reason_of(body, header, [secret]) == reason


def test_custom_tolerance():
    secret, body = make_secret(), make_body()
    header = signing.signature_header(body, [secret], NOW - timedelta(seconds=30))
    with pytest.raises(SignatureError) as err:
        signing.verify(body, header, [secret], NOW, tolerance_s=10)
    assert err.value.reason == "stale"
    signing.verify(body, header, [secret], NOW, tolerance_s=60)


def test_rotation_both_secrets_verify_during_overlap():
    old, new, stranger, body = make_secret(), make_secret(), make_secret(), make_body()
    header = signing.signature_header(body, [old, new], NOW)
    assert header.count("v1=") == 2
    assert reason_of(body, header, [old]) is None  # receiver not yet updated
    assert reason_of(body, header, [new]) is None  # receiver already updated
    assert reason_of(body, header, [stranger, new]) is None
    assert reason_of(body, header, [stranger]) == "mismatch"
    after = signing.signature_header(body, [new], NOW)  # overlap over: old secret retired
    assert reason_of(body, after, [old]) == "mismatch"
    assert reason_of(body, after, [new]) is None


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing(header):
    assert reason_of(make_body(), header, [make_secret()]) == "missing"


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        "t=1773975600",
        "v1=" + "a" * 64,
        "t=abc,v1=" + "a" * 64,
        "t=-5,v1=" + "a" * 64,
        "t=1773975600,v1=xyz",
        "t=1773975600,v1=" + "g" * 64,
        "t=1773975600,t=1773975601,v1=" + "a" * 64,
        "t=1773975600,v1=",
        "t=1773975600," + ",".join(["v1=" + "a" * 64] * 9),
    ],
)
def test_malformed(header):
    assert reason_of(make_body(), header, [make_secret()]) == "malformed"


def test_unknown_schemes_are_ignored_and_uppercase_hex_accepted():
    secret, body = make_secret(), make_body()
    header = signing.signature_header(body, [secret], NOW)
    ts, sig = header.split(",")
    assert reason_of(body, f"{ts},v0=whatever,{sig.upper().replace('V1=', 'v1=')}", [secret]) is None


@pytest.mark.parametrize(
    ("secrets", "error"),
    [([], ValueError), (["a", "b", "c"], ValueError), ([""], ValueError)],
)
def test_sign_refuses_bad_secret_sets(secrets, error):
    with pytest.raises(error):
        signing.sign(make_body(), secrets, NOW)


def test_lone_secret_string_is_one_secret_and_verify_needs_a_secret():
    secret, body = make_secret(), make_body()
    header = signing.signature_header(body, secret, NOW)
    assert header.count("v1=") == 1
    signing.verify(body, header, secret, NOW)
    with pytest.raises(ValueError):
        signing.verify(body, header, [], NOW)


def test_naive_datetime_is_refused_and_unix_numbers_accepted():
    secret, body = make_secret(), make_body()
    with pytest.raises(ValueError):
        signing.sign(body, [secret], datetime(2026, 3, 20, 10, 0))
    header = signing.signature_header(body, [secret], NOW.timestamp())
    signing.verify(body, header, [secret], int(NOW.timestamp()) + 5)


def test_str_body_is_signed_as_utf8():
    secret, text = make_secret(), '{"ward":"Hà Tĩnh"}'
    header = signing.signature_header(text, [secret], NOW)
    signing.verify(text.encode("utf-8"), header, [secret], NOW)


def test_header_value_is_case_insensitive():
    assert signing.header_value({"x-ht-signature": "t=1"}, "X-HT-Signature") == "t=1"
    assert signing.header_value({}, "X-HT-Signature") is None


def test_signature_error_rejects_unknown_reason():
    with pytest.raises(ValueError):
        SignatureError("nope")

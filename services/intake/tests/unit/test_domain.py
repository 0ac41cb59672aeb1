"""Pure rules of intake: codes, tracking tokens, fingerprints, sealing."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet, InvalidToken

from libs.contracts.reports import ReporterContact, SubmitReport
from services.intake.domain.tokens import Sealer, fingerprint, report_code, token_matches, tracking_token

KEY = "k" * 40


def report(**kw) -> SubmitReport:
    base = {
        "category": "CHIEU_SANG",
        "description": "Đèn đường hỏng",
        "location": {"lat": 18.3, "lon": 105.9},
    }
    return SubmitReport.model_validate({**base, **kw})


@pytest.mark.parametrize(
    "year, seq, code",
    [(2026, 1, "HT-2026-000001"), (2027, 123456, "HT-2027-123456"), (2026, 1234567, "HT-2026-1234567")],
)
def test_report_codes(year, seq, code):
    assert report_code(year, seq) == code


def test_tracking_token_is_stable_per_report_and_key_and_checked_in_constant_time():
    rid = uuid.uuid4()
    token = tracking_token(KEY, rid)
    assert token == tracking_token(KEY, rid) and len(token) == 32
    assert token != tracking_token(KEY, uuid.uuid4()) and token != tracking_token("j" * 40, rid)
    assert token_matches(KEY, rid, token)
    assert (
        not token_matches(KEY, rid, None)
        and not token_matches(KEY, rid, "")
        and not token_matches(KEY, rid, token[:-1] + "x")
    )


def test_fingerprint_tells_a_replay_from_another_request():
    assert fingerprint(report()) == fingerprint(report())
    assert fingerprint(report()) != fingerprint(report(description="Đèn đường hỏng 2"))


def test_sealed_contact_is_opaque_and_round_trips():
    sealer = Sealer(Fernet.generate_key().decode())
    contact = ReporterContact(name="Nguyễn Văn A", phone="0912345678", email="a@example.vn")
    sealed = sealer.seal(contact)
    assert b"0912345678" not in sealed and "Nguyễn".encode() not in sealed
    assert sealer.open(sealed) == contact
    assert sealer.seal(None) is None and sealer.open(None) is None
    with pytest.raises(InvalidToken):
        Sealer(Fernet.generate_key().decode()).open(sealed)

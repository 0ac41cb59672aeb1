"""Pure rules of intake: report codes, tracking tokens, request fingerprints, sealing of personal data."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from base64 import urlsafe_b64encode
from uuid import UUID

from cryptography.fernet import Fernet, InvalidToken

from libs.contracts.reports import ReporterContact, SubmitReport, SubmitReportCommand

CODE_PREFIX = "HT"


def report_code(year: int, seq: int) -> str:
    """Human-readable code, e.g. HT-2026-000123 (unique: the sequence never repeats)."""
    return f"{CODE_PREFIX}-{year}-{seq:06d}"


def tracking_token(key: str, report_id: UUID) -> str:
    """The reporter's private token: an HMAC of the report id, so it need not be stored."""
    digest = hmac.new(key.encode(), str(report_id).encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def token_matches(key: str, report_id: UUID, token: str | None) -> bool:
    """Constant-time check of a tracking token."""
    if not token:
        return False
    return hmac.compare_digest(tracking_token(key, report_id), token)


def follower_token() -> tuple[str, str]:
    """A me-too follower's private token and the hash that is stored instead of it.

    Random (not derived from the recipient_ref, which other services and staff see), 256 bits, so a plain
    SHA-256 is a safe way to keep it: a stolen table gives no token back.
    """
    token = secrets.token_urlsafe(32)
    return token, follower_token_hash(token)


def follower_token_hash(token: str) -> str:
    """What is stored for a follower token (and looked up when one is presented)."""
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprint(report: SubmitReport) -> str:
    """A stable hash of a submission, to tell a replay from a different request under the same key."""
    canonical = json.dumps(report.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_scope(cmd: SubmitReportCommand, pepper: bytes) -> str:
    """Whose Idempotency-Key this is: the staff member, the partner's API key, else the citizen's device (or
    IP).

    Keys are unique per scope, so one client can neither replay another's report (and read its tracking token)
    nor block another's key. Devices and IPs are kept as an HMAC, never as such.
    """
    if cmd.channel == "hotline":
        return f"staff:{cmd.staff_sub}"
    if cmd.channel == "open311":
        return f"apikey:{cmd.api_key_id}"
    client, contact = cmd.client, cmd.report.reporter
    device = (client and client.device_id) or (contact and contact.device_id)
    kind, value = ("device", device) if device else ("ip", client and client.ip)
    if not value:
        return "anonymous"
    return f"{kind}:{hmac.new(pepper, f'{kind}:{value}'.encode(), hashlib.sha256).hexdigest()[:32]}"


class Sealer:
    """Encrypts personal data at rest (Fernet: AES-128-CBC + HMAC-SHA256); the key comes from config."""

    def __init__(self, key: str):
        self._fernet = Fernet(key.encode())

    def seal(self, contact: ReporterContact | None) -> bytes | None:
        if contact is None:
            return None
        return self._fernet.encrypt(contact.model_dump_json(exclude_none=True).encode())

    def open(self, sealed: bytes | None) -> ReporterContact | None:
        """May raise InvalidToken when the key is wrong or the data was altered."""
        if sealed is None:
            return None
        return ReporterContact.model_validate_json(self._fernet.decrypt(bytes(sealed)))


__all__ = [
    "InvalidToken",
    "Sealer",
    "fingerprint",
    "follower_token",
    "follower_token_hash",
    "idempotency_scope",
    "report_code",
    "token_matches",
    "tracking_token",
]

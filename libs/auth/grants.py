"""Short-lived grants for reads of personal data: the gateway signs one per request, intake verifies it.

The broker is not a wall: anyone with broker credentials can publish an RPC with any `actor` in its payload.
So an RPC that reveals personal data (the sealed identity, unblurred photos) is answered only with a grant the
gateway signed after it verified the caller's staff token: an HS256 JWT (issuer `hientruong-gateway`, audience
`hientruong-personal-data`) over the subject, role and agency, the action, the report or file it is for, the
stated purpose, and an expiry of at most `MAX_TTL_S` seconds. The key (`HT_GRANT_KEY`) is held by the gateway
(signs staff reads), notify (signs its `notification_recipients` reads, role `service`) and intake (verifies);
media passes the grant on without reading it. Intake audits the verified subject, never the payload's `actor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID, uuid4

import jwt

ISSUER = "hientruong-gateway"
AUDIENCE = "hientruong-personal-data"
ALGORITHM = "HS256"
MAX_TTL_S = 60
MIN_KEY_BYTES = 32
Action = Literal["read_reporter", "view_media", "notification_recipients"]
ACTIONS: frozenset[str] = frozenset({"read_reporter", "view_media", "notification_recipients"})


class InvalidGrant(Exception):
    """The grant cannot be trusted for this read; `reason` says why (never echo the grant)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Grant:
    """Who the gateway verified, and what for."""

    sub: str
    role: str
    agency: str | None
    action: str
    report_id: str | None
    media_id: str | None
    purpose: str | None


def check_grant_key(key: str) -> str:
    """The key, or ValueError when it is too short to sign with."""
    if len(key.encode()) < MIN_KEY_BYTES:
        raise ValueError(f"HT_GRANT_KEY must be at least {MIN_KEY_BYTES} bytes (make run generates one)")
    return key


def mint_grant(
    key: str,
    *,
    sub: str,
    role: str,
    agency: str | None,
    action: Action,
    report_id: UUID | str | None = None,
    media_id: UUID | str | None = None,
    purpose: str | None = None,
    ttl_s: int = 30,
    now: datetime | None = None,
) -> str:
    """Sign a grant for one read (report or file named), valid `ttl_s` ≤ MAX_TTL_S seconds."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {sorted(ACTIONS)}")
    if not 0 < ttl_s <= MAX_TTL_S:
        raise ValueError(f"a grant lives at most {MAX_TTL_S} s")
    if report_id is None and media_id is None:
        raise ValueError("a grant names the report or the file it is for")
    issued = int((now or datetime.now(UTC)).timestamp())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "role": role,
        "act": action,
        "iat": issued,
        "exp": issued + ttl_s,
        "jti": uuid4().hex,
    }
    for name, value in (("agency", agency), ("rid", report_id), ("mid", media_id), ("pur", purpose)):
        if value is not None:
            claims[name] = str(value)
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify_grant(
    token: str | None,
    key: str,
    action: Action,
    *,
    report_id: UUID | str | None = None,
    media_ids: list[UUID | str] | tuple = (),
    purpose: str | None = None,
    leeway_s: int = 5,
) -> Grant:
    """Check signature, issuer, audience, expiry (and that it lived ≤ MAX_TTL_S), the action, and that it
    names this report (or one of these files) and this purpose; raises InvalidGrant(reason)."""
    if not token:
        raise InvalidGrant("missing")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            audience=AUDIENCE,
            leeway=leeway_s,
            options={"require": ["iss", "aud", "sub", "role", "act", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidGrant("expired") from None
    except jwt.InvalidSignatureError:
        raise InvalidGrant("bad_signature") from None
    except jwt.InvalidTokenError:
        raise InvalidGrant("malformed") from None
    if int(claims["exp"]) - int(claims["iat"]) > MAX_TTL_S:
        raise InvalidGrant("lifetime_too_long")
    if claims["act"] != action:
        raise InvalidGrant("wrong_action")
    rid, mid = claims.get("rid"), claims.get("mid")
    names_report = report_id is not None and rid is not None and rid == str(report_id)
    names_file = mid is not None and bool(media_ids) and {str(m) for m in media_ids} == {mid}
    if not (names_report or names_file):
        raise InvalidGrant("wrong_object")
    if purpose is not None and claims.get("pur") != purpose:
        raise InvalidGrant("wrong_purpose")
    return Grant(
        sub=str(claims["sub"]),
        role=str(claims["role"]),
        agency=claims.get("agency"),
        action=claims["act"],
        report_id=rid,
        media_id=mid,
        purpose=claims.get("pur"),
    )

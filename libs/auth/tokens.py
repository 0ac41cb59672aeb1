"""Mint and verify staff JWTs (HS256, issuer 'hientruong'); settings refuse weak signing keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from uuid import UUID, uuid4

import jwt
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ISSUER = "hientruong"
ALGORITHM = "HS256"
from libs.contracts.accounts import AGENCY_ROLES, StaffRole  # noqa: E402

STAFF_ROLES: frozenset[str] = frozenset(get_args(StaffRole))
MIN_KEY_BYTES = 32  # RFC 7518 §3.2: an HS256 key must be at least as long as the hash output
DEFAULT_LOOKING = (
    "changeme",
    "change-me",
    "change_me",
    "secret",
    "default",
    "password",
    "example",
    "dev-",
    "dev_",
    "test",
    "hientruong",
    "your-",
    "your_",
    "insecure",
    "xxx",
)


class InvalidToken(Exception):
    """The bearer token cannot be trusted; `reason` says why (never echo the token itself)."""

    code = "INVALID_TOKEN"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class WeakSigningKey(ValueError):
    """The signing key is empty, short or looks like a placeholder."""


class Principal(BaseModel):
    """An authenticated staff member."""

    model_config = ConfigDict(frozen=True)

    sub: str = Field(min_length=1)
    role: StaffRole
    agency: str | None = None
    iat: AwareDatetime
    exp: AwareDatetime
    sid: UUID | None = Field(None, description="The signed-in session (absent in development tokens)")

    @model_validator(mode="after")
    def _agency_matches_role(self) -> Principal:
        if self.role in AGENCY_ROLES and not self.agency:
            raise ValueError("agency_required")
        if self.role not in AGENCY_ROLES and self.agency:
            raise ValueError("agency_not_allowed")
        return self


def check_signing_key(key: str, allow_weak: bool = False) -> str:
    """Return the key, or raise WeakSigningKey unless weak keys are explicitly allowed (dev only)."""
    if allow_weak:
        if not key:
            raise WeakSigningKey("an empty key is refused even in dev mode")
        return key
    if len(key.encode()) < MIN_KEY_BYTES:
        raise WeakSigningKey(f"signing key must be at least {MIN_KEY_BYTES} bytes")
    if len(set(key)) < 10 or key.strip().lower().startswith(DEFAULT_LOOKING):
        raise WeakSigningKey(
            "signing key looks like a placeholder; generate one with `openssl rand -base64 48`"
        )
    return key


class AuthSettings(BaseSettings):
    """HT_JWT_SECRET, HT_AUTH_ALLOW_WEAK_KEY (dev only) and HT_JWT_TTL from the environment."""

    model_config = SettingsConfigDict(env_prefix="HT_", extra="ignore")

    jwt_secret: SecretStr = SecretStr("")
    auth_allow_weak_key: bool = False
    jwt_ttl: str = "8h"

    @model_validator(mode="after")
    def _refuse_weak_key(self) -> AuthSettings:
        check_signing_key(
            self.jwt_secret.get_secret_value(), self.auth_allow_weak_key
        )  # may raise WeakSigningKey
        parse_ttl(self.jwt_ttl)
        return self

    @property
    def key(self) -> str:
        return self.jwt_secret.get_secret_value()


_TTL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_ttl(text: str) -> timedelta:
    """'90s', '30m', '8h', '2d' → timedelta; raises ValueError otherwise."""
    match = _TTL.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"bad ttl {text!r}: use e.g. 30m, 8h, 2d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def mint(
    sub: str,
    role: str,
    key: str,
    agency: str | None = None,
    ttl: timedelta = timedelta(hours=8),
    now: datetime | None = None,
    sid: UUID | str | None = None,
) -> str:
    """Sign a staff token (with `sid` for a signed-in session); raises ValueError for a bad role/agency."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    if role not in STAFF_ROLES:
        raise ValueError(f"role must be one of {sorted(STAFF_ROLES)}")
    principal = Principal(
        sub=sub, role=role, agency=agency, iat=now, exp=now + ttl, sid=sid
    )  # may raise ValueError
    claims: dict[str, Any] = {
        "sub": principal.sub,
        "role": principal.role,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int(principal.exp.timestamp()),
        "jti": uuid4().hex,
    }  # every token differs, even two minted in the same second
    if agency:
        claims["agency"] = agency
    if principal.sid:
        claims["sid"] = str(principal.sid)
    return jwt.encode(claims, key, algorithm=ALGORITHM)


_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.InvalidAlgorithmError, "bad_algorithm"),
    (jwt.InvalidTokenError, "malformed"),
)


def verify(token: str, key: str, leeway_s: int = 30) -> Principal:
    """Check signature, algorithm, issuer, expiry and claims; raises InvalidToken(reason)."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            leeway=leeway_s,
            options={"require": ["sub", "role", "iss", "iat", "exp"]},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(next(reason for kind, reason in _REASONS if isinstance(exc, kind))) from None
    role = claims.get("role")
    if not isinstance(role, str) or role not in STAFF_ROLES:  # a list would not even hash
        raise InvalidToken("bad_role")
    try:
        return Principal(
            sub=claims["sub"],
            role=claims["role"],
            agency=claims.get("agency"),
            iat=datetime.fromtimestamp(claims["iat"], UTC),
            exp=datetime.fromtimestamp(claims["exp"], UTC),
            sid=claims.get("sid"),
        )
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        reason = next((r for r in ("agency_required", "agency_not_allowed") if r in str(exc)), "malformed")
        raise InvalidToken(reason) from None

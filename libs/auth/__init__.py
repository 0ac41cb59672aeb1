"""Staff bearer tokens (JWT HS256) for Hiện Trường: mint, verify, and settings that refuse weak keys."""

from libs.auth.tokens import (
    AGENCY_ROLES,
    ALGORITHM,
    ISSUER,
    STAFF_ROLES,
    AuthSettings,
    InvalidToken,
    Principal,
    WeakSigningKey,
    check_signing_key,
    mint,
    parse_ttl,
    verify,
)

__all__ = [
    "AGENCY_ROLES",
    "ALGORITHM",
    "ISSUER",
    "STAFF_ROLES",
    "AuthSettings",
    "InvalidToken",
    "Principal",
    "WeakSigningKey",
    "check_signing_key",
    "mint",
    "parse_ttl",
    "verify",
]

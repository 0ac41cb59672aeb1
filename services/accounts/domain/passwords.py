"""Passwords: argon2id hashing (run in the service's process pool) and the password rules. No nameko here."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# RFC 9106's second recommended option (64 MiB, 3 passes); parallelism 1 so a 2-core host keeps serving.
HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)
MIN_LENGTH = 12
COMMON = frozenset(
    {
        "password1234",
        "123456789012",
        "qwertyuiopas",
        "matkhau12345",
        "hientruong123",
        "administrator",
        "admin1234567",
        "111111111111",
        "abc123456789",
        "iloveyou1234",
    }
)
# a hash of a random password: checked when the username is unknown so that failure takes the same time
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=1$QrBaGq3rU9ww7QjVgTPVqw$n0/N517D828zyLW5f2/nLJMR300xJQ+/9Mm3LssKtDU"
)


def hash_password(password: str) -> str:
    """An argon2id hash (CPU and memory heavy: call it in the pool)."""
    return HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs_rehash); an unknown account is checked against a dummy hash (same cost, never
    matches)."""
    try:
        HASHER.verify(stored or DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    if stored is None:
        return False, False
    return True, HASHER.check_needs_rehash(stored)


def weakness(password: str, username: str) -> str | None:
    """Why a new password is refused (Vietnamese first, then English), or None when it is acceptable."""
    lowered = password.lower()
    if len(password) < MIN_LENGTH:
        return f"Mật khẩu cần ít nhất {MIN_LENGTH} ký tự / at least {MIN_LENGTH} characters"
    if len(set(password)) < 5:
        return "Mật khẩu quá đơn giản / too few different characters"
    if username and username.lower() in lowered:
        return "Mật khẩu không được chứa tên đăng nhập / must not contain the username"
    if lowered in COMMON:
        return "Mật khẩu quá phổ biến / too common"
    return None


def one_time_password() -> str:
    """A random password to hand over once (must be changed at the first sign-in)."""
    return secrets.token_urlsafe(12)

"""The accounts service's configuration, parsed and checked once at boot (pure: no nameko)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from .domain.throttle import Policy


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Sealer:
    """Seals TOTP secrets at rest and keys the throttle counters (never a username or an IP in the clear)."""

    key: str

    def seal(self, text: str) -> str:
        return Fernet(self.key).encrypt(text.encode()).decode()

    def open(self, sealed: str) -> str:
        """May raise cryptography's InvalidToken when the key changed."""
        return Fernet(self.key).decrypt(sealed.encode()).decode()

    def keyed(self, scope: str, value: str) -> str:
        return hmac.new(self.key.encode(), f"{scope}:{value}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AccountsSettings:
    """Keys and policies (docs/accounts.md lists every setting)."""

    sealer: Sealer
    policy: Policy = Policy()
    session_idle: timedelta = timedelta(minutes=120)
    session_max: timedelta = timedelta(hours=12)
    challenge_ttl: timedelta = timedelta(minutes=5)
    refresh_grace: timedelta = timedelta(seconds=30)
    hash_workers: int = 1

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AccountsSettings:
        """Read the service's config.yml values; may raise ConfigError naming the setting."""
        key = str(config.get("HT_ACCOUNTS_KEY") or "")
        try:
            Fernet(key)
        except (ValueError, InvalidToken):
            raise ConfigError(
                "HT_ACCOUNTS_KEY must be a Fernet key (generate one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`)"
            ) from None

        def number(name: str, default: int) -> int:
            try:
                value = int(config.get(name, default))
            except (TypeError, ValueError):
                raise ConfigError(f"{name} must be a whole number") from None
            if value < 1:
                raise ConfigError(f"{name} must be at least 1")
            return value

        policy = Policy(
            max_failures=number("MAX_FAILURES", 5),
            lock=timedelta(minutes=number("LOCK_MINUTES", 15)),
            ip_max_failures=number("IP_MAX_FAILURES", 30),
            ip_window=timedelta(minutes=number("IP_WINDOW_MINUTES", 15)),
        )
        return cls(
            sealer=Sealer(key),
            policy=policy,
            session_idle=timedelta(minutes=number("SESSION_IDLE_MINUTES", 120)),
            session_max=timedelta(hours=number("SESSION_MAX_HOURS", 12)),
            hash_workers=number("HASH_WORKERS", 1),
        )

"""Dependency providers of the intake service."""
from __future__ import annotations

from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from libs.platform.boot import BootError

from .domain import AutoAccept, Sealer


@dataclass(frozen=True)
class IntakeSettings:
    """Keys and policies intake needs; secrets are refused when missing or too short."""

    sealer: Sealer
    token_key: str
    auto_accept: AutoAccept


class Settings(DependencyProvider):
    """Validates intake's secrets and policies once at boot, and injects them."""

    def setup(self) -> None:
        cfg = self.container.config
        seal_key, token_key = cfg.get("HT_SEAL_KEY") or "", cfg.get("HT_TOKEN_KEY") or ""
        if len(token_key) < 32:
            raise BootError("HT_TOKEN_KEY must be set to at least 32 characters (make run generates one)")
        try:
            sealer = Sealer(seal_key)
        except ValueError:
            raise BootError("HT_SEAL_KEY must be a Fernet key (32 url-safe base64 bytes)") from None
        self.settings = IntakeSettings(
            sealer, token_key,
            AutoAccept.parse(cfg.get("AUTO_ACCEPT_CATEGORIES", ""), cfg.get("AUTO_ACCEPT_CHANNELS", "")))

    def get_dependency(self, worker_ctx) -> IntakeSettings:
        return self.settings

"""Dependency providers of the intake service."""

from __future__ import annotations

import logging
from dataclasses import replace

from nameko.extensions import DependencyProvider

from libs.auth.grants import check_grant_key
from libs.geo.wards import WardGeometryError
from libs.platform.boot import BootError
from libs.platform.expiring import Expiring
from libs.platform.peers import PeerError, timed_call

from .domain.tokens import Sealer
from .settings import ConfigError, IntakeSettings, from_config

log = logging.getLogger(__name__)


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
        try:
            grant_key = check_grant_key(cfg.get("HT_GRANT_KEY") or "")
        except ValueError as exc:
            raise BootError(str(exc)) from None
        try:
            self.settings = replace(from_config(cfg, sealer, token_key), grant_key=grant_key)
        except (ConfigError, WardGeometryError, OSError, KeyError) as exc:
            raise BootError(f"intake configuration refused: {exc}") from None

    def get_dependency(self, worker_ctx) -> IntakeSettings:
        return self.settings


class CategoryCache:
    """Category codes from routing's directory (libs.platform.expiring); routing unreachable → the reference
    data's codes (libs.refdata)."""

    def __init__(self, fallback: frozenset[str], ttl_s: float = 60.0, timeout_s: float = 2.0):
        self.fallback, self.timeout_s = fallback, timeout_s
        self.cached: Expiring[frozenset[str]] = Expiring(ttl_s, retry_s=ttl_s)  # asked at most once per TTL

    def known(self, code: str, routing) -> bool:
        """Whether `code` is a category; `routing` is the worker's RpcProxy, asked at most once per TTL with a
        bounded wait (`libs.platform.peers.timed_call`)."""
        if self.cached.due():
            self.cached.asking()
            try:
                rows = timed_call(routing, "list_categories", self.timeout_s)
                self.cached.take(frozenset(r["code"] for r in rows) or None)
            except PeerError as exc:  # routing down, not deployed, slow or failing: keep what we had
                log.warning(
                    "category list from routing unavailable (%s): using the cached or seed list", exc.reason
                )
            except (KeyError, TypeError) as exc:  # an answer of the wrong shape
                log.warning(
                    "category list from routing unreadable (%s): using the cached or seed list",
                    type(exc).__name__,
                )
        return code in (self.cached.value or self.fallback)


class Categories(DependencyProvider):
    """Injects the process-wide CategoryCache."""

    def setup(self) -> None:
        from .settings import DEFAULT_CATEGORIES, load_base_days

        path = self.container.config.get("CATEGORIES_FILE") or DEFAULT_CATEGORIES
        self.cache = CategoryCache(frozenset(load_base_days(path)))

    def get_dependency(self, worker_ctx) -> CategoryCache:
        return self.cache


class Caller(DependencyProvider):
    """The name of the service (or client) that made the current call, from nameko's call-id stack."""

    def get_dependency(self, worker_ctx) -> str:
        stack = worker_ctx.call_id_stack or []
        parent = stack[-2] if len(stack) >= 2 else ""
        return parent.split(".", 1)[0] or "unknown"

"""Intake's configuration, parsed and checked once at boot (pure: no nameko)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from libs import refdata
from libs.platform import networks
from libs.platform.networks import IpNetwork

from .domain.geofence import ProvinceFence
from .domain.ratelimit import SIMILAR_LIMITS, SUBMISSION_LIMITS, TOKEN_LIMITS, URGENT_LIMITS, LimitRule, Tier
from .domain.tokens import Sealer
from .domain.workflow import AutoTriageConfig

DEFAULT_CATEGORIES = refdata.load().file("categories")  # CATEGORIES_FILE overrides it


class ConfigError(ValueError):
    """A setting is malformed; the message names it."""


@dataclass(frozen=True)
class Retention:
    """How long intake keeps personal data (docs/privacy.md explains each default)."""

    contact_after_close: timedelta = timedelta(days=24 * 30)  # sealed identity and contacts: 24 months
    audit: timedelta = timedelta(
        days=60 * 30
    )  # the audit log's own period: 60 months (the trigger floor: 12)
    batch: int = 500  # cases erased per transaction


@dataclass(frozen=True)
class IntakeSettings:
    """Keys, policies and limits of intake (see docs/lifecycle.md for every key)."""

    sealer: Sealer
    token_key: str
    auto_triage: AutoTriageConfig = AutoTriageConfig()
    rate_rules: tuple[LimitRule, ...] = SUBMISSION_LIMITS
    urgent_rules: tuple[LimitRule, ...] = URGENT_LIMITS
    similar_rules: tuple[LimitRule, ...] = SIMILAR_LIMITS
    token_rules: tuple[LimitRule, ...] = TOKEN_LIMITS
    rate_exempt: tuple[IpNetwork, ...] = ()
    fence: ProvinceFence | None = None
    max_media: int = 6
    duplicate_radius_m: float = 150.0
    duplicate_max_age: timedelta = timedelta(days=30)
    info_window: timedelta = timedelta(days=3)
    reopen_window: timedelta = timedelta(days=7)
    triage_window: timedelta = timedelta(hours=4)
    urgent_triage_window: timedelta = timedelta(minutes=30)
    due_soon: timedelta = timedelta(hours=24)
    base_days: Mapping[str, int | None] = field(default_factory=dict)  # category → normal working days
    retention: Retention = Retention()
    grant_key: str = (
        ""  # HT_GRANT_KEY: verifies the gateway's grants for reads of personal data (libs.auth.grants)
    )

    @cached_property
    def rate_pepper(self) -> bytes:
        """The server-side secret that keys rate-limit counters (derived from the token key, once)."""
        return hmac.new(self.token_key.encode(), b"intake-rate-limit", hashlib.sha256).digest()

    def exempt(self, ip: str | None) -> bool:
        """Local tools (make bench, tests on loopback) are not rate-limited."""
        try:
            address = ipaddress.ip_address(ip) if ip else None
        except ValueError:
            return False
        return address is not None and any(address in net for net in self.rate_exempt)


RATE_KEYS: dict[Tier, str] = {
    "submit": "RATE_LIMITS",
    "urgent": "URGENT_RATE_LIMITS",
    "similar": "SIMILAR_RATE_LIMITS",
    "token": "TOKEN_FAILURE_LIMITS",
}


def parse_rate_rules(text: str | None, tier: Tier = "submit") -> tuple[LimitRule, ...]:
    """'device:3/60,ip:60/3600' → rules of a tier; 'off' or empty → none."""
    text = (text or "").strip()
    if text.lower() in ("", "off", "none"):
        return ()
    rules = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(device|phone|ip|account)\s*:\s*(\d+)\s*/\s*(\d+)\s*", part)
        if not match:
            raise ConfigError(f"{RATE_KEYS[tier]}: bad rule {part!r} (use scope:limit/window_seconds)")
        rules.append(LimitRule(scope=match[1], limit=int(match[2]), window_s=int(match[3]), tier=tier))
    return tuple(rules)


def _rules(cfg: Mapping[str, Any], tier: Tier, default: tuple[LimitRule, ...]) -> tuple[LimitRule, ...]:
    """A tier's rules from its key; absent → the default."""
    value = cfg.get(RATE_KEYS[tier])
    return default if value is None else parse_rate_rules(str(value), tier)


def _months(cfg: Mapping[str, Any], key: str, default: float, floor: float = 0) -> timedelta:
    months = _num(cfg, key, default)
    if months < floor:
        raise ConfigError(f"{key} must be at least {floor:g} months")
    return timedelta(days=months * 30)


def parse_networks(text: str | None) -> tuple[IpNetwork, ...]:
    """'127.0.0.0/8,::1/128' → networks."""
    try:
        return networks.parse_networks(text, "RATE_LIMIT_EXEMPT_IPS")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def load_base_days(path: str | Path) -> dict[str, int | None]:
    """Category code → default processing allowance in working days (caps an extension), from the seed
    file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = data["categories"] if isinstance(data, dict) else data
    days = {r["code"]: (r.get("default_deadline") or {}).get("normal_working_days") for r in rows}
    return {code: int(d) if d else None for code, d in days.items()}


def _num(cfg: Mapping[str, Any], key: str, default: float) -> float:
    value = cfg.get(key)
    try:
        return float(default if value in (None, "") else value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number") from None


def from_config(cfg: Mapping[str, Any], sealer: Sealer, token_key: str) -> IntakeSettings:
    """Build the settings from a nameko config mapping; may raise ConfigError or WardGeometryError."""
    truthy = str(cfg.get("AUTO_ACCEPT_URGENT", "true")).strip().lower() not in ("0", "false", "no", "off")
    try:
        auto = AutoTriageConfig.parse(
            cfg.get("AUTO_ACCEPT_CATEGORIES"), cfg.get("AUTO_ACCEPT_CHANNELS"), truthy
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return IntakeSettings(
        sealer=sealer,
        token_key=token_key,
        auto_triage=auto,
        rate_rules=parse_rate_rules(cfg.get("RATE_LIMITS")),
        urgent_rules=_rules(cfg, "urgent", URGENT_LIMITS),
        similar_rules=_rules(cfg, "similar", SIMILAR_LIMITS),
        token_rules=_rules(cfg, "token", TOKEN_LIMITS),
        retention=Retention(
            contact_after_close=_months(cfg, "RETENTION_CONTACT_MONTHS", 24),
            audit=_months(cfg, "RETENTION_AUDIT_MONTHS", 60, floor=12),
        ),
        rate_exempt=parse_networks(cfg.get("RATE_LIMIT_EXEMPT_IPS")),
        fence=ProvinceFence.load(
            str(cfg.get("PROVINCE_CODE") or "42"),
            cfg.get("PROVINCE_OUTLINES") or None,
            _num(cfg, "PROVINCE_BUFFER_M", 5000),
        ),
        max_media=int(_num(cfg, "MAX_MEDIA", 6)),
        duplicate_radius_m=_num(cfg, "DUPLICATE_RADIUS_M", 150),
        duplicate_max_age=timedelta(days=_num(cfg, "DUPLICATE_MAX_AGE_DAYS", 30)),
        info_window=timedelta(days=_num(cfg, "INFO_WINDOW_DAYS", 3)),
        reopen_window=timedelta(days=_num(cfg, "REOPEN_DAYS", 7)),
        triage_window=timedelta(hours=_num(cfg, "TRIAGE_HOURS", 4)),
        urgent_triage_window=timedelta(minutes=_num(cfg, "URGENT_TRIAGE_MINUTES", 30)),
        due_soon=timedelta(hours=_num(cfg, "DUE_SOON_HOURS", 24)),
        base_days=load_base_days(cfg.get("CATEGORIES_FILE") or DEFAULT_CATEGORIES),
    )

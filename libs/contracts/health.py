"""Health answers of every service."""

from __future__ import annotations

from .common import Contract


class ServiceHealth(Contract):
    """What a service reports about its own dependencies."""

    service: str
    ok: bool
    checks: dict[str, bool]

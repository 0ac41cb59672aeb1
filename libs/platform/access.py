"""The one role check every service runs on the staff `Actor` the gateway sends (the gateway checked it
too)."""

from __future__ import annotations

from collections.abc import Collection

from libs.contracts.common import ADMINISTRATORS, AGENCY_ROLES, OPERATORS, Actor
from libs.contracts.errors import ErrorCode

from .errors import ServiceError

__all__ = ["ADMINISTRATORS", "AGENCY_ROLES", "OPERATORS", "require_role"]


def require_role(
    actor: Actor | None, roles: Collection[str], *, internal_ok: bool = False, what: str = "do this"
) -> Actor | None:
    """The actor when its role is one of `roles`; None (no actor) passes only when `internal_ok` (a trusted
    service calling). May raise ServiceError UNAUTHENTICATED (no actor) or FORBIDDEN (another role)."""
    if actor is None:
        if internal_ok:
            return None
        raise ServiceError(
            ErrorCode.UNAUTHENTICATED,
            "a staff actor is required",
            [{"field": "actor", "message": "missing", "type": "auth"}],
        )
    if actor.role not in roles:
        raise ServiceError(ErrorCode.FORBIDDEN, f"role {actor.role} may not {what}")
    return actor

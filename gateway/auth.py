"""Staff bearer tokens at the edge: who is calling. What they may see is decided again in the services."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from libs.auth.tokens import InvalidToken, Principal, check_signing_key, verify
from libs.contracts.errors import ErrorCode

from .problems import ApiError

Authorization = Annotated[str | None, Header(description="`Bearer <staff JWT>`")]


def signing_key(request: Request) -> str:
    """The JWT key from settings (validated once at start-up)."""
    return request.app.state.runtime.settings.jwt_key


def optional_principal(request: Request, authorization: Authorization = None) -> Principal | None:
    """The staff member behind the bearer token, or None for a citizen/anonymous call."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(ErrorCode.UNAUTHENTICATED, "use `Authorization: Bearer <token>`",
                       [{"field": "Authorization", "message": "not a bearer token", "type": "auth"}],
                       headers={"WWW-Authenticate": "Bearer"})
    try:
        return verify(token.strip(), signing_key(request))
    except InvalidToken as exc:
        raise ApiError(ErrorCode.UNAUTHENTICATED, f"invalid token: {exc.reason}",
                       [{"field": "Authorization", "message": exc.reason, "type": "auth"}],
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


def require(*roles: str):
    """A dependency that admits only the given staff roles (401 without a token, 403 with another role)."""

    def dependency(principal: Principal | None = Depends(optional_principal)) -> Principal:
        if principal is None:
            raise ApiError(ErrorCode.UNAUTHENTICATED, "staff token required",
                           [{"field": "Authorization", "message": "missing", "type": "auth"}],
                           headers={"WWW-Authenticate": "Bearer"})
        if roles and principal.role not in roles:
            raise ApiError(ErrorCode.FORBIDDEN, f"role {principal.role} may not do this")
        return principal

    return dependency


def actor_payload(principal: Principal | None) -> dict | None:
    """How the caller travels to a service in an RPC payload (services re-check object-level access)."""
    if principal is None:
        return None
    return {"sub": principal.sub, "role": principal.role, "agency": principal.agency}


__all__ = ["Principal", "actor_payload", "check_signing_key", "optional_principal", "require"]

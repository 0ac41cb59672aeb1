"""Staff authentication at the edge: who is calling. What they may see is decided again in the services.

A staff member proves who they are with an access JWT, sent either as `Authorization: Bearer` (API clients) or
in the `ht_access` cookie (the console). A cookie-authenticated write (POST, PUT, PATCH, DELETE) must also
carry `X-CSRF-Token`, an HMAC of the session id under the signing key. A token with a session id (`sid`, every
signed-in token) is checked against the accounts service on every request, so a disabled account or a reset
password stops working at its next request; development tokens from `make token` carry no session."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from libs.auth.grants import mint_grant
from libs.auth.tokens import InvalidToken, Principal, check_signing_key, verify
from libs.contracts.errors import ErrorCode

from .problems import ApiError

Authorization = Annotated[str | None, Header(description="`Bearer <staff JWT>`")]
ACCESS_COOKIE, REFRESH_COOKIE = "ht_access", "ht_refresh"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def signing_key(request: Request) -> str:
    """The JWT key from settings (validated once at start-up)."""
    return request.app.state.runtime.settings.jwt_key


def csrf_token(key: str, session_id: object) -> str:
    """The CSRF token of a session: bound to it, so a token of another session (or none) is refused."""
    mac = hmac.new(key.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def check_csrf(request: Request, session_id: object) -> None:
    """Refuse a cookie-authenticated write without the session's CSRF token (403 CSRF_FAILED)."""
    sent = request.headers.get(CSRF_HEADER, "")
    if not session_id or not hmac.compare_digest(sent, csrf_token(signing_key(request), session_id)):
        raise ApiError(
            ErrorCode.CSRF_FAILED,
            f"send the session's CSRF token in {CSRF_HEADER}",
            [{"field": CSRF_HEADER, "message": "missing or wrong" if sent else "missing", "type": "csrf"}],
        )


def _unauthenticated(reason: str, field: str) -> ApiError:
    return ApiError(
        ErrorCode.UNAUTHENTICATED,
        f"invalid token: {reason}",
        [{"field": field, "message": reason, "type": "auth"}],
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _presented(request: Request, authorization: str | None) -> tuple[str, str] | None:
    """(token, "bearer" | "cookie"), or None when the caller presents nothing."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                ErrorCode.UNAUTHENTICATED,
                "use `Authorization: Bearer <token>`",
                [{"field": "Authorization", "message": "not a bearer token", "type": "auth"}],
                headers={"WWW-Authenticate": "Bearer"},
            )
        return token.strip(), "bearer"
    cookie = request.cookies.get(ACCESS_COOKIE)
    return (cookie, "cookie") if cookie else None


async def session_principal(request: Request, principal: Principal) -> Principal:
    """Refuse a token whose session has ended (sign-out, disabled account, password reset, role change)."""
    if principal.sid is None:
        return principal
    rpc = request.app.state.runtime.rpc
    state = await rpc.call("accounts", "check_session", payload={"session_id": str(principal.sid)})
    if not state["active"]:
        raise ApiError(
            ErrorCode.SESSION_REVOKED,
            f"session ended: {state.get('reason')}",
            [{"field": "session", "message": state.get("reason") or "ended", "type": "auth"}],
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return principal


async def optional_principal(request: Request, authorization: Authorization = None) -> Principal | None:
    """The staff member behind the bearer token or the session cookie, or None for a citizen/anonymous
    call."""
    presented = _presented(request, authorization)
    if presented is None:
        return None
    token, via = presented
    try:
        principal = verify(token, signing_key(request))
    except InvalidToken as exc:
        raise _unauthenticated(exc.reason, "Authorization" if via == "bearer" else ACCESS_COOKIE) from None
    if via == "cookie" and request.method in UNSAFE_METHODS:
        check_csrf(request, principal.sid)
    return await session_principal(request, principal)


def require(*roles: str):
    """A dependency that admits only the given staff roles (401 without a token, 403 with another role)."""

    def dependency(principal: Principal | None = Depends(optional_principal)) -> Principal:
        if principal is None:
            raise ApiError(
                ErrorCode.UNAUTHENTICATED,
                "staff token required",
                [{"field": "Authorization", "message": "missing", "type": "auth"}],
                headers={"WWW-Authenticate": "Bearer"},
            )
        if roles and principal.role not in roles:
            raise ApiError(ErrorCode.FORBIDDEN, f"role {principal.role} may not do this")
        return principal

    return dependency


def actor_payload(principal: Principal | None) -> dict | None:
    """How the caller travels to a service in an RPC payload (services re-check object-level access)."""
    if principal is None:
        return None
    return {"sub": principal.sub, "role": principal.role, "agency": principal.agency}


def personal_data_grant(
    request: Request,
    principal: Principal | None,
    action: str,
    *,
    report_id: object = None,
    media_id: object = None,
    purpose: str | None = None,
) -> str | None:
    """A grant (libs.auth.grants, ≤ 60 s) telling intake which verified staff member reads personal data, for
    which report or file and why; None for anyone but an operator (nobody else is shown any)."""
    if principal is None or principal.role != "operator":
        return None
    return mint_grant(
        request.app.state.runtime.settings.grant_signing_key,
        sub=principal.sub,
        role=principal.role,
        agency=principal.agency,
        action=action,
        report_id=report_id,
        media_id=media_id,
        purpose=purpose,
    )


__all__ = [
    "Principal",
    "actor_payload",
    "personal_data_grant",
    "check_signing_key",
    "csrf_token",
    "optional_principal",
    "require",
]

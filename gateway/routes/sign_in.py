"""Staff sign-in: password, then the extra step the accounts service asks for (new password, TOTP enrolment or
code), then a session: a short-lived access JWT and a rotating refresh token.

`mode: "cookie"` (the console) puts both in `HttpOnly; Secure; SameSite=Strict` cookies and answers the
session's CSRF token; `mode: "token"` (API clients) answers them in the body. See docs/accounts.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import AwareDatetime, BaseModel, Field

from libs.auth.tokens import Principal, mint
from libs.contracts.accounts import AccountView, Enrolment
from libs.contracts.errors import ErrorCode

from ..auth import ACCESS_COOKIE, REFRESH_COOKIE, check_csrf, csrf_token, require, signing_key
from ..calls import PROBLEMS
from ..deps import Runtime, runtime
from ..oidc import SsoError
from ..problems import ApiError, problem
from ..rpc import RemoteError

router = APIRouter(prefix="/v1/auth", tags=["staff sign-in"])
Mode = Literal["cookie", "token"]
OIDC_COOKIE, CSRF_COOKIE = "ht_oidc", "ht_csrf"
Staff = Annotated[Principal, Depends(require())]
AUTH_PROBLEMS = {**PROBLEMS, 423: PROBLEMS[409]}


class SignInBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    mode: Mode = "cookie"


class ContinueBody(BaseModel):
    challenge: str = Field(min_length=20, max_length=200)
    new_password: str | None = Field(None, max_length=200)
    code: str | None = Field(None, max_length=10)
    mode: Mode = "cookie"


class RefreshBody(BaseModel):
    refresh_token: str | None = Field(
        None, max_length=200, description="token mode only (cookie mode: the cookie)"
    )
    mode: Mode = "cookie"


class PasswordBody(BaseModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class SignedIn(BaseModel):
    """A session (`signed_in`) or the next step (`challenge`)."""

    status: Literal["signed_in", "challenge"]
    account: AccountView | None = None
    csrf_token: str | None = Field(
        None, description="Send as X-CSRF-Token on every cookie-authenticated write"
    )
    access_expires_at: AwareDatetime | None = None
    access_token: str | None = Field(None, description="token mode only")
    refresh_token: str | None = Field(None, description="token mode only")
    refresh_expires_at: AwareDatetime | None = None
    step: Literal["change_password", "enrol_totp", "totp"] | None = None
    challenge: str | None = None
    challenge_expires_at: AwareDatetime | None = None
    enrolment: Enrolment | None = None


class Methods(BaseModel):
    password: bool = True
    oidc: bool
    oidc_label: str | None = None


def client(request: Request) -> dict:
    """The caller as the accounts service records it (uvicorn applies X-Forwarded-For from trusted
    proxies)."""
    return {
        "ip": request.client.host if request.client else None,
        "user_agent": (request.headers.get("user-agent") or "")[:300] or None,
    }


def _set_cookie(
    response: Response, rt: Runtime, name: str, value: str, max_age: int, path: str, httponly: bool = True
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=httponly,
        secure=rt.settings.cookie_secure,
        samesite="strict",
    )


def clear_cookies(response: Response, rt: Runtime) -> None:
    for name, path, httponly in (
        (ACCESS_COOKIE, "/", True),
        (REFRESH_COOKIE, "/v1/auth", True),
        (CSRF_COOKIE, "/", False),
    ):
        response.delete_cookie(
            name, path=path, httponly=httponly, secure=rt.settings.cookie_secure, samesite="strict"
        )


def grant_session(request: Request, response: Response, rt: Runtime, grant: dict, mode: Mode) -> SignedIn:
    """Mint the access token for a session grant; cookies or body by mode."""
    account, key = grant["account"], signing_key(request)
    ttl, now = rt.settings.access_lifetime, datetime.now(UTC).replace(microsecond=0)
    access = mint(
        account["username"],
        account["role"],
        key,
        account.get("agency"),
        ttl,
        now=now,
        sid=grant["session_id"],
    )
    refresh_expires = datetime.fromisoformat(grant["refresh_expires_at"])
    body = SignedIn(
        status="signed_in",
        account=account,
        csrf_token=csrf_token(key, grant["session_id"]),
        access_expires_at=now + ttl,
        refresh_expires_at=refresh_expires,
    )
    if mode == "token":
        return body.model_copy(update={"access_token": access, "refresh_token": grant["refresh_token"]})
    _set_cookie(response, rt, ACCESS_COOKIE, access, int(ttl.total_seconds()), "/")
    refresh_s = max(1, int((refresh_expires - now).total_seconds()))
    _set_cookie(response, rt, REFRESH_COOKIE, grant["refresh_token"], refresh_s, "/v1/auth")
    # readable by the console's script (every tab, after a reload) to send back as X-CSRF-Token; worth nothing
    # without the HttpOnly cookies and the session it is bound to
    _set_cookie(response, rt, CSRF_COOKIE, body.csrf_token, refresh_s, "/", httponly=False)
    return body


def answer(request: Request, response: Response, rt: Runtime, result: dict, mode: Mode) -> SignedIn:
    if result.get("session"):
        return grant_session(request, response, rt, result["session"], mode)
    ch = result["challenge"]
    return SignedIn(
        status="challenge",
        step=ch["step"],
        challenge=ch["token"],
        challenge_expires_at=ch["expires_at"],
        enrolment=ch.get("enrolment"),
    )


@router.get("/methods", response_model=Methods, summary="Cách đăng nhập / sign-in methods offered")
async def methods(request: Request, rt: Runtime = Depends(runtime)) -> Methods:
    oidc = request.app.state.oidc.enabled
    return Methods(oidc=oidc, oidc_label=rt.settings.oidc_label if oidc else None)


def _provider(request: Request):
    provider = request.app.state.oidc
    if not provider.enabled:
        raise ApiError(ErrorCode.NOT_FOUND, "single sign-on is not configured (OIDC_ISSUER)")
    return provider


@router.get(
    "/oidc/start",
    status_code=303,
    responses=AUTH_PROBLEMS,
    summary="Đăng nhập một lần / go to the province's OpenID Connect provider",
)
async def oidc_start(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    provider = _provider(request)
    redirect_uri = rt.settings.oidc_redirect_uri or str(request.url_for("oidc_callback"))
    try:
        url, state = await provider.authorization_url(rt.http, redirect_uri, signing_key(request))
    except SsoError as exc:
        return RedirectResponse(f"/staff/?sso_error={quote(exc.reason)}", status_code=303)
    done = RedirectResponse(url, status_code=303)
    # Lax, not Strict: the provider sends the browser back with a cross-site top-level navigation
    done.set_cookie(
        OIDC_COOKIE,
        state,
        max_age=600,
        path="/v1/auth/oidc",
        httponly=True,
        secure=rt.settings.cookie_secure,
        samesite="lax",
    )
    return done


@router.get(
    "/oidc/callback",
    status_code=303,
    responses=AUTH_PROBLEMS,
    summary="Trở về từ nhà cung cấp SSO / the provider's answer: a session, then the console",
)
async def oidc_callback(
    request: Request, code: str = "", state: str = "", error: str = "", rt: Runtime = Depends(runtime)
) -> Response:
    provider = _provider(request)
    try:
        if error or not code:
            raise SsoError(error or "no code")
        who = await provider.identity(
            rt.http, code, state, request.cookies.get(OIDC_COOKIE), signing_key(request)
        )
        result = await rt.rpc.call("accounts", "external_sign_in", payload={**who, "client": client(request)})
    except (SsoError, RemoteError) as exc:
        reason = exc.reason if isinstance(exc, SsoError) else (exc.code.value if exc.code else "refused")
        failed = RedirectResponse(f"/staff/?sso_error={quote(str(reason))}", status_code=303)
        failed.delete_cookie(OIDC_COOKIE, path="/v1/auth/oidc")
        return failed
    done = RedirectResponse("/staff/", status_code=303)
    grant_session(request, done, rt, result["session"], "cookie")
    done.delete_cookie(OIDC_COOKIE, path="/v1/auth/oidc")
    return done


@router.post(
    "/sign-in",
    response_model=SignedIn,
    response_model_exclude_none=True,
    responses=AUTH_PROBLEMS,
    summary="Đăng nhập / sign in with username and password",
)
async def sign_in(
    body: SignInBody, request: Request, response: Response, rt: Runtime = Depends(runtime)
) -> SignedIn:
    result = await rt.rpc.call(
        "accounts",
        "sign_in",
        payload={"username": body.username, "password": body.password, "client": client(request)},
    )
    return answer(request, response, rt, result, body.mode)


@router.post(
    "/sign-in/continue",
    response_model=SignedIn,
    response_model_exclude_none=True,
    responses=AUTH_PROBLEMS,
    summary="Bước tiếp theo / new password, TOTP enrolment or TOTP code",
)
async def continue_sign_in(
    body: ContinueBody, request: Request, response: Response, rt: Runtime = Depends(runtime)
) -> SignedIn:
    payload = {"challenge": body.challenge, "client": client(request)}
    payload.update({k: v for k, v in (("new_password", body.new_password), ("code", body.code)) if v})
    result = await rt.rpc.call("accounts", "continue_sign_in", payload=payload)
    return answer(request, response, rt, result, body.mode)


@router.post(
    "/refresh",
    response_model=SignedIn,
    response_model_exclude_none=True,
    responses=AUTH_PROBLEMS,
    summary="Gia hạn phiên / rotate the refresh token for a new access token",
)
async def refresh(
    request: Request, response: Response, body: RefreshBody | None = None, rt: Runtime = Depends(runtime)
) -> SignedIn | Response:
    body = body or RefreshBody()
    token = body.refresh_token if body.mode == "token" else request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise ApiError(
            ErrorCode.UNAUTHENTICATED,
            "no refresh token",
            [
                {
                    "field": "refresh_token" if body.mode == "token" else REFRESH_COOKIE,
                    "message": "missing",
                    "type": "auth",
                }
            ],
        )
    if body.mode == "cookie":
        check_csrf(request, token.partition(".")[0])
    try:
        grant = await rt.rpc.call(
            "accounts", "refresh_session", payload={"refresh_token": token, "client": client(request)}
        )
    except RemoteError as exc:
        if body.mode == "cookie" and exc.code == ErrorCode.SESSION_REVOKED:
            ended = problem(request, ErrorCode.SESSION_REVOKED, "the session has ended")
            clear_cookies(ended, rt)  # the browser forgets an ended session
            return ended
        raise
    return grant_session(request, response, rt, grant, body.mode)


@router.get(
    "/session",
    response_model=SignedIn,
    response_model_exclude_none=True,
    responses=AUTH_PROBLEMS,
    summary="Phiên hiện tại / the signed-in account and its CSRF token",
)
async def current(request: Request, principal: Staff, rt: Runtime = Depends(runtime)) -> SignedIn:
    if principal.sid is None:
        raise ApiError(ErrorCode.UNAUTHENTICATED, "a development token has no session")
    state = await rt.rpc.call("accounts", "check_session", payload={"session_id": str(principal.sid)})
    return SignedIn(
        status="signed_in",
        account=state["account"],
        access_expires_at=principal.exp,
        csrf_token=csrf_token(signing_key(request), principal.sid),
    )


@router.post("/sign-out", status_code=204, responses=AUTH_PROBLEMS, summary="Đăng xuất / end this session")
async def sign_out(request: Request, principal: Staff, rt: Runtime = Depends(runtime)) -> Response:
    if principal.sid is not None:
        await rt.rpc.call(
            "accounts", "sign_out", payload={"session_id": str(principal.sid), "client": client(request)}
        )
    done = Response(status_code=204)
    clear_cookies(done, rt)
    return done


@router.post(
    "/password",
    response_model=AccountView,
    responses=AUTH_PROBLEMS,
    summary="Đổi mật khẩu / change your password (your other sessions end)",
)
async def change_password(body: PasswordBody, principal: Staff, rt: Runtime = Depends(runtime)) -> dict:
    if principal.sid is None:
        raise ApiError(ErrorCode.UNAUTHENTICATED, "a development token has no session")
    return await rt.rpc.call(
        "accounts",
        "change_password",
        payload={
            "session_id": str(principal.sid),
            "current_password": body.current_password,
            "new_password": body.new_password,
        },
    )

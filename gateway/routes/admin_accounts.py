"""Administrators manage staff accounts: list, create (a one-time password is shown once), change role or
agency, disable/enable, reset password or second factor, unlock; and read the sign-in audit.

(No `from __future__ import annotations`: the verb endpoints are built in a loop.)
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from libs.auth.tokens import Principal
from libs.contracts.accounts import AccountCreated, AccountView, SignInAuditEntry, StaffRole
from libs.contracts.common import AgencyCode

from ..auth import require
from ..deps import Runtime, runtime
from .sign_in import AUTH_PROBLEMS

router = APIRouter(prefix="/v1/admin", tags=["admin: staff accounts"])
Administrator = Annotated[Principal, Depends(require("administrator"))]
Username = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class NewAccount(BaseModel):
    username: Username
    display_name: str = Field(min_length=1, max_length=200)
    role: StaffRole
    agency: AgencyCode | None = Field(None, description="Required for agency_officer and agency_leader")


class AccountChange(BaseModel):
    display_name: str | None = Field(None, min_length=1, max_length=200)
    role: StaffRole | None = None
    agency: AgencyCode | None = None


def _actor(principal: Principal) -> dict:
    return {"sub": principal.sub, "role": principal.role}


@router.get(
    "/accounts",
    response_model=list[AccountView],
    responses=AUTH_PROBLEMS,
    summary="Tài khoản cán bộ / staff accounts",
)
async def list_accounts(
    principal: Administrator,
    role: StaffRole | None = None,
    agency: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    rt: Runtime = Depends(runtime),
) -> list:
    return await rt.rpc.call("accounts", "list_accounts", payload={"role": role, "agency": agency, "q": q})


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountCreated,
    responses=AUTH_PROBLEMS,
    summary="Tạo tài khoản / create an account (the one-time password is shown only now)",
)
async def create_account(body: NewAccount, principal: Administrator, rt: Runtime = Depends(runtime)) -> dict:
    return await rt.rpc.call(
        "accounts", "create_account", payload={**body.model_dump(), "actor": _actor(principal)}
    )


@router.patch(
    "/accounts/{username}",
    response_model=AccountCreated,
    responses=AUTH_PROBLEMS,
    summary="Sửa tài khoản / rename, change role or agency (a role change ends its sessions)",
)
async def update_account(
    username: Username, body: AccountChange, principal: Administrator, rt: Runtime = Depends(runtime)
) -> dict:
    return await rt.rpc.call(
        "accounts",
        "update_account",
        payload={**body.model_dump(exclude_unset=True), "username": username, "actor": _actor(principal)},
    )


def _verb(
    path: str, action: Literal["disable", "enable", "reset_password", "reset_factor", "unlock"], summary: str
):
    async def endpoint(username: Username, principal: Administrator, rt: Runtime = Depends(runtime)) -> dict:
        return await rt.rpc.call(
            "accounts",
            "account_command",
            payload={"username": username, "action": action, "actor": _actor(principal)},
        )

    endpoint.__name__ = f"account_{action}"
    router.post(
        f"/accounts/{{username}}/{path}",
        response_model=AccountCreated,
        responses=AUTH_PROBLEMS,
        summary=summary,
    )(endpoint)


_verb("disable", "disable", "Vô hiệu hóa / disable (its sessions end at once)")
_verb("enable", "enable", "Kích hoạt lại / enable again")
_verb("reset-password", "reset_password", "Đặt lại mật khẩu / new one-time password (sessions end)")
_verb(
    "reset-factor",
    "reset_factor",
    "Đặt lại xác thực hai lớp / re-enrol TOTP at the next sign-in (sessions end)",
)
_verb("unlock", "unlock", "Mở khóa / lift a lock after failed sign-ins")


@router.get(
    "/sign-in-audit",
    response_model=list[SignInAuditEntry],
    responses=AUTH_PROBLEMS,
    summary="Nhật ký đăng nhập / the sign-in audit, newest first",
)
async def sign_in_audit(
    principal: Administrator,
    username: str | None = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    rt: Runtime = Depends(runtime),
) -> list:
    return await rt.rpc.call(
        "accounts", "list_audit", payload={"username": username, "before_id": before_id, "limit": limit}
    )

"""Administrators' use cases: create, change, disable/enable accounts, reset passwords and factors, unlock.

Whatever takes a right away (disable, reset, role or agency change) ends the account's sessions in the same
transaction, so its next request is refused. Every change is in the audit with the administrator as actor.
"""

from __future__ import annotations

from uuid import uuid4

from libs.contracts.accounts import (
    AGENCY_ROLES,
    AccountCommand,
    AccountCreated,
    AccountView,
    CreateAccount,
    ExternalSignIn,
    SignInResult,
    UpdateAccount,
)
from libs.contracts.errors import ErrorCode
from libs.platform.errors import ServiceError

from ..domain import passwords
from ..domain.outcomes import Recorded, invalid
from ..domain.views import account_view
from ..repository import staff as repo
from .signin import Ctx, open_session


def _account(ctx: Ctx, username: str):
    row = repo.account_by_username(ctx.uow, username, lock=True)
    if row is None:
        raise ServiceError(
            ErrorCode.ACCOUNT_NOT_FOUND,
            f"no account {username}",
            [{"field": "username", "message": "unknown", "type": "not_found"}],
        )
    return row


def view(ctx: Ctx, row) -> AccountView:
    """The account with its current lock (from the username's throttle)."""
    return account_view(row, repo.locked_until(ctx.uow, ctx.user_key(row.username), ctx.now))


def create(ctx: Ctx, cmd: CreateAccount, actor: str | None = None) -> AccountCreated:
    """A new account with a one-time password (changed at the first sign-in); ACCOUNT_CONFLICT if taken."""
    if repo.account_by_username(ctx.uow, cmd.username) is not None:
        raise ServiceError(
            ErrorCode.ACCOUNT_CONFLICT,
            f"{cmd.username} exists",
            [{"field": "username", "message": "already taken", "type": "conflict"}],
        )
    secret = passwords.one_time_password()
    row = repo.insert_account(
        ctx.uow,
        id=uuid4(),
        username=cmd.username,
        display_name=cmd.display_name,
        role=cmd.role,
        agency_code=cmd.agency,
        password_hash=ctx.passwords.hash(secret),
        must_change_password=True,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.audit(
        "account_created",
        username=row.username,
        account_id=row.id,
        actor=actor or cmd.actor.sub,
        role=row.role,
        agency=row.agency_code,
    )
    return AccountCreated(account=account_view(row), one_time_password=secret)


def update(ctx: Ctx, cmd: UpdateAccount) -> AccountCreated:
    """Rename, or change role/agency (which ends the sessions: their tokens carry the old ones)."""
    row = _account(ctx, cmd.username)
    role = cmd.role or row.role
    agency = (
        cmd.agency
        if "agency" in cmd.model_fields_set
        else (row.agency_code if role in AGENCY_ROLES else None)
    )
    if (role in AGENCY_ROLES) != (agency is not None):
        raise invalid("agency", "agency is required for agency roles and not allowed for others")
    changes = {
        k: v
        for k, v in (
            ("display_name", cmd.display_name or row.display_name),
            ("role", role),
            ("agency_code", agency),
        )
        if v != getattr(row, k)
    }
    if changes:
        row = repo.update_account(ctx.uow, row.id, **changes, updated_at=ctx.now)
        if {"role", "agency_code"} & changes.keys():
            repo.revoke_sessions(ctx.uow, row.id, ctx.now, "role_changed")
        ctx.audit("account_updated", username=row.username, account_id=row.id, actor=cmd.actor.sub, **changes)
    return AccountCreated(account=view(ctx, row))


def command(ctx: Ctx, cmd: AccountCommand) -> AccountCreated:
    """disable, enable, reset_password (answers a new one-time password), reset_factor, unlock."""
    row = _account(ctx, cmd.username)
    if cmd.action == "disable" and cmd.username == cmd.actor.sub:
        raise ServiceError(ErrorCode.FORBIDDEN, "you cannot disable your own account")
    secret, ended = None, 0
    if cmd.action == "disable":
        row = repo.update_account(ctx.uow, row.id, active=False, updated_at=ctx.now)
        ended = repo.revoke_sessions(ctx.uow, row.id, ctx.now, "disabled")
    elif cmd.action == "enable":
        row = repo.update_account(ctx.uow, row.id, active=True, updated_at=ctx.now)
    elif cmd.action == "reset_password":
        if row.external_id is not None and row.password_hash is None:
            raise ServiceError(ErrorCode.ACCOUNT_CONFLICT, "this account signs in through single sign-on")
        secret = passwords.one_time_password()
        row = repo.update_account(
            ctx.uow,
            row.id,
            password_hash=ctx.passwords.hash(secret),
            must_change_password=True,
            updated_at=ctx.now,
        )
        ended = repo.revoke_sessions(ctx.uow, row.id, ctx.now, "password_reset")
    elif cmd.action == "reset_factor":
        row = repo.update_account(ctx.uow, row.id, totp_sealed=None, totp_last_step=None, updated_at=ctx.now)
        ended = repo.revoke_sessions(ctx.uow, row.id, ctx.now, "factor_reset")
    if cmd.action in ("enable", "reset_password", "unlock"):
        repo.clear_throttle(ctx.uow, ctx.user_key(row.username))
    event = {
        "disable": "account_disabled",
        "enable": "account_enabled",
        "reset_password": "password_reset",
        "reset_factor": "factor_reset",
        "unlock": "account_unlocked",
    }[cmd.action]
    ctx.audit(event, username=row.username, account_id=row.id, actor=cmd.actor.sub, sessions_ended=ended)
    return AccountCreated(account=view(ctx, row), one_time_password=secret)


def external_sign_in(ctx: Ctx, cmd: ExternalSignIn) -> SignInResult:
    """A session for an identity the OIDC provider vouched for: the account is created on first use and its
    role and agency follow the provider's claims; a local account of the same username is never taken over."""
    external_id = f"{cmd.issuer}|{cmd.subject}"
    row = repo.account_by_external(ctx.uow, external_id)
    if row is None:
        if repo.account_by_username(ctx.uow, cmd.username) is not None:
            ctx.audit("sign_in_failed", cmd.client, username=cmd.username, reason="sso_username_taken")
            raise Recorded(ServiceError(ErrorCode.ACCOUNT_CONFLICT, f"{cmd.username} is a local account"))
        row = repo.insert_account(
            ctx.uow,
            id=uuid4(),
            username=cmd.username,
            display_name=cmd.display_name,
            role=cmd.role,
            agency_code=cmd.agency,
            external_id=external_id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.audit(
            "account_created",
            cmd.client,
            username=row.username,
            account_id=row.id,
            actor="sso",
            role=row.role,
            agency=row.agency_code,
        )
    changes = {
        k: v
        for k, v in (("display_name", cmd.display_name), ("role", cmd.role), ("agency_code", cmd.agency))
        if v != getattr(row, k)
    }
    if changes:
        row = repo.update_account(ctx.uow, row.id, **changes, updated_at=ctx.now)
        repo.revoke_sessions(ctx.uow, row.id, ctx.now, "role_changed")
        ctx.audit(
            "account_updated", cmd.client, username=row.username, account_id=row.id, actor="sso", **changes
        )
    if not row.active:
        ctx.audit("sign_in_failed", cmd.client, username=row.username, account_id=row.id, reason="disabled")
        raise Recorded(ServiceError(ErrorCode.ACCOUNT_DISABLED, "the account is disabled"))
    return SignInResult(session=open_session(ctx, row, cmd.client, "oidc"))

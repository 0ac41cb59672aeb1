"""Sign-in, its extra steps (new password, TOTP enrolment or check), sessions with rotating refresh tokens.

Use cases over a unit of work (`execute`), the password pool and the settings; they never commit: the service
commits once, also before raising a `Recorded` refusal (its audit row and throttle change must stay).
Precedence of one attempt: IP or username throttled → refused unchecked; password wrong, unknown user →
failure counted on both throttles (the `max_failures`-th locks); right password of a disabled account →
ACCOUNT_DISABLED; right password → must change it → must enrol TOTP (operators, administrators) → TOTP check →
session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from libs.contracts.accounts import (
    FACTOR_ROLES,
    Challenge,
    ClientInfo,
    ContinueSignIn,
    Enrolment,
    Refresh,
    SessionGrant,
    SessionState,
    SignIn,
    SignInResult,
)
from libs.contracts.errors import ErrorCode
from libs.platform.errors import ServiceError

from ..domain import factors, passwords
from ..domain.outcomes import Recorded, invalid, retry_after
from ..domain.throttle import Refusal, after_ip_failure, after_user_failure, refusal
from ..domain.views import account_view
from ..repository import staff as repo
from ..settings import AccountsSettings

MAX_CHALLENGE_ATTEMPTS = 5


@dataclass
class Ctx:
    """What every use case works with."""

    uow: object
    settings: AccountsSettings
    passwords: object  # PasswordPool: hash(password), verify(stored, password)
    now: datetime

    def audit(self, event: str, client: ClientInfo | None = None, **kw) -> None:
        client = client or ClientInfo()
        repo.write_audit(self.uow, event, ip=client.ip, user_agent=client.user_agent, **kw)

    def user_key(self, username: str) -> str:
        return self.settings.sealer.keyed("user", username)

    def ip_key(self, client: ClientInfo) -> str:
        return self.settings.sealer.keyed("ip", client.ip or "-")


def digest(token: str) -> bytes:
    """Tokens are stored only as SHA-256 digests (they are long random strings: no salt or stretching
    needed)."""
    return hashlib.sha256(token.encode()).digest()


def _refused(ctx: Ctx, refused: Refusal, username: str, client: ClientInfo) -> Recorded:
    ctx.audit(
        "sign_in_refused",
        client,
        username=username,
        reason=refused.reason,
        retry_after_s=refused.retry_after_s,
    )
    if refused.reason == "locked":
        return Recorded(
            retry_after(
                ErrorCode.ACCOUNT_LOCKED, f"locked until {refused.until.isoformat()}", refused.retry_after_s
            )
        )
    return Recorded(
        retry_after(
            ErrorCode.SIGN_IN_THROTTLED,
            f"wait {refused.retry_after_s} s ({refused.reason})",
            refused.retry_after_s,
        )
    )


def _count_failure(
    ctx: Ctx, username: str, client: ClientInfo, account_id: UUID | None, reason: str, field: str
) -> Recorded:
    """Count a failure on the username's and the IP's throttles; the error says how long to wait."""
    policy = ctx.settings.policy
    user_key, ip_key = ctx.user_key(username), ctx.ip_key(client)
    user = after_user_failure(repo.throttle(ctx.uow, user_key, ctx.now), ctx.now, policy)
    ip = after_ip_failure(repo.throttle(ctx.uow, ip_key, ctx.now), ctx.now, policy)
    repo.save_throttle(ctx.uow, user_key, user, ctx.now)
    repo.save_throttle(ctx.uow, ip_key, ip, ctx.now)
    ctx.audit(
        "sign_in_failed",
        client,
        username=username,
        account_id=account_id,
        reason=reason,
        failures=user.failures,
    )
    if user.locked_until:
        ctx.audit(
            "account_locked",
            client,
            username=username,
            account_id=account_id,
            until=user.locked_until.isoformat(),
        )
        return Recorded(
            retry_after(
                ErrorCode.ACCOUNT_LOCKED,
                f"locked until {user.locked_until.isoformat()}",
                int(policy.lock.total_seconds()),
                field,
            )
        )
    wait = int((user.not_before - ctx.now).total_seconds()) if user.not_before else 0
    return Recorded(
        retry_after(ErrorCode.INVALID_CREDENTIALS, "wrong username, password or code", wait, field)
    )


def _check_throttles(ctx: Ctx, username: str, client: ClientInfo) -> None:
    """May raise Recorded(SIGN_IN_THROTTLED or ACCOUNT_LOCKED) without checking anything else."""
    refused = refusal(repo.throttle(ctx.uow, ctx.ip_key(client), ctx.now), ctx.now, "ip") or refusal(
        repo.throttle(ctx.uow, ctx.user_key(username), ctx.now), ctx.now
    )
    if refused:
        raise _refused(ctx, refused, username, client)


def sign_in(ctx: Ctx, cmd: SignIn) -> SignInResult:
    """Check the password; answer the next step or a session. May raise Recorded or ServiceError."""
    _check_throttles(ctx, cmd.username, cmd.client)
    account = repo.account_by_username(ctx.uow, cmd.username, lock=True)
    matches, rehash = ctx.passwords.verify(account.password_hash if account else None, cmd.password)
    if not matches:
        raise _count_failure(
            ctx,
            cmd.username,
            cmd.client,
            account.id if account else None,
            "bad_password" if account else "unknown_user",
            "password",
        )
    if not account.active:
        ctx.audit(
            "sign_in_failed", cmd.client, username=account.username, account_id=account.id, reason="disabled"
        )
        raise Recorded(ServiceError(ErrorCode.ACCOUNT_DISABLED, "the account is disabled"))
    repo.clear_throttle(ctx.uow, ctx.user_key(cmd.username))
    if rehash:
        account = repo.update_account(ctx.uow, account.id, password_hash=ctx.passwords.hash(cmd.password))
    return next_step(ctx, account, cmd.client, "password")


def next_step(ctx: Ctx, account, client: ClientInfo, method: str) -> SignInResult:
    """After the password: a new password if it was one-time, then the second factor, then the session."""
    if account.must_change_password:
        return SignInResult(challenge=_challenge(ctx, account, "change_password"))
    if account.totp_sealed is None and account.role in FACTOR_ROLES:
        return SignInResult(challenge=_challenge(ctx, account, "enrol_totp", factors.new_secret()))
    if account.totp_sealed is not None:
        return SignInResult(challenge=_challenge(ctx, account, "totp"))
    return SignInResult(session=open_session(ctx, account, client, method))


def _challenge(ctx: Ctx, account, step: str, pending_secret: str | None = None) -> Challenge:
    token, expires = secrets.token_urlsafe(32), ctx.now + ctx.settings.challenge_ttl
    repo.insert_challenge(
        ctx.uow,
        token_hash=digest(token),
        account_id=account.id,
        step=step,
        created_at=ctx.now,
        expires_at=expires,
        pending_totp_sealed=ctx.settings.sealer.seal(pending_secret) if pending_secret else None,
    )
    enrolment = None
    if pending_secret:
        uri = factors.otpauth_uri(pending_secret, account.username)
        enrolment = Enrolment(secret=pending_secret, otpauth_uri=uri, qr_svg=factors.qr_svg(uri))
    return Challenge(token=token, step=step, expires_at=expires, enrolment=enrolment)


def continue_sign_in(ctx: Ctx, cmd: ContinueSignIn) -> SignInResult:
    """Carry out a challenge's step; may raise Recorded or ServiceError."""
    token_hash = digest(cmd.challenge)
    row = repo.take_challenge(ctx.uow, token_hash)
    if row is None or row.expires_at <= ctx.now or row.attempts >= MAX_CHALLENGE_ATTEMPTS:
        if row is not None:
            repo.delete_challenge(ctx.uow, token_hash)
        raise Recorded(ServiceError(ErrorCode.CHALLENGE_INVALID, "unknown or expired sign-in step"))
    account = repo.account_by_id(ctx.uow, row.account_id, lock=True)
    if not account.active:
        repo.delete_challenge(ctx.uow, token_hash)
        raise Recorded(ServiceError(ErrorCode.ACCOUNT_DISABLED, "the account is disabled"))
    _check_throttles(ctx, account.username, cmd.client)
    if row.step == "change_password":
        account = _set_own_password(ctx, account, cmd.new_password, "new_password", cmd.client)
    else:
        account = _check_code(ctx, account, row, cmd)
    repo.delete_challenge(ctx.uow, token_hash)
    if row.step == "change_password":
        return next_step(ctx, account, cmd.client, "password")
    return SignInResult(session=open_session(ctx, account, cmd.client, "password"))


def _set_own_password(
    ctx: Ctx,
    account,
    new_password: str | None,
    field: str,
    client: ClientInfo,
    keep_session: UUID | None = None,
):
    """Replace the password (rules checked, must differ); other sessions end. May raise ServiceError."""
    if not new_password:
        raise invalid(field, "a new password is required")
    weak = passwords.weakness(new_password, account.username)
    if weak:
        raise invalid(field, weak)
    if ctx.passwords.verify(account.password_hash, new_password)[0]:
        raise invalid(field, "Mật khẩu mới phải khác mật khẩu cũ / must differ from the current password")
    account = repo.update_account(
        ctx.uow,
        account.id,
        password_hash=ctx.passwords.hash(new_password),
        must_change_password=False,
        updated_at=ctx.now,
    )
    repo.revoke_sessions(ctx.uow, account.id, ctx.now, "password_changed", keep=keep_session)
    ctx.audit(
        "password_changed", client, username=account.username, account_id=account.id, actor=account.username
    )
    return account


def _check_code(ctx: Ctx, account, row, cmd: ContinueSignIn):
    """Check a TOTP code (the pending secret when enrolling); a wrong code counts as a failed sign-in."""
    if not cmd.code:
        raise invalid("code", "the 6-digit code is required")
    enrolling = row.step == "enrol_totp"
    sealed = row.pending_totp_sealed if enrolling else account.totp_sealed
    step = factors.accept(
        ctx.settings.sealer.open(sealed), cmd.code, None if enrolling else account.totp_last_step, ctx.now
    )
    if step is None:
        repo.count_challenge_attempt(ctx.uow, row.token_hash)
        raise _count_failure(ctx, account.username, cmd.client, account.id, "bad_code", "code")
    repo.clear_throttle(ctx.uow, ctx.user_key(account.username))
    if enrolling:
        ctx.audit(
            "factor_enrolled",
            cmd.client,
            username=account.username,
            account_id=account.id,
            actor=account.username,
            factor="totp",
        )
        return repo.update_account(
            ctx.uow, account.id, totp_sealed=sealed, totp_last_step=step, updated_at=ctx.now
        )
    return repo.update_account(ctx.uow, account.id, totp_last_step=step)


def open_session(ctx: Ctx, account, client: ClientInfo, method: str) -> SessionGrant:
    """A new session with its first refresh token (`<session id>.<secret>`, stored as a digest)."""
    session_id = uuid4()
    refresh_token = f"{session_id}.{secrets.token_urlsafe(32)}"
    expires = ctx.now + ctx.settings.session_max
    repo.insert_session(
        ctx.uow,
        id=session_id,
        account_id=account.id,
        refresh_hash=digest(refresh_token),
        method=method,
        created_at=ctx.now,
        last_seen_at=ctx.now,
        idle_expires_at=min(ctx.now + ctx.settings.session_idle, expires),
        expires_at=expires,
        ip=client.ip,
        user_agent=client.user_agent,
    )
    account = repo.update_account(ctx.uow, account.id, last_sign_in_at=ctx.now)
    ctx.audit(
        "sign_in",
        client,
        username=account.username,
        account_id=account.id,
        method=method,
        session_id=str(session_id),
    )
    return SessionGrant(
        session_id=session_id,
        refresh_token=refresh_token,
        refresh_expires_at=expires,
        account=account_view(account),
    )


def _session_id(token: str) -> UUID | None:
    try:
        return UUID(token.partition(".")[0])
    except ValueError:
        return None


def refresh(ctx: Ctx, cmd: Refresh) -> SessionGrant:
    """Rotate the refresh token. The previous one again within the grace period is a race between tabs
    (REFRESH_RACE, nothing changes); later it is reuse of a stolen token and ends the session."""
    session_id = _session_id(cmd.refresh_token)
    row = repo.session_for_update(ctx.uow, session_id) if session_id else None
    presented = digest(cmd.refresh_token)
    revoked = ServiceError(ErrorCode.SESSION_REVOKED, "the session has ended")
    if row is None or row.revoked_at is not None:
        raise revoked
    if presented != row.refresh_hash:
        if row.previous_hash != presented:
            raise revoked
        if row.rotated_at and ctx.now - row.rotated_at <= ctx.settings.refresh_grace:
            raise ServiceError(
                ErrorCode.REFRESH_RACE, "this refresh token was just replaced: retry the request"
            )
        _end(ctx, row, "refresh_reuse", cmd.client)
        raise Recorded(revoked)
    account = repo.account_by_id(ctx.uow, row.account_id)
    if ctx.now >= row.expires_at or ctx.now >= row.idle_expires_at or not account.active:
        _end(ctx, row, "expired" if account.active else "disabled", cmd.client)
        raise Recorded(revoked)
    new_token = f"{row.id}.{secrets.token_urlsafe(32)}"
    repo.update_session(
        ctx.uow,
        row.id,
        refresh_hash=digest(new_token),
        previous_hash=row.refresh_hash,
        rotated_at=ctx.now,
        last_seen_at=ctx.now,
        idle_expires_at=min(ctx.now + ctx.settings.session_idle, row.expires_at),
    )
    return SessionGrant(
        session_id=row.id,
        refresh_token=new_token,
        refresh_expires_at=row.expires_at,
        account=account_view(account),
    )


def _end(ctx: Ctx, row, reason: str, client: ClientInfo | None = None) -> None:
    repo.update_session(ctx.uow, row.id, revoked_at=ctx.now, revoke_reason=reason)
    account = repo.account_by_id(ctx.uow, row.account_id)
    ctx.audit(
        "sign_out" if reason == "sign_out" else "session_ended",
        client,
        username=account.username,
        account_id=account.id,
        reason=reason,
        session_id=str(row.id),
    )


def check(ctx: Ctx, session_id: UUID) -> SessionState:
    """Whether a session may act now: not revoked, not past its absolute expiry, its account active."""
    row = repo.session_with_account(ctx.uow, session_id)
    if row is None:
        return SessionState(session_id=session_id, active=False, reason="unknown")
    reason = (
        "revoked"
        if row.revoked_at is not None
        else "disabled"
        if not row.active
        else "expired"
        if ctx.now >= row.expires_at
        else None
    )
    return SessionState(
        session_id=session_id,
        active=reason is None,
        reason=row.revoke_reason or reason,
        account=account_view(row) if reason is None else None,
    )


def sign_out(ctx: Ctx, session_id: UUID, client: ClientInfo) -> None:
    """End a session (idempotent)."""
    row = repo.session_for_update(ctx.uow, session_id)
    if row is not None and row.revoked_at is None:
        _end(ctx, row, "sign_out", client)


def change_password(ctx: Ctx, session_id: UUID, current: str, new: str, client: ClientInfo):
    """The holder of a live session changes their password; every other session of theirs ends."""
    state = check(ctx, session_id)
    if not state.active:
        raise ServiceError(ErrorCode.SESSION_REVOKED, "the session has ended")
    account = repo.account_by_id(ctx.uow, state.account.id, lock=True)
    if not ctx.passwords.verify(account.password_hash, current)[0]:
        raise _count_failure(ctx, account.username, client, account.id, "bad_password", "current_password")
    return account_view(_set_own_password(ctx, account, new, "new_password", client, keep_session=session_id))

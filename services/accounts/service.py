"""The accounts service: staff accounts, sign-in with a second factor, sessions and the sign-in audit
(see docs/accounts.md). The gateway mints the short-lived access tokens; this service decides who may have one
and whether a session may still act.

Consumes: nothing.
Emits: nothing (sessions are checked synchronously: a disabled account's next request is refused).
"""

from __future__ import annotations

from nameko.rpc import rpc
from nameko.timer import timer

from libs.contracts.accounts import (
    AccountCommand,
    AccountsQuery,
    AuditQuery,
    ChangePassword,
    ClientInfo,
    ContinueSignIn,
    CreateAccount,
    ExternalSignIn,
    Refresh,
    SessionRef,
    SignIn,
    SignOut,
    UpdateAccount,
)
from libs.contracts.common import utcnow
from libs.contracts.health import ServiceHealth
from libs.platform.db import Database
from libs.platform.errors import ServiceError, parse
from libs.platform.telemetry import Telemetry

from .dependencies import Passwords, Settings
from .domain.outcomes import Recorded
from .domain.views import audit_entry
from .repository import staff as repo
from .usecases import admin, signin


class AccountsService:
    """Accounts, sessions and the sign-in audit in schema `accounts`."""

    name = "accounts"
    db = Database()
    settings = Settings()
    passwords = Passwords()
    telemetry = Telemetry()

    def _ctx(self) -> signin.Ctx:
        return signin.Ctx(self.db, self.settings, self.passwords, utcnow())

    def _commit(self, fn, *args):
        """Run a use case and commit once; a Recorded refusal commits what it recorded, then raises."""
        try:
            result = fn(self._ctx(), *args)
        except Recorded as exc:
            self.db.commit()
            raise exc.error from None
        self.db.commit()
        return result.model_dump(mode="json") if result is not None else None

    @rpc(expected_exceptions=ServiceError)
    def sign_in(self, payload: dict) -> dict:
        """Username and password → the next step (`challenge`) or a `session`."""
        return self._commit(signin.sign_in, parse(SignIn, payload))

    @rpc(expected_exceptions=ServiceError)
    def continue_sign_in(self, payload: dict) -> dict:
        """A challenge's step: new password, TOTP enrolment, TOTP code."""
        return self._commit(signin.continue_sign_in, parse(ContinueSignIn, payload))

    @rpc(expected_exceptions=ServiceError)
    def external_sign_in(self, payload: dict) -> dict:
        """A session for an identity the OIDC provider vouched for (the gateway verified its ID token)."""
        return self._commit(admin.external_sign_in, parse(ExternalSignIn, payload))

    @rpc(expected_exceptions=ServiceError)
    def refresh_session(self, payload: dict) -> dict:
        """Rotate the refresh token (reuse of an old one ends the session)."""
        return self._commit(signin.refresh, parse(Refresh, payload))

    @rpc(expected_exceptions=ServiceError)
    def check_session(self, payload: dict) -> dict:
        """Whether the session may still act (asked on every staff request)."""
        return signin.check(self._ctx(), parse(SessionRef, payload).session_id).model_dump(mode="json")

    @rpc(expected_exceptions=ServiceError)
    def sign_out(self, payload: dict) -> None:
        """End a session (its refresh token no longer works)."""
        cmd = parse(SignOut, payload)
        return self._commit(signin.sign_out, cmd.session_id, cmd.client)

    @rpc(expected_exceptions=ServiceError)
    def change_password(self, payload: dict) -> dict:
        """A signed-in staff member changes their own password (the current one checked)."""
        cmd = parse(ChangePassword, payload)
        return self._commit(
            signin.change_password, cmd.session_id, cmd.current_password, cmd.new_password, ClientInfo()
        )

    @rpc(expected_exceptions=ServiceError)
    def list_accounts(self, payload: dict) -> list[dict]:
        """Administrators: accounts, optionally by role, agency or a search text."""
        query, ctx = parse(AccountsQuery, payload), self._ctx()
        rows = repo.list_accounts(self.db, query.role, query.agency, query.q)
        return [admin.view(ctx, r).model_dump(mode="json") for r in rows]

    @rpc(expected_exceptions=ServiceError)
    def create_account(self, payload: dict) -> dict:
        """Administrators: a new account with a one-time password."""
        return self._commit(admin.create, parse(CreateAccount, payload))

    @rpc(expected_exceptions=ServiceError)
    def update_account(self, payload: dict) -> dict:
        """Administrators: change an account's name, role or agency."""
        return self._commit(admin.update, parse(UpdateAccount, payload))

    @rpc(expected_exceptions=ServiceError)
    def account_command(self, payload: dict) -> dict:
        """disable | enable | reset_password | reset_factor | unlock."""
        return self._commit(admin.command, parse(AccountCommand, payload))

    @rpc(expected_exceptions=ServiceError)
    def list_audit(self, payload: dict) -> list[dict]:
        """Administrators: the sign-in audit, newest first, optionally of one username."""
        query = parse(AuditQuery, payload)
        return [
            audit_entry(r).model_dump(mode="json")
            for r in repo.read_audit(self.db, query.username, query.before_id, query.limit)
        ]

    @timer(interval=600)
    def sweep(self) -> None:
        """Forget expired sign-in steps and idle throttles (a day without failures, no lock running)."""
        repo.forget_expired(self.db, utcnow())
        self.db.commit()

    @rpc
    def health(self) -> dict:
        """Whether the database answers."""
        ok = self.db.ping()
        return ServiceHealth(service=self.name, ok=ok, checks={"database": ok}).model_dump(mode="json")

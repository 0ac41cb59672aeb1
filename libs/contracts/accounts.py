"""Staff accounts and sign-in: the accounts service's commands and views (no secrets in any view)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from .common import AGENCY_ROLES, AgencyCode, Contract, StaffRole

FACTOR_ROLES = frozenset({"operator", "administrator"})  # they can see personal data: TOTP is required
Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$"
    ),
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Client = Annotated[str, StringConstraints(max_length=300)]
Step = Literal["change_password", "enrol_totp", "totp"]


class ClientInfo(Contract):
    """Where a sign-in comes from (the gateway's view of the caller)."""

    ip: Client | None = None
    user_agent: Client | None = None


class SignIn(Contract):
    """Username and password."""

    username: Username
    password: Password
    client: ClientInfo = ClientInfo()


class ContinueSignIn(Contract):
    """The next step of a sign-in that needs one: a new password, or a TOTP code (enrolment or check)."""

    challenge: Annotated[str, StringConstraints(min_length=20, max_length=200)]
    new_password: Password | None = None
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")] | None = None
    client: ClientInfo = ClientInfo()


class ExternalSignIn(Contract):
    """A sign-in vouched for by the province's OpenID Connect provider (claims already verified)."""

    issuer: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    subject: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    username: Username
    display_name: DisplayName
    role: StaffRole
    agency: AgencyCode | None = None
    client: ClientInfo = ClientInfo()


class AccountView(Contract):
    """A staff account as administrators and the account holder see it."""

    id: UUID
    username: str
    display_name: str
    role: StaffRole
    agency: str | None = None
    active: bool
    totp_enabled: bool
    factor_required: bool
    must_change_password: bool
    locked_until: AwareDatetime | None = None
    external: bool = Field(False, description="Signs in through the OpenID Connect provider")
    created_at: AwareDatetime
    last_sign_in_at: AwareDatetime | None = None


class Enrolment(Contract):
    """A TOTP secret to enrol (shown once, during the sign-in step `enrol_totp`)."""

    secret: str
    otpauth_uri: str
    qr_svg: str = Field(description="The otpauth URI as an SVG QR code")


class Challenge(Contract):
    """A sign-in that needs another step; `token` continues it (short-lived, single account)."""

    token: str
    step: Step
    expires_at: AwareDatetime
    enrolment: Enrolment | None = None


class SessionGrant(Contract):
    """A new or rotated session: the refresh token is returned once and stored only as a hash."""

    session_id: UUID
    refresh_token: str
    refresh_expires_at: AwareDatetime
    account: AccountView


class SignInResult(Contract):
    """Either a session, or the next step."""

    session: SessionGrant | None = None
    challenge: Challenge | None = None


class Refresh(Contract):
    """Rotate a session's refresh token."""

    refresh_token: Annotated[str, StringConstraints(min_length=20, max_length=200)]
    client: ClientInfo = ClientInfo()


class SessionRef(Contract):
    """One session, by id."""

    session_id: UUID


class SignOut(Contract):
    """End one session."""

    session_id: UUID
    client: ClientInfo = ClientInfo()


class SessionState(Contract):
    """Whether a session may still act (checked on every staff request)."""

    session_id: UUID
    active: bool
    reason: str | None = None
    account: AccountView | None = None


class ChangePassword(Contract):
    """The account holder changes their own password (sessions other than this one end)."""

    session_id: UUID
    current_password: Password
    new_password: Password


class AdminActor(Contract):
    """The administrator doing an account operation (from the verified token)."""

    sub: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    role: Literal["administrator"]


class CreateAccount(Contract):
    """A new staff account; a one-time password is generated and returned once."""

    actor: AdminActor
    username: Username
    display_name: DisplayName
    role: StaffRole
    agency: AgencyCode | None = None

    @model_validator(mode="after")
    def _agency_matches_role(self) -> CreateAccount:
        if (self.role in AGENCY_ROLES) != (self.agency is not None):
            raise ValueError("agency is required for agency roles and not allowed for others")
        return self


class UpdateAccount(Contract):
    """Change an account's name, role or agency (role or agency changes end its sessions)."""

    actor: AdminActor
    username: Username
    display_name: DisplayName | None = None
    role: StaffRole | None = None
    agency: AgencyCode | None = None


class AccountCommand(Contract):
    """An administrator's verb on one account."""

    actor: AdminActor
    username: Username
    action: Literal["disable", "enable", "reset_password", "reset_factor", "unlock"]


class AccountCreated(Contract):
    """The account and its one-time password (shown once; it must be changed at the first sign-in)."""

    account: AccountView
    one_time_password: str | None = None


class AccountsQuery(Contract):
    """Filter the account list."""

    role: StaffRole | None = None
    agency: AgencyCode | None = None
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class AuditQuery(Contract):
    """The sign-in audit, newest first."""

    username: Username | None = None
    before_id: int | None = Field(None, ge=1)
    limit: int = Field(100, ge=1, le=500)


class SignInAuditEntry(Contract):
    """One append-only audit row: sign-in, failure, sign-out, password or factor change, account change."""

    id: int
    at: AwareDatetime
    event: str
    username: str | None = None
    actor: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    detail: dict = Field(default_factory=dict)

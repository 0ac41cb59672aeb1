"""Who may do what in notify, and what a channel setting must hold (pure)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from libs.contracts.common import Actor
from libs.contracts.errors import ErrorCode
from libs.contracts.notify import SetAgencyChannel
from libs.platform.access import AGENCY_ROLES, OPERATORS  # noqa: F401  (the service names them as policy.*)
from libs.platform.access import require_role as require  # noqa: F401  (the one role check)
from libs.platform.errors import ServiceError

SECRET_BYTES = 32


def agency_scope(actor: Actor) -> str | None:
    """The only agency an agency role may see (None: operators see every agency)."""
    if actor.role in AGENCY_ROLES:
        if not actor.agency:
            raise ServiceError(ErrorCode.FORBIDDEN, "agency role without an agency")
        return actor.agency
    return None


@dataclass(frozen=True)
class ChannelSettings:
    """Validated column values of a channel, plus a secret generated now (shown once) if any."""

    values: dict
    new_secret: str | None


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError(
        ErrorCode.VALIDATION_FAILED,
        f"invalid channel: {message}",
        [{"field": field, "message": message, "type": "value_error"}],
    )


def channel_settings(
    cmd: SetAgencyChannel, existing_secrets: list[str] | None, allow_http: bool
) -> ChannelSettings:
    """Check a channel command against its kind; keep or generate webhook secrets; may raise ServiceError."""
    values: dict = dict(
        agency_code=cmd.agency_code,
        category=cmd.category,
        kind=cmd.kind,
        enabled=cmd.enabled,
        url=None,
        email=None,
        secrets=[],
        updated_by=cmd.actor.sub if cmd.actor else None,
    )
    new_secret = None
    if cmd.kind != "webhook" and cmd.secrets:
        raise _invalid("secrets", "only webhooks have secrets")
    if cmd.kind != "webhook" and cmd.url:
        raise _invalid("url", "only webhooks have a URL")
    if cmd.kind != "email" and cmd.email:
        raise _invalid("email", "only e-mail channels have an address")
    if cmd.kind == "webhook":
        if cmd.url is None:
            raise _invalid("url", "a webhook needs its URL")
        if cmd.url.scheme != "https" and not allow_http:
            raise _invalid("url", "webhooks must use https")
        values["url"] = str(cmd.url)
        if cmd.secrets:
            values["secrets"] = list(cmd.secrets)
        elif existing_secrets:
            values["secrets"] = list(existing_secrets)
        else:
            new_secret = secrets.token_urlsafe(SECRET_BYTES)
            values["secrets"] = [new_secret]
    elif cmd.kind == "email":
        if cmd.email is None:
            raise _invalid("email", "an e-mail channel needs the agency's address")
        values["email"] = str(cmd.email)
    return ChannelSettings(values, new_secret)

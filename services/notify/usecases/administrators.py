"""Use cases of administrators: an agency's channels (amqp, webhook, e-mail), created, replaced, listed,
removed."""

from __future__ import annotations

import uuid

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.notify import ChannelRef, ListAgencyChannels, SetAgencyChannel
from libs.platform.errors import ServiceError

from ..domain import policy
from ..domain.views import channel_view
from ..repository import deliveries as repo
from ..settings import NotifySettings


def set_agency_channel(db, settings: NotifySettings, cmd: SetAgencyChannel) -> dict:
    """Create or replace an agency's channel (amqp, webhook, email), optionally per category."""
    policy.require(cmd.actor, frozenset({"administrator"}))
    now = utcnow()
    existing = repo.channel(db, cmd.id) if cmd.id else None
    if cmd.id and existing is None:
        raise ServiceError(ErrorCode.CHANNEL_NOT_FOUND, f"no channel {cmd.id}")
    keep = existing.secrets if existing is not None and existing.kind == "webhook" else None
    checked = policy.channel_settings(cmd, keep, settings.webhook_allow_http)
    channel_id = cmd.id or uuid.uuid4()
    if existing is None:
        repo.insert_channel(db, channel_id, now, **checked.values)
    else:
        repo.update_channel(db, channel_id, now, **checked.values)
    db.commit()
    return channel_view(repo.channel(db, channel_id), checked.new_secret).model_dump(mode="json")


def list_agency_channels(db, query: ListAgencyChannels) -> list[dict]:
    """Configured channels (secrets as hints only)."""
    policy.require(query.actor, policy.OPERATORS)
    return [channel_view(r).model_dump(mode="json") for r in repo.list_channels(db, query.agency_code)]


def delete_agency_channel(db, cmd: ChannelRef) -> dict:
    """Remove a channel; its pending deliveries fail as `channel_removed` (visible, redeliverable)."""
    policy.require(cmd.actor, frozenset({"administrator"}))
    if not repo.delete_channel(db, cmd.id):
        raise ServiceError(ErrorCode.CHANNEL_NOT_FOUND, f"no channel {cmd.id}")
    db.commit()
    return {"id": str(cmd.id), "deleted": True}

"""Commands and views of intake's Open311 RPCs: partner API keys, submissions, batch tokens, posted
updates."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from .common import Actor, Contract, Instant, Status

ClientName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


class CreateApiKey(Contract):
    """An administrator issues a key to a partner system."""

    actor: Actor
    client_name: ClientName
    rate_limit_per_hour: int = Field(600, ge=1, le=100_000, description="POSTs allowed per sliding hour")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    may_update_any: bool = Field(
        False,
        description="Granted: post updates on any public request (default: only on "
        "the requests this partner submitted)",
    )


class ListApiKeys(Contract):
    """An administrator lists the keys (never the secrets)."""

    actor: Actor
    include_revoked: bool = True


class RevokeApiKey(Contract):
    """An administrator revokes one key; revoking twice is harmless."""

    actor: Actor
    key_id: UUID


class ApiKeyView(Contract):
    """A key as administrators see it: the prefix identifies it, the secret is never shown again."""

    id: UUID
    client_name: str
    prefix: str
    rate_limit_per_hour: int
    note: str | None = None
    created_at: AwareDatetime
    created_by: str
    revoked_at: AwareDatetime | None = None
    revoked_by: str | None = None
    last_used_at: AwareDatetime | None = None
    may_update_any: bool = False


class ApiKeyCreated(Contract):
    """The answer to a creation: the only time the secret key is returned."""

    key: ApiKeyView
    api_key: str = Field(description="The secret: give it to the partner; it is stored only as a hash")


class ApiKeyList(Contract):
    """Every key, newest first."""

    items: list[ApiKeyView]


class AuthorizeClient(Contract):
    """Check a partner's api_key and count one write against its rate limit."""

    api_key: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ClientGrant(Contract):
    """Who the key belongs to and how many writes are left in the window."""

    key_id: UUID
    client_name: str
    rate_limit_per_hour: int
    remaining: int


class RecordSubmission(Contract):
    """Remember which partner submitted a report; a batch service also gets a token."""

    report_id: UUID
    key_id: UUID
    batch: bool = False


class SubmissionRecord(Contract):
    """A partner's submission; `code` and `status` are the report's current ones."""

    report_id: UUID
    code: str
    status: Status
    token: str | None = None
    client_name: str


class ResolveToken(Contract):
    """Find the submission behind a batch token."""

    token: ExternalId


class PostUpdate(Contract):
    """A partner's update on a request (mySociety POST servicerequestupdates); idempotent on `update_id`."""

    key_id: UUID
    service_request_id: ExternalId
    update_id: ExternalId
    updated_datetime: Instant
    status: Annotated[str, StringConstraints(pattern=r"^[A-Z_]{2,40}$")] = Field(
        description="mySociety extended status as posted"
    )
    requested_state: Status | None = Field(
        None, description="Our state the posted status maps to; None = a note"
    )
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None
    media_url: Annotated[str, StringConstraints(max_length=2000)] | None = None


class UpdateView(Contract):
    """One posted update as the servicerequestupdates feed shows it (no submitter details)."""

    update_id: str = Field(description="Our id, `U<n>`, returned to the poster and used in the feed")
    report_id: UUID
    code: str
    status: str = Field(description="The extended status as posted")
    requested_state: Status | None = None
    state_at_post: Status
    description: str | None = None
    media_url: str | None = None
    updated_datetime: AwareDatetime
    received_at: AwareDatetime


class ListUpdates(Contract):
    """Posted updates of some reports and/or within a window on `updated_datetime`."""

    report_ids: list[UUID] | None = Field(None, max_length=1000)
    updated_from: Instant | None = None
    updated_to: Instant | None = None
    limit: int = Field(1000, ge=1, le=10_000)


class UpdateList(Contract):
    """Posted updates, oldest first."""

    items: list[UpdateView]


FEED_BATCH = 1000  # the most feed items one RPC answers (keeps each RabbitMQ message small: ~0.3 MB)


class FeedCursor(Contract):
    """Where a feed batch ended: the order key of its last item (recorded_at, kind, id)."""

    recorded_at: Instant
    kind: Literal[0, 1] = Field(description="0 a public timeline step, 1 a partner's posted update")
    id: int


class FeedQuery(Contract):
    """One batch of the servicerequestupdates feed: public timeline steps and posted updates of public
    reports.

    The feed is ordered by when each update was recorded (a step's time, a posted update's reception), then
    kind, then id: rows recorded later always sort after, so pages already served never shift. `recorded_to`
    bounds the snapshot; `after` continues from a cursor (keyset), `offset` skips items of the first batch
    (page numbers)."""

    updated_from: Instant
    updated_to: Instant
    recorded_to: Instant
    bbox: tuple[float, float, float, float] | None = Field(
        None, description="min_lon, min_lat, max_lon, max_lat"
    )
    after: FeedCursor | None = None
    offset: int = Field(0, ge=0, le=1_000_000_000)
    limit: int = Field(500, ge=1, le=FEED_BATCH)


class FeedItem(Contract):
    """One update of the feed, with what the gateway needs to render it (no personal data; notes masked)."""

    kind: Literal[0, 1]
    id: int
    code: str
    lat: float
    lon: float
    recorded_at: AwareDatetime
    updated_datetime: AwareDatetime
    ordinal: int | None = Field(None, description="A step's position in its report's public timeline, from 1")
    from_status: Status | None = None
    to_status: Status | None = None
    note: str | None = None
    update_id: str | None = Field(None, description="A posted update's id, `U<n>`")
    state_at_post: Status | None = None
    description: str | None = None
    media_url: str | None = None


class FeedPage(Contract):
    """A feed batch; `next` is set when more items may follow (pass it as `after`)."""

    items: list[FeedItem]
    next: FeedCursor | None = None

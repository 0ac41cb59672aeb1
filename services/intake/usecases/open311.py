"""Use case: Open311 partners — API keys, submissions and batch tokens, posted updates.

The gateway's Open311 edge (gateway/open311/) renders the standard; these use cases keep the state that
standard needs and that belongs to intake: who may write (keys stored hashed, revocable, rate-limited), which
partner submitted which report, and the updates partners post (idempotent on the poster's update_id).
Posted updates never move a case: they carry the state their status maps to, for operators to act on.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import uuid

from libs.contracts.common import utcnow
from libs.contracts.errors import ErrorCode
from libs.contracts.open311 import (
    Actor,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyView,
    AuthorizeClient,
    ClientGrant,
    CreateApiKey,
    ListApiKeys,
    PostUpdate,
    RecordSubmission,
    RevokeApiKey,
)
from libs.platform.access import ADMINISTRATORS, require_role
from libs.platform.errors import ServiceError, parse
from libs.privacy.visibility import is_public

from ..domain.open311_views import submission_record, update_view
from ..domain.ratelimit import RateLimiter
from ..repository import open311_store as repo

KEY_LABEL = "ht311_"
PREFIX_CHARS = 12
RATE_WINDOW_S = 3600
SWEEP_PROBABILITY = 0.01  # expired rate counters are deleted on about one write in a hundred


def hash_key(api_key: str) -> str:
    """SHA-256 of a key: keys are 256-bit random, so a fast hash is enough (no dictionary to attack)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_key() -> str:
    """A fresh partner key, e.g. `ht311_Xk3...` (43 random url-safe characters after the label)."""
    return KEY_LABEL + secrets.token_urlsafe(32)


def key_view(row) -> ApiKeyView:
    """The administrator's view of a key row."""
    return ApiKeyView(
        id=row.id,
        client_name=row.client_name,
        prefix=row.prefix,
        rate_limit_per_hour=row.rate_limit_per_hour,
        note=row.note,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        last_used_at=row.last_used_at,
        may_update_any=row.may_update_any,
    )


def require_administrator(actor: Actor) -> None:
    """Only administrators manage keys (the gateway checks too); may raise ServiceError FORBIDDEN."""
    require_role(actor, ADMINISTRATORS, what="manage API keys")


def create_api_key(db, payload: dict) -> dict:
    """Issue a partner key; the secret is returned once and stored only as a hash."""
    cmd = parse(CreateApiKey, payload)
    require_administrator(cmd.actor)
    secret, key_id, now = new_key(), uuid.uuid4(), utcnow()
    repo.insert_key(
        db,
        id=key_id,
        client_name=cmd.client_name,
        prefix=secret[:PREFIX_CHARS],
        key_hash=hash_key(secret),
        rate_limit_per_hour=cmd.rate_limit_per_hour,
        note=cmd.note,
        created_at=now,
        created_by=cmd.actor.sub,
        may_update_any=cmd.may_update_any,
    )
    row = repo.key_by_id(db, key_id)
    db.commit()
    return ApiKeyCreated(key=key_view(row), api_key=secret).model_dump(mode="json")


def list_api_keys(db, payload: dict) -> dict:
    """Every key (never a secret or a hash), newest first."""
    query = parse(ListApiKeys, payload)
    require_administrator(query.actor)
    rows = repo.list_keys(db, query.include_revoked)
    return ApiKeyList(items=[key_view(r) for r in rows]).model_dump(mode="json")


def revoke_api_key(db, payload: dict) -> dict:
    """Revoke a key at once: its next call is a 403."""
    cmd = parse(RevokeApiKey, payload)
    require_administrator(cmd.actor)
    if repo.key_by_id(db, cmd.key_id) is None:
        raise ServiceError(
            ErrorCode.API_KEY_NOT_FOUND,
            f"no API key {cmd.key_id}",
            [{"field": "key_id", "message": "unknown key", "type": "not_found"}],
        )
    repo.revoke_key(db, cmd.key_id, utcnow(), cmd.actor.sub)
    row = repo.key_by_id(db, cmd.key_id)
    db.commit()
    return key_view(row).model_dump(mode="json")


def authorize_open311_client(db, payload: dict) -> dict:
    """Check an api_key and count one write; may raise API_KEY_INVALID (403) or RATE_LIMITED (429)."""
    cmd = parse(AuthorizeClient, payload)
    row = repo.key_by_hash(db, hash_key(cmd.api_key))
    if row is None or row.revoked_at is not None:  # never say which: unknown and revoked look alike
        raise ServiceError(
            ErrorCode.API_KEY_INVALID,
            "api_key is invalid or revoked",
            [{"field": "api_key", "message": "invalid or revoked", "type": "auth"}],
        )
    now, store = utcnow(), repo.Open311CounterStore(db)
    decision = RateLimiter(store).check(f"open311:{row.id}", row.rate_limit_per_hour, RATE_WINDOW_S, now)
    if not decision.allowed:
        db.commit()  # the limiter already gave the denied hit back
        raise ServiceError(
            ErrorCode.RATE_LIMITED,
            f"rate limit of {row.rate_limit_per_hour}/hour reached",
            [{"field": "api_key", "message": str(decision.retry_after_s), "type": "retry_after_s"}],
        )
    repo.touch_key(db, row.id, now)
    if random.random() < SWEEP_PROBABILITY:
        store.sweep()
    db.commit()
    return ClientGrant(
        key_id=row.id,
        client_name=row.client_name,
        rate_limit_per_hour=row.rate_limit_per_hour,
        remaining=decision.remaining,
    ).model_dump(mode="json")


def record_open311_submission(db, payload: dict) -> dict:
    """Remember the partner behind a report; a batch submission gets its token (a replay returns the same)."""
    cmd = parse(RecordSubmission, payload)
    key = repo.key_by_id(db, cmd.key_id)
    if key is None:
        raise ServiceError(ErrorCode.API_KEY_NOT_FOUND, f"no API key {cmd.key_id}")
    if repo.report_by_id(db, cmd.report_id) is None:
        raise ServiceError(ErrorCode.REPORT_NOT_FOUND, f"no report {cmd.report_id}")
    repo.insert_submission(
        db,
        report_id=cmd.report_id,
        key_id=key.id,
        client_name=key.client_name,
        token=secrets.token_urlsafe(18) if cmd.batch else None,
        created_at=utcnow(),
    )
    row = repo.submission(db, report_id=cmd.report_id)
    db.commit()
    return submission_record(row).model_dump(mode="json")


def post_open311_update(db, payload: dict) -> dict:
    """Store a partner's update on a request it submitted (or, with the `may_update_any` grant, on any public
    one); a repeated update_id is refused. Anything else is the same 404 as an unknown request."""
    cmd = parse(PostUpdate, payload)
    key = repo.key_by_id(db, cmd.key_id)
    if key is None or key.revoked_at is not None:
        raise ServiceError(ErrorCode.API_KEY_INVALID, "api_key is invalid or revoked")
    report = repo.report_by_code(db, cmd.service_request_id)
    if report is None or not _may_update(db, report, key):
        raise ServiceError(
            ErrorCode.REPORT_NOT_FOUND,
            f"no request {cmd.service_request_id}",
            [{"field": "service_request_id", "message": "not found", "type": "not_found"}],
        )
    now = utcnow()
    row = repo.insert_update(
        db,
        client_name=key.client_name,
        key_id=key.id,
        external_id=cmd.update_id,
        report_id=report.id,
        status=cmd.status,
        requested_state=cmd.requested_state.value if cmd.requested_state else None,
        state_at_post=report.status,
        description=cmd.description,
        media_url=cmd.media_url,
        updated_at=min(cmd.updated_datetime, now),
        received_at=now,
    )
    if row is None:
        raise ServiceError(
            ErrorCode.OPEN311_UPDATE_EXISTS,
            f"update {cmd.update_id} already exists",
            [{"field": "update_id", "message": "already exists", "type": "conflict"}],
        )
    db.commit()
    return update_view(row, report.code).model_dump(mode="json")


def _may_update(db, report, key) -> bool:
    """A partner posts on the requests it submitted (even while in triage); on other public requests only with
    the `may_update_any` grant (an update's text and URL reach the case's timeline and its readers)."""
    own = repo.submission(db, report_id=report.id)
    if own is not None and own.client_name == key.client_name:
        return True
    return key.may_update_any and is_public(report.status, report.verified_at is not None)

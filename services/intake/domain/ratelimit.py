"""Sliding-window rate limiting over an abstract counter store (PostgreSQL or Redis in the service).

Algorithm: the sliding-window counter (two fixed buckets, the previous one weighted by how much of it still
overlaps the window). It needs one atomic "add and return" per request, which both an `INSERT .. ON CONFLICT
DO UPDATE .. RETURNING` and Redis `INCRBY` + `EXPIRE` provide; `check_all` adds to every counter of a request
(device, phone, account, IP) in one such call. A denied request is undone, so hammering while blocked does not
extend the block. Keys never contain a phone number, device id or IP: they are HMAC-ed with a server-side
pepper."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from libs.privacy.masking import national_phone

Scope = Literal["device", "phone", "ip", "account"]
# What a rule counts: submissions, urgent submissions (on top), "is this yours?" questions, wrong tokens.
Tier = Literal["submit", "urgent", "similar", "token"]


class CounterStore(Protocol):
    """The port a backend implements for `RateLimiter.check`; `add` must be atomic."""

    def add(self, key: str, bucket: int, delta: int, ttl_s: int) -> int:
        """Add delta to the counter (key, bucket), keep it ttl_s seconds, return the new value."""

    def get(self, key: str, bucket: int) -> int:
        """Return the counter (key, bucket), 0 when absent or expired."""


@dataclass(frozen=True, order=True)
class Hit:
    """One hit on one counter: the current bucket of a key and how long the counter must live."""

    key: str
    bucket: int
    ttl_s: int


class BatchStore(Protocol):
    """The port `check_all` uses: every counter of a request in one atomic call (one round trip)."""

    def hit(self, hits: Sequence[Hit]) -> dict[str, tuple[int, int]]:
        """Add 1 to each (key, bucket); return key → (the previous bucket's count, the new count)."""

    def give_back(self, hits: Sequence[Hit]) -> None:
        """Subtract the hits again (the request was denied)."""

    def peek(self, hits: Sequence[Hit]) -> dict[str, tuple[int, int]]:
        """Like `hit`, but reads only: key → (the previous bucket's count, the current count)."""


class MemoryStore:
    """An in-process store for tests and single-process dev (not shared between workers)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}

    def add(self, key: str, bucket: int, delta: int, ttl_s: int) -> int:
        self.counts[(key, bucket)] = self.counts.get((key, bucket), 0) + delta
        return self.counts[(key, bucket)]

    def get(self, key: str, bucket: int) -> int:
        return self.counts.get((key, bucket), 0)

    def hit(self, hits: Sequence[Hit]) -> dict[str, tuple[int, int]]:
        return {h.key: (self.get(h.key, h.bucket - 1), self.add(h.key, h.bucket, 1, h.ttl_s)) for h in hits}

    def give_back(self, hits: Sequence[Hit]) -> None:
        for h in hits:
            self.add(h.key, h.bucket, -1, h.ttl_s)

    def peek(self, hits: Sequence[Hit]) -> dict[str, tuple[int, int]]:
        return {h.key: (self.get(h.key, h.bucket - 1), self.get(h.key, h.bucket)) for h in hits}


@dataclass(frozen=True)
class Decision:
    """Outcome of one check; `retry_after_s` feeds the HTTP Retry-After header."""

    allowed: bool
    retry_after_s: int
    remaining: int
    limit: int
    key: str = ""
    bucket: int = field(default=0, repr=False)


class RateLimiter:
    """Sliding-window counter limiter over a CounterStore (one key at a time; `check_all` batches)."""

    def __init__(self, store: CounterStore):
        self.store = store

    def check(self, key: str, limit: int, window_s: int, now: datetime) -> Decision:
        """Count one hit for key and decide; a denied hit is not counted."""
        bucket, elapsed = _position(limit, window_s, now)
        previous = self.store.get(key, bucket - 1)
        current = self.store.add(key, bucket, 1, 2 * window_s + 1)
        decision = decide(key, bucket, previous, current, limit, window_s, elapsed)
        if not decision.allowed:
            self.store.add(key, bucket, -1, 2 * window_s + 1)
        return decision


def _position(limit: int, window_s: int, now: datetime) -> tuple[int, float]:
    """(the current bucket, seconds elapsed in it); refuses a rule that cannot be met."""
    if limit < 1 or window_s < 1:
        raise ValueError("limit and window_s must be >= 1")
    t = now.timestamp()
    bucket = math.floor(t / window_s)
    return bucket, t - bucket * window_s


def decide(
    key: str, bucket: int, previous: int, current: int, limit: int, window_s: int, elapsed: float
) -> Decision:
    """The verdict on a hit already counted: `current` includes it, `previous` is the bucket before."""
    estimate = previous * (1 - elapsed / window_s) + current
    if estimate <= limit + 1e-9:
        return Decision(True, 0, max(0, math.floor(limit - estimate)), limit, key, bucket)
    return Decision(
        False, _retry_after(previous, current - 1, elapsed, window_s, limit), 0, limit, key, bucket
    )


def _retry_after(previous: int, current: int, elapsed: float, window_s: int, limit: int) -> int:
    """Whole seconds until one more hit fits, assuming no other hits meanwhile."""
    if current + 1 <= limit:  # the previous bucket's weight must decay enough within this bucket
        wait = window_s * (1 - (limit - 1 - current) / previous) - elapsed
    else:  # the current bucket alone is full: wait into the next bucket
        wait = (window_s - elapsed) + window_s * (1 - (limit - 1) / current)
    return max(1, math.ceil(wait))


class LimitRule(BaseModel):
    """At most `limit` hits per `window_s` seconds for one scope (of one tier: its counters are its own)."""

    model_config = ConfigDict(frozen=True)

    scope: Scope
    limit: int = Field(ge=1)
    window_s: int = Field(ge=1)
    tier: Tier = "submit"


# Proposed defaults for public submission; IPs are shared behind carrier NAT, so their limit is higher.
SUBMISSION_LIMITS: tuple[LimitRule, ...] = (
    LimitRule(scope="device", limit=3, window_s=60),
    LimitRule(scope="device", limit=10, window_s=3600),
    LimitRule(scope="phone", limit=10, window_s=3600),
    LimitRule(scope="account", limit=10, window_s=3600),
    LimitRule(scope="ip", limit=60, window_s=3600),
)


# Urgent (KHAN) submissions count against these as well: a citizen's urgency reaches an agency at once.
URGENT_LIMITS: tuple[LimitRule, ...] = (
    LimitRule(scope="device", limit=2, window_s=3600, tier="urgent"),
    LimitRule(scope="phone", limit=2, window_s=3600, tier="urgent"),
    LimitRule(scope="ip", limit=20, window_s=3600, tier="urgent"),
)
# "Is this yours?" questions: a map that follows a finger asks often, a scraper far more.
SIMILAR_LIMITS: tuple[LimitRule, ...] = (
    LimitRule(scope="device", limit=30, window_s=60, tier="similar"),
    LimitRule(scope="ip", limit=60, window_s=60, tier="similar"),
    LimitRule(scope="ip", limit=600, window_s=3600, tier="similar"),
)
# Wrong tracking or follower tokens: a few typos are fine, guessing is slowed to a crawl.
TOKEN_LIMITS: tuple[LimitRule, ...] = (LimitRule(scope="ip", limit=20, window_s=600, tier="token"),)


def normalize(scope: Scope, value: str) -> str:
    """Canonical form so '+84 912 345 678', '0084912345678' and '0912.345.678' share one counter."""
    value = value.strip().lower()
    if scope == "phone":
        return national_phone(value) or re.sub(r"\D", "", value)
    return value


def limit_key(rule: LimitRule, value: str, pepper: bytes) -> str:
    """Store key for a rule and identity value; the value itself never reaches the store."""
    digest = hmac.new(
        pepper, f"{rule.scope}:{normalize(rule.scope, value)}".encode(), hashlib.sha256
    ).hexdigest()
    tier = "" if rule.tier == "submit" else f"{rule.tier}:"
    return f"rl:{tier}{rule.scope}:{rule.window_s}:{digest[:32]}"


def scope_of(key: str) -> str:
    """The scope a limit key counts ('rl:urgent:phone:3600:…' → 'phone')."""
    parts = key.split(":")
    return parts[-3] if len(parts) >= 4 else "client"


def check_all(
    store: BatchStore,
    identity: Mapping[str, str | None],
    rules: Sequence[LimitRule],
    now: datetime,
    pepper: bytes,
) -> Decision:
    """Check every rule whose scope the identity has, all counters in one call; deny if any denies.

    A denied request gives every hit back. Rules sharing a key (same scope and window) share one hit.
    """
    keyed, positions, hits = _keyed(identity, rules, now, pepper)
    if not keyed:
        return Decision(True, 0, 0, 0)
    counts = store.hit(hits)
    decisions = [
        decide(key, positions[key][0], *counts[key], r.limit, r.window_s, positions[key][1])
        for r, key in keyed
    ]
    denied = [d for d in decisions if not d.allowed]
    if not denied:
        return min(decisions, key=lambda d: d.remaining)
    store.give_back(hits)
    return max(denied, key=lambda d: d.retry_after_s)


def _keyed(identity: Mapping[str, str | None], rules: Sequence[LimitRule], now: datetime, pepper: bytes):
    keyed = [(r, limit_key(r, v, pepper)) for r in rules if (v := identity.get(r.scope))]
    positions = {key: _position(r.limit, r.window_s, now) for r, key in keyed}
    hits = sorted({Hit(key, positions[key][0], 2 * r.window_s + 1) for r, key in keyed})
    return keyed, positions, hits


def blocked(
    store: BatchStore,
    identity: Mapping[str, str | None],
    rules: Sequence[LimitRule],
    now: datetime,
    pepper: bytes,
) -> Decision:
    """Whether one more hit would be refused, counting nothing (for failures counted only when they
    happen)."""
    keyed, positions, hits = _keyed(identity, rules, now, pepper)
    if not keyed:
        return Decision(True, 0, 0, 0)
    counts = store.peek(hits)
    decisions = [
        decide(
            key, positions[key][0], counts[key][0], counts[key][1] + 1, r.limit, r.window_s, positions[key][1]
        )
        for r, key in keyed
    ]
    denied = [d for d in decisions if not d.allowed]
    return max(denied, key=lambda d: d.retry_after_s) if denied else min(decisions, key=lambda d: d.remaining)


def record(
    store: BatchStore,
    identity: Mapping[str, str | None],
    rules: Sequence[LimitRule],
    now: datetime,
    pepper: bytes,
) -> None:
    """Count one hit (a failure) on every counter of the identity, whatever the verdict."""
    _, _, hits = _keyed(identity, rules, now, pepper)
    if hits:
        store.hit(hits)

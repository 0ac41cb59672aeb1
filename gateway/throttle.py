"""A per-client token bucket for cheap public lookups answered by the gateway (e.g. `GET /v1/wards/locate`).

In-process: each gateway replica counts on its own, so N replicas allow N times the rate; that bounds a
client's load on routing without a round trip to a shared store. Submissions keep intake's shared limits."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from libs.contracts.errors import ErrorCode

from .problems import ApiError

MAX_CLIENTS = 50_000  # beyond this, full buckets are forgotten first (a full bucket is a new client anyway)


@dataclass
class TokenBucket:
    """`burst` requests at once, then `per_minute` a minute, per client key."""

    burst: int
    per_minute: float
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, at)

    def take(self, key: str, now: float | None = None) -> float:
        """0 when allowed (one token taken), else the seconds until a token is back."""
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        tokens, at = self.buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * rate)
        if tokens < 1.0:
            self.buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate
        if len(self.buckets) >= MAX_CLIENTS and key not in self.buckets:
            self._forget(now, rate)
        self.buckets[key] = (tokens - 1.0, now)
        return 0.0

    def check(self, key: str) -> None:
        """Take a token or raise ApiError(RATE_LIMITED) with Retry-After."""
        wait = self.take(key)
        if wait > 0:
            seconds = str(max(1, math.ceil(wait)))
            raise ApiError(
                ErrorCode.RATE_LIMITED,
                f"too many requests; retry after {seconds} s",
                [{"field": "Retry-After", "message": seconds, "type": "rate_limited"}],
                headers={"Retry-After": seconds},
            )

    def _forget(self, now: float, rate: float) -> None:
        full = [k for k, (tokens, at) in self.buckets.items() if tokens + (now - at) * rate >= self.burst]
        for key in full or list(self.buckets)[: len(self.buckets) // 10]:
            del self.buckets[key]

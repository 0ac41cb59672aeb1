"""The one rule for what a process keeps of another service's answer (categories, directory names): pure.

An answer is fresh for `ttl_s`. Asking is due when it is stale; the asker calls `asking()` first (so that
readers who come meanwhile do not ask too, and a failed question is asked again only after `retry_s`, or the
TTL when shorter), then `take(answer)`. When routing cannot answer, the last answer stays (None before any).
Callers do the asking and the locking: asyncio in the gateway, green threads in the services."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Expiring(Generic[T]):
    """A value asked of another service, kept for `ttl_s` seconds."""

    ttl_s: float
    retry_s: float = 0.0  # after a question that got no answer (0: the next reader asks again)
    clock: Callable[[], float] | None = None  # None: time.monotonic (looked up at each call)
    value: T | None = None
    due_at: float = field(default=float("-inf"))

    @property
    def loaded(self) -> bool:
        """Whether an answer was ever taken."""
        return self.value is not None

    def now(self) -> float:
        return (self.clock or time.monotonic)()

    def due(self) -> bool:
        """Whether to ask now."""
        return self.now() >= self.due_at

    def asking(self) -> None:
        """A question is on its way: readers meanwhile, and after a failure, wait `retry_s` (≤ the TTL)."""
        self.due_at = self.now() + min(self.ttl_s, self.retry_s)

    def take(self, value: T) -> T:
        """An answer: fresh for `ttl_s` from now."""
        self.value, self.due_at = value, self.now() + self.ttl_s
        return value

"""Retry schedule and the delivery state machine, as pure functions over frozen values.

States: pending → sent → acknowledged, or failed(attempts, last_error, next_attempt_at).
A failed delivery with `next_attempt_at` is waiting for its retry; with `next_attempt_at=None` it is parked
(dead letter) until an operator calls `redeliver`. A timer sweeps due deliveries; nothing requeues hot.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum

MAX_ERROR_CHARS = 500  # a gateway may answer with a whole HTML page; keep the row small


def _seconds(*values: float) -> tuple[timedelta, ...]:
    """Timedeltas from seconds."""
    return tuple(timedelta(seconds=v) for v in values)


@dataclass(frozen=True)
class RetryPolicy:
    """Delays after the 1st, 2nd ... failure, then `steady` until `max_attempts` failures park it."""

    delays: tuple[timedelta, ...] = field(default_factory=lambda: _seconds(10, 30, 120, 600))
    steady: timedelta = timedelta(minutes=30)
    max_attempts: int = 10
    jitter: float = 0.0  # fraction: 0.1 spreads each delay over ±10 %
    seed: int | None = None  # set it and the jitter is reproducible (tests, replays)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0.0 <= self.jitter <= 0.5:
            raise ValueError("jitter must be within 0.0 .. 0.5")
        if any(d <= timedelta(0) for d in (*self.delays, self.steady)):
            raise ValueError("retry delays must be positive")

    def delay_after(self, attempts: int, key: str = "") -> timedelta | None:
        """Wait after `attempts` failed attempts, or None once the limit is reached (park)."""
        if attempts < 1:
            raise ValueError("attempts counts failures so far and starts at 1")
        if attempts >= self.max_attempts:
            return None
        base = self.delays[attempts - 1] if attempts <= len(self.delays) else self.steady
        if not self.jitter:
            return base
        # Seeded per (seed, key, attempt): the same delivery gets the same schedule on every replay,
        # while different deliveries (keys) spread out instead of retrying in lock-step.
        rng = random.Random(f"{self.seed}:{key}:{attempts}") if self.seed is not None else random.Random()
        return base * rng.uniform(1.0 - self.jitter, 1.0 + self.jitter)


DEFAULT_POLICY = RetryPolicy()


def next_attempt_at(
    attempts: int, now: datetime, policy: RetryPolicy = DEFAULT_POLICY, key: str = ""
) -> datetime | None:
    """When to try again after `attempts` failures, or None to park the delivery as failed."""
    delay = policy.delay_after(attempts, key)
    return None if delay is None else now + delay


class DeliveryStatus(str, Enum):
    """Where a delivery stands."""

    PENDING = "pending"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"


class InvalidTransition(Exception):
    """An action that the delivery's current state does not allow."""

    def __init__(self, status: DeliveryStatus, action: str) -> None:
        super().__init__(f"cannot {action} a {status.value} delivery")
        self.status = status
        self.action = action


@dataclass(frozen=True)
class DeliveryState:
    """The retry-relevant part of a delivery row."""

    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    acknowledged_at: datetime | None = None

    @property
    def parked(self) -> bool:
        """Failed for good: waits for an operator's `redeliver`."""
        return self.status is DeliveryStatus.FAILED and self.next_attempt_at is None

    def is_due(self, now: datetime) -> bool:
        """Whether the sweeper should attempt it now."""
        if self.status is DeliveryStatus.PENDING:
            return self.next_attempt_at is None or self.next_attempt_at <= now
        return (
            self.status is DeliveryStatus.FAILED
            and self.next_attempt_at is not None
            and (self.next_attempt_at <= now)
        )


def _require_attemptable(state: DeliveryState, action: str) -> None:
    """Only a pending delivery or one waiting for its retry can be attempted."""
    if state.status is DeliveryStatus.PENDING or (state.status is DeliveryStatus.FAILED and not state.parked):
        return
    raise InvalidTransition(state.status, action)


def on_success(state: DeliveryState, now: datetime, *, acknowledged: bool = False) -> DeliveryState:
    """The channel accepted the message; `acknowledged` when the receiver acknowledged it in the same
    reply."""
    _require_attemptable(state, "mark as sent")
    sent = replace(
        state,
        status=DeliveryStatus.SENT,
        attempts=state.attempts + 1,
        last_error=None,
        next_attempt_at=None,
        sent_at=now,
    )
    return on_ack(sent, now) if acknowledged else sent


def on_failure(
    state: DeliveryState,
    error: str,
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
    *,
    permanent: bool = False,
    key: str = "",
) -> DeliveryState:
    """An attempt failed: schedule the retry, or park it when attempts run out or the error is permanent."""
    _require_attemptable(state, "record a failure of")
    attempts = state.attempts + 1
    # `error` must be a short code or message without personal data (no phone, no e-mail address).
    return replace(
        state,
        status=DeliveryStatus.FAILED,
        attempts=attempts,
        last_error=(error or "unknown_error")[:MAX_ERROR_CHARS],
        next_attempt_at=None if permanent else next_attempt_at(attempts, now, policy, key),
    )


def on_ack(state: DeliveryState, now: datetime) -> DeliveryState:
    """The receiver acknowledged a sent delivery; acknowledging twice changes nothing."""
    if state.status is DeliveryStatus.ACKNOWLEDGED:
        return state  # receivers retry their acks; the first one wins
    if state.status is not DeliveryStatus.SENT:
        raise InvalidTransition(state.status, "acknowledge")
    return replace(state, status=DeliveryStatus.ACKNOWLEDGED, acknowledged_at=now)


def redeliver(state: DeliveryState, now: datetime) -> DeliveryState:
    """Operator action: put a failed (or sent but never acknowledged) delivery back to pending, attempts
    reset."""
    if state.status not in (DeliveryStatus.FAILED, DeliveryStatus.SENT):
        raise InvalidTransition(state.status, "redeliver")
    # last_error is kept so the operator still sees why it had failed until the next attempt.
    return replace(
        state,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        sent_at=None,
    )

"""Failed sign-ins slow down, then lock: per account (by username, known or not) and per client IP. Pure.

Per account: the first `free_failures` failures cost nothing; each further one makes the next attempt wait
1 s, 2 s, 4 s … (`not_before`); the `max_failures`-th in a row locks the username for `lock`. A success
clears it. Per IP: `ip_max_failures` failures within `ip_window` (any usernames) block the IP for `ip_window`.
An attempt refused by a throttle checks no password and counts as no failure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Policy:
    """How fast failures slow down and lock."""

    max_failures: int = 5
    lock: timedelta = timedelta(minutes=15)
    free_failures: int = 2
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=30)
    ip_max_failures: int = 30
    ip_window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class State:
    """One throttle row (a username's or an IP's)."""

    failures: int
    window_started_at: datetime
    not_before: datetime | None = None
    locked_until: datetime | None = None

    @classmethod
    def fresh(cls, now: datetime) -> State:
        return cls(0, now)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused without looking at the password, and for how long."""

    reason: str  # locked | slow_down | ip_blocked
    retry_after_s: int
    until: datetime


def refusal(state: State, now: datetime, scope: str = "user") -> Refusal | None:
    """A refusal while the state is locked or slowed down, else None."""
    if state.locked_until and now < state.locked_until:
        return Refusal(
            "ip_blocked" if scope == "ip" else "locked",
            _seconds(state.locked_until - now),
            state.locked_until,
        )
    if state.not_before and now < state.not_before:
        return Refusal("slow_down", _seconds(state.not_before - now), state.not_before)
    return None


def after_user_failure(state: State, now: datetime, policy: Policy) -> State:
    """One more failure for a username: delay the next attempt, or lock at `max_failures` in a row."""
    failures = state.failures + 1
    if failures >= policy.max_failures:
        return State(0, now, None, now + policy.lock)
    delay = None
    if failures > policy.free_failures:
        delay = min(policy.base_delay * 2 ** (failures - policy.free_failures - 1), policy.max_delay)
    return State(failures, state.window_started_at, now + delay if delay else None, None)


def after_ip_failure(state: State, now: datetime, policy: Policy) -> State:
    """One more failure from an IP within its window; block the IP when the window is full."""
    if now - state.window_started_at >= policy.ip_window:
        state = State.fresh(now)
    failures = state.failures + 1
    if failures >= policy.ip_max_failures:
        return State(0, now, None, now + policy.ip_window)
    return replace(state, failures=failures)


def delay_of(state: State, now: datetime) -> int:
    """Seconds the caller must wait before the next attempt (0 when none)."""
    until = state.locked_until or state.not_before
    return _seconds(until - now) if until and until > now else 0


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))

"""The slow-down and lock rules as a table (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.accounts.domain.throttle import (
    Policy,
    State,
    after_ip_failure,
    after_user_failure,
    delay_of,
    refusal,
)

T0 = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
POLICY = Policy()


@pytest.mark.parametrize(
    "failures, wait_s, locked", [(1, 0, False), (2, 0, False), (3, 1, False), (4, 2, False), (5, 0, True)]
)
def test_each_failure_in_a_row_waits_longer_then_locks(failures, wait_s, locked):
    state = State.fresh(T0)
    for _ in range(failures):
        state = after_user_failure(state, T0, POLICY)
    assert (state.not_before - T0).total_seconds() == wait_s if wait_s else state.not_before is None
    assert (state.locked_until == T0 + POLICY.lock) is locked
    assert delay_of(state, T0) == (900 if locked else wait_s)


def test_refusals_say_why_and_end_with_their_time():
    slowed = State(3, T0, T0 + timedelta(seconds=2), None)
    assert refusal(slowed, T0).reason == "slow_down" and refusal(slowed, T0).retry_after_s == 2
    assert refusal(slowed, T0 + timedelta(seconds=2)) is None
    locked = State(0, T0, None, T0 + timedelta(minutes=15))
    assert refusal(locked, T0 + timedelta(minutes=14)).reason == "locked"
    assert refusal(locked, T0, scope="ip").reason == "ip_blocked"
    assert refusal(locked, T0 + timedelta(minutes=15)) is None


def test_an_ip_is_blocked_when_its_window_fills_and_a_new_window_starts_afresh():
    policy = Policy(ip_max_failures=3, ip_window=timedelta(minutes=15))
    state = State.fresh(T0)
    state = after_ip_failure(after_ip_failure(state, T0, policy), T0, policy)
    assert state.failures == 2 and state.locked_until is None
    later = after_ip_failure(state, T0 + timedelta(minutes=16), policy)  # the old window is over
    assert later.failures == 1 and later.window_started_at == T0 + timedelta(minutes=16)
    blocked = after_ip_failure(state, T0 + timedelta(minutes=1), policy)
    assert blocked.locked_until == T0 + timedelta(minutes=16)

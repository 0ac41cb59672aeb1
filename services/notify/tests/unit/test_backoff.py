"""Retry schedule and delivery state machine, table-driven."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.notify.domain import backoff
from services.notify.domain.backoff import DeliveryState, InvalidTransition, RetryPolicy
from services.notify.domain.backoff import DeliveryStatus as S


def make_now() -> datetime:
    """A random aware instant in 2026."""
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=random.randrange(365 * 86400))


def make_state(status: S = S.PENDING, **kw) -> DeliveryState:
    """A delivery state; a failed one is retrying unless next_attempt_at=None is given."""
    if status is S.FAILED:
        kw.setdefault("attempts", 1)
        kw.setdefault("last_error", "http_503")
        kw.setdefault("next_attempt_at", make_now())
    if status in (S.SENT, S.ACKNOWLEDGED):
        kw.setdefault("attempts", 1)
        kw.setdefault("sent_at", make_now())
    return DeliveryState(status=status, **kw)


MIN = 60


@pytest.mark.parametrize(
    ("attempts", "delay_s"),
    [
        (1, 10),
        (2, 30),
        (3, 2 * MIN),
        (4, 10 * MIN),
        (5, 30 * MIN),
        (8, 30 * MIN),
        (9, 30 * MIN),
        (10, None),
        (11, None),
    ],
)
def test_default_schedule(attempts, delay_s):
    now = make_now()
    expected = None if delay_s is None else now + timedelta(seconds=delay_s)
    assert backoff.next_attempt_at(attempts, now) == expected


@pytest.mark.parametrize(
    ("policy", "attempts", "delay_s"),
    [
        (RetryPolicy(max_attempts=3), 2, 30),
        (RetryPolicy(max_attempts=3), 3, None),
        (RetryPolicy(max_attempts=1), 1, None),
        (RetryPolicy(delays=(timedelta(seconds=1),), steady=timedelta(hours=1), max_attempts=5), 1, 1),
        (RetryPolicy(delays=(timedelta(seconds=1),), steady=timedelta(hours=1), max_attempts=5), 2, 3600),
        (RetryPolicy(delays=(), steady=timedelta(minutes=5), max_attempts=4), 3, 300),
    ],
)
def test_configured_schedule(policy, attempts, delay_s):
    now = make_now()
    expected = None if delay_s is None else now + timedelta(seconds=delay_s)
    assert backoff.next_attempt_at(attempts, now, policy) == expected


def test_seeded_jitter_is_deterministic_per_key_and_bounded():
    seed = random.randrange(10**6)
    policy = RetryPolicy(jitter=0.2, seed=seed)
    again = RetryPolicy(jitter=0.2, seed=seed)
    key_a, key_b = str(uuid4()), str(uuid4())
    delays_a = [policy.delay_after(n, key_a) for n in range(1, 10)]
    assert delays_a == [again.delay_after(n, key_a) for n in range(1, 10)]
    assert delays_a != [policy.delay_after(n, key_b) for n in range(1, 10)]
    base = [RetryPolicy().delay_after(n) for n in range(1, 10)]
    for got, plain in zip(delays_a, base, strict=True):
        assert plain * 0.8 <= got <= plain * 1.2
    assert delays_a != base  # jitter really moves the times


def test_unseeded_jitter_stays_within_bounds():
    policy = RetryPolicy(jitter=0.1)
    for _ in range(50):
        assert timedelta(seconds=9) <= policy.delay_after(1) <= timedelta(seconds=11)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"jitter": 0.6},
        {"jitter": -0.1},
        {"delays": (timedelta(0),)},
        {"steady": timedelta(seconds=-1)},
    ],
)
def test_invalid_policy(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_attempts_start_at_one():
    with pytest.raises(ValueError):
        backoff.next_attempt_at(0, make_now())


# (start status, action, expected status or the error)
TRANSITIONS = [
    (S.PENDING, "success", S.SENT),
    (S.PENDING, "success_acked", S.ACKNOWLEDGED),
    (S.PENDING, "failure", S.FAILED),
    (S.PENDING, "ack", InvalidTransition),
    (S.PENDING, "redeliver", InvalidTransition),
    (S.FAILED, "success", S.SENT),
    (S.FAILED, "failure", S.FAILED),
    (S.FAILED, "ack", InvalidTransition),
    (S.FAILED, "redeliver", S.PENDING),
    ("parked", "success", InvalidTransition),
    ("parked", "failure", InvalidTransition),
    ("parked", "redeliver", S.PENDING),
    (S.SENT, "success", InvalidTransition),
    (S.SENT, "failure", InvalidTransition),
    (S.SENT, "ack", S.ACKNOWLEDGED),
    (S.SENT, "redeliver", S.PENDING),
    (S.ACKNOWLEDGED, "ack", S.ACKNOWLEDGED),
    (S.ACKNOWLEDGED, "success", InvalidTransition),
    (S.ACKNOWLEDGED, "failure", InvalidTransition),
    (S.ACKNOWLEDGED, "redeliver", InvalidTransition),
]


def act(state: DeliveryState, action: str, now: datetime) -> DeliveryState:
    """Apply one named action."""
    return {
        "success": lambda: backoff.on_success(state, now),
        "success_acked": lambda: backoff.on_success(state, now, acknowledged=True),
        "failure": lambda: backoff.on_failure(state, "http_503", now),
        "ack": lambda: backoff.on_ack(state, now),
        "redeliver": lambda: backoff.redeliver(state, now),
    }[action]()


@pytest.mark.parametrize(("start", "action", "expected"), TRANSITIONS)
def test_transition_table(start, action, expected):
    state = make_state(S.FAILED, next_attempt_at=None) if start == "parked" else make_state(start)
    now = make_now()
    if expected is InvalidTransition:
        with pytest.raises(InvalidTransition):
            act(state, action, now)
    else:
        assert act(state, action, now).status is expected


def test_full_life_failures_park_then_operator_redelivers():
    policy = RetryPolicy(max_attempts=3)
    now = make_now()
    state = DeliveryState()
    assert state.is_due(now)
    state = backoff.on_failure(state, "transport:ConnectError", now, policy)
    assert (state.status, state.attempts, state.next_attempt_at) == (S.FAILED, 1, now + timedelta(seconds=10))
    assert not state.is_due(now) and state.is_due(now + timedelta(seconds=10))
    state = backoff.on_failure(state, "http_502", now, policy)
    assert (state.attempts, state.next_attempt_at) == (2, now + timedelta(seconds=30))
    state = backoff.on_failure(state, "http_500", now, policy)
    assert state.parked and state.attempts == 3 and state.last_error == "http_500"
    assert not state.is_due(now + timedelta(days=365))
    state = backoff.redeliver(state, now)
    assert (state.status, state.attempts, state.last_error) == (S.PENDING, 0, "http_500")
    assert state.is_due(now)
    state = backoff.on_success(state, now)
    assert (state.status, state.attempts, state.last_error, state.sent_at) == (S.SENT, 1, None, now)
    later = now + timedelta(minutes=5)
    acked = backoff.on_ack(state, later)
    assert acked.status is S.ACKNOWLEDGED and acked.acknowledged_at == later
    assert backoff.on_ack(acked, later + timedelta(hours=1)) == acked  # a repeated ack changes nothing


def test_permanent_failure_parks_at_once():
    state = backoff.on_failure(DeliveryState(), "http_410", make_now(), permanent=True)
    assert state.parked and state.attempts == 1


def test_last_error_is_capped_and_never_empty():
    now = make_now()
    assert len(backoff.on_failure(DeliveryState(), "x" * 5000, now).last_error) == backoff.MAX_ERROR_CHARS
    assert backoff.on_failure(DeliveryState(), "", now).last_error == "unknown_error"


def test_jitter_key_reaches_the_schedule():
    policy = RetryPolicy(jitter=0.5, seed=7)
    now = make_now()
    a = backoff.on_failure(DeliveryState(), "e", now, policy, key="a")
    a2 = backoff.on_failure(DeliveryState(), "e", now, policy, key="a")
    b = backoff.on_failure(DeliveryState(), "e", now, policy, key="b")
    assert a.next_attempt_at == a2.next_attempt_at != b.next_attempt_at


def test_pending_with_future_start_is_not_due():
    now = make_now()
    state = DeliveryState(next_attempt_at=now + timedelta(minutes=1))
    assert not state.is_due(now) and state.is_due(now + timedelta(minutes=1))
    assert not make_state(S.SENT).is_due(now) and not make_state(S.ACKNOWLEDGED).is_due(now)

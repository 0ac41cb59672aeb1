"""Unit tests of the sliding-window limiter with a fake clock and the in-memory store."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.ratelimit import (
    SUBMISSION_LIMITS,
    LimitRule,
    MemoryStore,
    RateLimiter,
    blocked,
    check_all,
    limit_key,
    normalize,
    record,
    scope_of,
)

T0 = datetime(2026, 5, 12, 8, 0, 0, tzinfo=UTC)  # on a bucket boundary for 60 s and 3600 s


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime):
        self.now = start

    def tick(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


@pytest.fixture
def limiter() -> RateLimiter:
    return RateLimiter(MemoryStore())


def test_allows_up_to_limit_then_denies(limiter):
    k = key()
    results = [limiter.check(k, 3, 60, T0) for _ in range(4)]
    assert [d.allowed for d in results] == [True, True, True, False]
    assert [d.remaining for d in results[:3]] == [2, 1, 0]
    # the bucket alone is full: it must roll off and then decay to 2/3 of its weight (60 s + 20 s)
    assert results[3].retry_after_s == 80


def test_keys_are_independent(limiter):
    a, b = key(), key()
    assert limiter.check(a, 1, 60, T0).allowed and not limiter.check(a, 1, 60, T0).allowed
    assert limiter.check(b, 1, 60, T0).allowed


def test_previous_window_decays_linearly(limiter):
    k, clock = key(), FakeClock(T0)
    for _ in range(4):
        assert limiter.check(k, 4, 60, clock.now).allowed
    clock.tick(60 + 15)  # 75 % of the previous bucket still overlaps: estimate 3 + 1 = 4
    assert limiter.check(k, 4, 60, clock.now).allowed
    d = limiter.check(k, 4, 60, clock.now)  # estimate 3 + 2 > 4
    assert not d.allowed and d.retry_after_s == 15  # until the previous weight falls to 2/4


@pytest.mark.parametrize("limit,window,burst_at", [(3, 60, 0), (5, 3600, 1234.5), (10, 60, 59.9), (1, 10, 3)])
def test_retry_after_is_honest(limiter, limit, window, burst_at):
    """After waiting retry_after_s a hit is allowed, and one second earlier it is not."""
    k, clock = key(), FakeClock(T0)
    clock.tick(burst_at)
    while limiter.check(k, limit, window, clock.now).allowed:
        pass
    denied = limiter.check(k, limit, window, clock.now)
    wait = denied.retry_after_s
    assert not denied.allowed and wait >= 1
    if wait > 1:
        assert not limiter.check(k, limit, window, clock.now + timedelta(seconds=wait - 1)).allowed
    assert limiter.check(k, limit, window, clock.now + timedelta(seconds=wait)).allowed


def test_denied_hits_are_not_counted(limiter):
    k, clock = key(), FakeClock(T0)
    for _ in range(2):
        limiter.check(k, 2, 60, clock.now)
    for _ in range(50):  # hammering while blocked does not extend the block
        assert not limiter.check(k, 2, 60, clock.tick(0.5)).allowed
    assert limiter.check(k, 2, 60, T0 + timedelta(seconds=120)).allowed


def test_sustained_rate_below_the_limit_is_always_allowed(limiter):
    k, clock = key(), FakeClock(T0)
    assert all(limiter.check(k, 6, 60, clock.tick(12)).allowed for _ in range(100))  # 5 per minute


def test_flood_is_held_near_the_limit_over_time(limiter):
    k, clock = key(), FakeClock(T0)
    allowed = sum(limiter.check(k, 6, 60, clock.tick(1)).allowed for _ in range(600))  # 60 per minute
    assert 48 <= allowed <= 66  # at least 80 % of 6/min, never more than one extra window


@pytest.mark.parametrize("limit,window", [(0, 60), (3, 0)])
def test_bad_configuration_is_refused(limiter, limit, window):
    with pytest.raises(ValueError):
        limiter.check(key(), limit, window, T0)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("+84 912 345 678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0843123456", "0843123456"),  # a local number that merely starts with 84
        ("0084912345678", "0912345678"),
        ("00 84 912 345 678", "0912345678"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("(+84) 912.345.678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("+84 239 3855 555", "02393855555"),
    ],
)
def test_phone_normalisation(raw, expected):
    assert normalize("phone", raw) == expected


def test_keys_hide_the_identity_and_depend_on_pepper():
    rule, phone = LimitRule(scope="phone", limit=5, window_s=3600), "0912345678"
    k1, k2 = limit_key(rule, phone, b"pepper-1"), limit_key(rule, phone, b"pepper-2")
    assert phone not in k1 and "912345678" not in k1 and k1 != k2
    assert k1 == limit_key(rule, "+84 912 345 678", b"pepper-1")
    assert k1 != limit_key(LimitRule(scope="phone", limit=5, window_s=60), phone, b"pepper-1")


def test_check_all_denies_on_any_rule_and_undoes_the_others():
    store, pepper = MemoryStore(), os.urandom(16)
    rules = (LimitRule(scope="device", limit=2, window_s=60), LimitRule(scope="ip", limit=100, window_s=3600))
    device, ip = uuid.uuid4().hex, f"203.0.113.{uuid.uuid4().int % 250}"
    ip_key = limit_key(rules[1], ip, pepper)
    for _ in range(2):
        assert check_all(store, {"device": device, "ip": ip}, rules, T0, pepper).allowed
    denied = check_all(store, {"device": device, "ip": ip}, rules, T0, pepper)
    assert not denied.allowed and denied.retry_after_s == 90
    assert store.get(ip_key, int(T0.timestamp()) // 3600) == 2  # the denied request's IP hit was undone
    assert check_all(store, {"device": uuid.uuid4().hex, "ip": ip}, rules, T0, pepper).allowed


def test_check_all_skips_missing_scopes_and_reports_tightest_remaining():
    store, pepper = MemoryStore(), os.urandom(16)
    d = check_all(store, {"device": uuid.uuid4().hex, "phone": None}, SUBMISSION_LIMITS, T0, pepper)
    assert d.allowed and d.remaining == 2 and d.limit == 3  # device 3/min is the tightest
    assert check_all(store, {}, SUBMISSION_LIMITS, T0, pepper).allowed


class CountingStore(MemoryStore):
    """A MemoryStore that counts its calls (each is one round trip on PostgreSQL)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def hit(self, hits):
        self.calls.append("hit")
        return super().hit(hits)

    def give_back(self, hits):
        self.calls.append("give_back")
        super().give_back(hits)


def test_check_all_counts_every_scope_in_one_call_and_agrees_with_one_rule_at_a_time():
    """The batch gives the same verdicts, remaining counts and Retry-After as checking rule by rule."""
    batch, single, pepper = CountingStore(), RateLimiter(MemoryStore()), os.urandom(16)
    rules = (
        LimitRule(scope="device", limit=3, window_s=60),
        LimitRule(scope="device", limit=5, window_s=3600),
        LimitRule(scope="ip", limit=4, window_s=3600),
    )
    identity, clock = {"device": uuid.uuid4().hex, "ip": "198.51.100.7"}, FakeClock(T0)
    for _ in range(12):
        now = clock.tick(7.5)
        got = check_all(batch, identity, rules, now, pepper)
        each = [
            single.check(limit_key(r, identity[r.scope], pepper), r.limit, r.window_s, now) for r in rules
        ]
        if all(d.allowed for d in each):
            assert got.allowed and got.remaining == min(d.remaining for d in each)
        else:
            assert not got.allowed and got.retry_after_s == max(
                d.retry_after_s for d in each if not d.allowed
            )
            for r, d in zip(rules, each):  # rule by rule, the allowed ones are given back by hand
                if d.allowed:
                    single.store.add(d.key, d.bucket, -1, 2 * r.window_s + 1)
    assert batch.calls.count("hit") == 12 and set(batch.calls) == {"hit", "give_back"}
    nonzero = lambda counts: {k: v for k, v in counts.items() if v}  # noqa: E731
    assert nonzero(batch.counts) == nonzero(single.store.counts)


def test_rules_sharing_a_key_share_one_hit():
    store, pepper = MemoryStore(), os.urandom(16)
    rules = (LimitRule(scope="phone", limit=2, window_s=60), LimitRule(scope="phone", limit=5, window_s=60))
    assert check_all(store, {"phone": "0912345678"}, rules, T0, pepper).remaining == 1
    assert sum(store.counts.values()) == 1


def test_every_spelling_of_a_phone_counts_on_one_counter():
    store, pepper = MemoryStore(), os.urandom(16)
    rules = (LimitRule(scope="phone", limit=3, window_s=3600),)
    spellings = ["0912 345 678", "+84912345678", "0084 912 345 678", "(+84) 912.345.678"]
    verdicts = [check_all(store, {"phone": p}, rules, T0, pepper).allowed for p in spellings]
    assert verdicts == [True, True, True, False]


def test_a_new_device_id_resets_neither_the_ip_nor_the_phone():
    store, pepper = MemoryStore(), os.urandom(16)
    rules = (
        LimitRule(scope="device", limit=2, window_s=60),
        LimitRule(scope="phone", limit=5, window_s=3600),
        LimitRule(scope="ip", limit=4, window_s=3600),
    )
    ip = f"203.0.113.{uuid.uuid4().int % 250}"
    fresh = lambda **kw: check_all(store, {"device": uuid.uuid4().hex, "ip": ip, **kw}, rules, T0, pepper)  # noqa
    assert [fresh().allowed for _ in range(5)] == [True, True, True, True, False]  # the IP's four
    phone, other_ip = "0912345678", lambda: f"198.51.100.{uuid.uuid4().int % 250}"
    results = [
        check_all(store, {"device": uuid.uuid4().hex, "ip": other_ip(), "phone": phone}, rules, T0, pepper)
        for _ in range(6)
    ]
    assert [d.allowed for d in results] == [True] * 5 + [False] and scope_of(results[-1].key) == "phone"


def test_urgent_rules_count_on_their_own_counters():
    pepper, device = os.urandom(16), uuid.uuid4().hex
    submit, urgent = (
        LimitRule(scope="device", limit=10, window_s=3600),
        LimitRule(scope="device", limit=2, window_s=3600, tier="urgent"),
    )
    assert limit_key(submit, device, pepper) != limit_key(urgent, device, pepper)
    assert scope_of(limit_key(urgent, device, pepper)) == "device"
    store = MemoryStore()
    verdicts = [check_all(store, {"device": device}, (submit, urgent), T0, pepper) for _ in range(3)]
    assert [d.allowed for d in verdicts] == [True, True, False] and verdicts[-1].key.startswith("rl:urgent:")
    assert check_all(store, {"device": device}, (submit,), T0, pepper).allowed  # a normal report still passes


def test_failures_block_once_counted_and_peeking_counts_nothing():
    store, pepper, ip = MemoryStore(), os.urandom(16), "203.0.113.9"
    rules = (LimitRule(scope="ip", limit=3, window_s=600, tier="token"),)
    for _ in range(3):
        assert blocked(store, {"ip": ip}, rules, T0, pepper).allowed
        record(store, {"ip": ip}, rules, T0, pepper)
    assert not blocked(store, {"ip": ip}, rules, T0, pepper).allowed
    assert not blocked(store, {"ip": ip}, rules, T0, pepper).allowed  # asking again counts nothing more
    assert blocked(store, {"ip": ip}, rules, T0 + timedelta(seconds=1200), pepper).allowed

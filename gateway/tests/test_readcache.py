"""The public read cache's pure parts (TTL, bounds, marks of changes, generations, single flight, keys) and
its middleware over a small Starlette app (hits, 304, credentials that bypass it, writes that mark it, answers
never kept)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.readcache import (
    Entry,
    ReadCache,
    ReadCacheMiddleware,
    ReadCacheSettings,
    cache_key,
    etag_of,
    keepable,
    matches,
)

ID = "3f0c9a52-5a47-4b8e-9c39-0f1d7b3c2a10"


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def entry(body: bytes = b"x", expires: float = 101.0) -> Entry:
    return Entry(((b"content-type", b"application/json"),), body, etag_of(body), expires)


def scope(path: str = "/v1/categories", method: str = "GET", headers=(), query: bytes = b"") -> dict:
    return {
        "type": "http",
        "path": path,
        "method": method,
        "headers": list(headers),
        "query_string": query,
        "scheme": "http",
        "root_path": "",
    }


def test_an_entry_lives_for_its_ttl_only():
    clock = Clock()
    cache = ReadCache(1.0, 10, 1000, clock)
    assert cache.put("k", entry(expires=clock.now + 1), cache.generation)
    assert cache.get("k") is not None
    clock.now += 1.0
    assert cache.get("k") is None and cache.size == 0


def test_a_stale_entry_is_served_while_one_background_call_renews_it_and_never_after_two_seconds():
    clock = Clock()
    cache = ReadCache(1.0, 10, 1000, clock)
    cache.put("k", Entry((), b"old", etag_of(b"old"), clock.now + 1, stale_until=clock.now + 2), 0)
    calls = 0

    async def renew():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        return Entry((), b"new", etag_of(b"new"), clock.now + 1, stale_until=clock.now + 2)

    async def must_not_wait():
        raise AssertionError("a reader waited while a stale entry could be served")

    async def main():
        clock.now += 1.5  # past the TTL, within 2 s of the read
        answers = [await cache.fetch("k", must_not_wait, renew) for _ in range(5)]
        assert [e.body for e, _ in answers] == [b"old"] * 5
        while cache.renewing:
            await asyncio.sleep(0.01)
        assert (await cache.fetch("k", must_not_wait, renew))[0].body == b"new"
        clock.now += 2.0  # the new one too is past its 2 s: the reader waits for a fresh answer
        entry, leader = await cache.fetch("k", renew, renew)
        assert leader and entry.body == b"new"

    asyncio.run(main())
    assert calls == 2


def test_a_clear_leaves_no_stale_entry_behind():
    clock = Clock()
    cache = ReadCache(1.0, 10, 1000, clock)
    cache.put("k", Entry((), b"old", etag_of(b"old"), clock.now + 1, stale_until=clock.now + 2), 0)
    cache.clear()
    clock.now += 1.5

    async def fresh():
        return Entry((), b"new", etag_of(b"new"), clock.now + 1, stale_until=clock.now + 2)

    entry, leader = asyncio.run(cache.fetch("k", fresh, fresh))
    assert leader and entry.body == b"new"


def test_a_read_started_before_a_clear_is_not_stored():
    cache = ReadCache(1.0, 10, 1000, Clock())
    generation = cache.generation
    cache.clear()
    assert not cache.put("k", entry(), generation)
    assert cache.get("k") is None


def test_bounds_drop_the_least_recently_used_by_count_and_by_bytes():
    cache = ReadCache(1.0, 2, 10, Clock())
    cache.put("a", entry(b"aaaa"), 0)
    cache.put("b", entry(b"bbbb"), 0)
    cache.get("a")  # a is now the most recent
    cache.put("c", entry(b"cc"), 0)
    assert list(cache.entries) == ["a", "c"] and cache.size == 6
    cache.put("d", entry(b"dddddd"), 0)  # 4 + 2 + 6 > 10 bytes: the oldest go until it fits
    assert list(cache.entries) == ["c", "d"] and cache.size == 8
    assert not cache.put("e", entry(b"e" * 11), 0)  # never fits
    assert cache.size == sum(len(e.body) for e in cache.entries.values())


def test_concurrent_misses_of_one_key_make_one_call():
    cache = ReadCache(1.0, 10, 1000)
    calls = 0

    async def produce():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return entry(expires=cache.clock() + 1)

    async def main():
        return await asyncio.gather(*(cache.fetch("k", produce) for _ in range(20)))

    answers = asyncio.run(main())
    assert calls == 1
    assert sum(leader for _, leader in answers) == 1
    assert all(e is answers[0][0] for e, _ in answers)
    assert not cache.inflight


def test_followers_of_an_uncacheable_answer_get_none_and_the_next_call_goes_upstream():
    cache = ReadCache(1.0, 10, 1000)
    calls = 0

    async def produce():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        return None

    async def main():
        first = await asyncio.gather(*(cache.fetch("k", produce) for _ in range(5)))
        await cache.fetch("k", produce)
        return first

    first = asyncio.run(main())
    assert [e for e, _ in first] == [None] * 5 and calls == 2


def test_the_ttl_setting_is_bounded_to_two_seconds():
    assert ReadCacheSettings().ttl_s == 1.0
    assert ReadCacheSettings(READ_CACHE_TTL_S=0).ttl_s == 0
    with pytest.raises(ValidationError):
        ReadCacheSettings(READ_CACHE_TTL_S=2.5)


@pytest.mark.parametrize(
    ("request_scope", "cached"),
    [
        (scope(), True),
        (scope(f"/v1/reports/{ID}"), True),
        (scope("/open311/v2/requests.json", query=b"status=open"), True),
        (scope("/v1/reports", "POST"), False),
        (scope("/v1/operator/reports"), False),
        (scope(f"/v1/reports/{ID}/rating"), False),
        (scope("/open311/v2/servicerequestupdates.json"), False),
        (scope(headers=[(b"authorization", b"Bearer t")]), False),
        (scope(headers=[(b"cookie", b"ht_access=t")]), False),
        (scope(f"/v1/reports/{ID}", headers=[(b"x-tracking-token", b"t")]), False),
        (scope(headers=[(b"x-api-key", b"k")]), False),
        (scope("/open311/v2/requests.json", query=b"api_key=k"), False),
        (scope("/v1/reports", "HEAD"), False),
    ],
)
def test_only_anonymous_gets_of_public_reads_have_a_key(request_scope, cached):
    assert (cache_key(request_scope) is not None) == cached


def test_the_key_sorts_the_query_and_varies_on_language_and_encoding():
    base = cache_key(scope("/v1/reports", query=b"limit=5&offset=0"))
    assert base == cache_key(scope("/v1/reports", query=b"offset=0&limit=5"))
    assert base != cache_key(scope("/v1/reports", query=b"offset=0&limit=6"))
    assert base != cache_key(
        scope("/v1/reports", query=b"limit=5&offset=0", headers=[(b"accept-language", b"en")])
    )
    assert base != cache_key(
        scope("/v1/reports", query=b"limit=5&offset=0", headers=[(b"accept-encoding", b"gzip, br")])
    )


def test_if_none_match_and_keepable_answers():
    tag = etag_of(b"body")
    assert matches(tag, tag) and matches(b'"other", W/' + tag, tag) and matches(b"*", tag)
    assert not matches(None, tag) and not matches(b'"other"', tag)
    assert keepable(200, [(b"content-type", b"application/json")])
    assert not keepable(404, [])
    assert not keepable(200, [(b"set-cookie", b"a=b")])
    assert not keepable(200, [(b"cache-control", b"no-store")])


class Upstream:
    """A small app standing for the gateway's routes, counting its calls."""

    def __init__(self):
        self.calls, self.version = 0, 0

    def app(self) -> Starlette:
        async def categories(request):
            self.calls += 1
            await asyncio.sleep(0.01)
            return JSONResponse(
                {
                    "version": self.version,
                    "lang": request.headers.get("accept-language", "vi"),
                    "caller": request.headers.get("authorization"),
                }
            )

        async def write(request):
            self.version += 1
            return JSONResponse({"ok": True}, 201)

        async def similar(request):
            return JSONResponse([])

        async def limited(request):
            self.calls += 1
            await asyncio.sleep(0.02)
            return JSONResponse({"error": "rate limited"}, 429)

        async def missing(request):
            self.calls += 1
            await asyncio.sleep(0.02)
            return JSONResponse({"error": "not found"}, 404)

        async def cookie(request):
            self.calls += 1
            response = Response(b"{}", media_type="application/json")
            response.set_cookie("s", "1")
            return response

        routes = [
            Route("/v1/categories", categories),
            Route("/v1/reports", write, methods=["POST"]),
            Route("/v1/reports/similar", similar, methods=["POST"]),
            Route("/v1/agencies", limited),
            Route(f"/v1/reports/{ID}", missing),
            Route("/v1/stats", cookie),
        ]
        return Starlette(routes=routes)


def run_client(test):
    upstream = Upstream()
    app = ReadCacheMiddleware(upstream.app(), ReadCacheSettings(READ_CACHE_TTL_S=2))

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            await test(client, upstream)

    asyncio.run(main())


def test_hits_conditional_requests_and_the_public_headers():
    async def test(client, upstream):
        first = await client.get("/v1/categories")
        second = await client.get("/v1/categories")
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
        assert first.content == second.content and upstream.calls == 1
        assert second.headers["cache-control"] == "public, max-age=2"
        assert "Authorization" in second.headers["vary"] and "Accept-Language" in second.headers["vary"]
        again = await client.get("/v1/categories", headers={"If-None-Match": second.headers["etag"]})
        assert (
            again.status_code == 304
            and again.content == b""
            and again.headers["etag"] == second.headers["etag"]
        )
        english = await client.get("/v1/categories", headers={"Accept-Language": "en"})
        assert english.headers["x-cache"] == "miss" and english.json()["lang"] == "en"

    run_client(test)


def test_credentials_bypass_the_cache_and_never_fill_it():
    async def test(client, upstream):
        staff = await client.get("/v1/categories", headers={"Authorization": "Bearer staff"})
        assert staff.json()["caller"] == "Bearer staff" and "x-cache" not in staff.headers
        anonymous = await client.get("/v1/categories")
        assert anonymous.headers["x-cache"] == "miss" and anonymous.json()["caller"] is None
        staff = await client.get("/v1/categories", headers={"Authorization": "Bearer staff"})
        assert staff.json()["caller"] == "Bearer staff" and upstream.calls == 3

    run_client(test)


def test_a_successful_write_marks_the_cache_stale_and_one_background_call_renews_it():
    async def test(client, upstream):
        assert (await client.get("/v1/categories")).json()["version"] == 0
        assert (await client.post("/v1/reports/similar", json={})).status_code == 200  # a question: no change
        assert (await client.get("/v1/categories")).headers["x-cache"] == "hit"
        assert (await client.post("/v1/reports", json={})).status_code == 201
        calls = upstream.calls
        after = await asyncio.gather(*(client.get("/v1/categories") for _ in range(5)))
        assert {a.headers["x-cache"] for a in after} == {"stale"}  # no reader waits for the renewal
        assert {a.json()["version"] for a in after} == {0} and {a.headers["age"] for a in after} <= {"0", "1"}
        await asyncio.sleep(0.05)  # the one renewal lands
        renewed = await client.get("/v1/categories")
        assert renewed.headers["x-cache"] == "hit" and renewed.json()["version"] == 1
        assert upstream.calls == calls + 1

    run_client(test)


OTHER = "9b2e8a61-0c3d-4f5e-8a7b-1c2d3e4f5a6b"


def test_a_change_of_one_report_marks_its_page_and_the_shared_answers_only():
    clock = Clock()
    cache = ReadCache(1.0, 10, 1000, clock)
    keys = {
        name: (path,)
        for name, path in (
            ("mine", f"/v1/reports/{ID}"),
            ("other", f"/v1/reports/{OTHER}"),
            ("list", "/v1/reports"),
            ("map", "/v1/reports.geojson"),
        )
    }
    for key in keys.values():
        cache.put(key, Entry((), b"x", None, clock.now + 1, stale_until=clock.now + 2, started=clock.now), 0)
    clock.now += 0.1
    cache.mark(ID.upper())
    assert {n: cache.fresh(k, cache.entries[k]) for n, k in keys.items()} == {
        "mine": False,
        "other": True,
        "list": False,
        "map": False,
    }
    cache.mark()  # a new report: the shared answers only
    assert cache.fresh(keys["other"], cache.entries[keys["other"]])
    cache.mark(everything=True)
    assert not any(cache.fresh(k, cache.entries[k]) for k in keys.values())


def test_old_report_marks_fold_into_the_mark_of_everything():
    clock = Clock()
    cache = ReadCache(1.0, 10, 1000, clock)
    cache.mark(ID)
    first = clock.now
    clock.now += 61
    cache.mark(OTHER)
    assert list(cache.page_marks) == [OTHER] and cache.all_mark == first
    assert cache.changed_at((f"/v1/reports/{ID}",)) == first  # still never later than the truth


def test_no_reader_joins_a_call_that_started_before_a_change():
    clock = Clock()
    cache = ReadCache(1.0, 10, 1000, clock)
    key = ("/v1/reports",)
    calls = []

    async def produce():
        calls.append(clock.now)
        version = len(calls)
        await asyncio.sleep(0.05 if version == 1 else 0.01)
        return Entry(
            (), b"v%d" % version, None, clock.now + 1, stale_until=clock.now + 2, started=calls[version - 1]
        )

    async def main():
        before = asyncio.ensure_future(cache.fetch(key, produce))
        await asyncio.sleep(0.01)
        clock.now += 0.1
        cache.mark()
        after, leader = await cache.fetch(key, produce)  # leads its own call rather than wait for the old one
        assert leader and after.body == b"v2"
        assert (await before)[0].body == b"v1"
        return cache.entries[key].body  # the older read never replaces the newer one

    assert asyncio.run(main()) == b"v2" and len(calls) == 2


def test_during_a_burst_of_changes_a_stale_key_is_renewed_again_after_the_spacing_not_at_every_read():
    clock = Clock()
    cache = ReadCache(1.0, 10, 1000, clock)
    key = ("/v1/reports.geojson",)
    cache.put(key, Entry((), b"v0", None, clock.now + 1, stale_until=clock.now + 2, started=clock.now), 0)
    calls = []

    async def renew():
        calls.append(clock.now)
        await asyncio.sleep(1)  # slow: still in flight when the next changes come
        return None

    async def must_not_wait():
        raise AssertionError("a reader waited while a stale entry could be served")

    async def main():
        for _ in range(10):  # a change, then a read, every 0.1 s
            clock.now += 0.1
            cache.mark()
            assert (await cache.fetch(key, must_not_wait, renew))[0].body == b"v0"
            await asyncio.sleep(0)
        for task in list(cache.renewing):
            task.cancel()

    asyncio.run(main())
    assert [round(c - 100, 1) for c in calls] == [0.1, 0.4, 0.7, 1.0]


def test_a_photo_hidden_clears_everything_other_events_mark():
    from gateway.casefeed import CaseChange

    middleware = ReadCacheMiddleware(Upstream().app(), ReadCacheSettings(READ_CACHE_TTL_S=2))
    cache = middleware.cache
    cache.put(("/v1/reports",), entry(), 0)
    middleware.changed_by_event(CaseChange(ID, "report.routed", "DA_CHUYEN_XU_LY", frozenset()))
    assert cache.entries and cache.page_marks[ID] == cache.shared_mark
    middleware.changed_by_event(CaseChange(ID, "report.media_visibility_changed", None, frozenset()))
    assert not cache.entries


@pytest.mark.parametrize(
    ("path", "marked"),
    [
        (f"/v1/operator/reports/{ID}/accept", ID),
        (f"/v1/reports/{ID}/rating", ID),
        ("/v1/reports", "shared"),
        ("/open311/v2/requests.json", "shared"),
        ("/v1/admin/categories", "everything"),
    ],
)
def test_writes_mark_what_they_name(path, marked):
    middleware = ReadCacheMiddleware(Upstream().app(), ReadCacheSettings(READ_CACHE_TTL_S=2))
    cache = middleware.cache
    middleware.changed_by_write(path)
    assert cache.shared_mark > float("-inf")
    assert (cache.all_mark > float("-inf")) == (marked == "everything")
    assert list(cache.page_marks) == ([ID] if marked == ID else [])


def test_errors_and_cookies_are_passed_on_and_never_kept():
    async def test(client, upstream):
        for _ in range(2):
            missing = await client.get(f"/v1/reports/{ID}")
            assert missing.status_code == 404 and "etag" not in missing.headers
            cookie = await client.get("/v1/stats")
            assert cookie.status_code == 200 and "set-cookie" in cookie.headers
        assert upstream.calls == 4

    run_client(test)


def test_concurrent_anonymous_misses_reach_the_app_once():
    async def test(client, upstream):
        answers = await asyncio.gather(*(client.get("/v1/categories") for _ in range(10)))
        assert upstream.calls == 1 and {a.status_code for a in answers} == {200}
        assert sorted(a.headers["x-cache"] for a in answers) == ["hit"] * 9 + ["miss"]

    run_client(test)


def test_followers_of_an_uncacheable_answer_do_not_all_go_upstream_at_once():
    async def test(client, upstream):
        answers = await asyncio.gather(*(client.get(f"/v1/reports/{ID}") for _ in range(10)))
        assert {a.status_code for a in answers} == {404}
        assert upstream.calls == 1  # the waiting requests share the leader's answer (not kept)
        assert {a.headers["x-cache"] for a in answers} == {"miss"}

    run_client(test)


def test_a_clients_own_rate_limit_is_never_shared_with_the_requests_waiting():
    async def test(client, upstream):
        answers = await asyncio.gather(*(client.get("/v1/agencies") for _ in range(5)))
        assert {a.status_code for a in answers} == {429} and upstream.calls == 5

    run_client(test)

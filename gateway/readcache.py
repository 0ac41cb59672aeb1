"""The public read cache: anonymous GETs of an allow-list of public routes, answered from this process's
memory for `READ_CACHE_TTL_S` seconds (default 1, at most 2; 0 switches it off, as the end-to-end harness
does).

Who is served from it: a GET with none of the edge guard's credential headers (Authorization, Cookie, tracking
or follower token, CSRF token), no `X-Api-Key` and no `api_key` parameter, to a path in `PUBLIC_READS`.
Exactly the answers the edge guard does not mark `no-store`; anything with a credential passes through
untouched and never fills the cache, so a staff member's or a reporter's view cannot reach an anonymous
reader. Key: path, the sorted query, and what the answers vary on (`Accept-Language`, gzip or not, host,
scheme). Only 200 answers without `Set-Cookie` or `no-store`/`private` are kept, with a strong `ETag` (304 on
`If-None-Match`), `Cache-Control: public, max-age=<ttl>`, `Vary` on the language, the encoding and the
credential headers, and `X-Cache: hit|stale|miss`. Concurrent misses of one key make one upstream call (single
flight); an answer that is not kept (a 404, a 504) is shared with the requests that waited for it, never with
later ones (a 429, a client's own rate limit, is not shared). The cache sits between admission control's two
layers (`gateway/admission.py`): a hit costs its client a bucket token (a flood of cached reads is still a
flood) but no in-flight place; a miss passes the in-flight bound like any request. Freshness: an answer is
fresh for the TTL from the moment its upstream call started; after that, until 2 s (`MAX_LAG_S`) from then, it
is still served (`X-Cache: stale`, with `Age`) while one background call renews it, so a busy key never makes
its readers wait. A change does not wipe the cache, it marks what it touched as changed at that moment (O(1),
no scan): every answer read before the mark is stale at once (served while one call renews it, still never
past 2 s from its own read, so no public answer lags a change by more than 2 s), and no reader joins a call
that started before the mark (during a burst of changes, a key is renewed at most every `RENEW_SPACING_S`).
What a change touches: a case event (`report.#`, the staff console's feed) or a successful write through this
process to a path naming a report (any method but GET, HEAD and OPTIONS; the similar-reports question
excepted) marks that report's page and every shared answer (lists, map feed, statistics, Open311 lists, ...);
a new report (`POST /v1/reports`, Open311 `POST requests`) the shared answers; any other write everything. A
change of a photo's visibility (`report.media_visibility_changed`) is not served stale: it clears everything,
and a read started before a clear never stores its answer. Memory: at most `READ_CACHE_MAX_ENTRIES` answers
and `READ_CACHE_MAX_BYTES` bytes (least recently used out first); an answer over `READ_CACHE_MAX_ENTRY_BYTES`
is passed on, not kept."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .edge import CREDENTIAL_HEADERS

log = logging.getLogger("gateway.readcache")
PUBLIC_READS = tuple(
    re.compile(p)
    for p in (
        r"^/v1/categories$",
        r"^/v1/stats$",
        r"^/v1/agencies$",
        r"^/v1/reports$",
        r"^/v1/reports\.geojson$",
        r"^/v1/reports/[0-9A-Fa-f-]{36}$",
        r"^/open311/discovery\.(json|xml)$",
        r"^/open311/v2/services\.(json|xml)$",
        r"^/open311/v2/services/[^/]+\.(json|xml)$",
        r"^/open311/v2/requests\.(json|xml)$",
        r"^/open311/v2/requests/[^/]+\.(json|xml)$",
    )
)
BYPASS_HEADERS = frozenset(CREDENTIAL_HEADERS) | {b"x-api-key"}
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READS_BY_POST = frozenset(
    {"/v1/reports/similar"}
)  # a question, not a change: the wizard asks it as one types
DROPPED = frozenset({b"content-length", b"x-request-id", b"etag", b"x-cache"})
VARY = b"Accept-Language, Accept-Encoding, Authorization, Cookie, X-Tracking-Token, X-Follower-Token"
Key = tuple
MAX_LAG_S = (
    2.0  # the most a public answer may lag a change (issue 12): the TTL, then a stale answer while renewed
)
REPORT_PAGE = re.compile(r"^/v1/reports/([0-9A-Fa-f-]{36})$")
REPORT_IN_PATH = re.compile(
    r"/reports/([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})(/|$)"
)
NEW_REPORTS = re.compile(r"^/(v1/reports|open311/v2/requests\.(json|xml))$")
PURGING_EVENTS = frozenset({"report.media_visibility_changed"})  # less to show: never served stale
MARKS_KEPT_S = (
    60.0  # a report's mark older than this folds into the mark of everything (no entry lives that long)
)
MARKS_MAX = 10_000
NEVER = float("-inf")
RENEW_SPACING_S = 0.25  # the least time between two renewals of one key in flight together (after a change)


class ReadCacheSettings(BaseSettings):
    """The cache's settings, from the environment."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    ttl_s: float = Field(
        1.0,
        alias="READ_CACHE_TTL_S",
        ge=0,
        le=2,
        description="Seconds a public answer is reused (0: off; never above 2)",
    )
    max_entries: int = Field(2000, alias="READ_CACHE_MAX_ENTRIES", gt=0)
    max_bytes: int = Field(64 * 1024 * 1024, alias="READ_CACHE_MAX_BYTES", gt=0)
    max_entry_bytes: int = Field(2 * 1024 * 1024, alias="READ_CACHE_MAX_ENTRY_BYTES", gt=0)


@dataclass(frozen=True)
class Entry:
    """One answer with its headers as the edge guard sent them: a 200 to keep, or another one (`keep` False)
    that only the requests waiting for it share."""

    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: bytes | None
    expires: float  # fresh until then, counted from the upstream call's start
    route: Any = None  # the matched route, so that the HTTP metrics of a hit name it
    status: int = 200
    keep: bool = True
    stale_until: float = 0.0  # after `expires`, served while one refresh runs, up to MAX_LAG_S after the read
    started: float = 0.0  # when its upstream call started: an answer is of that moment


@dataclass
class ReadCache:
    """Entries by key with a TTL, LRU bounds (count and bytes), marks of changes, a generation that clears
    bump, single flight."""

    ttl_s: float
    max_entries: int
    max_bytes: int
    clock: Callable[[], float] = time.monotonic
    entries: OrderedDict = field(default_factory=OrderedDict)
    size: int = 0
    generation: int = 0
    inflight: dict = field(default_factory=dict)  # key -> (future, when its call started)
    renewing: set = field(default_factory=set)  # background refreshes (held: the loop keeps weak references)
    shared_mark: float = NEVER  # the last change of anything but a report's own page
    all_mark: float = NEVER  # the last change of everything (report pages included)
    page_marks: OrderedDict = field(default_factory=OrderedDict)  # report id -> the last change of its page

    def changed_at(self, key: Key) -> float:
        """When what `key` answers last changed, as far as this process knows."""
        page = (
            REPORT_PAGE.match(key[0]) if isinstance(key, tuple) and key and isinstance(key[0], str) else None
        )
        if page is None:
            return max(self.shared_mark, self.all_mark)
        return max(self.all_mark, self.page_marks.get(page.group(1).lower(), NEVER))

    def mark(self, report_id: str | None = None, *, everything: bool = False) -> None:
        """A change now: of one report (its page and every shared answer), of the shared answers only (no id),
        or of everything. Older report marks fold into the mark of everything (a safe, older bound)."""
        now = self.clock()
        self.shared_mark = now
        if everything:
            self.all_mark = now
        elif report_id is not None:
            report_id = report_id.lower()
            self.page_marks.pop(report_id, None)
            self.page_marks[report_id] = now
        while self.page_marks:
            oldest, at = next(iter(self.page_marks.items()))
            if at > now - MARKS_KEPT_S and len(self.page_marks) <= MARKS_MAX:
                break
            del self.page_marks[oldest]
            self.all_mark = max(self.all_mark, at)

    def fresh(self, key: Key, entry: Entry) -> bool:
        """Within its TTL and read after the last change of what it answers."""
        return self.clock() < entry.expires and entry.started >= self.changed_at(key)

    def get(self, key: Key) -> Entry | None:
        """The fresh entry of `key`, or None (an expired one is dropped)."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        if not self.fresh(key, entry):
            if entry.expires <= self.clock():
                self._drop(key)
            return None
        self.entries.move_to_end(key)
        return entry

    def put(self, key: Key, entry: Entry, generation: int) -> bool:
        """Keep `entry` unless a clear happened since `generation` was read, it can never fit, or a newer read
        of `key` is already kept."""
        if generation != self.generation or len(entry.body) > self.max_bytes:
            return False
        if key in self.entries:
            if self.entries[key].started > entry.started:
                return False
            self._drop(key)
        self.entries[key] = entry
        self.size += len(entry.body)
        while len(self.entries) > self.max_entries or self.size > self.max_bytes:
            self._drop(next(iter(self.entries)))
        return True

    def clear(self) -> None:
        """Forget everything, and every read in flight (those started before a write never store their
        answer)."""
        self.entries.clear()
        self.inflight.clear()
        self.size = 0
        self.generation += 1

    def _drop(self, key: Key) -> None:
        self.size -= len(self.entries.pop(key).body)

    async def fetch(
        self,
        key: Key,
        produce: Callable[[], Awaitable[Entry | None]],
        refresh: Callable[[], Awaitable[Entry | None]] | None = None,
    ) -> tuple[Entry | None, bool]:
        """(entry, leader): the fresh entry; else, with `refresh`, the stale one (within 2 s of its read)
        while `refresh()` renews it in the background (once); else the answer of the one call in flight for
        `key` when it started after the last change; else `produce()`'s (stored when it is to be kept). A
        follower gets None when the leader's answer was for the leader alone."""
        entry = self.entries.get(key)
        changed = self.changed_at(key)
        waiting = self.inflight.get(key)
        if entry is not None:
            now = self.clock()
            if now < entry.expires and entry.started >= changed:
                self.entries.move_to_end(key)
                return entry, False
            if refresh is not None and now < entry.stale_until:
                # one renewal at a time per key, unless the one in flight started before a later change: then
                # another may start RENEW_SPACING_S after it (a burst of changes makes a few calls per second
                # at most, and a slow upstream still renews well within the 2 s)
                if waiting is None or (waiting[1] < changed and now - waiting[1] >= RENEW_SPACING_S):
                    task = asyncio.get_running_loop().create_task(self._renew(key, refresh, self._claim(key)))
                    self.renewing.add(task)
                    task.add_done_callback(self.renewing.discard)
                return entry, False
            if now >= entry.stale_until:
                self._drop(key)
        if (
            waiting is not None and waiting[1] >= changed
        ):  # never join a call that may have read before a change
            return await asyncio.shield(waiting[0]), False
        return await self._lead(key, produce, self._claim(key)), True

    def _claim(self, key: Key) -> tuple[asyncio.Future, int]:
        """Become the one call in flight for `key` (and note the generation it reads in)."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.inflight[key] = (future, self.clock())
        return future, self.generation

    async def _lead(
        self, key: Key, produce: Callable[[], Awaitable[Entry | None]], claim: tuple[asyncio.Future, int]
    ) -> Entry | None:
        """The one call for `key`: its answer goes to everyone waiting, and into the cache when it is to be
        kept."""
        future, generation = claim
        entry = None
        try:
            entry = await produce()
            if entry is not None and entry.keep:
                self.put(key, entry, generation)
            return entry
        finally:
            if self.inflight.get(key, (None,))[0] is future:
                del self.inflight[key]
            future.set_result(entry)

    async def _renew(
        self, key: Key, refresh: Callable[[], Awaitable[Entry | None]], claim: tuple[asyncio.Future, int]
    ) -> None:
        try:
            await self._lead(key, refresh, claim)
        except Exception:  # the stale entry ends at its time; the next reader asks again
            log.exception("read cache: renewing an entry failed")


def etag_of(body: bytes) -> bytes:
    """A strong validator: a hash of the exact bytes."""
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


def matches(if_none_match: bytes | None, etag: bytes) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2): `*` or any listed tag, W/ or not."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")]
    return b"*" in tags or etag in tags


def cache_key(scope: dict) -> Key | None:
    """The key of an anonymous GET to a public read, or None when the request must pass through."""
    if scope["method"] != "GET" or not any(p.match(scope["path"]) for p in PUBLIC_READS):
        return None
    headers = scope["headers"]
    if any(
        k in BYPASS_HEADERS
        or (k == b"content-length" and v.strip() not in (b"", b"0"))
        or k == b"transfer-encoding"
        for k, v in headers
    ):
        return None
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    if any(name == "api_key" for name, _ in query):
        return None
    own = dict(headers)
    return (
        scope["path"],
        tuple(sorted(query)),
        own.get(b"accept-language", b"").strip().lower(),
        b"gzip" in own.get(b"accept-encoding", b""),
        own.get(b"host", b""),
        scope.get("scheme"),
        scope.get("root_path", ""),
    )


def keepable(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    """A 200 without cookies, and without a route's own refusal to be stored."""
    if status != 200:
        return False
    for k, v in headers:
        name = k.lower()
        if name == b"set-cookie" or (name == b"cache-control" and (b"no-store" in v or b"private" in v)):
            return False
    return True


def entry_of(
    status: int, headers: list[tuple[bytes, bytes]], body: bytes, ttl_s: float, started: float, route: Any
) -> Entry:
    """The entry of a 200 to keep: its headers plus the validator and the public caching headers; any other
    answer as it is, not to be kept (shared with the requests that waited for it: an identical anonymous
    request)."""
    kept = [(k, v) for k, v in headers if k.lower() not in DROPPED]
    if not keepable(status, headers):
        return Entry(tuple(kept), body, None, started, route, status, keep=False, started=started)
    names = {k.lower() for k, _ in kept}
    etag = etag_of(body)
    kept.append((b"etag", etag))
    if b"cache-control" not in names:
        kept.append((b"cache-control", b"public, max-age=%d" % max(1, round(ttl_s))))
    kept = [(k, v) for k, v in kept if k.lower() != b"vary"] + [(b"vary", VARY)]
    return Entry(
        tuple(kept), body, etag, started + ttl_s, route, stale_until=started + MAX_LAG_S, started=started
    )


class ReadCacheMiddleware:
    """ASGI middleware around the edge guard: serves and fills the cache, marks what writes and case events
    change."""

    def __init__(self, app, settings: ReadCacheSettings, case_feed=None):
        self.app, self.settings, self.case_feed = app, settings, case_feed
        self.cache = ReadCache(settings.ttl_s, settings.max_entries, settings.max_bytes)
        self._listener: asyncio.Task | None = None
        self._listen_after = 0.0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self._listen()
        if scope["method"] not in READ_METHODS and scope["path"] not in READS_BY_POST:
            return await self._write(scope, receive, send)
        key = cache_key(scope)
        if key is None:
            return await self.app(scope, receive, send)

        async def produce() -> Entry | None:
            return await self._upstream(scope, receive, send)

        async def refresh() -> Entry | None:  # in the background, after this request was answered
            return await self._upstream({**scope, "state": dict(scope.get("state", {}))}, _no_body, _discard)

        entry, leader = await self.cache.fetch(key, produce, refresh)
        if entry is None:
            if not leader:  # the leader's answer was for it alone: ask for our own
                return await self.app(scope, receive, send)
            return None  # already sent on by _upstream
        if entry.route is not None:
            scope["route"] = entry.route
        result = b"miss" if leader or not entry.keep else b"hit" if self.cache.fresh(key, entry) else b"stale"
        await self._serve(scope, send, entry, result)

    async def _upstream(self, scope, receive, send) -> Entry | None:
        """Run the app once; return its answer as an entry, or None when it was sent on (too big, a 429, a
        cookie)."""
        start: dict | None = None
        chunks: list[bytes] = []
        size, streaming, started = 0, False, self.cache.clock()

        async def capture(message):
            nonlocal start, size, streaming
            if streaming:
                return await send(message)
            if message["type"] == "http.response.start":
                start = message
                return
            body = message.get("body", b"")
            chunks.append(body)
            size += len(body)
            more = message.get("more_body", False)
            if size > self.settings.max_entry_bytes or (
                start is not None and start["status"] != 200 and more
            ):
                streaming = True  # too big (or a non-200 stream): pass it on as it comes
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": more})

        await self.app(scope, receive, capture)
        if start is None or streaming:
            return None
        headers = list(start.get("headers", ()))
        if start["status"] == 429 or any(
            k.lower() == b"set-cookie" for k, _ in headers
        ):  # for this client only
            # (its own rate limit, its cookie): not shared with the requests waiting, not kept
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(chunks)})
            return None
        return entry_of(
            start["status"], headers, b"".join(chunks), self.settings.ttl_s, started, scope.get("route")
        )

    async def _serve(self, scope, send, entry: Entry, result: bytes) -> None:
        """The entry, or a 304 when the client already holds it."""
        sent = dict(scope["headers"]).get(b"if-none-match")
        age = max(
            0, int(self.cache.clock() - entry.started)
        )  # whole seconds since it was read (RFC 9111 Age)
        headers = list(entry.headers) + [(b"x-cache", result), (b"age", str(age).encode())]
        if entry.etag is not None and matches(sent, entry.etag):
            headers = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"content-encoding")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-length", str(len(entry.body)).encode()))
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})

    async def _write(self, scope, receive, send):
        """A successful write marks what it changed, as soon as its answer starts (the change is
        committed)."""

        async def watch(message):
            if message["type"] == "http.response.start" and message["status"] < 400:
                self.changed_by_write(scope["path"])
            await send(message)

        await self.app(scope, receive, watch)

    def changed_by_write(self, path: str) -> None:
        """Mark what a successful write to `path` may have changed."""
        named = REPORT_IN_PATH.search(path)
        if named is not None:
            self.cache.mark(named.group(1))
        elif NEW_REPORTS.match(path):
            self.cache.mark()
        else:
            self.cache.mark(everything=True)

    def changed_by_event(self, change) -> None:
        """Mark what a case event announces (a photo hidden: clear everything)."""
        if change.event_type in PURGING_EVENTS:
            self.cache.clear()
        else:
            self.cache.mark(change.report_id)

    def _listen(self) -> None:
        """Clear on case events too: subscribe to the process's case feed once (again 30 s after a
        failure)."""
        if self.case_feed is None or self._listener is not None or time.monotonic() < self._listen_after:
            return
        self._listener = asyncio.get_running_loop().create_task(self._consume())

    async def _consume(self) -> None:
        try:
            queue = await self.case_feed.subscribe()
        except Exception as exc:  # broker down: reads are still cached, for the TTL only
            log.warning("read cache: case events unavailable, retrying in 30 s: %s", exc)
            self._listen_after, self._listener = time.monotonic() + 30, None
            return
        try:
            while True:
                self.changed_by_event(await queue.get())
                while not queue.empty():
                    self.changed_by_event(queue.get_nowait())
        finally:
            self.case_feed.unsubscribe(queue)


async def _no_body() -> dict:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _discard(message) -> None:
    return None


def install(app, settings: ReadCacheSettings | None = None) -> None:
    """Add the cache (outside the edge guard, inside the request id); nothing at all when the TTL is 0."""
    settings = settings or ReadCacheSettings()
    if settings.ttl_s > 0:
        app.add_middleware(
            ReadCacheMiddleware, settings=settings, case_feed=getattr(app.state, "case_feed", None)
        )

"""Admission control at the gateway's door: per-client buckets (429), per-class in-flight bounds (503), both
with `Retry-After`; exempt routes; and the deadline every RPC carries (AMQP expiration and context data)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.admission import Admission, Door, route_class
from gateway.rpc import RpcClient, RpcTimeout
from gateway.settings import GatewaySettings
from libs.platform import deadline


def sync(test):
    """Run an async test in a fresh event loop (no async pytest plugin here)."""

    def run():
        asyncio.run(test())

    run.__name__, run.__doc__ = test.__name__, test.__doc__
    return run


def settings(**env) -> GatewaySettings:
    return GatewaySettings(HT_JWT_SECRET="k" * 40, **{"ADMISSION_REFUSAL_DELAY_S": 0, **env})


def app_with(door: Door, release: asyncio.Event | None = None) -> Admission:
    async def answer(request):
        if release is not None and request.query_params.get("hold"):
            await release.wait()
        return PlainTextResponse("ok")

    paths = [
        "/v1/reports",
        "/v1/reports.geojson",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/v1/operator/queue",
        "/ready",
        "/health",
        "/",
        "/v1/reports/{rid}/notifications/stream",
    ]
    return Admission(Starlette(routes=[Route(p, answer, methods=["GET", "POST"]) for p in paths]), door)


def client(app, ip: str = "203.0.113.7") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://gw")


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/v1/reports", "read"),
        ("HEAD", "/v1/reports.geojson", "read"),
        ("GET", "/open311/v2/requests.json", "read"),
        ("POST", "/v1/reports", "write"),
        ("POST", "/open311/v2/requests.json", "write"),
        ("GET", "/v1/operator/queue", "staff"),
        ("POST", "/v1/agency/reports/x/accept", "staff"),
        ("GET", "/ready", None),
        ("GET", "/health", None),
        ("GET", "/metrics", None),
        ("GET", "/", None),
        ("GET", "/assets/app.js", None),
    ],
)
def test_each_request_has_its_route_class(method, path, kind):
    assert route_class(method, path) == kind


@sync
async def test_a_client_over_its_read_bucket_gets_429_with_retry_after_and_others_do_not():
    door = Door.from_settings(settings(ADMISSION_READ_BURST=3, ADMISSION_READ_PER_MINUTE=6))
    app = app_with(door)
    async with client(app) as flood, client(app, "198.51.100.9") as other:
        assert [(await flood.get("/v1/reports")).status_code for _ in range(3)] == [200] * 3
        refused = await flood.get("/v1/reports.geojson")
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 10
        assert refused.headers["content-type"] == "application/problem+json"
        assert (
            refused.json()["code"] == "RATE_LIMITED"
            and refused.json()["title"] == "Gửi quá nhiều, vui lòng thử lại sau"
        )
        open311 = await flood.get("/open311/v2/requests.json")
        assert open311.status_code == 429 and open311.headers["retry-after"]
        assert open311.json()[0]["code"] == 429 and "retry after" in open311.json()[0]["description"]
        assert (await flood.get("/ready")).status_code == 200 and (await flood.get("/")).status_code == 200
        assert (
            await flood.post("/v1/reports", json={})
        ).status_code == 200  # writes have a bucket of their own
        assert (await other.get("/v1/reports")).status_code == 200


@sync
async def test_an_api_key_has_a_bucket_across_addresses_and_does_not_lift_its_ip_limit():
    door = Door.from_settings(
        settings(
            ADMISSION_READ_BURST=3,
            ADMISSION_READ_PER_MINUTE=1,
            ADMISSION_KEY_READ_BURST=4,
            ADMISSION_KEY_READ_PER_MINUTE=1,
        )
    )
    app = app_with(door)
    url = "/open311/v2/requests.json?api_key=partner-1"
    async with client(app, "192.0.2.1") as one, client(app, "192.0.2.2") as two:
        assert [(await one.get(url)).status_code for _ in range(4)] == [200, 200, 200, 429]  # its IP's bucket
        assert [(await two.get(url)).status_code for _ in range(2)] == [200, 429]  # the key's 4th and last
        assert (await two.get("/open311/v2/requests.json?api_key=other")).status_code == 200


@sync
async def test_writes_are_counted_per_ip_and_a_refused_large_body_closes_the_connection():
    door = Door.from_settings(settings(ADMISSION_WRITE_BURST=1, ADMISSION_WRITE_PER_MINUTE=1))
    async with client(app_with(door)) as citizen:
        assert (await citizen.post("/v1/reports", json={"x": 1})).status_code == 200
        small = await citizen.post("/v1/reports", json={"x": 1})
        assert small.status_code == 429 and "connection" not in small.headers
        large = await citizen.post("/v1/reports", content=b"x" * (128 * 1024))
        assert large.status_code == 429 and large.headers["connection"] == "close"


@sync
async def test_beyond_the_in_flight_bound_a_class_answers_503_at_once_and_others_go_on():
    door = Door.from_settings(settings(ADMISSION_MAX_IN_FLIGHT_READS=2, ADMISSION_READ_BURST=0))
    release = asyncio.Event()
    app = app_with(door, release)
    async with client(app) as c:
        held = [asyncio.create_task(c.get("/v1/reports?hold=1")) for _ in range(2)]
        while door.in_flight["read"] < 2:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        busy = await c.get("/open311/v2/requests.xml")
        assert (
            busy.status_code == 503 and busy.headers["retry-after"] == "1" and time.monotonic() - started < 1
        )
        assert b"<errors>" in busy.content or b"<error>" in busy.content
        busy = await c.get("/v1/reports")
        assert busy.status_code == 503 and busy.json()["code"] == "GATEWAY_BUSY"
        assert door.state()["saturated"] == ["read"]
        assert (await c.post("/v1/reports", json={})).status_code == 200  # writes are a class of their own
        assert (await c.get("/ready")).status_code == 200
        assert (
            await c.get("/v1/reports/r1/notifications/stream")
        ).status_code == 200  # held streams: not counted
        release.set()
        assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
    assert door.in_flight == {"read": 0, "write": 0, "staff": 0}


@sync
async def test_refusals_are_held_back_a_while_but_only_so_many_at_once():
    door = Door.from_settings(
        settings(
            ADMISSION_READ_BURST=1,
            ADMISSION_READ_PER_MINUTE=1,
            ADMISSION_REFUSAL_DELAY_S=0.5,
            ADMISSION_MAX_DELAYED=2,
        )
    )
    async with client(app_with(door)) as flood:
        assert (await flood.get("/v1/reports")).status_code == 200

        async def timed():
            started = time.monotonic()
            answer = await flood.get("/v1/reports")
            return answer.status_code, time.monotonic() - started

        answers = await asyncio.gather(*(timed() for _ in range(3)))
        assert {status for status, _ in answers} == {429}
        assert sorted(seconds >= 0.45 for _, seconds in answers) == [False, True, True]
        assert door.delayed == 0


@sync
async def test_a_limit_of_zero_is_no_limit():
    door = Door.from_settings(settings(ADMISSION_READ_BURST=0, ADMISSION_MAX_IN_FLIGHT_READS=0))
    async with client(app_with(door)) as c:
        assert {(await c.get("/v1/reports")).status_code for _ in range(200)} == {200}


class Exchange:
    """Records what the client publishes; never answers."""

    def __init__(self):
        self.published = []

    async def publish(self, message, routing_key, **kwargs):
        self.published.append((message, routing_key, kwargs))


@sync
async def test_each_rpc_carries_its_deadline_as_expiration_and_context_data():
    rpc = RpcClient("amqp://unused", timeout=5)
    rpc._exchange = Exchange()
    before = time.time()
    with pytest.raises(RpcTimeout):
        await rpc.call("intake", "search_reports", timeout=0.3, payload={})
    message, key, _ = rpc._exchange.published[0]
    assert key == "intake.search_reports" and message.expiration == 0.3  # milliseconds on the wire: "300"
    sent = message.headers[deadline.HEADER]
    assert isinstance(sent, str) and before + 0.3 - 0.001 <= float(sent) <= time.time() + 0.3 + 0.001
    assert json.loads(message.body) == {"args": [], "kwargs": {"payload": {}}}


@sync
async def test_exempt_networks_have_no_bucket_but_keep_the_in_flight_bound():
    """Local tools (the benches, on loopback by default) are not rate limited; the process's bound still
    holds."""
    door = Door.from_settings(
        settings(
            ADMISSION_READ_BURST=1,
            ADMISSION_READ_PER_MINUTE=1,
            ADMISSION_EXEMPT_IPS="127.0.0.0/8, 10.1.0.0/16",
            ADMISSION_MAX_IN_FLIGHT_READS=1,
        )
    )
    release = asyncio.Event()
    app = app_with(door, release)
    async with client(app, "10.1.2.3") as tool, client(app, "203.0.113.9") as person:
        assert [(await tool.get("/v1/reports")).status_code for _ in range(5)] == [200] * 5
        assert [(await person.get("/v1/reports")).status_code for _ in range(2)] == [200, 429]
        held = asyncio.create_task(tool.get("/v1/reports?hold=1"))
        while door.in_flight["read"] < 1:
            await asyncio.sleep(0.01)
        busy = await tool.get("/v1/reports")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        release.set()
        assert (await held).status_code == 200


def test_a_bad_exempt_network_is_named():
    with pytest.raises(ValueError, match="ADMISSION_EXEMPT_IPS: 'nope'"):
        Door.from_settings(settings(ADMISSION_EXEMPT_IPS="127.0.0.0/8,nope"))


def test_the_read_cache_sits_between_the_buckets_and_the_bounds(monkeypatch):
    """Outermost first: request id, per-client buckets, read cache, in-flight bounds, edge guard. A cached
    answer costs its client a token but holds no in-flight place."""
    from gateway.app import create_app
    from gateway.readcache import ReadCacheMiddleware

    monkeypatch.setenv("READ_CACHE_TTL_S", "1")
    app = create_app(
        GatewaySettings(HT_JWT_SECRET=secrets.token_urlsafe(40), HT_GRANT_KEY=secrets.token_urlsafe(40))
    )
    layers = [(m.cls, m.kwargs.get("checks")) for m in app.user_middleware]  # outermost first
    mine = [layer for layer in layers if layer[0] in (Admission, ReadCacheMiddleware)]
    assert mine == [(Admission, ("buckets",)), (ReadCacheMiddleware, None), (Admission, ("bounds",))]

"""The gateway's public read cache on the running system (the harness runs it off; this module turns it on):
anonymous reads come from it with a validator, a write through the gateway shows at once, an event-driven change
shows soon after, every language has its own answer, and no caller with a credential ever gets, or leaves behind,
a cached body: a reporter's own view and an operator's view never reach an anonymous reader."""
from __future__ import annotations

import uuid

import httpx
import pytest

from devtools.testing import wait_for

from .test_lifecycle_support import client, operator, person, personal_values, report_body, staff  # noqa: F401

pytestmark = pytest.mark.e2e
TTL_S = "2"  # the longest allowed: a hit is observable even when the machine is slow


@pytest.fixture(scope="module", autouse=True)
def cached_gateway(system):
    """The gateway restarted with its read cache on, and back to the harness's settings afterwards."""
    try:
        system.restart_process("gateway", READ_CACHE_TTL_S=TTL_S)
        system.wait_ready()
        yield
    finally:
        system.restart_process("gateway")
        system.wait_ready()


def a_hit(client: httpx.Client, path: str, **headers: str) -> httpx.Response:
    """Read `path` until an answer comes from the cache (two reads in a row within the TTL)."""
    return wait_for(lambda: client.get(path, headers=headers), lambda r: r.headers.get("x-cache") == "hit",
                    timeout=30, what=f"a cached answer of {path}")


def submitted(client: httpx.Client) -> tuple[dict, dict]:
    reporter = person()
    answer = client.post("/v1/reports", json=report_body(reporter=reporter))
    assert answer.status_code == 201, answer.text
    return answer.json(), reporter


def test_anonymous_reads_are_served_from_the_cache_with_a_validator(client):
    for path in ("/v1/categories", "/v1/stats", "/v1/reports?limit=5", "/v1/reports.geojson?limit=5",
                 "/open311/v2/services.json", "/open311/v2/requests.json"):
        hit = a_hit(client, path)
        assert hit.status_code == 200, (path, hit.text)
        assert hit.headers["cache-control"].startswith("public"), path
        assert "Authorization" in hit.headers["vary"] and "Accept-Language" in hit.headers["vary"]
        again = client.get(path, headers={"If-None-Match": hit.headers["etag"]})
        assert again.status_code == 304 and again.content == b"", path
        assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_each_language_has_its_own_cached_answer(client):
    english = a_hit(client, "/open311/v2/services.json", **{"Accept-Language": "en"})
    vietnamese = a_hit(client, "/open311/v2/services.json", **{"Accept-Language": "vi"})
    names = {s["service_code"]: s["service_name"] for s in english.json()}
    assert names != {s["service_code"]: s["service_name"] for s in vietnamese.json()}
    assert english.headers["etag"] != vietnamese.headers["etag"]
    other = {"Accept-Language": "en", "If-None-Match": vietnamese.headers["etag"]}
    assert client.get("/open311/v2/services.json", headers=other).status_code == 200


def test_a_write_through_the_gateway_shows_at_once_and_routing_soon_after(client, staff):
    ref, _ = submitted(client)
    page = f"/v1/reports/{ref['id']}"
    assert a_hit(client, page).json()["status"] == "CHO_TIEP_NHAN"
    listed = f"/v1/reports?limit=50&q={uuid.uuid4().hex[:6]}"  # any cached list is cleared too
    a_hit(client, listed)
    operator(client, staff, ref["id"], "accept", note="Đã xác minh")
    after = client.get(page)  # the accept went through this gateway: the cache was cleared
    assert after.headers["x-cache"] == "miss" and after.json()["status"] != "CHO_TIEP_NHAN"
    assert client.get(listed).headers["x-cache"] == "miss"
    # routing's step arrives by events, not through the gateway: it shows within the TTL (or at once, by the feed)
    routed = wait_for(lambda: client.get(page).json(), lambda v: v["status"] == "DA_CHUYEN_XU_LY", timeout=60,
                      what="the routed status on the public page")
    assert routed["agency_code"]


def test_a_reporter_never_gets_the_cached_public_view_nor_leaves_their_own_behind(client, staff):
    ref, reporter = submitted(client)
    operator(client, staff, ref["id"], "accept", note="Đã xác minh")
    page = f"/v1/reports/{ref['id']}"
    public = a_hit(client, page)
    own = client.get(page, headers={"X-Tracking-Token": ref["tracking_token"]})
    assert own.status_code == 200 and "x-cache" not in own.headers and own.headers["cache-control"] == "no-store"
    assert any(value in own.text for value in personal_values(reporter)), "the reporter's own view"
    assert not any(value in public.text for value in personal_values(reporter))
    after = client.get(page)
    assert not any(value in after.text for value in personal_values(reporter)), after.text
    assert after.json()["id"] == ref["id"]


def test_staff_bypass_the_cache_and_their_views_never_reach_anonymous_readers(client, staff):
    ref, reporter = submitted(client)
    operator(client, staff, ref["id"], "accept", note="Đã xác minh")
    page = f"/v1/reports/{ref['id']}"
    a_hit(client, page)
    for path in (page, "/v1/categories", "/v1/reports?limit=5"):
        answer = client.get(path, headers=staff.headers())
        assert answer.status_code == 200 and "x-cache" not in answer.headers, path
        assert answer.headers["cache-control"] == "no-store", path
    disclosed = client.get(f"/v1/operator/reports/{ref['id']}/reporter", params={"purpose": "xác minh e2e"},
                           headers=staff.headers())  # the operator's view with the reporter's name
    assert disclosed.status_code == 200 and reporter["name"] in disclosed.text, disclosed.text
    assert "x-cache" not in disclosed.headers
    for _ in range(3):
        anonymous = client.get(page)
        assert anonymous.headers.get("x-cache") in ("hit", "miss")
        assert not any(value in anonymous.text for value in personal_values(reporter)), anonymous.text
    cookie = client.get(page, headers={"Cookie": "ht_access=not-a-token"})
    assert "x-cache" not in cookie.headers  # a cookie alone bypasses (here: 401 for the bad token)

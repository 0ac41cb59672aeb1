"""The citizen map on the running system: it asks the map feed for the visible box and zoom (after each move,
debounced), draws the server's clusters with their counts at low zoom and markers at high zoom, in Vietnamese;
and the feed's own contract (clusters or compact points, 422 naming the field, the old form without a
zoom)."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import expect

from devtools.testing import wait_for

from .journeys import spot, unique
from .test_citizen_journeys import public_report

pytestmark = pytest.mark.e2e
SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def http(system):
    with httpx.Client(base_url=system.base_url, timeout=30) as c:
        yield c


def test_the_feed_gives_clusters_at_low_zoom_compact_points_at_high_zoom_and_names_bad_fields(
    http, staff_api
):
    point = spot()
    ref = public_report(http, staff_api, point, unique("Đèn đường hỏng"))
    box = f"{point['lon'] - 0.0001},{point['lat'] - 0.0001},{point['lon'] + 0.0001},{point['lat'] + 0.0001}"
    points = http.get("/v1/reports.geojson", params={"bbox": box, "zoom": 16}).json()
    assert points["mode"] == "points" and ref["id"] in {f["id"] for f in points["features"]}
    assert all(set(f["properties"]) == {"category", "status", "title", "due_at"} for f in points["features"])
    clusters = http.get("/v1/reports.geojson", params={"bbox": box, "zoom": 6}).json()
    assert (
        clusters["mode"] == "clusters"
        and clusters["total"] == sum(f["properties"]["count"] for f in clusters["features"]) >= 1
    )
    for params, field in (
        ({"bbox": "1,2,3", "zoom": 5}, "bbox"),
        ({"bbox": "0,0,200,10", "zoom": 5}, "bbox"),
        ({"bbox": "10,10,0,0", "zoom": 5}, "bbox"),
        ({"zoom": 5}, "bbox"),
        ({"bbox": box, "zoom": 23}, "zoom"),
        ({"bbox": box, "zoom": "x"}, "zoom"),
    ):
        answer = http.get("/v1/reports.geojson", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert field in str(answer.json()), (params, answer.text)
    old = http.get("/v1/reports.geojson", params={"limit": 5}).json()  # without a zoom: as before
    assert "mode" not in old and "code" in old["features"][0]["properties"] and old["limit"] == 5


def test_the_public_list_has_a_compact_form_without_timelines(http, staff_api):
    public_report(http, staff_api, spot(), unique("Cống thoát nước bị tắc"))
    full = http.get("/v1/reports", params={"limit": 5})
    compact = http.get("/v1/reports", params={"limit": 5, "view": "compact"})
    assert full.status_code == compact.status_code == 200
    assert all(item["timeline"] for item in full.json()["items"])
    assert compact.json()["items"] and not any("timeline" in item for item in compact.json()["items"])
    assert {k for k in full.json()["items"][0] if k != "timeline"} == set(compact.json()["items"][0])
    assert len(compact.content) < len(full.content)
    bad = http.get("/v1/reports", params={"view": "tiny"})
    assert bad.status_code == 422 and "view" in bad.text


def test_the_map_asks_for_its_box_and_zoom_and_draws_clusters_then_markers(phone, system, staff_api, http):
    public_report(http, staff_api, spot(), unique("Ổ gà giữa đường"))
    p = phone()
    page = p.page
    page.set_viewport_size(SMALL_PHONE)
    asked: list[dict] = []
    page.on(
        "request",
        lambda r: asked.append(parse_qs(urlparse(r.url).query)) if "/v1/reports.geojson" in r.url else None,
    )
    page.goto("/")
    the_map = page.locator("#map")
    expect(the_map).to_have_attribute("data-mode", "clusters", timeout=15000)
    clusters = page.locator(".cluster")
    expect(clusters.first).to_be_visible()
    counts = [int(t) for t in clusters.all_inner_texts() if t.strip().isdigit()]
    assert counts and min(counts) >= 1
    expect(page.get_by_text("phản ánh trong vùng đang xem")).to_be_visible()
    assert clusters.first.get_attribute("title").endswith("phản ánh ở đây — chạm để phóng to")
    assert asked and all({"bbox", "zoom"} <= set(q) for q in asked)
    p.screenshot("map-360-clusters")
    shot(page, "map-360-clusters")
    for _ in range(4):  # tap the biggest cluster until the markers show (each tap zooms in two levels)
        if the_map.get_attribute("data-mode") == "points":
            break
        texts = clusters.all_inner_texts()
        biggest = max(range(len(texts)), key=lambda i: int(texts[i]) if texts[i].strip().isdigit() else 0)
        asked_before = len(asked)
        clusters.nth(biggest).dispatch_event(
            "click"
        )  # the map moves, rests, and asks for its new box and zoom
        wait_for(
            lambda: len(asked),
            lambda n: n > asked_before,
            timeout=20,
            what="a request after the move",
            sleep=lambda seconds: page.wait_for_timeout(seconds * 1000),
        )
        page.wait_for_timeout(1000)  # the answer drawn
    expect(the_map).to_have_attribute("data-mode", "points", timeout=10000)
    zooms = [int(q["zoom"][0]) for q in asked]
    assert max(zooms) >= 13 and min(zooms) < 13, zooms
    pins = page.locator(".leaflet-marker-icon.pin")
    expect(pins.first).to_be_visible()
    shot(page, "map-360-markers")
    p.screenshot("map-360-markers")
    # a tap on a pin: dispatched, as for the clusters. Reports of other tests of the session can stand at the
    # same place, and a pin drawn over another one takes a pointer click meant for the one under it
    pins.first.dispatch_event("click")
    expect(page.get_by_role("link", name="Xem chi tiết")).to_be_visible()
    assert not p.csp_violations(), p.errors


def shot(page, name: str) -> None:
    """Also kept where HT_MAP_SCREENS points (the phone-size screenshots of the map, to look at)."""
    where = os.environ.get("HT_MAP_SCREENS")
    if where:
        os.makedirs(where, exist_ok=True)
        page.screenshot(path=os.path.join(where, f"{name}.png"))

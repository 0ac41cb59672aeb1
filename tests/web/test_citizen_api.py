"""What the citizen app needs from the API, through the running gateway: categories with their questions (the
Open311 definitions), answers checked on submission, public ward lookups, and the app's pages with their
headers."""

from __future__ import annotations

import httpx
import pytest

from gateway.throttle import TokenBucket

pytestmark = pytest.mark.e2e


@pytest.fixture
def http(system):
    with httpx.Client(base_url=system.base_url, timeout=20) as c:
        yield c


def report(**overrides) -> dict:
    body = {
        "category": "THU_TUC_HANH_CHINH",
        "description": "Chờ hai tuần chưa có kết quả",
        "location": {"lat": 18.3419, "lon": 105.903},
    }
    return body | overrides


def test_categories_carry_their_questions_from_the_open311_definitions(http):
    categories = {c["code"]: c for c in http.get("/v1/categories").json()}
    assert len(categories) == 25
    office = next(q for q in categories["THU_TUC_HANH_CHINH"]["questions"] if q["code"] == "office")
    assert office["required"] and office["datatype"] == "string" and office["description_en"]
    fire = {q["code"]: q for q in categories["PCCC_CUU_NAN"]["questions"]}
    assert fire["emergency_notice"]["variable"] is False
    assert [v["key"] for v in fire["danger_to_life"]["values"]] == ["CO", "KHONG"]
    assert all(
        "priority" not in [q["code"] for q in c["questions"]] for c in categories.values()
    )  # a field here
    assert categories["MOI_TRUONG_RAC"]["group_vi"] == "Môi trường"
    # the same definition as Open311's service definition
    definition = http.get("/open311/v2/services/THU_TUC_HANH_CHINH.json").json()
    assert {a["code"] for a in definition["attributes"]} - {"priority"} == {
        q["code"] for q in categories["THU_TUC_HANH_CHINH"]["questions"]
    }


def test_submission_answers_are_checked_against_the_category_questions(http):
    missing = http.post("/v1/reports", json=report())
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["attributes.office"]
    bad = http.post("/v1/reports", json=report(category="THIEN_TAI", attributes={"danger_to_life": "MAYBE"}))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "attributes.danger_to_life"
    number = http.post(
        "/v1/reports", json=report(category="CAP_NUOC", attributes={"affected_households": "-3"})
    )
    assert (
        number.status_code == 422 and number.json()["errors"][0]["field"] == "attributes.affected_households"
    )
    ok = http.post(
        "/v1/reports",
        json=report(attributes={"office": "Trung tâm phục vụ hành chính công", "fixmystreet_id": "kept"}),
    )
    assert ok.status_code == 201, ok.text


def test_ward_lookups_are_public(http):
    hit = http.get("/v1/wards/locate", params={"lat": 18.3419, "lon": 105.903}).json()
    assert hit["unit_code"] == "18073" and hit["unit_name"] == "Phường Thành Sen"
    outside = http.get("/v1/wards/locate", params={"lat": 21.0, "lon": 105.8}).json()
    assert outside["unit_code"] is None
    cells = http.get("/v1/wards.geojson")
    assert cells.status_code == 200 and cells.headers["content-type"] == "application/geo+json"
    body = cells.json()
    assert len(body["features"]) == 69
    assert {"code", "name"} <= set(body["features"][0]["properties"])
    again = http.get("/v1/wards.geojson", headers={"If-None-Match": cells.headers["etag"]})
    assert again.status_code == 304
    names = {a["code"]: a["name_vi"] for a in http.get("/v1/agencies").json()}
    assert names["UBND_18073"]


def test_ward_locate_is_rate_limited_per_client():
    bucket = TokenBucket(burst=3, per_minute=60)
    assert [bucket.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a", now=0.0) == pytest.approx(1.0)
    assert bucket.take("b", now=0.0) == 0.0  # another client has its own bucket
    assert bucket.take("a", now=1.0) == 0.0  # one token back after a second


def test_the_app_is_served_with_a_strict_policy_and_cache_rules(http):
    page = http.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-cache"
    assert "<script" in page.text and "<script>" not in page.text  # no inline script
    script = next(part.split('"')[0] for part in page.text.split('src="')[1:] if part.startswith("/assets/"))
    asset = http.get(script, headers={"Accept-Encoding": "br, gzip"})
    assert asset.status_code == 200 and asset.headers["content-encoding"] == "br"
    assert "immutable" in asset.headers["cache-control"]
    assert http.get("/sw.js").headers["cache-control"] == "no-cache"
    assert http.get("/nope.js").status_code == 404
    unknown = http.get("/v1/nope")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    assert (
        http.post("/v1/reports/similar", json={}).status_code == 422
    )  # the API is untouched by the web files

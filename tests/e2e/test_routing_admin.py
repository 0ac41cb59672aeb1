"""The routing administrator API through the gateway: dry-run, rules, holidays, ward polygons, merging units.

Every change made here is undone at the end (a new version restoring the content found at the start).
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from libs.auth.tokens import mint
from services.routing.tests.unit.builders import UNITS

pytestmark = pytest.mark.e2e
BASE = "/v1/admin/routing"


def bearer(system, role: str, agency: str | None = None) -> dict:
    token = mint(f"{role}-e2e", role, system.stack.secrets["HT_JWT_SECRET"], agency=agency)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(system):
    """An administrator's client; restores the directory content it found."""
    with httpx.Client(
        base_url=system.base_url, timeout=60, headers=bearer(system, "administrator")
    ) as client:
        start = client.get(BASE).json()["version"]
        yield client
        now = client.get(BASE).json()["version"]
        if now != start:
            restored = client.post(f"{BASE}/versions/{start}/restore", params={"note": "e2e cleanup"})
            assert restored.status_code == 200, restored.text


def wait_for(fetch, predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def at(code: str) -> dict:
    return {"lat": UNITS[code].lat, "lon": UNITS[code].lon}


def test_only_staff_may_use_it_and_only_administrators_change_it(system, admin):
    with httpx.Client(base_url=system.base_url, timeout=20) as anonymous:
        assert anonymous.get(BASE).status_code == 401
        operator = bearer(system, "operator")
        assert anonymous.get(f"{BASE}/agencies", headers=operator).status_code == 403
        dry = anonymous.post(
            f"{BASE}/dry-run",
            headers=operator,
            json={"category": "AN_NINH_TRAT_TU", **at("18844"), "priority": "KHAN"},
        )
        assert dry.status_code == 200 and dry.json()["agency_code"] == "CA_18844"
        officer = bearer(system, "agency_officer", "UBND_18073")
        assert (
            anonymous.post(
                f"{BASE}/dry-run", headers=officer, json={"category": "KHAC", **at("18073")}
            ).status_code
            == 403
        )


def test_dry_run_explains_which_agency_and_why(admin):
    answer = admin.post(
        f"{BASE}/dry-run", json={"category": "AN_NINH_TRAT_TU", **at("18844"), "priority": "KHAN"}
    )
    body = answer.json()
    assert (body["outcome"], body["agency_code"], body["reason"]) == ("routed", "CA_18844", "default")
    assert body["ward"] == {
        "unit_code": "18844",
        "unit_name": "Xã Kỳ Thượng",
        "approximate": True,
        "method": "inside",
    }
    assert "CA_18844" in body["explanation"] and "4 giờ làm việc" in body["explanation"]
    offshore = admin.post(f"{BASE}/dry-run", json={"category": "KHAC", "lat": 18.3, "lon": 106.9}).json()
    assert (offshore["outcome"], offshore["reason"]) == ("unroutable", "location_outside_province")
    bad = admin.post(f"{BASE}/dry-run", json={"category": "KHAC", "lat": 95, "lon": 105})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "lat"


def test_a_rule_changes_routing_and_is_validated(admin):
    rule_id = f"ql1a-{uuid.uuid4().hex[:6]}"
    rule = {
        "rule_id": rule_id,
        "category": "GIAO_THONG_HA_TANG",
        "units": ["18682", "18673"],
        "agency": "SO_XD",
        "co_handlers": ["UBND_{unit_code}"],
        "kind": "override",
        "note": "Quốc lộ 1A qua Cẩm Xuyên",
    }
    saved = admin.put(f"{BASE}/rules/{rule_id}", json=rule, params={"note": "QL1A → Sở Xây dựng"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["op"] == "put_rule" and saved.json()["author"] == "administrator-e2e"
    dry = admin.post(f"{BASE}/dry-run", json={"category": "GIAO_THONG_HA_TANG", **at("18682")}).json()
    assert (dry["agency_code"], dry["reason"], dry["rule_id"], dry["co_handlers"]) == (
        "SO_XD",
        "override",
        rule_id,
        ["UBND_18682"],
    )
    assert admin.get(f"{BASE}/rules/{rule_id}").json()["units"] == ["18682", "18673"]
    bad = admin.put(f"{BASE}/rules/{rule_id}", json={**rule, "units": ["99999"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == f"rule.{rule_id}.units"
    mismatch = admin.put(f"{BASE}/rules/other", json=rule)
    assert mismatch.status_code == 422 and mismatch.json()["errors"][0]["field"] == "rule_id"
    assert admin.delete(f"{BASE}/rules/{rule_id}").status_code == 200
    assert admin.get(f"{BASE}/rules/{rule_id}").json()["code"] == "DIRECTORY_ENTRY_NOT_FOUND"
    versions = admin.get(f"{BASE}/versions").json()
    assert [v["op"] for v in versions[:2]] == ["delete_rule", "put_rule"]


def test_holidays_and_deadlines_are_data(admin):
    tet = admin.get(f"{BASE}/holidays/2027").json()
    assert tet["days_off"]["2027-02-06"] == "Tết Nguyên Đán" and tet["config"]["tet_days"] is None
    put = admin.put(
        f"{BASE}/holidays/2027",
        json={"year": 2027, "days_off": ["2027-02-12"], "note": "Nghỉ bù theo thông báo"},
    )
    assert put.status_code == 200, put.text
    assert "2027-02-12" in admin.get(f"{BASE}/holidays/2027").json()["days_off"]
    wrong_year = admin.put(f"{BASE}/holidays/2027", json={"year": 2027, "days_off": ["2028-01-02"]})
    assert wrong_year.status_code == 422
    deadlines = admin.get(f"{BASE}/deadlines").json()
    assert deadlines["priorities"]["KHAN"] == {"working_days": None, "working_hours": 4.0}
    deadlines["accept_working_hours"] = 4
    assert admin.put(f"{BASE}/deadlines", json=deadlines).status_code == 200
    assert admin.get(f"{BASE}/deadlines").json()["accept_working_hours"] == 4


def test_uploaded_official_polygons_decide_point_to_ward(admin):
    cells = admin.get(f"{BASE}/wards/geometry").json()
    assert cells["approximate"] is True and len(cells["features"]) == 69
    geometry = {f["properties"]["code"]: f["geometry"] for f in cells["features"]}
    geometry["18073"], geometry["18100"] = geometry["18100"], geometry["18073"]
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"ma_xa": code}, "geometry": g} for code, g in geometry.items()
        ],
    }
    loaded = admin.put(f"{BASE}/wards/geometry", json=fc, params={"note": "Bản đồ ĐVHC chính thức (thử)"})
    assert loaded.status_code == 200, loaded.text
    dry = admin.post(f"{BASE}/dry-run", json={"category": "CHIEU_SANG", **at("18073")}).json()
    assert (dry["ward"]["unit_code"], dry["ward"]["approximate"], dry["agency_code"]) == (
        "18100",
        False,
        "UBND_18100",
    )
    assert admin.get(BASE).json()["wards_approximate"] is False
    broken = {"type": "FeatureCollection", "features": fc["features"][:3]}
    refused = admin.put(f"{BASE}/wards/geometry", json=broken)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "feature_collection"


def test_merging_two_units_reroutes_their_open_reports(system, admin):
    with httpx.Client(base_url=system.base_url, timeout=20) as citizen:
        ref = citizen.post(
            "/v1/reports",
            json={
                "category": "CHIEU_SANG",
                "location": at("18118"),
                "description": f"Đèn đường hỏng ({uuid.uuid4().hex[:6]})",
            },
        ).json()
        if ref["status"] == "CHO_TIEP_NHAN":  # waits for triage: an operator verifies it
            accepted = citizen.post(
                f"/v1/operator/reports/{ref['id']}/accept", json={}, headers=bearer(system, "operator")
            )
            assert accepted.status_code == 200, accepted.text
        first = wait_for(
            lambda: citizen.get(f"/v1/reports/{ref['id']}").json(), lambda v: v.get("agency_code")
        )
        assert first.get("agency_code") == "UBND_18118", first
        merged = admin.post(
            f"{BASE}/units/merge",
            json={"into": "18115", "sources": ["18118"]},
            params={"note": "Sáp nhập Nam Hồng Lĩnh vào Bắc Hồng Lĩnh"},
        )
        assert merged.status_code == 200, merged.text
        assert merged.json()["rerouted"] >= 1 and merged.json()["op"] == "merge_units"
        assert admin.get(f"{BASE}/units/18118").status_code == 404
        assert admin.get(f"{BASE}/agencies/UBND_18118").status_code == 404
        explained = admin.get(f"{BASE}/decisions/{ref['id']}").json()
        last = explained["decisions"][-1]
        assert (last["trigger"], last["agency_code"], last["ward"]["unit_code"]) == (
            "directory_change",
            "UBND_18115",
            "18115",
        )
        assert [a["agency_code"] for a in explained["assignments"]] == ["UBND_18118", "UBND_18115"]
        replay = admin.post(
            f"{BASE}/decisions/{ref['id']}/replay",
            params={"decision_id": explained["decisions"][0]["decision_id"]},
        ).json()
        assert replay["identical"] is True
        against_now = admin.post(
            f"{BASE}/decisions/{ref['id']}/replay",
            params={"decision_id": explained["decisions"][0]["decision_id"], "against": "current"},
        ).json()
        assert against_now["identical"] is False and any(
            d.startswith("agency_code") for d in against_now["differences"]
        )
        moved = wait_for(
            lambda: citizen.get(f"/v1/reports/{ref['id']}").json(),
            lambda v: v.get("agency_code") == "UBND_18115",
        )
        assert (moved["agency_code"], moved["ward_code"]) == ("UBND_18115", "18115")  # intake followed
        notes = [step.get("note") for step in moved["timeline"]]
        assert any(
            "Sáp nhập Nam Hồng Lĩnh vào Bắc Hồng Lĩnh" in (n or "") for n in notes
        )  # says why it moved

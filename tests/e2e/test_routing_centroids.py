"""A report at each of the 69 unit centroids, through the gateway, lands with that unit's People's
Committee."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from libs import refdata
from libs.auth.tokens import mint

pytestmark = pytest.mark.e2e

UNITS = refdata.load().units()


def test_a_report_at_every_unit_centroid_goes_to_that_units_agency(system):
    assert len(UNITS) == 69
    run = uuid.uuid4().hex[:8]
    operator = {
        "Authorization": "Bearer " + mint("operator-e2e", "operator", system.stack.secrets["HT_JWT_SECRET"])
    }
    with httpx.Client(base_url=system.base_url, timeout=20) as client:
        submitted = {}
        for unit in UNITS:  # submit (and accept) all first, then poll: routing works while we submit
            body = {
                "category": "GIAO_THONG_HA_TANG",
                "location": unit["centroid"],
                "description": f"Mặt đường hư hỏng tại {unit['name']} ({run})",
            }
            key = {"Idempotency-Key": f"centroid-{run}-{unit['code']}"}
            answer = client.post("/v1/reports", json=body, headers=key)
            assert answer.status_code == 201, answer.text
            submitted[unit["code"]] = answer.json()["id"]
            if answer.json()["status"] == "CHO_TIEP_NHAN":  # waits for triage: an operator verifies it
                accepted = client.post(
                    f"/v1/operator/reports/{submitted[unit['code']]}/accept", json={}, headers=operator
                )
                assert accepted.status_code == 200, accepted.text
        routed: dict[str, dict] = {}
        deadline = time.monotonic() + 60
        while len(routed) < len(submitted) and time.monotonic() < deadline:
            for code, report_id in submitted.items():
                if code not in routed:
                    view = client.get(f"/v1/reports/{report_id}").json()
                    if view.get("agency_code"):
                        routed[code] = view
            time.sleep(0.2)
    assert len(routed) == 69, f"not routed: {sorted(set(submitted) - set(routed))}"
    wrong = {
        code: (v["ward_code"], v["agency_code"])
        for code, v in routed.items()
        if (v["ward_code"], v["agency_code"]) != (code, f"UBND_{code}")
    }
    assert wrong == {}
    assert all(v["ward_approximate"] is True and v["due_at"] for v in routed.values())

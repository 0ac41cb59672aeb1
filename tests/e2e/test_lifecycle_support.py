"""Helpers of the lifecycle end-to-end tests: staff tokens, citizens' reports, waiting for asynchronous
steps."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from libs import refdata
from libs.auth.tokens import mint

UNITS = refdata.load().units()
CENTROID = {u["code"]: u["centroid"] for u in UNITS}
CATEGORY = "GIAO_THONG_HA_TANG"  # default agency: UBND_<ward>
PERSONAL_KEYS = ("reporter", "name", "phone", "email", "device_id", "account_id", "contact", "tracking_token")


def unique_phone() -> str:
    return "09" + str(uuid.uuid4().int)[:8]


def person() -> dict:
    tag = uuid.uuid4().hex[:6]
    return {
        "name": f"Người dân {tag}",
        "phone": unique_phone(),
        "email": f"dan.{tag}@example.vn",
        "device_id": f"device-{tag}",
    }


def report_body(ward: str = "18073", reporter: dict | None = None, **overrides) -> dict:
    point = CENTROID[ward]
    body = {
        "category": CATEGORY,
        "description": f"Ổ gà sâu giữa đường {uuid.uuid4().hex[:8]}",
        "location": {"lat": point["lat"], "lon": point["lon"]},
        "address": "Đường Trần Phú",
        "reporter": reporter or person(),
    }
    body.update(overrides)
    return body


def wait_for(fetch: Callable[[], Any], predicate: Callable[[Any], bool], timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.15)


def jpeg_bytes(color=(30, 160, 60)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "JPEG")
    return buf.getvalue()


def personal_values(reporter: dict) -> list[str]:
    return [v for k, v in reporter.items() if k in ("name", "phone", "email", "device_id") and v]


def personal_keys(value: Any, path: str = "$") -> list[str]:
    """Paths of personal-data keys anywhere in a JSON value."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += [f"{path}.{k}"] if k in PERSONAL_KEYS and v else personal_keys(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += personal_keys(v, f"{path}[{i}]")
    return found


class Staff:
    """Bearer tokens for the running system (signed with its HT_JWT_SECRET)."""

    def __init__(self, system):
        self.key = system.stack.secrets["HT_JWT_SECRET"]

    def headers(self, role: str = "operator", agency: str | None = None) -> dict:
        token = mint(f"e2e-{role}-{uuid.uuid4().hex[:6]}", role, self.key, agency)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(system):
    with httpx.Client(base_url=system.base_url, timeout=20) as c:
        yield c


@pytest.fixture
def staff(system) -> Staff:
    return Staff(system)


def submit(client: httpx.Client, **body) -> dict:
    answer = client.post("/v1/reports", json=report_body(**body))
    assert answer.status_code == 201, answer.text
    return answer.json()


def operator_case(client, staff, report_id: str) -> dict:
    answer = client.get(f"/v1/operator/reports/{report_id}", headers=staff.headers())
    assert answer.status_code == 200, answer.text
    return answer.json()


def operator(client, staff, report_id: str, verb: str, **body) -> dict:
    answer = client.post(f"/v1/operator/reports/{report_id}/{verb}", json=body, headers=staff.headers())
    assert answer.status_code == 200, answer.text
    return answer.json()


def agency(client, staff, code: str, report_id: str, verb: str, role: str = "agency_officer", **body) -> dict:
    answer = client.post(
        f"/v1/agency/reports/{report_id}/{verb}", json=body, headers=staff.headers(role, code)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def citizen(client, ref: dict, verb: str, **body) -> dict:
    answer = client.post(
        f"/v1/reports/{ref['id']}/{verb}", json=body, headers={"X-Tracking-Token": ref["tracking_token"]}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def routed_to(client, staff, report_id: str, agency_code: str, timeout: float = 30.0) -> dict:
    """Wait until routing's answer moved the case to DA_CHUYEN_XU_LY at `agency_code`."""
    case = wait_for(
        lambda: operator_case(client, staff, report_id),
        lambda c: c["status"] == "DA_CHUYEN_XU_LY" and c["agency_code"] == agency_code,
        timeout,
    )
    assert (case["status"], case["agency_code"]) == ("DA_CHUYEN_XU_LY", agency_code), case
    return case


def accepted_and_routed(client, staff, ward: str = "18073", **body) -> tuple[dict, dict]:
    ref = submit(client, ward=ward, **body)
    operator(client, staff, ref["id"], "accept", note="Đã xác minh")
    return ref, routed_to(client, staff, ref["id"], f"UBND_{ward}")

"""A real Open311 GeoReport v2 client from PyPI (civicbot 0.4.0's Open311Client) against the running gateway,
and the administrator's API keys: issue, list without secrets, revoke, rate limit."""

from __future__ import annotations

import hashlib

import httpx
import pytest
import sqlalchemy as sa

from .test_open311_support import (  # noqa: F401
    THANH_SEN,
    accept,
    admin_token,
    api_key,
    near,
    new_api_key,
    o311,
    post_request,
    word,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(system):
    from civicbot.open311 import Open311Client
    from civicbot.registry import Endpoint

    endpoint = Endpoint(
        id="hien-truong", name="Hiện Trường Hà Tĩnh", base_url=f"{system.base_url}/open311/v2", write=True
    )
    return Open311Client(endpoint, jurisdiction_id="hatinh")


def test_a_pypi_open311_client_lists_posts_and_reads_back(client, api_key, rpc_e2e):
    services = client.list_services()
    assert len(services) == 25 and {"GIAO_THONG_HA_TANG", "MOI_TRUONG_RAC"} <= {
        s["service_code"] for s in services
    }
    definition = client.get_service_definition("MOI_TRUONG_RAC")
    assert any(a["code"] == "waste_types" for a in definition["attributes"])
    lat, lng = near(THANH_SEN)
    tag = word(10)
    sent = client.create_request(
        "MOI_TRUONG_RAC",
        dry_run=False,
        confirm="SEND",
        api_key=api_key,
        validate_remote=True,
        lat=lat,
        lng=lng,
        description=f"Rác tồn đọng ven đường {tag}",
        attributes={"waste_types": ["SINH_HOAT", "CONG_KENH"]},
        first_name="Lan",
        last_name="Trần",
        phone="0987654321",
    )
    assert not sent.dry_run and isinstance(sent.response, list)
    request_id = sent.response[0]["service_request_id"]
    first = client.get_request(request_id)
    assert first["service_request_id"] == request_id and first["status"] == "open"
    accept(rpc_e2e, request_id)
    read_back = client.get_request(request_id)
    assert read_back["service_code"] == "MOI_TRUONG_RAC" and tag in read_back["description"]
    assert (read_back["lat"], read_back["long"]) == (lat, lng)
    listed = client.list_requests(service_request_ids=[request_id])
    assert [r["service_request_id"] for r in listed] == [request_id]
    assert "0987654321" not in str(read_back) and "Trần" not in str(listed)


def test_the_client_sees_spec_errors(client, api_key):
    from civicbot.http import HttpError

    with pytest.raises(HttpError) as caught:
        client.create_request(
            "GIAO_THONG_HA_TANG",
            dry_run=False,
            confirm="SEND",
            api_key="ht311_" + word(30),
            lat=THANH_SEN[0],
            lng=THANH_SEN[1],
            description="ổ gà",
        )
    assert caught.value.status == 403 and '"code": 403' in caught.value.body


def test_administrators_issue_list_and_revoke_keys(system, o311):
    issued = new_api_key(system, client_name=f"FixMyStreet {word(5)}")
    secret, view = issued["api_key"], issued["key"]
    assert secret.startswith(view["prefix"]) and view["revoked_at"] is None
    admin = {"Authorization": f"Bearer {admin_token(system)}"}
    listed = httpx.get(f"{system.base_url}/v1/admin/api-keys", headers=admin, timeout=20)
    assert listed.status_code == 200 and view["id"] in {k["id"] for k in listed.json()}
    assert secret not in listed.text and "key_hash" not in listed.text
    with system.stack.engine.connect() as db:  # stored as its SHA-256 only
        stored = db.execute(
            sa.text("SELECT * FROM intake.open311_api_keys WHERE id = :id"), {"id": view["id"]}
        ).one()
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in str(tuple(stored))
    assert post_request(o311, secret).status_code == 200
    revoked = httpx.delete(f"{system.base_url}/v1/admin/api-keys/{view['id']}", headers=admin, timeout=20)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = post_request(o311, secret, "xml")
    assert refused.status_code == 403 and b"<code>403</code>" in refused.content
    active = httpx.get(
        f"{system.base_url}/v1/admin/api-keys", params={"include_revoked": "false"}, headers=admin, timeout=20
    ).json()
    assert view["id"] not in {k["id"] for k in active}


def test_only_administrators_manage_keys(system):
    url = f"{system.base_url}/v1/admin/api-keys"
    assert httpx.get(url, timeout=20).status_code == 401
    operator = {"Authorization": f"Bearer {admin_token(system, role='operator')}"}
    assert httpx.post(url, json={"client_name": "x partner"}, headers=operator, timeout=20).status_code == 403
    admin = {"Authorization": f"Bearer {admin_token(system)}"}
    missing = httpx.delete(f"{url}/00000000-0000-4000-8000-000000000000", headers=admin, timeout=20)
    assert missing.status_code == 404 and missing.json()["code"] == "API_KEY_NOT_FOUND"


def test_each_key_has_its_own_rate_limit(system, o311):
    secret = new_api_key(system, rate=2)["api_key"]
    assert [post_request(o311, secret).status_code for _ in range(2)] == [200, 200]
    limited = post_request(o311, secret)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json()[0]["code"] == 429
    other = new_api_key(system, rate=2)["api_key"]
    assert post_request(o311, other).status_code == 200

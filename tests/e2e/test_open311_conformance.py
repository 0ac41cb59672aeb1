"""The conformance checklist of shared/docs/open311.md, item by item, in XML and JSON, against the running
gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from .test_open311_support import (  # noqa: F401
    API,
    CONTENT_TYPES,
    FORMATS,
    XML_DECLARATION,
    accept,
    api_key,
    body,
    errors_of,
    fetch,
    o311,
    post_request,
    published,
    submitted,
    visible,
    word,
)

pytestmark = pytest.mark.e2e
VN = timezone(timedelta(hours=7))


# 1. Discovery has every required key, in XML and JSON.
@pytest.mark.parametrize("fmt", FORMATS)
def test_1_discovery_has_every_required_key(system, o311, fmt):
    answer = o311.get(f"{system.base_url}/open311/discovery.{fmt}")
    assert answer.status_code == 200
    doc = body(answer, fmt)
    assert {"changeset", "contact", "key_service", "endpoints"} <= doc.keys()
    assert datetime.fromisoformat(doc["changeset"]).utcoffset() == timedelta(hours=7)
    assert doc["endpoints"], doc
    for endpoint in doc["endpoints"]:
        assert {"specification", "url", "changeset", "type", "formats"} <= endpoint.keys()
        assert endpoint["type"] in ("production", "test")
        assert endpoint["url"].endswith(API) and endpoint["specification"].startswith("http")
        assert {"text/xml", "application/json"} <= set(endpoint["formats"])


# 2. services.xml is well-formed, UTF-8 declared; every service has the five required fields with legal
#   values.
@pytest.mark.parametrize("fmt", FORMATS)
def test_2_service_list_is_well_formed_with_legal_values(o311, fmt):
    answer = o311.get(f"/services.{fmt}")
    assert answer.status_code == 200
    services = body(answer, fmt)  # the XML side is parsed: well-formed, declaration checked
    assert len(services) == 25
    for service in services:
        assert {
            "service_code",
            "service_name",
            "metadata",
            "type",
            "keywords",
            "group",
            "description",
        } <= service.keys()
        assert isinstance(service["service_code"], str) and service["service_code"]
        assert service["service_name"] and service["group"] and service["keywords"]
        assert str(service["metadata"]).lower() in ("true", "false")
        assert service["type"] in ("realtime", "batch", "blackbox")
    if fmt == "xml":
        assert "Hạ tầng giao thông".encode() in answer.content  # raw UTF-8, not entities


# 3. Service definition: 404 for an unknown code; order unique; list types carry values.
@pytest.mark.parametrize("fmt", FORMATS)
def test_3_service_definitions(o311, fmt):
    missing = o311.get(f"/services/KHONG_CO_{word(4).upper()}.{fmt}")
    assert missing.status_code == 404
    errors_of(missing, fmt)
    services = body(o311.get(f"/services.{fmt}"), fmt)
    with_metadata = [s["service_code"] for s in services if str(s["metadata"]).lower() == "true"]
    assert "MOI_TRUONG_RAC" in with_metadata
    for code in with_metadata:
        definition = body(o311.get(f"/services/{code}.{fmt}"), fmt)
        assert definition["service_code"] == code
        orders = [int(a["order"]) for a in definition["attributes"]]
        assert len(orders) == len(set(orders)) and orders
        for attribute in definition["attributes"]:
            assert attribute["datatype"] in (
                "string",
                "number",
                "datetime",
                "text",
                "singlevaluelist",
                "multivaluelist",
            )
            assert str(attribute["variable"]).lower() in ("true", "false")
            if attribute["datatype"].endswith("valuelist"):
                assert attribute["values"] and all(v["key"] and v["name"] for v in attribute["values"])


# 4. POST: no api_key → 403; unknown service_code → 404; no location → 400; missing required attribute → 400
#    with a description; description over 4000 characters → 400.
@pytest.mark.parametrize("fmt", FORMATS)
def test_4_post_errors_have_the_spec_statuses(o311, api_key, fmt):
    no_key = post_request(o311, None, fmt)
    assert no_key.status_code == 403 and errors_of(no_key, fmt)
    bad_key = post_request(o311, "ht311_" + word(40), fmt)
    assert bad_key.status_code == 403
    unknown = post_request(o311, api_key, fmt, service_code="KHONG_CO")
    assert unknown.status_code == 404 and errors_of(unknown, fmt)
    nowhere = post_request(o311, api_key, fmt, lat=None, long=None)
    assert nowhere.status_code == 400
    assert "lat" in errors_of(nowhere, fmt)[0]["description"]
    required = post_request(o311, api_key, fmt, service_code="PCCC_CUU_NAN")
    assert required.status_code == 400 and "danger_to_life" in errors_of(required, fmt)[0]["description"]
    too_long = post_request(o311, api_key, fmt, description="x" * 4001)
    assert too_long.status_code == 400 and "4000" in errors_of(too_long, fmt)[0]["description"]
    longest = post_request(o311, api_key, fmt, description="đ" * 4000)
    assert longest.status_code == 200, longest.text


# 5. Round trip: the returned id is retrievable at requests/{id} with status=open, requested_datetime with an
#    offset, lat/long and service_code echoed (the location once the operators verified the request).
@pytest.mark.parametrize("fmt", FORMATS)
def test_5_round_trip(o311, api_key, rpc_e2e, fmt):
    answer = post_request(o311, api_key, fmt, lat="18.342512", long="105.904321", service_code="CHIEU_SANG")
    assert answer.status_code == 200, answer.text
    created = body(answer, fmt)
    assert len(created) == 1 and created[0]["service_request_id"].startswith("HT-")
    assert not created[0].get("account_id")
    request_id = created[0]["service_request_id"]
    waiting = body(fetch(o311, request_id, fmt), fmt)[0]  # at once, before triage: restricted but there
    assert (waiting["service_request_id"], waiting["status"], waiting["service_code"]) == (
        request_id,
        "open",
        "CHIEU_SANG",
    )
    assert not any(
        waiting.get(k) for k in ("requested_datetime", "description", "lat", "long")
    )  # code, status
    accept(rpc_e2e, request_id)
    visible(o311, request_id)
    item = body(fetch(o311, request_id, fmt), fmt)[0]
    assert item["service_request_id"] == request_id and item["status"] == "open"
    assert item["service_code"] == "CHIEU_SANG"
    assert (float(item["lat"]), float(item["long"])) == (18.342512, 105.904321)
    requested = datetime.fromisoformat(item["requested_datetime"])
    assert requested.utcoffset() == timedelta(hours=7) and item["requested_datetime"].endswith("+07:00")
    assert abs(datetime.now(UTC) - requested) < timedelta(minutes=5)


# 6. A batch service returns a token that tokens/{token} resolves.
@pytest.mark.parametrize("fmt", FORMATS)
def test_6_batch_service_answers_with_a_token(o311, api_key, fmt):
    services = {s["service_code"]: s for s in o311.get("/services.json").json()}
    assert services["THU_TUC_HANH_CHINH"]["type"] == "batch"
    answer = post_request(
        o311,
        api_key,
        fmt,
        service_code="THU_TUC_HANH_CHINH",
        **{"attribute[office]": "Trung tâm phục vụ hành chính công phường Thành Sen"},
    )
    assert answer.status_code == 200, answer.text
    created = body(answer, fmt)[0]
    assert created["token"] and not created.get("service_request_id")
    resolved = body(o311.get(f"/tokens/{created['token']}.{fmt}"), fmt)
    assert resolved[0]["token"] == created["token"] and resolved[0]["service_request_id"].startswith("HT-")
    item = body(fetch(o311, resolved[0]["service_request_id"], fmt), fmt)[0]
    assert item["service_code"] == "THU_TUC_HANH_CHINH" and item["status"] == "open"
    unknown = o311.get(f"/tokens/{word(20)}.{fmt}")
    assert unknown.status_code == 404 and errors_of(unknown, fmt)


# 7. GET /requests with no arguments: ≤ 1000 items, all within 90 days; service_request_id=a,b ignores other
#    filters; status=open,closed works; a window over 90 days is rejected, as documented.
@pytest.mark.parametrize("fmt", FORMATS)
def test_7_request_list_defaults_and_filters(o311, api_key, rpc_e2e, fmt):
    a, b = published(o311, rpc_e2e, api_key), published(o311, rpc_e2e, api_key, service_code="CAY_XANH")
    everything = body(o311.get(f"/requests.{fmt}"), fmt)
    assert 2 <= len(everything) <= 1000
    oldest = datetime.now(UTC) - timedelta(days=90, minutes=1)
    assert all(datetime.fromisoformat(item["requested_datetime"]) >= oldest for item in everything)
    assert {a, b} <= {item["service_request_id"] for item in everything}
    both = body(
        o311.get(
            f"/requests.{fmt}",
            params={
                "service_request_id": f"{a},{b}",
                "status": "closed",
                "service_code": "DIEN_LUC",
                "start_date": "2020-01-01T00:00:00+07:00",
                "end_date": "2020-01-02T00:00:00+07:00",
            },
        ),
        fmt,
    )
    assert {item["service_request_id"] for item in both} == {a, b}
    open_closed = body(o311.get(f"/requests.{fmt}", params={"status": "open,closed"}), fmt)
    assert {a, b} <= {item["service_request_id"] for item in open_closed}
    only_open = body(o311.get(f"/requests.{fmt}", params={"status": "open"}), fmt)
    assert {a, b} <= {i["service_request_id"] for i in only_open} and {i["status"] for i in only_open} == {
        "open"
    }
    only_closed = body(o311.get(f"/requests.{fmt}", params={"status": "closed"}), fmt)
    assert not {a, b} & {i["service_request_id"] for i in only_closed}
    now = datetime.now(VN)
    wide = o311.get(
        f"/requests.{fmt}",
        params={"start_date": (now - timedelta(days=91)).isoformat(), "end_date": now.isoformat()},
    )
    assert wide.status_code == 400 and "90" in errors_of(wide, fmt)[0]["description"]


# 8. `status=` (empty) behaves like no status.
@pytest.mark.parametrize("fmt", FORMATS)
def test_8_empty_parameters_are_absent(o311, api_key, rpc_e2e, fmt):
    request_id = published(o311, rpc_e2e, api_key, service_code="CAP_NUOC")
    plain = body(o311.get(f"/requests.{fmt}", params={"service_code": "CAP_NUOC"}), fmt)
    empty = body(
        o311.get(
            f"/requests.{fmt}",
            params={
                "service_code": "CAP_NUOC",
                "status": "",
                "start_date": "",
                "end_date": "",
                "jurisdiction_id": "",
                "page": "",
                "bbox": "",
                "q": "",
            },
        ),
        fmt,
    )
    assert [i["service_request_id"] for i in empty] == [i["service_request_id"] for i in plain]
    assert request_id in {i["service_request_id"] for i in plain}


# 9. JSON variants use the spec shapes; Content-Type headers are right.
def test_9_json_shapes_and_content_types(system, o311, api_key):
    request_id = submitted(o311, api_key)
    token = post_request(
        o311, api_key, service_code="THU_TUC_HANH_CHINH", **{"attribute[office]": "UBND xã Cẩm Xuyên"}
    ).json()[0]["token"]
    shapes = {
        "/services.json": list,
        "/services/GIAO_THONG_HA_TANG.json": dict,
        "/requests.json": list,
        f"/requests/{request_id}.json": list,
        f"/tokens/{token}.json": list,
        "/servicerequestupdates.json": list,
        "/services/NOPE.json": list,
        f"{system.base_url}/open311/discovery.json": dict,
    }
    for path, shape in shapes.items():
        answer = o311.get(path)
        assert answer.headers["content-type"] == CONTENT_TYPES["json"], path
        assert isinstance(answer.json(), shape), path
        xml = o311.get(path.replace(".json", ".xml"))
        assert xml.headers["content-type"] == CONTENT_TYPES["xml"] and xml.content.startswith(XML_DECLARATION)
    services = o311.get("/services.json").json()
    assert all(isinstance(s["service_code"], str) and isinstance(s["metadata"], bool) for s in services)
    created = post_request(o311, api_key)
    assert created.headers["content-type"] == CONTENT_TYPES["json"] and isinstance(created.json(), list)


# 10. servicerequestupdates is idempotent on update_id.
@pytest.mark.parametrize("fmt", FORMATS)
def test_10_posted_updates_are_idempotent_on_update_id(o311, api_key, rpc_e2e, fmt):
    request_id = published(o311, rpc_e2e, api_key)
    update_id = f"fms-{word(8)}"
    form = {
        "api_key": api_key,
        "service_request_id": request_id,
        "update_id": update_id,
        "updated_datetime": datetime.now(VN).replace(microsecond=0).isoformat(),
        "status": "OPEN",
        "description": "Vẫn chưa được sửa / still not fixed",
    }
    first = o311.post(f"/servicerequestupdates.{fmt}", data=form)
    assert first.status_code == 200, first.text
    stored_id = body(first, fmt)[0]["update_id"]
    again = o311.post(f"/servicerequestupdates.{fmt}", data=form)
    assert again.status_code == 400 and "already exists" in errors_of(again, fmt)[0]["description"]
    feed = body(o311.get(f"/servicerequestupdates.{fmt}"), fmt)
    mine = [u for u in feed if u["update_id"] == stored_id]
    assert len(mine) == 1 and mine[0]["service_request_id"] == request_id

"""The pure parts of the conformance checklist in docs/open311.md, one test per item."""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from gateway.open311.discovery import build_discovery
from gateway.open311.errors import Open311Error, render_errors
from gateway.open311.formats import render
from gateway.open311.forms import parse_new_request, parse_update_post
from gateway.open311.queries import parse_requests_query
from gateway.open311.requests import build_request, post_response, token_response
from gateway.open311.services import ServiceCatalogue
from libs import refdata

from .builders import make_view, rand_code, rand_word

CATALOGUE = ServiceCatalogue.from_file(refdata.load().file("categories"))
NOW = datetime.now(UTC)
OFFSET = re.compile(r"[+-]\d{2}:\d{2}$")


def xml(kind, data):
    body, content_type = render(kind, data, "xml")
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert content_type == "text/xml; charset=utf-8"
    return ET.fromstring(body)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_1_discovery_has_every_required_key(fmt):
    body, _ = render("discovery", build_discovery("https://a.vn", NOW), fmt)
    doc = json.loads(body) if fmt == "json" else None
    root = ET.fromstring(body) if fmt == "xml" else None
    for key in ("changeset", "contact", "key_service"):
        assert doc[key] if doc else root.find(key).text
    for key in ("specification", "url", "changeset", "type", "formats"):
        assert doc["endpoints"][0][key] if doc else root.find(f"endpoints/endpoint/{key}") is not None


def test_2_services_xml_is_well_formed_with_the_required_fields():
    root = xml("services", CATALOGUE.services())
    services = root.findall("service")
    assert len(services) == 25
    for service in services:
        assert service.find("service_code").text and service.find("service_name").text
        assert service.find("description").text
        assert service.find("metadata").text in ("true", "false")
        assert service.find("type").text in ("realtime", "batch", "blackbox")


def test_3_service_definitions_404_unique_order_and_values():
    with pytest.raises(Open311Error) as caught:
        CATALOGUE.definition("KHONG_CO")
    assert caught.value.status == 404
    for code in CATALOGUE.categories:
        root = xml("service_definition", CATALOGUE.definition(code))
        attributes = root.findall("attributes/attribute")
        orders = [a.find("order").text for a in attributes]
        assert len(orders) == len(set(orders))
        for attribute in attributes:
            is_list = attribute.find("datatype").text in ("singlevaluelist", "multivaluelist")
            assert bool(attribute.findall("values/value/key")) == is_list


@pytest.mark.parametrize(
    "change,status",
    [
        ({"api_key": ""}, 403),
        ({"service_code": "KHONG_CO"}, 404),
        ({"lat": "", "long": ""}, 400),
        ({"service_code": "THIEN_TAI"}, 400),  # danger_to_life is required
        ({"description": "x" * 4001}, 400),
    ],
)
def test_4_post_failures(change, status):
    fields = {
        "api_key": rand_word(),
        "service_code": "CHIEU_SANG",
        "lat": "18.34",
        "long": "105.9",
        "description": "Đèn không sáng",
    }
    fields.update(change)
    with pytest.raises(Open311Error) as caught:
        parse_new_request(list(fields.items()), CATALOGUE)
    assert caught.value.status == status and caught.value.description


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_5_round_trip_element_echoes_what_was_posted(fmt):
    posted = parse_new_request(
        [
            ("api_key", rand_word()),
            ("service_code", "CHIEU_SANG"),
            ("lat", "18.342"),
            ("long", "105.905"),
            ("attribute[pole_number]", "C-12"),
        ],
        CATALOGUE,
    )
    code = rand_code()
    view = make_view(
        code=code,
        category=posted.service_code,
        status="CHO_TIEP_NHAN",
        lat=posted.point[0],
        lon=posted.point[1],
        created_at=NOW,
        updated_at=NOW,
    )
    answer = post_response(service_request_id=code)
    body, _ = render("service_requests", [build_request(view)], fmt)
    item = (
        json.loads(body)[0] if fmt == "json" else {c.tag: c.text for c in ET.fromstring(body).find("request")}
    )
    assert item["service_request_id"] == answer[0]["service_request_id"] == code
    assert item["status"] == "open" and OFFSET.search(item["requested_datetime"])
    assert float(item["lat"]) == 18.342 and float(item["long"]) == 105.905
    assert item["service_code"] == "CHIEU_SANG"


def test_6_batch_service_answers_with_a_token_that_resolves():
    posted = parse_new_request(
        [
            ("api_key", rand_word()),
            ("service_code", "THU_TUC_HANH_CHINH"),
            ("address_string", "Trung tâm PVHCC"),
            ("attribute[office]", "PVHCC"),
        ],
        CATALOGUE,
    )
    assert posted.service_type == "batch"
    token = str(uuid.uuid4())
    answer = xml("service_requests", post_response(token=token)).find("request")
    assert answer.find("token").text == token and answer.find("service_request_id") is None
    resolved = xml("service_requests", token_response(token, "HT-2026-000777")).find("request")
    assert resolved.find("service_request_id").text == "HT-2026-000777"


def test_7_request_list_defaults_ids_status_and_window():
    default = parse_requests_query([], NOW)
    assert default.limit <= 1000 and default.requested_window[1] - default.requested_window[0] <= timedelta(
        90
    )
    ids = parse_requests_query(
        [("service_request_id", "a,b"), ("status", "closed"), ("service_code", "X")], NOW
    )
    assert ids.service_request_ids == ("a", "b") and ids.statuses is None and ids.service_codes is None
    assert parse_requests_query([("status", "open,closed")], NOW).statuses is None
    with pytest.raises(Open311Error) as caught:
        parse_requests_query(
            [("start_date", (NOW - timedelta(days=120)).isoformat()), ("end_date", NOW.isoformat())], NOW
        )
    assert caught.value.status == 400  # documented: rejected, not clamped


def test_8_empty_status_behaves_like_no_status():
    assert parse_requests_query([("status", "")], NOW) == parse_requests_query([], NOW)


def test_9_json_shapes_and_content_types():
    for kind, data in [
        ("services", CATALOGUE.services()),
        ("service_requests", [build_request(make_view())]),
        ("service_requests", post_response(token="t")),
    ]:
        body, content_type = render(kind, data, "json")
        assert content_type == "application/json; charset=utf-8" and isinstance(json.loads(body), list)
        assert all(isinstance(item.get("service_code", ""), str) for item in json.loads(body))
    body, _ = render("service_definition", CATALOGUE.definition("CHIEU_SANG"), "json")
    assert isinstance(json.loads(body), dict)
    status, body, content_type = render_errors(Open311Error.of("API_KEY_MISSING"), "json")
    assert (status, json.loads(body)[0]["code"]) == (403, 403)


def test_10_updates_are_keyed_by_update_id_and_a_repeat_is_400():
    seen: set[str] = set()

    def store(pairs):  # the intake service's rule, over a fake set instead of a table
        update = parse_update_post(pairs)
        if update.update_id in seen:
            raise Open311Error.of("UPDATE_EXISTS", update_id=update.update_id)
        seen.add(update.update_id)
        return update

    pairs = [
        ("api_key", "k"),
        ("service_request_id", "HT-1"),
        ("update_id", rand_word()),
        ("updated_datetime", NOW.isoformat()),
        ("status", "FIXED"),
    ]
    store(pairs)
    with pytest.raises(Open311Error) as caught:
        store(pairs)
    assert caught.value.status == 400 and "already exists" in caught.value.description

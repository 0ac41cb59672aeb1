"""Rendering of value trees to XML and JSON."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from gateway.open311.formats import (
    CONTENT_TYPES,
    KINDS,
    XML_DECLARATION,
    render,
    stream_head,
    stream_items,
    stream_tail,
)

VIETNAMESE = "Đường Trần Phú bị ngập sâu — ổ gà, nước tràn; “khẩn” & <nguy hiểm>"
SAMPLES = {
    "discovery": {
        "changeset": "2026-03-16T08:30:00+07:00",
        "endpoints": [{"url": "u", "formats": ["text/xml"]}],
    },
    "services": [{"service_code": "A", "metadata": True}, {"service_code": "B", "metadata": False}],
    "service_definition": {"service_code": "A", "attributes": [{"code": "x", "values": [{"key": "K"}]}]},
    "service_requests": [{"service_request_id": "HT-1", "lat": 18.34, "media_url": None}],
    "service_request_updates": [{"update_id": "u1", "status": "FIXED"}],
    "errors": [{"code": 400, "description": "thiếu"}],
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_xml_starts_with_the_exact_declaration_and_parses(kind):
    body, content_type = render(kind, SAMPLES[kind], "xml")
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert body.startswith(XML_DECLARATION)
    assert content_type == "text/xml; charset=utf-8"
    root = ET.fromstring(body)
    root_tag, item_tag = KINDS[kind]
    assert root.tag == root_tag
    if item_tag:
        assert [child.tag for child in root] == [item_tag] * len(SAMPLES[kind])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_json_keeps_the_shape_bare_arrays_and_objects(kind):
    body, content_type = render(kind, SAMPLES[kind], "json")
    assert content_type == "application/json; charset=utf-8"
    assert json.loads(body) == SAMPLES[kind]
    assert isinstance(json.loads(body), list) == (KINDS[kind][1] is not None)


def test_nested_lists_use_the_spec_item_elements():
    body, _ = render("service_definition", SAMPLES["service_definition"], "xml")
    root = ET.fromstring(body)
    assert root.find("attributes/attribute/values/value/key").text == "K"
    body, _ = render("discovery", SAMPLES["discovery"], "xml")
    assert ET.fromstring(body).find("endpoints/endpoint/formats/format").text == "text/xml"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_vietnamese_text_and_markup_characters_round_trip(fmt):
    body, _ = render("errors", [{"code": 400, "description": VIETNAMESE}], fmt)
    if fmt == "xml":
        assert ET.fromstring(body).find("error/description").text == VIETNAMESE
        assert b"&lt;nguy hi" in body and b"&amp;" in body
        assert VIETNAMESE.split("&")[0].encode() in body  # raw UTF-8, not character references
    else:
        assert json.loads(body)[0]["description"] == VIETNAMESE
        assert "Đường".encode() in body


def test_xml_scalars_booleans_none_floats_and_datetimes():
    moment = datetime(2026, 3, 16, 1, 30, tzinfo=UTC)
    data = [{"metadata": True, "flag": False, "media_url": None, "lat": 1e-05, "at": moment, "order": 3}]
    request = ET.fromstring(render("service_requests", data, "xml")[0]).find("request")
    assert request.find("metadata").text == "true"
    assert request.find("flag").text == "false"
    assert request.find("media_url") is not None and request.find("media_url").text is None
    assert request.find("lat").text == "0.000010"
    assert request.find("at").text == "2026-03-16T08:30:00+07:00"
    assert request.find("order").text == "3"
    assert json.loads(render("service_requests", data, "json")[0])[0]["at"] == "2026-03-16T08:30:00+07:00"


def test_control_characters_are_dropped_so_the_xml_stays_well_formed():
    body, _ = render("errors", [{"code": 400, "description": "a\x00b\x0bc\x1fd\ttab"}], "xml")
    assert ET.fromstring(body).find("error/description").text == "abcd\ttab"


@pytest.mark.parametrize("key", ["bad key", "1abc", "<x>", "xmlthing", "a/b"])
def test_keys_that_are_not_safe_element_names_are_refused(key):
    with pytest.raises(ValueError):
        render("services", [{key: "v"}], "xml")


def test_unknown_kind_format_or_list_container_is_a_programming_error():
    with pytest.raises(ValueError):
        render("nope", [], "xml")
    with pytest.raises(ValueError):
        render("services", [], "csv")
    with pytest.raises(ValueError, match="ITEM_TAGS"):
        render("services", [{"things": [1, 2]}], "xml")


def test_nan_is_refused_in_both_formats():
    for fmt in CONTENT_TYPES:
        with pytest.raises(ValueError):
            render("service_requests", [{"lat": float("nan")}], fmt)


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize("batches", [[], [[]], [[1]], [[1, 2], [], [3]], [[], [1], [2, 3, 4]]])
def test_a_streamed_list_parses_as_the_whole_list(fmt, batches):
    kind = "service_request_updates"
    items = [
        {"update_id": f"U{n}", "description": f'Đèn hỏng <{n}> & "x"', "media_url": None}
        for batch in batches
        for n in batch
    ]
    chunks, written = [stream_head(kind, fmt)], False
    for batch in batches:
        part = [
            {"update_id": f"U{n}", "description": f'Đèn hỏng <{n}> & "x"', "media_url": None} for n in batch
        ]
        chunks.append(stream_items(kind, part, fmt, first=not written))
        written = written or bool(part)
    streamed = b"".join(chunks + [stream_tail(kind, fmt)])
    whole, _ = render(kind, items, fmt)
    if fmt == "json":
        assert json.loads(streamed) == json.loads(whole) == items
    else:
        assert streamed.startswith(XML_DECLARATION)
        assert ET.tostring(ET.fromstring(streamed)) == ET.tostring(ET.fromstring(whole))


def test_streamed_flat_items_are_written_as_elementtree_writes_them():
    items = [
        {
            "update_id": "HT-1.1",
            "description": "a < b & c > d \x01 \"q\" 'q' Đà Nẵng",
            "media_url": None,
            "n": 3,
            "ok": True,
            "x": 1.5e-7,
        },
        {"notes": [{"type": "opened"}], "id": "nested"},
    ]
    streamed = stream_items("service_request_updates", items, "xml", first=True)
    whole, _ = render("service_request_updates", items, "xml")
    assert XML_DECLARATION + b"<service_request_updates>" + streamed + b"</service_request_updates>" == whole

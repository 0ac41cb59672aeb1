"""The discovery document."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from gateway.open311.discovery import SPECIFICATION, build_discovery
from gateway.open311.formats import render

CHANGESET = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)
KEYS = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT_KEYS = ["specification", "url", "changeset", "type", "formats"]


def test_document_values():
    doc = build_discovery(
        "https://phananh.hatinh.gov.vn/", CHANGESET, test_base_url="https://test.example.vn"
    )
    assert list(doc) == KEYS and doc["changeset"] == "2026-03-16T08:00:00+07:00"
    production, test = doc["endpoints"]
    assert list(production) == ENDPOINT_KEYS
    assert production["specification"] == SPECIFICATION == "http://wiki.open311.org/GeoReport_v2"
    assert production["url"] == "https://phananh.hatinh.gov.vn/open311/v2"
    assert (production["type"], test["type"]) == ("production", "test")
    assert production["formats"] == ["text/xml", "application/json"]


def test_xml_has_every_required_key():
    body, content_type = render("discovery", build_discovery("https://a.vn", CHANGESET), "xml")
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>') and content_type.startswith("text/xml")
    root = ET.fromstring(body)
    assert root.tag == "discovery" and [c.tag for c in root] == KEYS
    endpoint = root.find("endpoints/endpoint")
    assert [c.tag for c in endpoint] == ENDPOINT_KEYS
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


def test_json_is_an_object_with_every_required_key():
    body, content_type = render("discovery", build_discovery("https://a.vn", CHANGESET), "json")
    doc = json.loads(body)
    assert content_type == "application/json; charset=utf-8"
    assert isinstance(doc, dict) and list(doc) == KEYS and all(doc[k] for k in KEYS)
    assert list(doc["endpoints"][0]) == ENDPOINT_KEYS


@pytest.mark.parametrize("base", ["ftp://a.vn", "a.vn", "https://a.vn?x=1", ""])
def test_base_url_must_be_http(base):
    with pytest.raises(ValueError):
        build_discovery(base, CHANGESET)

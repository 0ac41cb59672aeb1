"""The error table and error bodies."""

from __future__ import annotations

import json
import string
import xml.etree.ElementTree as ET

import pytest

from gateway.open311.errors import ERRORS, Open311Error, render_errors


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_every_named_error_renders_bilingually_in_both_formats(name):
    status, vi, en = ERRORS[name]
    values = {key: f"v_{key}" for key in _placeholders(vi) | _placeholders(en)}
    error = Open311Error.of(name, **values)
    assert error.status == status in (400, 403, 404)
    assert error.description == f"{vi.format(**values)} / {en.format(**values)}"
    http_status, body, content_type = render_errors(error, "xml")
    assert http_status == status and content_type.startswith("text/xml")
    root = ET.fromstring(body)
    assert root.tag == "errors"
    assert root.find("error/code").text == str(status)
    assert root.find("error/description").text == error.description
    http_status, body, content_type = render_errors(error, "json")
    assert json.loads(body) == [{"code": status, "description": error.description}]
    assert content_type == "application/json; charset=utf-8"


def test_several_errors_render_in_order_and_the_first_sets_the_status():
    errors = [Open311Error(400, "một"), Open311Error(404, "hai")]
    status, body, _ = render_errors(errors, "json")
    assert status == 400
    assert [item["description"] for item in json.loads(body)] == ["một", "hai"]


def test_no_errors_is_a_programming_error():
    with pytest.raises(ValueError):
        render_errors([], "xml")


def test_update_exists_is_a_400_saying_already_exists():
    error = Open311Error.of("UPDATE_EXISTS", update_id="u-42")
    assert error.status == 400 and "already exists" in error.description and "u-42" in error.description

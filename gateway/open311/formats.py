"""Render Open311 value trees to the spec's XML (UTF-8, declared) and JSON shapes."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from .dates import to_w3c

XML = "xml"
JSON = "json"
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'

# kind -> (root element, item element); item None means the document is one object, not a list.
KINDS: dict[str, tuple[str, str | None]] = {
    "discovery": ("discovery", None),
    "services": ("services", "service"),
    "service_definition": ("service_definition", None),
    "service_requests": ("service_requests", "request"),  # GET requests, POST response, tokens
    "service_request_updates": ("service_request_updates", "request_update"),
    "errors": ("errors", "error"),
}
# Nested lists: container element -> element of each item (XML only; JSON keeps plain arrays).
ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "photos": "photo",
}
# XML 1.0 forbids most control characters and lone surrogates; ElementTree would write them anyway.
_ILLEGAL_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TAG = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def render(kind: str, data: Any, fmt: str) -> tuple[bytes, str]:
    """Render a value tree of ``kind`` as (body bytes, content type); may raise ValueError."""
    if kind not in KINDS:
        raise ValueError(f"unknown Open311 document kind {kind!r}")
    if fmt == XML:
        return render_xml(kind, data), CONTENT_TYPES[XML]
    if fmt == JSON:
        return render_json(data), CONTENT_TYPES[JSON]
    raise ValueError(f"unknown format {fmt!r}")


def render_json(data: Any) -> bytes:
    """Serialise to UTF-8 JSON (top-level arrays stay bare arrays); may raise ValueError on NaN."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, default=_json_default)
    return text.encode("utf-8", "replace")  # 'replace' guards against lone surrogates


def render_xml(kind: str, data: Any) -> bytes:
    """Serialise to UTF-8 XML under the kind's root element, with the double-quoted declaration."""
    root_tag, item_tag = KINDS[kind]
    root = ET.Element(root_tag)
    if item_tag is None:
        _fill(root, data)
    else:
        for item in data:
            _fill(ET.SubElement(root, item_tag), item)
    return XML_DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8")


def stream_head(kind: str, fmt: str) -> bytes:
    """The start of a list document rendered piece by piece: declaration and root, or `[`."""
    root_tag, item_tag = KINDS[kind]
    if item_tag is None:
        raise ValueError(f"{kind!r} is not a list document")
    return XML_DECLARATION + f"<{root_tag}>".encode() if fmt == XML else b"["


def stream_items(kind: str, items: Iterable[Any], fmt: str, first: bool) -> bytes:
    """Items of a streamed list document (`first`: nothing was written before them); equal, once joined with
    stream_head and stream_tail, to what `render` writes for the whole list."""
    item_tag = KINDS[kind][1]
    if fmt == XML:
        return "".join(_flat_xml(item_tag, item) for item in items).encode("utf-8")
    text = ",".join(
        json.dumps(item, ensure_ascii=False, allow_nan=False, default=_json_default) for item in items
    )
    return (text if first or not text else "," + text).encode("utf-8", "replace")


def _flat_xml(tag: str, item: Any) -> str:
    """One item as XML text: flat records of scalars written directly (4x faster than ElementTree, which a
    streamed feed of many thousands of updates would spend most of its time in), anything else by
    ElementTree."""
    if not isinstance(item, Mapping) or any(isinstance(v, (Mapping, list, tuple)) for v in item.values()):
        element = ET.Element(tag)
        _fill(element, item)
        return ET.tostring(element, encoding="unicode")
    parts = [f"<{tag}>"]
    for key, value in item.items():
        name = _checked_tag(key)
        if value is None:
            parts.append(f"<{name} />")
        else:
            parts.append(f"<{name}>{escape(_ILLEGAL_XML.sub('', _scalar_text(value)))}</{name}>")
    parts.append(f"</{tag}>")
    return "".join(parts)


def stream_tail(kind: str, fmt: str) -> bytes:
    """The end of a streamed list document."""
    return f"</{KINDS[kind][0]}>".encode() if fmt == XML else b"]"


def _fill(element: ET.Element, value: Any) -> None:
    """Write a value into an element: mappings become children, lists become item elements."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, _checked_tag(key)), child)
    elif isinstance(value, (list, tuple)):
        item_tag = ITEM_TAGS.get(element.tag)
        if item_tag is None:
            raise ValueError(f"no XML item element known for list {element.tag!r}; add it to ITEM_TAGS")
        for item in value:
            _fill(ET.SubElement(element, item_tag), item)
    elif value is not None:
        element.text = _ILLEGAL_XML.sub("", _scalar_text(value))


def _checked_tag(key: object) -> str:
    """Refuse keys that are not XML names (element names must never come from user input)."""
    if not isinstance(key, str) or not _TAG.match(key) or key.lower().startswith("xml"):
        raise ValueError(f"not a safe XML element name: {key!r}")
    return key


def _scalar_text(value: Any) -> str:
    """XML text of a scalar: booleans lower-case, floats without exponent, datetimes W3C."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN/inf cannot be rendered")
        text = repr(value)
        return format(value, "f") if "e" in text else text
    if isinstance(value, datetime):
        return to_w3c(value) or ""
    return str(value)


def _json_default(value: Any) -> Any:
    """JSON fallback for datetimes, decimals and sets."""
    if isinstance(value, datetime):
        return to_w3c(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")

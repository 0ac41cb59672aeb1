"""The Open311 service discovery document for a base URL."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .dates import to_w3c
from .formats import CONTENT_TYPES

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
API_PATH = "/open311/v2"
FORMATS = [
    content_type.split(";")[0] for content_type in CONTENT_TYPES.values()
]  # text/xml, application/json
_BASE = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
KEY_SERVICE = (
    "api_key do IOC cấp cho từng hệ thống đối tác; liên hệ IOC để đăng ký"
    " / The IOC issues an api_key per partner system; contact the IOC to register"
)
CONTACT = (
    "Trung tâm Giám sát, điều hành thông minh tỉnh Hà Tĩnh (IOC) — hỗ trợ kỹ thuật qua thư điện tử"
    " / Ha Tinh Intelligent Operations Centre — technical support by e-mail"
)


def endpoint(base_url: str, changeset: datetime, kind: str = "production") -> dict[str, Any]:
    """One ``<endpoint>``: specification, url, changeset, type, formats."""
    if kind not in ("production", "test"):
        raise ValueError("endpoint type must be production or test")
    if not _BASE.match(base_url):
        raise ValueError(f"not an http(s) base URL: {base_url!r}")
    return {
        "specification": SPECIFICATION,
        "url": base_url.rstrip("/") + API_PATH,
        "changeset": to_w3c(changeset),
        "type": kind,
        "formats": list(FORMATS),
    }


def build_discovery(
    base_url: str,
    changeset: datetime,
    *,
    contact: str = CONTACT,
    key_service: str = KEY_SERVICE,
    test_base_url: str | None = None,
) -> dict[str, Any]:
    """The discovery document (an object), with a test endpoint when ``test_base_url`` is given."""
    endpoints = [endpoint(base_url, changeset)]
    if test_base_url:
        endpoints.append(endpoint(test_base_url, changeset, "test"))
    return {
        "changeset": to_w3c(changeset),
        "contact": contact,
        "key_service": key_service,
        "endpoints": endpoints,
    }

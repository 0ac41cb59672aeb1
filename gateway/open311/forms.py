"""POST body parsing: new service requests and mySociety service request updates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import Open311Error
from .jurisdictions import DEFAULT_REGISTRY, Jurisdiction, JurisdictionRegistry
from .params import (
    Pairs,
    Params,
    invalid,
    parse_attributes,
    parse_datetime,
    parse_id,
    parse_point,
    parse_text,
)
from .services import ServiceCatalogue
from .statuses import parse_extended

MAX_DESCRIPTION = 4000  # characters (code points after NFC), as the spec says
MAX_ADDRESS = 500
MAX_PERSONAL = 254
_URL = re.compile(r"^https?://[^\s<>\"']{1,2000}$", re.IGNORECASE)
PERSONAL_PARAMS = ("email", "device_id", "account_id", "first_name", "last_name", "phone")


@dataclass(frozen=True)
class NewRequest:
    """A validated POST requests body. Personal fields are hidden from repr (never log them)."""

    jurisdiction: Jurisdiction
    service_code: str
    service_type: str  # 'realtime' → answer with an id, 'batch' → answer with a token
    point: tuple[float, float] | None  # (lat, long)
    address_string: str | None
    address_id: str | None
    attributes: dict[str, Any]  # validated against the service definition
    description: str | None
    media_url: str | None
    api_key: str = field(repr=False)
    personal: dict[str, str] = field(repr=False, default_factory=dict)  # for intake's sealed store only


@dataclass(frozen=True)
class UpdatePost:
    """A validated POST servicerequestupdates body (submitter details are dropped, not stored)."""

    jurisdiction: Jurisdiction
    service_request_id: str
    update_id: str  # idempotency key: a repeat is a 400 "already exists" (Open311Error.of("UPDATE_EXISTS"))
    updated_datetime: datetime
    status: str  # normalised extended status; map with statuses.state_for_extended(status, current)
    description: str | None
    media_url: str | None
    api_key: str = field(repr=False)


def require_api_key(params: Params) -> str:
    """The api_key, or a 403; checking it against the key store is the gateway's job."""
    key = params.get("api_key")
    if key is None:
        raise Open311Error.of("API_KEY_MISSING")
    return key


def parse_media_url(value: str | None) -> str | None:
    """An http(s) URL or None; may raise Open311Error 400."""
    if value is not None and not _URL.match(value):
        raise invalid("media_url", "expected an http(s) URL")
    return value


def parse_new_request(
    pairs: Pairs, catalogue: ServiceCatalogue, registry: JurisdictionRegistry = DEFAULT_REGISTRY
) -> NewRequest:
    """Parse POST requests in the spec's order of failure: 403, 404, then 400s."""
    params = Params(pairs)
    api_key = require_api_key(params)  # may raise 403
    jurisdiction = registry.resolve(params.get("jurisdiction_id"))  # may raise 404
    code = params.get("service_code")
    if code is None:
        raise Open311Error.of("PARAM_MISSING", name="service_code")
    service_type = catalogue.service_type(code)  # may raise 404
    point = parse_point(params)
    address_string = parse_text(params.get("address_string"), "address_string", MAX_ADDRESS)
    address_id = params.get("address_id")
    if point is None and address_string is None and address_id is None:
        raise Open311Error.of("LOCATION_MISSING")
    description = params.get("description")
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise Open311Error.of("DESCRIPTION_TOO_LONG", limit=MAX_DESCRIPTION)
    attributes = catalogue.validate_attributes(code, parse_attributes(params))  # may raise 400
    personal = {name: params.get(name) for name in PERSONAL_PARAMS if params.get(name) is not None}
    for name, value in personal.items():
        if len(value) > MAX_PERSONAL:  # never quote the value itself
            raise invalid(name, f"longer than {MAX_PERSONAL} characters")
    return NewRequest(
        jurisdiction=jurisdiction,
        service_code=code,
        service_type=service_type,
        point=point,
        address_string=address_string,
        address_id=parse_id(address_id, "address_id") if address_id else None,
        attributes=attributes,
        description=description,
        media_url=parse_media_url(params.get("media_url")),
        api_key=api_key,
        personal=personal,
    )


def parse_update_post(pairs: Pairs, registry: JurisdictionRegistry = DEFAULT_REGISTRY) -> UpdatePost:
    """Parse POST servicerequestupdates; may raise Open311Error 403/404/400."""
    params = Params(pairs)
    api_key = require_api_key(params)
    jurisdiction = registry.resolve(params.get("jurisdiction_id"))
    required = {}
    for name in ("service_request_id", "update_id", "updated_datetime", "status"):
        required[name] = params.get(name)
        if required[name] is None:
            raise Open311Error.of("PARAM_MISSING", name=name)
    description = params.get("description")
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise Open311Error.of("DESCRIPTION_TOO_LONG", limit=MAX_DESCRIPTION)
    updated = parse_datetime(required["updated_datetime"], "updated_datetime")
    assert updated is not None  # present, so parsed or raised
    return UpdatePost(
        jurisdiction=jurisdiction,
        service_request_id=parse_id(required["service_request_id"], "service_request_id"),
        update_id=parse_id(required["update_id"], "update_id"),
        updated_datetime=updated,
        status=parse_extended(required["status"]),
        description=description,
        media_url=parse_media_url(params.get("media_url")),
        api_key=api_key,
    )

"""GET query parsing for services, requests, one request and servicerequestupdates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .errors import Open311Error
from .jurisdictions import DEFAULT_REGISTRY, Jurisdiction, JurisdictionRegistry
from .params import (
    Pairs,
    Params,
    parse_bbox,
    parse_bool,
    parse_csv,
    parse_datetime,
    parse_id,
    parse_int,
    parse_point,
    parse_statuses,
    parse_text,
    parse_window,
)

DEFAULT_PAGE_SIZE = 1000  # the spec's default result is at most 1000 requests
MAX_PAGE_SIZE = 1000
MAX_IDS = 100
MAX_Q = 200


@dataclass(frozen=True)
class ServicesQuery:
    """GET services: jurisdiction and the optional point restricting the list."""

    jurisdiction: Jurisdiction
    point: tuple[float, float] | None  # (lat, long)


@dataclass(frozen=True)
class RequestQuery:
    """GET requests filters. With ``service_request_ids`` set, every other filter is None/default."""

    jurisdiction: Jurisdiction
    service_request_ids: tuple[str, ...] | None = None
    service_codes: tuple[str, ...] | None = None
    requested_window: tuple[datetime, datetime] | None = None  # on requested_datetime, inclusive
    updated_window: tuple[datetime, datetime] | None = None  # on updated_datetime, inclusive
    statuses: frozenset[str] | None = None  # {'open'} or {'closed'}; None = both
    bbox: tuple[float, float, float, float] | None = None  # minLng, minLat, maxLng, maxLat
    q: str | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    extensions: bool = False

    @property
    def offset(self) -> int:
        """Rows to skip for this page."""
        return (self.page - 1) * self.page_size

    @property
    def limit(self) -> int:
        """Rows to return for this page."""
        return self.page_size


@dataclass(frozen=True)
class SingleRequestQuery:
    """GET requests/{id}: the id (our human-readable code) and the extensions flag."""

    jurisdiction: Jurisdiction
    service_request_id: str
    extensions: bool = False


@dataclass(frozen=True)
class UpdatesQuery:
    """GET servicerequestupdates: window on updated_datetime (default last 90 days). Without page/page_size
    (`paged` False) the answer is every update in the window; with them, one page of it."""

    jurisdiction: Jurisdiction
    window: tuple[datetime, datetime]
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    paged: bool = False

    @property
    def offset(self) -> int:
        """Updates before this page."""
        return (self.page - 1) * self.page_size


def parse_services_query(pairs: Pairs, registry: JurisdictionRegistry = DEFAULT_REGISTRY) -> ServicesQuery:
    """Parse GET services; may raise Open311Error (400 lat/long, 404 jurisdiction)."""
    params = Params(pairs)
    return ServicesQuery(registry.resolve(params.get("jurisdiction_id")), parse_point(params))


def parse_requests_query(
    pairs: Pairs, now: datetime, registry: JurisdictionRegistry = DEFAULT_REGISTRY
) -> RequestQuery:
    """Parse GET requests; may raise Open311Error (400 invalid/too-wide window, 404 jurisdiction)."""
    params = Params(pairs)
    jurisdiction = registry.resolve(params.get("jurisdiction_id"))
    extensions = parse_bool(params.get("extensions"), "extensions")
    ids = parse_csv(params.get("service_request_id"), "service_request_id", MAX_IDS)
    if ids is not None:  # the spec: ids override every other filter (they are not even validated)
        return RequestQuery(jurisdiction, service_request_ids=ids, page_size=MAX_IDS, extensions=extensions)
    start = parse_datetime(params.get("start_date"), "start_date")
    end = parse_datetime(params.get("end_date"), "end_date", upper=True)
    after = parse_datetime(params.get("updated_after"), "updated_after")
    before = parse_datetime(params.get("updated_before"), "updated_before", upper=True)
    updated = parse_window(after, before, now, "updated_after/updated_before", default_to_now=False)
    # With an updated_* window and no start/end, no default window on requested_datetime applies:
    # a poller asking "what changed since yesterday" must also see old requests updated recently.
    requested = parse_window(start, end, now, "start_date/end_date", default_to_now=updated is None)
    return RequestQuery(
        jurisdiction,
        service_codes=parse_csv(params.get("service_code"), "service_code"),
        requested_window=requested,
        updated_window=updated,
        statuses=parse_statuses(params.get("status")),
        bbox=parse_bbox(params.get("bbox")),
        q=parse_text(params.get("q"), "q", MAX_Q),
        page=parse_int(params.get("page"), "page", 1, 1_000_000, 1),
        page_size=parse_int(params.get("page_size"), "page_size", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
        extensions=extensions,
    )


def parse_request_query(
    request_id: str, pairs: Pairs, registry: JurisdictionRegistry = DEFAULT_REGISTRY
) -> SingleRequestQuery:
    """Parse GET requests/{id}; a malformed id is reported as 404 (it cannot exist)."""
    params = Params(pairs)
    jurisdiction = registry.resolve(params.get("jurisdiction_id"))
    extensions = parse_bool(params.get("extensions"), "extensions")
    try:
        request_id = parse_id(request_id.strip(), "service_request_id")
    except Open311Error:
        raise Open311Error.of("REQUEST_NOT_FOUND", service_request_id=request_id[:64]) from None
    return SingleRequestQuery(jurisdiction, request_id, extensions)


def parse_updates_query(
    pairs: Pairs, now: datetime, registry: JurisdictionRegistry = DEFAULT_REGISTRY
) -> UpdatesQuery:
    """Parse GET servicerequestupdates; same 90-day window rule, on updated_datetime."""
    params = Params(pairs)
    jurisdiction = registry.resolve(params.get("jurisdiction_id"))
    start = parse_datetime(params.get("start_date"), "start_date")
    end = parse_datetime(params.get("end_date"), "end_date", upper=True)
    window = parse_window(start, end, now, "start_date/end_date")
    assert window is not None  # default_to_now=True always yields a window
    return UpdatesQuery(
        jurisdiction,
        window,
        page=parse_int(params.get("page"), "page", 1, 1_000_000, 1),
        page_size=parse_int(params.get("page_size"), "page_size", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
        paged=params.get("page") is not None or params.get("page_size") is not None,
    )

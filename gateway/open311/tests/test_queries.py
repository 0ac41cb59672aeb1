"""GET query parsing: requests, one request, services, updates and jurisdictions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.open311.errors import Open311Error
from gateway.open311.jurisdictions import DEFAULT_REGISTRY, HATINH, HUE, Jurisdiction, JurisdictionRegistry
from gateway.open311.queries import (
    MAX_PAGE_SIZE,
    parse_request_query,
    parse_requests_query,
    parse_services_query,
    parse_updates_query,
)

NOW = datetime(2026, 3, 16, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_no_arguments_means_last_90_days_and_at_most_1000():
    query = parse_requests_query([], NOW)
    assert query.requested_window == (NOW - 90 * DAY, NOW)
    assert query.limit == 1000 and query.offset == 0
    assert query.statuses is None and query.updated_window is None and query.jurisdiction == HATINH


def test_every_empty_parameter_is_like_no_parameter():
    names = [
        "service_request_id",
        "service_code",
        "start_date",
        "end_date",
        "status",
        "page",
        "page_size",
        "updated_after",
        "updated_before",
        "bbox",
        "q",
        "extensions",
        "jurisdiction_id",
    ]
    assert parse_requests_query([(name, "") for name in names], NOW) == parse_requests_query([], NOW)


def test_ids_override_every_other_filter_even_invalid_ones():
    pairs = [
        ("service_request_id", "HT-1,HT-2"),
        ("service_code", "X"),
        ("status", "bogus"),
        ("start_date", "2020-01-01"),
        ("end_date", "2026-01-01"),
        ("bbox", "bad"),
    ]
    query = parse_requests_query(pairs, NOW)
    assert query.service_request_ids == ("HT-1", "HT-2")
    assert query.service_codes is None and query.statuses is None and query.requested_window is None
    assert query.bbox is None


def test_filters_are_parsed():
    pairs = [
        ("service_code", "CHIEU_SANG,CAY_XANH"),
        ("status", "open"),
        ("start_date", "2026-03-01"),
        ("end_date", "2026-03-10"),
        ("bbox", "105,18,106,19"),
        ("q", "ổ gà"),
        ("page", "3"),
        ("page_size", "50"),
        ("extensions", "true"),
    ]
    query = parse_requests_query(pairs, NOW)
    assert query.service_codes == ("CHIEU_SANG", "CAY_XANH")
    assert query.statuses == frozenset({"open"})
    assert query.requested_window[0].isoformat() == "2026-03-01T00:00:00+07:00"
    assert query.requested_window[1].isoformat() == "2026-03-10T23:59:59.999999+07:00"
    assert query.bbox == (105.0, 18.0, 106.0, 19.0) and query.q == "ổ gà"
    assert (query.offset, query.limit, query.extensions) == (100, 50, True)


def test_status_open_closed_means_both():
    assert parse_requests_query([("status", "open,closed")], NOW).statuses is None


def test_window_over_90_days_is_rejected():
    with pytest.raises(Open311Error) as caught:
        parse_requests_query([("start_date", "2025-01-01"), ("end_date", "2026-01-01")], NOW)
    assert caught.value.status == 400


def test_updated_window_alone_lifts_the_default_requested_window():
    query = parse_requests_query([("updated_after", "2026-03-15T00:00:00+07:00")], NOW)
    assert query.requested_window is None
    assert query.updated_window[0].isoformat() == "2026-03-15T00:00:00+07:00"
    both = parse_requests_query([("updated_after", "2026-03-15"), ("start_date", "2026-03-01")], NOW)
    assert both.requested_window is not None and both.updated_window is not None


def test_updated_window_over_90_days_is_rejected():
    with pytest.raises(Open311Error):
        parse_requests_query([("updated_after", "2025-01-01"), ("updated_before", "2026-01-01")], NOW)


@pytest.mark.parametrize(
    "pairs",
    [
        [("page_size", str(MAX_PAGE_SIZE + 1))],
        [("page", "0")],
        [("q", "x" * 201)],
        [("extensions", "sometimes")],
    ],
)
def test_bad_extension_parameters_are_400(pairs):
    with pytest.raises(Open311Error) as caught:
        parse_requests_query(pairs, NOW)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "value,expected",
    [
        ("hatinh", HATINH),
        ("HaTinh", HATINH),
        ("42", HATINH),
        ("ha-tinh", HATINH),
        ("", HATINH),
        ("hue", HUE),
        ("46", HUE),
        (" HUE ", HUE),
    ],
)
def test_jurisdictions(value, expected):
    assert parse_services_query([("jurisdiction_id", value)]).jurisdiction == expected


@pytest.mark.parametrize("value", ["hanoi", "01", "hatinh2"])
def test_unknown_jurisdiction_is_404(value):
    with pytest.raises(Open311Error) as caught:
        parse_requests_query([("jurisdiction_id", value)], NOW)
    assert caught.value.status == 404


def test_registry_without_default_requires_jurisdiction_id():
    registry = JurisdictionRegistry((HATINH, HUE))
    with pytest.raises(Open311Error) as caught:
        registry.resolve("")
    assert caught.value.status == 400
    assert registry.resolve("46") == HUE


def test_registry_refuses_ambiguous_keys_and_unknown_default():
    with pytest.raises(ValueError):
        JurisdictionRegistry((HATINH, Jurisdiction("other", "42", "x", "x")))
    with pytest.raises(ValueError):
        JurisdictionRegistry((HATINH,), default="hue")
    assert DEFAULT_REGISTRY.default == "hatinh"


def test_services_query_point():
    assert parse_services_query([("lat", "18.3"), ("long", "105.9")]).point == (18.3, 105.9)
    assert parse_services_query([("lat", ""), ("long", "")]).point is None


def test_single_request_query():
    query = parse_request_query("HT-2026-000123", [("extensions", "true")])
    assert (query.service_request_id, query.extensions) == ("HT-2026-000123", True)


@pytest.mark.parametrize("bad_id", ["a b", "<x>", "x" * 65])
def test_malformed_request_id_is_404(bad_id):
    with pytest.raises(Open311Error) as caught:
        parse_request_query(bad_id, [])
    assert caught.value.status == 404


def test_updates_query_window():
    assert parse_updates_query([], NOW).window == (NOW - 90 * DAY, NOW)
    query = parse_updates_query([("start_date", "2026-03-01T00:00:00+07:00"), ("end_date", "")], NOW)
    assert query.window[1] - query.window[0] == 90 * DAY
    with pytest.raises(Open311Error):
        parse_updates_query([("start_date", "2025-01-01"), ("end_date", "2026-01-01")], NOW)


@pytest.mark.parametrize(
    "pairs,paged,offset",
    [
        ([], False, 0),
        ([("page", ""), ("page_size", "")], False, 0),  # empty is absent
        ([("page", "3")], True, 2000),
        ([("page_size", "10")], True, 0),
        ([("page", "2"), ("page_size", "10")], True, 10),
    ],
)
def test_updates_are_paged_only_when_asked(pairs, paged, offset):
    query = parse_updates_query(pairs, NOW)
    assert query.paged is paged and query.offset == offset

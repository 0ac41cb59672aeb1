"""Agency exchange routing keys and binding patterns."""

from __future__ import annotations

import random

import pytest

from services.notify.domain import routingkeys as rk
from services.notify.domain.routingkeys import InvalidRoutingKey


def make_unit() -> str:
    """A random 5-digit commune code."""
    return f"{random.randrange(18000, 19000):05d}"


@pytest.mark.parametrize(
    ("event", "agency", "unit", "category", "key"),
    [
        (
            "routed",
            "UBND_18073",
            "18073",
            "GIAO_THONG_HA_TANG",
            "case.routed.UBND_18073.18073.GIAO_THONG_HA_TANG",
        ),
        ("updated", "so_xd", "18073", "chieu_sang", "case.updated.SO_XD.18073.CHIEU_SANG"),
        ("routed", " SO_XD ", None, "GIAO_THONG_HA_TANG", "case.routed.SO_XD._.GIAO_THONG_HA_TANG"),
        ("routed", "DIEN_LUC_HT", "", "DIEN_LUC", "case.routed.DIEN_LUC_HT._.DIEN_LUC"),
    ],
)
def test_build_key(event, agency, unit, category, key):
    assert rk.build_key(event, agency, unit, category) == key
    parsed = rk.parse_key(key)
    assert (parsed.event, parsed.agency, parsed.unit) == (event, agency.strip().upper(), unit or None)


def test_routed_and_updated_helpers():
    unit = make_unit()
    assert (
        rk.routed_key("ca_" + unit, unit, "an_ninh_trat_tu")
        == f"case.routed.CA_{unit}.{unit}.AN_NINH_TRAT_TU"
    )
    assert rk.updated_key("SO_YT", unit, "Y_TE") == f"case.updated.SO_YT.{unit}.Y_TE"


@pytest.mark.parametrize(
    ("agency", "unit", "category"),
    [
        ("SO.XD", "18073", "CHIEU_SANG"),  # a dot would split the segment
        ("SO_XD", "180.73", "CHIEU_SANG"),
        ("SO_XD", "18073", "CHIEU.SANG"),
        ("SO_*", "18073", "CHIEU_SANG"),  # wildcards would turn a key into a pattern
        ("SO_XD", "#", "CHIEU_SANG"),
        ("SỞ_XD", "18073", "CHIEU_SANG"),  # non-ASCII
        ("SO XD", "18073", "CHIEU_SANG"),
        ("", "18073", "CHIEU_SANG"),  # agency required
        ("SO_XD", "18073", None),  # category required
        ("A" * 65, "18073", "CHIEU_SANG"),
    ],
)
def test_invalid_segments(agency, unit, category):
    with pytest.raises(InvalidRoutingKey):
        rk.routed_key(agency, unit, category)


def test_unknown_event_and_bad_keys():
    with pytest.raises(InvalidRoutingKey):
        rk.build_key("deleted", "SO_XD", None, "Y_TE")
    for key in [
        "case.routed.SO_XD.Y_TE",
        "report.routed.SO_XD._.Y_TE",
        "case.routed.so_xd._.Y_TE",
        "case.closed.SO_XD._.Y_TE",
    ]:
        with pytest.raises(InvalidRoutingKey):
            rk.parse_key(key)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({}, "case.*.SO_XD.#"),
        ({"event": "routed"}, "case.routed.SO_XD.#"),
        ({"category": "chieu_sang"}, "case.*.SO_XD.*.CHIEU_SANG"),
        ({"event": "updated", "unit": "18073"}, "case.updated.SO_XD.18073.*"),
        ({"unit": "", "category": "Y_TE"}, "case.*.SO_XD._.Y_TE"),
    ],
)
def test_binding_patterns(kwargs, pattern):
    assert rk.binding("so_xd", **kwargs) == pattern


def test_agency_binding_is_the_documented_catch_all():
    assert rk.agency_binding("UBND_18073") == "case.*.UBND_18073.#"


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("case.*.SO_XD.#", "case.routed.SO_XD.18073.CHIEU_SANG", True),
        ("case.*.SO_XD.#", "case.updated.SO_XD._.CHIEU_SANG", True),
        ("case.*.SO_XD.#", "case.routed.SO_XD_2.18073.CHIEU_SANG", False),  # no prefix leak between agencies
        ("case.*.SO_XD.#", "case.routed.UBND_18073.18073.CHIEU_SANG", False),
        ("case.routed.SO_XD.#", "case.updated.SO_XD.18073.Y_TE", False),
        ("case.*.SO_XD.*.Y_TE", "case.updated.SO_XD._.Y_TE", True),
        ("case.*.SO_XD.*.Y_TE", "case.updated.SO_XD._.CHIEU_SANG", False),
        ("#", "case.routed.SO_XD._.Y_TE", True),
        ("case.#.Y_TE", "case.routed.SO_XD._.Y_TE", True),
        ("case.*", "case.routed.SO_XD._.Y_TE", False),
    ],
)
def test_topic_matching(pattern, key, matches):
    assert rk.topic_matches(pattern, key) is matches


def test_every_agency_binding_receives_only_its_own_keys():
    agencies = ["SO_XD", "SO_XD_HT", "UBND_" + make_unit(), "CA_" + make_unit()]
    for mine in agencies:
        pattern = rk.agency_binding(mine)
        for other in agencies:
            key = rk.routed_key(other, make_unit(), "KHAC")
            assert rk.topic_matches(pattern, key) is (other == mine)

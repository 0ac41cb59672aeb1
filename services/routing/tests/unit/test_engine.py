"""Point → ward → agency with the seeded directory: defaults of every category, rules, borders, the coast."""

from __future__ import annotations

import pytest
from shapely.geometry import mapping

from services.routing.domain.directory import CELLS, StoredCells, copy_doc, dump
from services.routing.domain.engine import route
from services.routing.domain.rules import Decision, Unroutable

from .builders import FRIDAY, SEED_DOC, UNITS, at_unit, coast_at, directory, km_east, make_request
from .test_rules import DEFAULTS

# city ward, lowland commune, southern commune, western mountains, northern coast
WARDS = ["18073", "18682", "18844", "18133", "18364"]


@pytest.fixture(scope="module")
def seeded():
    return directory()


@pytest.mark.parametrize("ward", WARDS)
@pytest.mark.parametrize("category", sorted(DEFAULTS))
def test_every_category_routes_by_default_from_a_point_in_the_ward(seeded, category, ward):
    agency, co, esc = DEFAULTS[category]
    outcome = route(seeded, at_unit(ward, category=category), FRIDAY)
    assert isinstance(outcome.result, Decision), outcome.result
    assert (outcome.ward.unit_code, outcome.ward.approximate, outcome.ward.method) == (ward, True, "inside")
    assert (outcome.result.agency_code, outcome.result.reason) == (agency.format(w=ward), "default")
    assert outcome.result.co_handlers == tuple(c.format(w=ward) for c in co)
    assert outcome.result.escalation_agency == esc


@pytest.mark.parametrize(
    "ward, agency, reason, co",
    [
        ("18115", "MTDT_HONG_LINH", "rule", ("UBND_18115",)),  # seeded rule: Hồng Lĩnh's waste company
        ("18118", "MTDT_HONG_LINH", "rule", ("UBND_18118",)),
        ("18073", "UBND_18073", "default", ()),  # elsewhere the commune's People's Committee
    ],
)
def test_seeded_rule_beats_the_category_default(seeded, ward, agency, reason, co):
    result = route(seeded, at_unit(ward, category="MOI_TRUONG_RAC"), FRIDAY).result
    assert (result.agency_code, result.reason, result.co_handlers) == (agency, reason, co)
    assert (result.rule_id == "rac-hong-linh") is (reason == "rule")


def test_point_on_a_shared_border_goes_to_the_lowest_code(seeded):
    shared = seeded.wards.cell("18073").intersection(seeded.wards.cell("18100"))
    mid = shared.interpolate(0.5, normalized=True)
    outcome = route(seeded, make_request(lat=mid.y, lon=mid.x), FRIDAY)
    assert (outcome.ward.unit_code, outcome.ward.method) == ("18073", "border")
    assert outcome.result.agency_code == "UBND_18073"


def test_point_just_off_the_coast_goes_to_the_nearest_coastal_unit(seeded):
    lat, lon = km_east(18.35, coast_at(18.35), 2.0)
    outcome = route(seeded, make_request(lat=lat, lon=lon, category="THIEN_TAI"), FRIDAY)
    assert (outcome.ward.unit_code, outcome.ward.method) == ("18682", "nearest_within_buffer")
    assert outcome.result.agency_code == "UBND_18682"


@pytest.mark.parametrize(
    "lat, lon",
    [
        km_east(18.35, coast_at(18.35), 8.0),  # beyond the 5 km coastal buffer
        (18.0, 104.8),  # Laos
        (16.46, 107.59),  # Huế
    ],
)
def test_point_outside_the_province_is_unroutable_never_guessed(seeded, lat, lon):
    outcome = route(
        seeded, make_request(lat=lat, lon=lon, category="Y_TE"), FRIDAY
    )  # even a province-level one
    assert isinstance(outcome.result, Unroutable)
    assert (outcome.result.reason, outcome.ward.method, outcome.ward.unit_code) == (
        "location_outside_province",
        "outside",
        None,
    )
    assert "IOC" in outcome.result.explanation


def test_operator_ward_wins_over_the_point(seeded):
    outcome = route(seeded, make_request(operator_ward="18844"), FRIDAY)
    assert (outcome.ward.unit_code, outcome.ward.method, outcome.ward.approximate) == (
        "18844",
        "operator",
        False,
    )
    assert outcome.result.agency_code == "UBND_18844"


def test_unknown_operator_ward_is_unroutable(seeded):
    result = route(seeded, make_request(operator_ward="99999"), FRIDAY).result
    assert isinstance(result, Unroutable) and result.reason == "unknown_ward"


def test_manual_agency_keeps_the_co_handlers_and_names_the_operator(seeded):
    result = route(
        seeded,
        at_unit("18682", category="AN_TOAN_GIAO_THONG", manual_agency="CONG_AN_TINH", note="quốc lộ 1A"),
        FRIDAY,
    ).result
    assert (result.reason, result.agency_code, result.co_handlers) == (
        "manual",
        "CONG_AN_TINH",
        ("UBND_18682",),
    )
    assert "quốc lộ 1A" in result.explanation
    bad = route(seeded, make_request(manual_agency="SO_KHONG_CO"), FRIDAY).result
    assert isinstance(bad, Unroutable) and bad.reason == "agency_not_in_directory"


def test_loaded_official_polygons_decide_the_ward(seeded):
    cells = {c: seeded.wards.cell(c) for c in seeded.wards.unit_codes}
    cells["18073"], cells["18100"] = cells["18100"], cells["18073"]  # an "official" map that swaps two wards
    doc = copy_doc(SEED_DOC)
    doc["ward_geometry"][CELLS] = dump(
        StoredCells(
            approximate=False,
            feature_collection={
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"ma_xa": c}, "geometry": mapping(g)}
                    for c, g in cells.items()
                ],
            },
        )
    )
    official = directory(doc, version=2)
    outcome = route(official, at_unit("18073"), FRIDAY)
    assert (outcome.ward.unit_code, outcome.ward.approximate, outcome.ward.method) == (
        "18100",
        False,
        "inside",
    )
    assert outcome.result.agency_code == "UBND_18100" and outcome.result.directory_version == 2


def test_decision_is_a_pure_function_of_report_directory_and_clock(seeded):
    request = at_unit("18844", category="CAP_NUOC", priority="KHAN")
    assert route(seeded, request, FRIDAY) == route(directory(), request, FRIDAY)
    assert UNITS["18844"].name == "Xã Kỳ Thượng" and seeded.unit_name("18844") == "Xã Kỳ Thượng"

"""Ward look-up: approximate Voronoi cells, borders, the coastal buffer, official GeoJSON replacement."""

from __future__ import annotations

import math

import pytest
from shapely.geometry import LineString, Polygon, mapping

import libs.geo as geo_data  # noqa: E402
from libs import refdata
from libs.geo.wards import (
    WardGeometryError,
    WardIndex,
    build_index,
    load_outline,
    load_units,
    parse_official_cells,
)

DATA = refdata.ROOT
OUTLINES = geo_data.OUTLINES
HT_UNITS = load_units(DATA / "hatinh" / "units.json")
HUE_UNITS = load_units(DATA / "hue" / "units.json")
KM_PER_DEG_LAT = 111.195


@pytest.fixture(scope="module")
def hatinh() -> WardIndex:
    return build_index(DATA / "hatinh", "42", OUTLINES)


@pytest.fixture(scope="module")
def hue() -> WardIndex:
    return build_index(DATA / "hue", "46", OUTLINES)


def km_east(lat: float, lon: float, km: float) -> tuple[float, float]:
    """The point `km` east of (lat, lon)."""
    return lat, lon + km / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))


def coast_at(lat: float) -> float:
    """Easternmost longitude of the Hà Tĩnh outline on a parallel (the coastline)."""
    crossing = load_outline(OUTLINES, "42").boundary.intersection(LineString([(104, lat), (108, lat)]))
    return max(p.x for p in getattr(crossing, "geoms", [crossing]))


def official_fc(
    index: WardIndex, codes: list[str], key: str = "ma_xa", swap: tuple[str, str] | None = None
) -> dict:
    """An 'official' FeatureCollection made from the index's cells, optionally swapping two units' shapes."""
    geoms = {c: index.cell(c) for c in codes}
    if swap:
        geoms[swap[0]], geoms[swap[1]] = geoms[swap[1]], geoms[swap[0]]
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {key: c}, "geometry": mapping(g)} for c, g in geoms.items()
        ],
    }


def test_seed_has_69_units_and_69_cells(hatinh):
    assert len(HT_UNITS) == 69 and hatinh.unit_codes == sorted(u.code for u in HT_UNITS)


@pytest.mark.parametrize("unit", HT_UNITS, ids=lambda u: u.code)
def test_every_hatinh_centroid_resolves_to_its_own_unit(hatinh, unit):
    hit = hatinh.locate(unit.lat, unit.lon)
    assert hit is not None and (hit.unit_code, hit.approximate) == (unit.code, True)
    assert hit.method in ("inside", "nearest_within_buffer")


@pytest.mark.parametrize("unit", HUE_UNITS, ids=lambda u: u.code)
def test_every_hue_centroid_resolves_to_its_own_unit(hue, unit):
    assert hue.locate(unit.lat, unit.lon).unit_code == unit.code


def test_point_on_shared_border_resolves_to_lowest_code(hatinh):
    shared = hatinh.cell("18073").intersection(hatinh.cell("18100"))
    assert shared.length > 0, "Thành Sen and Trần Phú are neighbours"
    mid = shared.interpolate(0.5, normalized=True)
    hit = hatinh.locate(mid.y, mid.x)
    assert (hit.unit_code, hit.method) == ("18073", "border")
    assert hatinh.locate(mid.y, mid.x) == hit  # deterministic


def test_point_two_km_off_the_coast_goes_to_the_nearest_coastal_unit(hatinh):
    lat, lon = km_east(18.35, coast_at(18.35), 2.0)
    hit = hatinh.locate(lat, lon)
    nearest = min(
        HT_UNITS, key=lambda u: (u.lat - lat) ** 2 + ((u.lon - lon) * math.cos(math.radians(lat))) ** 2
    )
    assert hit is not None and hit.method == "nearest_within_buffer"
    assert hit.unit_code == nearest.code == "18682"
    assert hatinh.inside_province(lat, lon)


@pytest.mark.parametrize(
    "lat, lon",
    [
        (18.0, 104.8),  # Laos
        (18.3, 106.9),  # the East Sea, ~85 km out
        (16.46, 107.59),  # Huế
        (18.35, km_east(18.35, coast_at(18.35), 8.0)[1]),  # beyond the 5 km buffer
    ],
)
def test_points_outside_the_buffered_province_are_none(hatinh, lat, lon):
    assert hatinh.locate(lat, lon) is None
    assert not hatinh.inside_province(lat, lon)


def test_inside_province_accepts_the_capital(hatinh):
    assert hatinh.inside_province(18.3419, 105.903)


def test_official_geojson_replaces_the_cells(hatinh):
    codes = hatinh.unit_codes
    index = WardIndex.from_geojson(
        official_fc(hatinh, codes, swap=("18073", "18100")), HT_UNITS, load_outline(OUTLINES, "42")
    )
    thanh_sen = next(u for u in HT_UNITS if u.code == "18073")
    hit = index.locate(thanh_sen.lat, thanh_sen.lon)
    assert (hit.unit_code, hit.approximate, hit.method) == ("18100", False, "inside")


def test_official_gap_goes_to_nearest_polygon_within_buffer(hatinh):
    unit = next(u for u in HT_UNITS if u.code == "18073")
    d = 0.01
    square = Polygon(
        [
            (unit.lon - d, unit.lat - d),
            (unit.lon + d, unit.lat - d),
            (unit.lon + d, unit.lat + d),
            (unit.lon - d, unit.lat + d),
        ]
    )
    fc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"code": 18073}, "geometry": mapping(square)}],
    }
    index = WardIndex.from_geojson(fc, HT_UNITS, load_outline(OUTLINES, "42"), allow_missing=True)
    assert index.locate(unit.lat, unit.lon).method == "inside"
    other = next(u for u in HT_UNITS if u.code == "18832")  # ~68 km away, far outside the square
    far = index.locate(other.lat, other.lon)
    assert far is not None and (far.unit_code, far.method, far.approximate) == (
        "18073",
        "nearest_within_buffer",
        False,
    )
    assert index.locate(18.0, 104.8) is None


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[105.9, 18.3], [106.0, 18.4], [106.0, 18.3], [105.9, 18.4], [105.9, 18.3]]],
}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[105.9, 18.3], [106.0, 18.3], [106.0, 18.4], [105.9, 18.4], [105.9, 18.3]]],
}


def feature(props: dict, geometry: dict | None = SQUARE) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


@pytest.mark.parametrize(
    "fc, message",
    [
        (
            {
                "type": "FeatureCollection",
                "features": [feature({"code": "18073"}), feature({"code": "99999"})],
            },
            r"feature #1 \(code='99999'\): unknown unit code",
        ),
        (
            {"type": "FeatureCollection", "features": [feature({"ma_xa": "18073"}, BOWTIE)]},
            r"feature #0 \(code='18073'\): invalid geometry \(Self-intersection",
        ),
        (
            {"type": "FeatureCollection", "features": [feature({"name": "Thành Sen"})]},
            r"feature #0: no unit code",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [feature({"code": "18073"}), feature({"code": "18073"})],
            },
            r"feature #1 \(code='18073'\): duplicate",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [feature({"code": "18073"}, {"type": "Point", "coordinates": [1, 2]})],
            },
            r"feature #0 \(code='18073'\): geometry must be",
        ),
        (
            {"type": "FeatureCollection", "features": [feature({"code": "18073"}, {"type": "Polygon"})]},
            r"feature #0 \(code='18073'\): unreadable geometry",
        ),
        ({"type": "FeatureCollection", "features": []}, r"no features"),
        ({"type": "Feature", "properties": {}}, r"must be a GeoJSON FeatureCollection"),
    ],
)
def test_bad_official_geojson_names_the_feature(fc, message):
    with pytest.raises(WardGeometryError, match=message):
        parse_official_cells(fc, {u.code for u in HT_UNITS}, allow_missing=True)


def test_official_geojson_missing_units_is_refused_by_default(hatinh):
    fc = official_fc(hatinh, hatinh.unit_codes[:-1], key="code")
    with pytest.raises(WardGeometryError, match=rf"no polygon for 1 unit\(s\): {hatinh.unit_codes[-1]}"):
        WardIndex.from_geojson(fc, HT_UNITS, load_outline(OUTLINES, "42"))


def test_unknown_province_outline_is_a_clear_error():
    with pytest.raises(WardGeometryError, match="new_province_code='99'"):
        load_outline(OUTLINES, "99")

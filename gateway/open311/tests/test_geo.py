"""The served geography: inside the jurisdiction, bounding boxes, locating an address without a geocoder."""

from __future__ import annotations

import pytest

from gateway.open311.geo import Geography, fold, intersect_bbox
from gateway.open311.jurisdictions import HATINH, HUE


@pytest.fixture(scope="module")
def geography() -> Geography:
    return Geography.load()


@pytest.mark.parametrize(
    "jurisdiction,point,inside",
    [
        (HATINH, (18.3419, 105.903), True),  # Phường Thành Sen
        (HATINH, (18.2227, 105.985), True),  # Xã Cẩm Xuyên
        (HATINH, (16.4785, 107.577), False),  # Huế
        (HATINH, (21.0285, 105.8542), False),  # Hà Nội
        (HUE, (16.4785, 107.577), True),
        (HUE, (18.3419, 105.903), False),
    ],
)
def test_contains(geography, jurisdiction, point, inside):
    assert geography.area(jurisdiction).contains(*point) is inside


def test_bboxes_cover_their_units_and_do_not_overlap(geography):
    for jurisdiction in (HATINH, HUE):
        area = geography.area(jurisdiction)
        min_lon, min_lat, max_lon, max_lat = area.bbox
        assert all(min_lon <= u.lon <= max_lon and min_lat <= u.lat <= max_lat for u in area.units.values())
    assert intersect_bbox(geography.area(HATINH).bbox, geography.area(HUE).bbox) is None
    assert len(geography.area(HATINH).units) == 69 and len(geography.area(HUE).units) == 40


@pytest.mark.parametrize(
    "address,code",
    [
        ("12 Trần Phú, phường Thành Sen, Hà Tĩnh", "18073"),
        ("PHƯỜNG THÀNH SEN", "18073"),
        ("thanh sen", "18073"),
        ("Thôn 3, xã Cẩm Xuyên", "18673"),
        ("xa cam xuyen", "18673"),
        ("Số 5 phố Không Tên", None),
        ("", None),
    ],
)
def test_locate_address_by_commune_name(geography, address, code):
    unit = geography.area(HATINH).locate_address(address)
    assert (unit.code if unit else None) == code


def test_a_commune_of_another_jurisdiction_is_not_found(geography):
    assert geography.area(HATINH).locate_address("Phường Phú Xuân") is None
    assert geography.area(HUE).locate_address("Phường Phú Xuân").code == "19753"
    assert geography.area(HATINH).unit("19753") is None and geography.area(HUE).unit("19753").name


def test_ward_names_span_every_jurisdiction(geography):
    assert (
        geography.ward_name("18073") == "Phường Thành Sen"
        and geography.ward_name("19753") == "Phường Phú Xuân"
    )
    assert geography.ward_name(None) is None and geography.ward_name("00000") is None


def test_fold_drops_accents_case_and_punctuation():
    assert fold("  Đường  Trần-Phú, PHƯỜNG Thành Sen ") == "duong tran phu phuong thanh sen"


@pytest.mark.parametrize(
    "a,b,expected",
    [
        (None, (1, 1, 2, 2), (1, 1, 2, 2)),
        ((0, 0, 1.5, 1.5), (1, 1, 2, 2), (1, 1, 1.5, 1.5)),
        ((3, 3, 4, 4), (1, 1, 2, 2), None),
    ],
)
def test_intersect_bbox(a, b, expected):
    assert intersect_bbox(a, b) == expected

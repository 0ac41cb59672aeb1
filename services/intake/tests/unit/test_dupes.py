"""Unit tests of haversine distance and duplicate suggestion."""

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.duplicates import ReportPoint, bounding_box, haversine_m, suggest
from services.intake.domain.workflow import OPEN_STATES
from services.intake.domain.workflow import State as S

NOW = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)
HA_TINH = (18.3428, 105.9057)  # near the provincial capital
M_PER_DEG_LAT = 111_195.0


def make_report(north_m: float = 0.0, east_m: float = 0.0, **kw) -> ReportPoint:
    """A report offset from HA_TINH by metres north/east."""
    lat = HA_TINH[0] + north_m / M_PER_DEG_LAT
    lon = HA_TINH[1] + east_m / (M_PER_DEG_LAT * math.cos(math.radians(HA_TINH[0])))
    base = dict(
        case_id=f"PA{uuid.uuid4().hex[:8]}",
        category="MOI_TRUONG_RAC",
        lat=lat,
        lon=lon,
        created_at=NOW - timedelta(hours=1),
        state=S.DA_TIEP_NHAN,
    )
    return ReportPoint(**{**base, **kw})


@pytest.mark.parametrize(
    "a,b,expected_m,tolerance",
    [
        ((0.0, 0.0), (90.0, 0.0), 10_007_557, 5),  # equator to pole: R·π/2
        ((18.3428, 105.9057), (18.3428, 105.9057), 0, 1e-6),
        ((0.0, 0.0), (0.0, 1.0), 111_195, 5),
        ((0.0, 179.9), (0.0, -179.9), 22_239, 5),  # across the antimeridian
    ],
)
def test_haversine(a, b, expected_m, tolerance):
    assert haversine_m(*a, *b) == pytest.approx(expected_m, abs=tolerance)
    assert haversine_m(*a, *b) == pytest.approx(haversine_m(*b, *a))


def test_suggest_filters_and_orders_nearest_first():
    new = make_report(state=S.CHO_TIEP_NHAN, created_at=NOW)
    near, nearer = make_report(north_m=90), make_report(east_m=30)
    others = [
        make_report(north_m=200),  # outside 150 m
        make_report(east_m=10, category="CHIEU_SANG"),  # another category
        make_report(east_m=5, state=S.DONG),  # closed
        make_report(east_m=5, state=S.DA_CONG_KHAI),  # result published: not open
        make_report(east_m=5, created_at=NOW - timedelta(days=31)),  # too old
        make_report(east_m=5, created_at=NOW + timedelta(hours=1)),  # clock skew
        new,  # itself
    ]
    got = suggest(new, [near, *others, nearer], radius_m=150, max_age=timedelta(days=30), now=NOW)
    assert [s.case_id for s in got] == [nearer.case_id, near.case_id]
    assert got[0].distance_m == pytest.approx(30, abs=0.5) and got[1].distance_m == pytest.approx(90, abs=0.5)
    assert got[0].age == timedelta(hours=1)


def test_ties_break_by_newest_and_limit_applies():
    new = make_report(created_at=NOW)
    older, newer = make_report(east_m=20, created_at=NOW - timedelta(days=2)), make_report(east_m=-20)
    many = [make_report(north_m=40 + i) for i in range(20)]
    got = suggest(new, [older, newer, *many], now=NOW, limit=5)
    assert [s.case_id for s in got[:2]] == [newer.case_id, older.case_id] and len(got) == 5


@pytest.mark.parametrize("state", sorted(S))
def test_only_open_states_are_suggested(state):
    new = make_report(created_at=NOW)
    got = suggest(new, [make_report(east_m=10, state=state)], now=NOW)
    assert bool(got) is (state in OPEN_STATES)


def test_bounding_box_contains_the_circle():
    radius = 500
    min_lat, min_lon, max_lat, max_lon = bounding_box(*HA_TINH, radius)
    for north, east in [(radius, 0), (-radius, 0), (0, radius), (0, -radius)]:
        p = make_report(north_m=north * 0.999, east_m=east * 0.999)
        assert min_lat <= p.lat <= max_lat and min_lon <= p.lon <= max_lon
    assert haversine_m(min_lat, HA_TINH[1], max_lat, HA_TINH[1]) == pytest.approx(2 * radius, rel=1e-3)

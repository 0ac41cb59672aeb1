"""Duplicate suggestions: open reports of the same category near a new report, nearest first."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .workflow import OPEN_STATES, State

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
DEFAULT_RADIUS_M = 150.0
DEFAULT_MAX_AGE = timedelta(days=30)


@dataclass(frozen=True)
class ReportPoint:
    """What duplicate matching needs about a report (no personal data)."""

    case_id: str
    category: str
    lat: float
    lon: float
    created_at: datetime
    state: State = State.CHO_TIEP_NHAN


@dataclass(frozen=True)
class Suggestion:
    """A possible duplicate with its distance and age."""

    case_id: str
    distance_m: float
    age: timedelta
    state: State


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) enclosing the radius: a cheap SQL pre-filter for `suggest`."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


def suggest(
    new_report: ReportPoint,
    candidates: Iterable[ReportPoint],
    radius_m: float = DEFAULT_RADIUS_M,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
    limit: int = 10,
) -> list[Suggestion]:
    """Open same-category reports within radius and age, nearest first (then newest)."""
    now = now or new_report.created_at
    found = []
    for c in candidates:
        if c.case_id == new_report.case_id or c.category != new_report.category or c.state not in OPEN_STATES:
            continue
        age = now - c.created_at
        if age > max_age or age < timedelta(0):  # a candidate "from the future" is clock skew: skip it
            continue
        distance = haversine_m(new_report.lat, new_report.lon, c.lat, c.lon)
        if distance <= radius_m:
            found.append(Suggestion(c.case_id, distance, age, c.state))
    found.sort(key=lambda s: (s.distance_m, s.age))
    return found[:limit]

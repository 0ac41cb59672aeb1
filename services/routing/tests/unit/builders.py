"""Test data for routing: the seed document, directories built from it, reports and case clocks."""

from __future__ import annotations

import math
from datetime import datetime
from uuid import uuid4

from shapely.geometry import LineString

import libs.geo as geo
from libs import refdata
from libs.geo.wards import load_outline, load_units
from services.routing.domain.directory import Directory, build, copy_doc, doc_from_seed
from services.routing.domain.engine import RouteRequest
from services.routing.domain.workcalendar import VN_TZ

DATA = refdata.load().path
UNITS = {u.code: u for u in load_units(DATA / "units.json")}
SEED_DOC = doc_from_seed(DATA)
FRIDAY = datetime(2026, 3, 6, 15, 0, tzinfo=VN_TZ)
KM_PER_DEG_LAT = 111.195


def directory(doc=None, version: int = 1) -> Directory:
    """A runtime directory from a (copied) document; the seed by default."""
    return build(version, FRIDAY, copy_doc(doc or SEED_DOC))


def make_request(**kw) -> RouteRequest:
    """A report at Thành Sen's centroid, random id."""
    u = UNITS["18073"]
    fields = dict(
        report_id=str(uuid4()), category="GIAO_THONG_HA_TANG", priority="BINH_THUONG", lat=u.lat, lon=u.lon
    )
    return RouteRequest(**{**fields, **kw})


def at_unit(code: str, **kw) -> RouteRequest:
    """A report at a unit's centroid."""
    return make_request(lat=UNITS[code].lat, lon=UNITS[code].lon, **kw)


def km_east(lat: float, lon: float, km: float) -> tuple[float, float]:
    """The point `km` east of (lat, lon)."""
    return lat, lon + km / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))


def coast_at(lat: float) -> float:
    """Easternmost longitude of the Hà Tĩnh outline on a parallel (the coastline)."""
    crossing = load_outline(geo.OUTLINES, "42").boundary.intersection(LineString([(104, lat), (108, lat)]))
    return max(p.x for p in getattr(crossing, "geoms", [crossing]))

"""Geography of the served jurisdictions: inside-the-province checks, bounding boxes, ward names, and locating
an `address_string` or `address_id` without a geocoder (the only module here that needs shapely, via
libs.geo).

No geocoder is reachable, so an address resolves only when it names a commune/ward of the jurisdiction
("Phường Thành Sen", "xa Cam Xuyen", accents optional) or `address_id` is a unit's official 5-digit code; the
point is then that unit's approximate centroid. Anything else is a 400 asking for lat/long.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from libs import refdata

from .jurisdictions import DEFAULT_REGISTRY, Jurisdiction

OUTLINES = refdata.OUTLINES
UNITS_ROOT = Path(os.environ.get("OPEN311_UNITS_DIR") or refdata.ROOT)  # province folders holding units.json
BBOX_MARGIN_DEG = 0.05  # ~5 km, the same buffer as the inside-the-province check
_TYPE_WORDS = re.compile(r"^(phuong|xa|thi tran|dac khu)\s+")


@dataclass(frozen=True)
class Unit:
    """A commune-level unit: code, name, approximate centroid."""

    code: str
    name: str
    lat: float
    lon: float


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced (đ → d) for forgiving name matching."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.lower()).split())


class Area:
    """One jurisdiction's outline (buffered 5 km) and units."""

    def __init__(
        self,
        jurisdiction: Jurisdiction,
        units: Iterable[Unit],
        inside: Callable[[float, float], bool],
        outline_bounds: tuple[float, float, float, float],
    ) -> None:
        self.jurisdiction = jurisdiction
        self.units = {u.code: u for u in units}
        self._inside = inside
        min_lon, min_lat, max_lon, max_lat = outline_bounds
        self.bbox = (
            min_lon - BBOX_MARGIN_DEG,
            min_lat - BBOX_MARGIN_DEG,
            max_lon + BBOX_MARGIN_DEG,
            max_lat + BBOX_MARGIN_DEG,
        )
        by_length = lambda pairs: sorted(pairs, key=lambda p: -len(p[0]))  # noqa: E731  longest name first
        self._names = by_length((fold(u.name), u) for u in self.units.values())
        self._short = by_length((_TYPE_WORDS.sub("", fold(u.name)), u) for u in self.units.values())

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point is inside the province outline buffered by 5 km."""
        return bool(self._inside(lat, lon))

    def unit(self, code: str) -> Unit | None:
        """A unit by its official code."""
        return self.units.get(code)

    def locate_address(self, address: str) -> Unit | None:
        """The unit an address names (full name first, then the name without 'phường'/'xã'), or None."""
        text = f" {fold(address)} "
        for names in (self._names, self._short):
            for name, unit in names:
                if name and f" {name} " in text:
                    return unit
        return None


class Geography:
    """Every served jurisdiction's Area, built once per process (shapely indexes are read-only)."""

    def __init__(self, areas: dict[str, Area]) -> None:
        self.areas = areas
        self.ward_names = {code: u.name for a in areas.values() for code, u in a.units.items()}

    @classmethod
    def load(
        cls,
        jurisdictions: Iterable[Jurisdiction] = DEFAULT_REGISTRY.all,
        units_root: Path = UNITS_ROOT,
        outlines: Path = OUTLINES,
    ) -> Geography:
        """Load outlines and units; may raise FileNotFoundError or libs.geo WardGeometryError."""
        from libs.geo.wards import build_index, load_outline, load_units

        areas = {}
        for jurisdiction in jurisdictions:
            folder = refdata.load(jurisdiction.province_code, units_root).path
            units = [Unit(u.code, u.name, u.lat, u.lon) for u in load_units(folder / "units.json")]
            index = build_index(folder, jurisdiction.province_code, outlines)
            bounds = load_outline(outlines, jurisdiction.province_code).bounds
            areas[jurisdiction.id] = Area(jurisdiction, units, index.inside_province, bounds)
        return cls(areas)

    def area(self, jurisdiction: Jurisdiction) -> Area:
        """The Area of a jurisdiction (KeyError if it was not loaded)."""
        return self.areas[jurisdiction.id]

    def ward_name(self, code: str | None) -> str | None:
        """A unit's name from any jurisdiction, or None."""
        return self.ward_names.get(code) if code else None


def intersect_bbox(
    a: tuple[float, float, float, float] | None, b: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    """The intersection of a client's bbox (or None = everything) with an area's; None when they are
    disjoint."""
    if a is None:
        return b
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] <= box[2] and box[1] <= box[3] else None

"""Ward cells from geometry: locate a WGS84 point in a commune/ward (pure: shapely only).

No official ward polygons are published, so by default the cells are a Voronoi partition of the unit centroids
clipped to the province outline buffered by 5 km, and every hit is marked `approximate=True`. An official
GeoJSON FeatureCollection of ward polygons replaces them (`approximate=False`).

All geometry is computed in a local equirectangular projection (metres) around the province centre; over a
province (~1° of latitude) its scale error is under 1 %, far below the ~1 km generalisation of the outline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import shapely
import shapely.geometry
from shapely.geometry import MultiPoint, Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import voronoi_diagram
from shapely.strtree import STRtree

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_BUFFER_M = 5_000.0
BORDER_TOLERANCE_M = 1.0  # a point this close to two cells is "on the border" (GPS error is ~5 m anyway)
CODE_PROPERTIES = ("code", "ma_xa", "unit_code", "ma_dvhc", "maxa")
Method = Literal["inside", "border", "nearest_within_buffer"]


class WardGeometryError(ValueError):
    """Ward geometry (official GeoJSON or unit data) is unusable; the message names the feature."""


@dataclass(frozen=True)
class Unit:
    """A commune-level unit with its approximate centroid."""

    code: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class WardHit:
    """Where a point fell: the unit, whether the cell is approximate, and how it was decided."""

    unit_code: str
    approximate: bool
    method: Method


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection around (lat0, lon0): degrees ⇄ metres."""

    lat0: float
    lon0: float

    @property
    def _kx(self) -> float:
        return math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        """Metres east and north of the centre."""
        return (lon - self.lon0) * self._kx, (lat - self.lat0) * math.radians(1) * EARTH_RADIUS_M

    def geometry_to_xy(self, geom: BaseGeometry) -> BaseGeometry:
        """Project a lon/lat geometry to metres."""
        k = math.radians(1) * EARTH_RADIUS_M
        return shapely.transform(geom, lambda c: (c - (self.lon0, self.lat0)) * (self._kx, k))

    def geometry_to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        """Project a metre geometry back to lon/lat."""
        k = math.radians(1) * EARTH_RADIUS_M
        return shapely.transform(geom, lambda c: c / (self._kx, k) + (self.lon0, self.lat0))


def load_units(path: str | Path) -> list[Unit]:
    """Units (code, name, centroid) from a `units.json` seed file."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        Unit(str(r["code"]), r["name"], float(r["centroid"]["lat"]), float(r["centroid"]["lon"]))
        for r in rows
    ]


def load_outline(path: str | Path, province_code: str) -> BaseGeometry:
    """The lon/lat outline of one province from `province_outlines.geojson`; raises WardGeometryError if
    absent."""
    fc = json.loads(Path(path).read_text(encoding="utf-8"))
    for feature in fc.get("features", []):
        if str(feature.get("properties", {}).get("new_province_code")) == province_code:
            return shape(feature["geometry"])
    raise WardGeometryError(f"no outline with new_province_code={province_code!r} in {path}")


class WardIndex:
    """Ward cells in an STRtree, built once and read-only afterwards (share one per process)."""

    def __init__(
        self,
        cells: Mapping[str, BaseGeometry],
        outline_xy: BaseGeometry,
        projection: LocalProjection,
        *,
        approximate: bool,
        buffer_m: float = DEFAULT_BUFFER_M,
    ) -> None:
        """Index metre-space `cells` (code → polygon) inside `outline_xy`; prefer the `from_*`
        constructors."""
        self.projection, self.approximate, self.buffer_m = projection, approximate, buffer_m
        self._codes = sorted(cells)
        self._geoms = [cells[c] for c in self._codes]
        self._tree = STRtree(self._geoms)
        self._outline = outline_xy
        self._buffered = outline_xy.buffer(buffer_m)
        for g in (*self._geoms, self._outline, self._buffered):
            shapely.prepare(g)

    @classmethod
    def from_centroids(
        cls, units: Sequence[Unit], outline: BaseGeometry, buffer_m: float = DEFAULT_BUFFER_M
    ) -> WardIndex:
        """Approximate cells: Voronoi partition of the centroids, clipped to the buffered lon/lat outline."""
        projection = _projection_for(outline)
        outline_xy = projection.geometry_to_xy(outline)
        clip = outline_xy.buffer(buffer_m)
        points = {u.code: Point(projection.to_xy(u.lat, u.lon)) for u in units}
        if len(points) != len(units):
            raise WardGeometryError("duplicate unit codes in the unit list")
        for code, pt in points.items():
            if not clip.contains(pt):  # its cell would be clipped away or not contain its own centroid
                raise WardGeometryError(f"unit {code}: centroid lies outside the buffered province outline")
        diagram = voronoi_diagram(MultiPoint(list(points.values())), envelope=clip.envelope.buffer(buffer_m))
        cells: dict[str, BaseGeometry] = {}
        for region in diagram.geoms:
            code = next(c for c, p in points.items() if region.covers(p))
            cells[code] = region.intersection(clip)
        return cls(cells, outline_xy, projection, approximate=True, buffer_m=buffer_m)

    @classmethod
    def from_geojson(
        cls,
        feature_collection: Mapping[str, Any],
        units: Sequence[Unit],
        outline: BaseGeometry,
        buffer_m: float = DEFAULT_BUFFER_M,
        allow_missing: bool = False,
        approximate: bool = False,
    ) -> WardIndex:
        """Cells from a lon/lat GeoJSON FeatureCollection; raises WardGeometryError naming the feature.

        `approximate=True` marks stored cells that were derived, not official (e.g. Voronoi cells of merged
        units)."""
        projection = _projection_for(outline)
        official = parse_official_cells(feature_collection, {u.code for u in units}, allow_missing)
        cells = {code: projection.geometry_to_xy(g) for code, g in official.items()}
        return cls(
            cells, projection.geometry_to_xy(outline), projection, approximate=approximate, buffer_m=buffer_m
        )

    @property
    def unit_codes(self) -> list[str]:
        """Codes of the indexed cells, sorted."""
        return list(self._codes)

    def cell(self, unit_code: str) -> BaseGeometry:
        """The lon/lat cell of one unit (for maps); raises KeyError for an unknown code."""
        return self.projection.geometry_to_lonlat(self._geoms[self._codes.index(unit_code)])

    def to_feature_collection(self) -> dict[str, Any]:
        """Every cell as a lon/lat GeoJSON FeatureCollection (`code`, `approximate` in the properties)."""
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": code, "approximate": self.approximate},
                    "geometry": shapely.geometry.mapping(self.cell(code)),
                }
                for code in self._codes
            ],
        }

    def inside_province(self, lat: float, lon: float) -> bool:
        """True if the point is inside the province outline buffered by `buffer_m`."""
        x, y = self.projection.to_xy(lat, lon)
        return bool(shapely.contains_xy(self._buffered, x, y))

    def locate(self, lat: float, lon: float) -> WardHit | None:
        """The ward containing the point, the nearest one within the buffer, or None outside the province."""
        x, y = self.projection.to_xy(lat, lon)
        if not shapely.contains_xy(self._buffered, x, y):
            return None
        pt = Point(x, y)
        hits = self._tree.query(pt, predicate="dwithin", distance=BORDER_TOLERANCE_M)
        if len(hits) > 1:  # on a shared border: the lowest code wins, deterministically
            return WardHit(self._codes[int(min(hits))], self.approximate, "border")
        in_outline = bool(shapely.contains_xy(self._outline, x, y))
        if len(hits) == 1:
            method: Method = "inside" if in_outline else "nearest_within_buffer"
            return WardHit(self._codes[int(hits[0])], self.approximate, method)
        nearest = self._tree.query_nearest(pt)  # a gap between official cells, or off their coast
        return WardHit(self._codes[int(min(nearest))], self.approximate, "nearest_within_buffer")


def parse_official_cells(
    feature_collection: Mapping[str, Any], known_codes: Iterable[str], allow_missing: bool = False
) -> dict[str, BaseGeometry]:
    """Validate an official ward FeatureCollection → code → lon/lat polygon; raises WardGeometryError."""
    known = set(known_codes)
    if feature_collection.get("type") != "FeatureCollection":
        raise WardGeometryError("ward geometry must be a GeoJSON FeatureCollection")
    cells: dict[str, BaseGeometry] = {}
    for i, feature in enumerate(feature_collection.get("features") or []):
        props = feature.get("properties") or {}
        code = next((str(props[k]) for k in CODE_PROPERTIES if props.get(k) not in (None, "")), None)
        label = f"feature #{i} (code={code!r})"
        if code is None:
            raise WardGeometryError(
                f"feature #{i}: no unit code property (one of {', '.join(CODE_PROPERTIES)})"
            )
        if code not in known:
            raise WardGeometryError(f"{label}: unknown unit code")
        if code in cells:
            raise WardGeometryError(f"{label}: duplicate unit code")
        try:
            geom = shape(feature["geometry"])
        except Exception as exc:  # malformed coordinates, missing geometry, unknown type
            raise WardGeometryError(f"{label}: unreadable geometry ({exc})") from exc
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            raise WardGeometryError(f"{label}: geometry must be a non-empty Polygon or MultiPolygon")
        if not geom.is_valid:
            raise WardGeometryError(f"{label}: invalid geometry ({shapely.is_valid_reason(geom)})")
        cells[code] = geom
    if not cells:
        raise WardGeometryError("ward geometry has no features")
    missing = known - set(cells)
    if missing and not allow_missing:
        raise WardGeometryError(f"no polygon for {len(missing)} unit(s): {', '.join(sorted(missing))}")
    return cells


def union_cells(feature_collection: Mapping[str, Any], sources: Iterable[str], into: str) -> dict[str, Any]:
    """A copy of a ward FeatureCollection where the `sources` cells (and `into`'s, if any) become one `into`
    cell.

    Raises WardGeometryError when a source has no cell; the merged cell is made valid (shared borders
    dissolve)."""
    features = list(feature_collection.get("features") or [])
    wanted = set(sources) | {into}
    keep: list[tuple] = []
    merged: list[tuple] = []
    for feature in features:
        props = feature.get("properties") or {}
        code = next((str(props[k]) for k in CODE_PROPERTIES if props.get(k) not in (None, "")), None)
        (merged if code in wanted else keep).append((code, feature))
    missing = set(sources) - {code for code, _ in merged}
    if missing:
        raise WardGeometryError(
            f"no cell for unit(s) {', '.join(sorted(missing))} in the loaded ward geometry"
        )
    union = shapely.make_valid(shapely.union_all([shape(f["geometry"]) for _, f in merged]))
    polygons = [g for g in getattr(union, "geoms", [union]) if g.geom_type in ("Polygon", "MultiPolygon")]
    union = shapely.union_all(polygons) if len(polygons) > 1 else polygons[0]
    cell = {"type": "Feature", "properties": {"code": into}, "geometry": shapely.geometry.mapping(union)}
    return {**feature_collection, "features": [f for _, f in keep] + [cell]}


def _projection_for(outline: BaseGeometry) -> LocalProjection:
    """Projection centred on the outline's bounding-box centre."""
    minx, miny, maxx, maxy = outline.bounds
    return LocalProjection(lat0=(miny + maxy) / 2, lon0=(minx + maxx) / 2)


def build_index(
    data_dir: str | Path, province_code: str, outlines: str | Path, official: Mapping[str, Any] | None = None
) -> WardIndex:
    """Convenience: index for a seed folder (units.json) and the outlines file; official cells if given."""
    units = load_units(Path(data_dir) / "units.json")
    outline = load_outline(outlines, province_code)
    if official is not None:
        return WardIndex.from_geojson(official, units, outline)
    return WardIndex.from_centroids(units, outline)

"""Is a point inside the province? The outline buffered by 5 km (pure: libs.geo + shapely; built once per
process).

The outline is generalised (~1 km), so it is never used without a buffer: a report from a beach or an island
just off the coast stays valid.
"""

from __future__ import annotations

from pathlib import Path

import shapely

from libs.geo import OUTLINES
from libs.geo.wards import DEFAULT_BUFFER_M, LocalProjection, load_outline


class ProvinceFence:
    """The buffered outline in a local metric projection (same method as `WardIndex.inside_province`)."""

    def __init__(self, outline, buffer_m: float = DEFAULT_BUFFER_M):
        minx, miny, maxx, maxy = outline.bounds
        self.projection = LocalProjection(lat0=(miny + maxy) / 2, lon0=(minx + maxx) / 2)
        self.buffer_m = buffer_m
        self._area = self.projection.geometry_to_xy(outline).buffer(buffer_m)
        shapely.prepare(self._area)

    @classmethod
    def load(
        cls, province_code: str, path: str | Path | None = None, buffer_m: float = DEFAULT_BUFFER_M
    ) -> ProvinceFence:
        """From `province_outlines.geojson`; may raise WardGeometryError for an unknown province."""
        return cls(load_outline(path or OUTLINES, province_code), buffer_m)

    def contains(self, lat: float, lon: float) -> bool:
        """True when the point lies inside the buffered outline."""
        x, y = self.projection.to_xy(lat, lon)
        return bool(shapely.contains_xy(self._area, x, y))

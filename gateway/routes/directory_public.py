"""The public face of the directory for the citizen app: which commune/ward a point is in (rate-limited per
client), the ward cells in force as GeoJSON (so the map stays usable where map tiles cannot be fetched), and
the agencies' names."""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from libs.contracts.directory import NamedEntry, WardHitView

from ..calls import PROBLEMS, client_info
from ..deps import Runtime, runtime
from ..throttle import TokenBucket
from .stats import NAMES

router = APIRouter(prefix="/v1", tags=["wards"])
LOCATE = TokenBucket(
    burst=int(os.environ.get("WARD_LOCATE_BURST", "20")),
    per_minute=float(os.environ.get("WARD_LOCATE_PER_MINUTE", "30")),
)
CELLS_TTL_S = 300.0
DECIMALS = 5  # ~1 m: finer than the cells' own accuracy, and a third smaller than full precision


@router.get(
    "/wards/locate",
    response_model=WardHitView,
    responses=PROBLEMS,
    summary="Xã/phường tại một điểm / which commune or ward a point is in (public, rate-limited)",
)
async def locate(
    request: Request,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    rt: Runtime = Depends(runtime),
) -> dict:
    LOCATE.check(client_info(request)["ip"] or "unknown")
    return await rt.rpc.call("routing", "locate_ward", payload={"location": {"lat": lat, "lon": lon}})


class CellsCache:
    """The GeoJSON bytes of the cells in force, kept `CELLS_TTL_S` (a directory change shows within
    minutes)."""

    def __init__(self) -> None:
        self.body, self.etag, self.loaded_at = b"", "", float("-inf")

    async def get(self, rt: Runtime) -> tuple[bytes, str]:
        if time.monotonic() - self.loaded_at > CELLS_TTL_S or not self.body:
            cells = await rt.rpc.call("routing", "ward_cells")
            for feature in cells["features"]:
                feature["geometry"] = _rounded(feature["geometry"])
            self.body = json.dumps(cells, ensure_ascii=False, separators=(",", ":")).encode()
            self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'
            self.loaded_at = time.monotonic()
        return self.body, self.etag


def _rounded(geometry: dict) -> dict:
    def walk(c):
        return round(c, DECIMALS) if isinstance(c, float) else [walk(x) for x in c]

    return {**geometry, "coordinates": walk(geometry["coordinates"])}


CELLS = CellsCache()


@router.get(
    "/wards.geojson",
    response_class=Response,
    responses=PROBLEMS,
    summary="Ranh giới xã/phường / ward cells in force with their names (GeoJSON; approximate or official)",
)
async def ward_cells(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    body, etag = await CELLS.get(rt)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/geo+json", headers=headers)


@router.get(
    "/agencies",
    response_model=list[NamedEntry],
    responses=PROBLEMS,
    summary="Cơ quan xử lý / the agencies' names (code, Vietnamese, English); empty while routing is away",
)
async def agencies(response: Response, rt: Runtime = Depends(runtime)) -> list:
    response.headers["Cache-Control"] = "public, max-age=300"
    return sorted((await NAMES.names(rt.rpc, "agency")).values(), key=lambda e: e.code)

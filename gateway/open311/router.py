"""Open311 GeoReport v2 under `/open311/v2/` (discovery at `/open311/discovery.{xml,json}`): the one router of
the read and write modules, then a fallback so unknown Open311 paths also answer with the spec's error
body."""

from __future__ import annotations

from fastapi import APIRouter

from .errors import Open311Error
from .read_routes import read_router
from .support import Open311Route
from .write_routes import write_router

router = APIRouter(route_class=Open311Route, tags=["open311"])
router.include_router(read_router)
router.include_router(write_router)


@router.api_route("/open311/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
async def unknown(rest: str) -> None:
    """Anything else under /open311: a 404 in the spec's error format."""
    raise Open311Error(404, "Không có tài nguyên này / no such Open311 resource", "NOT_FOUND")

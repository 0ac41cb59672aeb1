"""Route modules: every module here with a `router` is mounted (add a file, not a line elsewhere), and the
Open311 package's router (`gateway/open311/router.py`)."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

ORDER = ("health", "reports", "media")  # first; the rest alphabetically
PACKAGES = {"open311": "gateway.open311.router"}  # routers that live with their own package


def all_routers() -> list[APIRouter]:
    """The `router` of every module in this package."""
    modules = [m.name for m in pkgutil.iter_modules(__path__)] + list(PACKAGES)
    names = sorted(modules, key=lambda n: (n not in ORDER, ORDER.index(n) if n in ORDER else 0, n))
    routers = []
    for name in names:
        module = importlib.import_module(PACKAGES.get(name, f"{__name__}.{name}"))
        if isinstance(getattr(module, "router", None), APIRouter):
            routers.append(module.router)
    return routers

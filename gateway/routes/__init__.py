"""Route modules: every module here with a `router` is mounted (add a file, not a line elsewhere)."""
from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

ORDER = ("health", "reports", "media")  # first; the rest alphabetically


def all_routers() -> list[APIRouter]:
    """The `router` of every module in this package."""
    names = sorted((m.name for m in pkgutil.iter_modules(__path__)), key=lambda n: (n not in ORDER, ORDER.index(n) if n in ORDER else 0, n))
    routers = []
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        if isinstance(getattr(module, "router", None), APIRouter):
            routers.append(module.router)
    return routers

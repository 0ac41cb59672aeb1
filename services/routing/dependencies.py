"""Dependency providers of the routing service."""
from __future__ import annotations

import sqlalchemy as sa
from nameko.extensions import DependencyProvider

from .directory import Category, Snapshot, Unit
from .models import agencies, categories, directory_versions, units


def load_snapshot(uow, version: int) -> Snapshot:
    """Read the whole directory (small: ~70 units, ~160 agencies, 25 categories)."""
    us = tuple(Unit(r.code, r.name, r.lat, r.lon) for r in uow.execute(sa.select(units).order_by(units.c.code)))
    cats = {r.code: Category(r.code, r.default_agency, tuple(r.co_handlers), r.escalation_agency,
                             int(r.data["default_deadline"]["normal_working_days"]),
                             r.data["default_deadline"].get("urgent_hours"))
            for r in uow.execute(sa.select(categories))}
    ags = frozenset(uow.execute(sa.select(agencies.c.code)).scalars())
    return Snapshot(version, us, cats, ags)


class DirectoryCache:
    """The current snapshot, reloaded when the directory version changes."""

    def __init__(self):
        self.snapshot: Snapshot | None = None

    def current(self, uow) -> Snapshot | None:
        """The snapshot of the latest version, or None before the directory is seeded."""
        version = uow.execute(sa.select(sa.func.max(directory_versions.c.version))).scalar()
        if version is None:
            return None
        if self.snapshot is None or self.snapshot.version != version:
            self.snapshot = load_snapshot(uow, version)
        return self.snapshot


class Directory(DependencyProvider):
    """Injects the shared `DirectoryCache`."""

    def setup(self) -> None:
        self.cache = DirectoryCache()

    def get_dependency(self, worker_ctx) -> DirectoryCache:
        return self.cache

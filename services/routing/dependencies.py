"""Dependency providers of the routing service."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime

from nameko.extensions import DependencyProvider

from libs.geo.wards import WardIndex

from .domain.directory import Directory, build, geometry_key
from .repository import versions as repo

log = logging.getLogger(__name__)


class DirectoryCache:
    """Built directory versions (immutable once written), shared by the workers of one process.

    The version in force is looked up on every call (one indexed query), so a change made by any process is
    used from its effective instant on; building a version (~10 ms) happens once per process.
    """

    def __init__(self, size: int = 8):
        self.size = size
        self._versions: OrderedDict[int, Directory] = OrderedDict()
        self._wards: OrderedDict[str, WardIndex] = OrderedDict()

    def current(self, uow, now: datetime) -> Directory | None:
        """The version in force at `now`, or None before the directory is seeded."""
        row = repo.effective_version(uow, now)
        return None if row is None else self.at(uow, row.version)

    def at(self, uow, version: int) -> Directory:
        """One version; raises LookupError for an unknown or legacy (pre-0002) version."""
        if version in self._versions:
            self._versions.move_to_end(version)
            return self._versions[version]
        row = repo.version_row(uow, version)
        if row is None or row.op == "legacy":
            raise LookupError(f"no directory version {version}")
        doc = repo.load_doc(uow, version)
        key = geometry_key(doc)
        directory = build(version, row.effective_from, doc, self._wards.get(key))
        self._remember(self._wards, key, directory.wards)
        self._remember(self._versions, version, directory)
        log.info(
            "directory version %s loaded (%s units, %s agencies, %s rules, wards %s)",
            version,
            len(doc["unit"]),
            len(doc["agency"]),
            len(doc["rule"]),
            "approximate" if directory.wards.approximate else "official",
        )
        return directory

    def _remember(self, store: OrderedDict, key, value) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > self.size:
            store.popitem(last=False)


class Directories(DependencyProvider):
    """Injects the process's `DirectoryCache`."""

    def setup(self) -> None:
        self.cache = DirectoryCache()

    def get_dependency(self, worker_ctx) -> DirectoryCache:
        return self.cache

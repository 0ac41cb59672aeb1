"""Display names for messages (category, agency, ward/commune), in Vietnamese and English, from routing.

Routing's `list_names` answers every name of the directory in force; the book keeps them for `ttl_s` seconds
(process-wide) and is refreshed by whoever reads it next. When routing cannot be asked, the last names are
kept, or, before any answer, messages show codes (`UBND_18073`, the official 5-digit ward code); routing is
asked again after `RETRY_S` (or the TTL when shorter), not on every message. One reader asks at a time; the
others go on with the names there are, except before the first answer, when they wait for the question in
flight (bounded by the RPC timeout) rather than send codes while the names are on their way."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from libs.contracts.directory import DirectoryNames, NamedEntry
from libs.platform.expiring import Expiring

log = logging.getLogger(__name__)
Name = str | dict[str, str]
NOT_SET: dict[str, str] = {"vi": "chưa xác định", "en": "not set"}
RETRY_S = 15.0


def _by_code(entries: Iterable[NamedEntry]) -> dict[str, dict[str, str]]:
    return {e.code: {"vi": e.name_vi, "en": e.name_en} for e in entries}


class NameBook:
    """Names by code, refreshed after `ttl_s`; lookups never call anyone (a missing name is the code)."""

    def __init__(self, ttl_s: float = 300.0):
        self.ttl_s = ttl_s
        self._cached: Expiring[dict[str, dict[str, dict[str, str]]]] = Expiring(ttl_s, RETRY_S)
        self._asking = threading.Lock()  # green under nameko's monkey-patching

    def refresh(self, load: Callable[[], Mapping[str, Any] | None]) -> None:
        """Ask `load()` (routing's `list_names`; None when routing cannot answer) once the names are due.

        Without an answer the names there are stay (codes before the first answer): a nicety, never a failure.
        """
        if self._cached.loaded and not self._cached.due():
            return
        if not self._asking.acquire(blocking=not self._cached.loaded):
            return  # another reader is asking: the names there are serve meanwhile
        try:
            if not self._cached.due():
                return  # answered (or given up) while this reader waited
            self._cached.asking()
            self._take(load())
        finally:
            self._asking.release()

    def _take(self, answer: Mapping[str, Any] | None) -> None:
        if answer is None:
            return
        try:
            names = DirectoryNames.model_validate(answer)
        except ValidationError:
            log.warning("routing answered malformed names: codes are shown")
            return
        if names.version:  # version 0: the directory is not seeded yet
            self._cached.take(
                {
                    "category": _by_code(names.categories),
                    "agency": _by_code(names.agencies),
                    "unit": _by_code(names.units),
                }
            )

    def _name(self, kind: str, code: str | None) -> Name:
        if not code:
            return NOT_SET
        return (self._cached.value or {}).get(kind, {}).get(code, code)

    def category(self, code: str | None) -> Name:
        """{'vi', 'en'} names of a category, or its code."""
        return self._name("category", code)

    def agency(self, code: str | None) -> Name:
        """{'vi', 'en'} names of an agency ("UBND Phường Thành Sen"), or its code."""
        return self._name("agency", code)

    def ward(self, code: str | None) -> Name:
        """{'vi', 'en'} names of a ward/commune ("Phường Thành Sen"), its code, or 'not set' for a province
        case."""
        return self._name("unit", code)

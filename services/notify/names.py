"""Display names for messages (category, agency, ward), looked up from routing and cached for a while.

Routing answers `list_categories` today; agency and ward names are not exposed by routing yet, so messages
show their codes (a ward code is the official 5-digit code, an agency code such as `UBND_18073`).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
Name = str | dict[str, str]
NOT_SET: dict[str, str] = {"vi": "chưa xác định", "en": "not set"}


class NameBook:
    """Names by code, refreshed after `ttl_s`; when routing is unreachable the last names (or codes) are used."""

    def __init__(self, load_categories: Callable[[], list[dict]], ttl_s: float = 300.0):
        self._load = load_categories
        self.ttl_s = ttl_s
        self._categories: dict[str, dict[str, str]] = {}
        self._loaded_at = float("-inf")

    def _refresh(self) -> None:
        if time.monotonic() - self._loaded_at <= self.ttl_s:
            return
        self._loaded_at = time.monotonic()  # also after a failure: do not ask again on every message
        try:
            rows = self._load()
            self._categories = {r["code"]: {"vi": r.get("name_vi") or r["code"], "en": r.get("name_en") or r["code"]}
                                for r in rows}
        except Exception as exc:  # PeerError or a malformed answer: names are a nicety, codes still work
            log.warning("category names unavailable: %s", exc)

    def category(self, code: str | None) -> Name:
        """{'vi', 'en'} names of a category, or its code."""
        if not code:
            return NOT_SET
        self._refresh()
        return self._categories.get(code, code)

    def agency(self, code: str | None) -> Name:
        """The agency's code (routing has no names RPC yet)."""
        return code or NOT_SET

    def ward(self, code: str | None) -> Name:
        """The ward's official code, or 'not set' for a province-level case."""
        return code or NOT_SET

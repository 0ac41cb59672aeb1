"""Jurisdictions served by one endpoint, resolved from ``jurisdiction_id`` (id, alias or province code)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import Open311Error


@dataclass(frozen=True)
class Jurisdiction:
    """One province served by the endpoint."""

    id: str
    province_code: str  # official 2-digit province code (NSO)
    name_vi: str
    name_en: str
    aliases: tuple[str, ...] = ()


HATINH = Jurisdiction("hatinh", "42", "Tỉnh Hà Tĩnh", "Ha Tinh Province", ("ha_tinh", "ha-tinh"))
HUE = Jurisdiction("hue", "46", "Thành phố Huế", "Hue City", ("thanhphohue", "tp_hue", "thua_thien_hue"))


class JurisdictionRegistry:
    """Look up jurisdictions by id, alias or province code, case-insensitively."""

    def __init__(self, jurisdictions: Iterable[Jurisdiction], default: str | None = None) -> None:
        self.all = tuple(jurisdictions)
        self._by_key: dict[str, Jurisdiction] = {}
        for item in self.all:
            for key in (item.id, item.province_code, *item.aliases):
                if key.lower() in self._by_key:
                    raise ValueError(f"duplicate jurisdiction key {key!r}")
                self._by_key[key.lower()] = item
        if default is not None and default.lower() not in self._by_key:
            raise ValueError(f"default jurisdiction {default!r} is not registered")
        self.default = default

    def resolve(self, value: str | None) -> Jurisdiction:
        """Resolve ``jurisdiction_id``; absent/empty means the default; may raise Open311Error (400/404)."""
        value = (value or "").strip()
        if not value:
            if self.default is None:
                raise Open311Error.of("PARAM_MISSING", name="jurisdiction_id")
            return self._by_key[self.default.lower()]
        found = self._by_key.get(value.lower())
        if found is None:
            raise Open311Error.of("JURISDICTION_NOT_FOUND", jurisdiction_id=value[:64])
        return found


DEFAULT_REGISTRY = JurisdictionRegistry((HATINH, HUE), default="hatinh")

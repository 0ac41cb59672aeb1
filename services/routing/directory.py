"""The directory as the routing decision sees it: a frozen snapshot, plus the walking-skeleton decision.

Pure module: no nameko, no SQLAlchemy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Unit:
    """A commune/ward with its approximate centroid."""

    code: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Category:
    """A report category and its default handler pattern."""

    code: str
    default_agency: str
    co_handlers: tuple[str, ...]
    escalation_agency: str | None
    normal_working_days: int
    urgent_hours: int | None


@dataclass(frozen=True)
class Snapshot:
    """One version of the directory."""

    version: int
    units: tuple[Unit, ...]
    categories: dict[str, Category]
    agencies: frozenset[str]


@dataclass(frozen=True)
class Routed:
    """Where a report goes, and why."""

    ward_code: str
    agency_code: str
    co_handlers: tuple[str, ...]
    reason: str
    explanation: str
    accept_due_at: datetime
    due_at: datetime
    ward_approximate: bool = True


@dataclass(frozen=True)
class Unroutable:
    """No agency could be chosen: a named reason for the triage queue."""

    reason: str
    ward_code: str | None = None
    explanation: str = field(default="")


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def nearest_unit(units: tuple[Unit, ...], lat: float, lon: float) -> Unit | None:
    """The unit whose centroid is nearest (ties: lowest code)."""
    return min(units, key=lambda u: (_distance_km(lat, lon, u.lat, u.lon), u.code), default=None)


def expand(pattern: str, unit_code: str) -> str:
    """`UBND_{unit_code}` → `UBND_18073`; fixed codes pass through."""
    return pattern.replace("{unit_code}", unit_code)


def decide(snapshot: Snapshot, category: str, priority: str, lat: float, lon: float,
           now: datetime) -> Routed | Unroutable:
    """Route by the category's default pattern at the nearest unit (the walking skeleton's rule)."""
    cat = snapshot.categories.get(category)
    unit = nearest_unit(snapshot.units, lat, lon)
    if cat is None:
        return Unroutable("unknown_category", unit.code if unit else None, f"category {category} is not in the directory")
    if unit is None:
        return Unroutable("no_ward_for_location", None, "the directory has no units")
    agency = expand(cat.default_agency, unit.code)
    if agency not in snapshot.agencies:
        return Unroutable("agency_not_in_directory", unit.code, f"{agency} is not in the directory")
    co = tuple(c for c in (expand(p, unit.code) for p in cat.co_handlers) if c in snapshot.agencies)
    due = now + (timedelta(hours=cat.urgent_hours or 4) if priority == "KHAN"
                 else timedelta(days=cat.normal_working_days))
    return Routed(unit.code, agency, co, "default",
                  f"{category} → {cat.default_agency} tại {unit.name} (đơn vị gần nhất)",
                  now + timedelta(hours=8), due)

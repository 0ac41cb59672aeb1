"""The directory document (every entry of one version) and what routing builds from it.

A document maps kind → key → JSON data (the contract models of `libs.contracts.directory`, dumped). From it
come the decision snapshot (`rules.DirectorySnapshot`), the working calendar and the ward index (approximate
Voronoi cells from the centroids, or the stored polygons). Pure module: pydantic, shapely via libs.geo; no
SQL."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

import libs.geo as geo
from libs.contracts.directory import (
    AgencyData,
    CategoryData,
    CategoryDeadline,
    DeadlineSettings,
    HolidayYear,
    NamedEntry,
    RuleData,
    UnitData,
)
from libs.geo.wards import Unit, WardIndex, load_outline

from .rules import CategoryRoute, DirectorySnapshot, PriorityRule, RoutingRule
from .workcalendar import WorkCalendar, YearConfig

Doc = dict[str, dict[str, dict[str, Any]]]
KINDS = ("unit", "agency", "category", "rule", "settings", "holiday_year", "ward_geometry")
ENTRY_MODELS: dict[str, type[BaseModel]] = {
    "unit": UnitData,
    "agency": AgencyData,
    "category": CategoryData,
    "rule": RuleData,
    "holiday_year": HolidayYear,
}
DEADLINES, PROVINCE, CELLS = "deadlines", "province", "cells"
UNIT_TYPES = {"phuong": ("Phường", "Ward"), "xa": ("Xã", "Commune"), "dac_khu": ("Đặc khu", "Special Zone")}


class ProvinceSettings(BaseModel):
    """Which province outline bounds the wards, and the buffer that absorbs its ~1 km generalisation."""

    code: str = "42"
    buffer_m: float = Field(5000.0, ge=1000, le=50000)


class StoredCells(BaseModel):
    """Ward polygons in force: official (uploaded) or approximate ones materialised by a merge."""

    approximate: bool
    feature_collection: dict[str, Any]


@dataclass(frozen=True)
class Directory:
    """One version ready to use: the decision snapshot, the ward index and the raw document."""

    version: int
    effective_from: datetime
    doc: Mapping[str, Mapping[str, Mapping[str, Any]]]
    snapshot: DirectorySnapshot
    wards: WardIndex
    deadlines: DeadlineSettings

    def agency_names(self, code: str | None) -> NamedEntry | None:
        """The agency's Vietnamese and English names, or None."""
        agency = self.doc["agency"].get(code or "")
        return entry_names(agency) if agency else None

    def unit_name(self, code: str | None) -> str | None:
        """The unit's name, or None."""
        unit = self.doc["unit"].get(code or "")
        return unit["name"] if unit else None


def empty_doc() -> Doc:
    """A document with every kind and no entries."""
    return {kind: {} for kind in KINDS}


def copy_doc(doc: Mapping[str, Mapping[str, Any]]) -> Doc:
    """A copy whose kind maps can be changed (entry data is never mutated in place)."""
    return {kind: dict(doc.get(kind, {})) for kind in KINDS}


def dump(model: BaseModel) -> dict[str, Any]:
    """Entry data as stored (JSON types)."""
    return model.model_dump(mode="json")


def deadlines_of(doc: Mapping) -> DeadlineSettings:
    """Deadline settings (defaults when never set)."""
    data = doc["settings"].get(DEADLINES)
    return DeadlineSettings.model_validate(data) if data else DeadlineSettings()


def province_of(doc: Mapping) -> ProvinceSettings:
    """Province outline settings (Hà Tĩnh when never set)."""
    return ProvinceSettings.model_validate(doc["settings"].get(PROVINCE) or {})


def cells_of(doc: Mapping) -> StoredCells | None:
    """Stored ward polygons, or None for approximate cells from the centroids."""
    data = doc["ward_geometry"].get(CELLS)
    return StoredCells.model_validate(data) if data else None


def calendar_of(doc: Mapping) -> WorkCalendar:
    """The working calendar: periods from the deadline settings, one YearConfig per announced year."""
    years = {}
    for data in doc["holiday_year"].values():
        h = HolidayYear.model_validate(data)
        years[h.year] = YearConfig(
            tet_days=tuple(h.tet_days) if h.tet_days else None,
            national_day_extra=h.national_day_extra,
            days_off=frozenset(h.days_off),
            working_days=frozenset(h.working_days),
            auto_compensate=h.auto_compensate,
        )
    return WorkCalendar(periods=tuple(deadlines_of(doc).working_periods), years=years)


def snapshot_of(doc: Mapping, version: int) -> DirectorySnapshot:
    """The decision snapshot; raises pydantic ValidationError/ValueError on inconsistent data."""
    cats = {}
    for data in doc["category"].values():
        c = CategoryData.model_validate(data)
        cats[c.code] = CategoryRoute(
            code=c.code,
            default_agency=c.default_agency,
            co_handlers=tuple(c.co_handlers),
            escalation_agency=c.escalation_agency,
            normal_working_days=c.deadline.normal_working_days,
            urgent_hours=c.deadline.urgent_hours,
        )
    rules = []
    for data in doc["rule"].values():
        r = RuleData.model_validate(data)
        rules.append(
            RoutingRule(
                rule_id=r.rule_id,
                category=r.category,
                units=frozenset(r.units) if r.units is not None else None,
                agency=r.agency,
                co_handlers=tuple(r.co_handlers) if r.co_handlers is not None else None,
                escalation_agency=r.escalation_agency,
                kind=r.kind,
                effective_from=r.effective_from,
                effective_to=r.effective_to,
            )
        )
    settings = deadlines_of(doc)
    priorities = {
        p.value: PriorityRule(code=p.value, working_days=t.working_days, working_hours=t.working_hours)
        for p, t in settings.priorities.items()
    }
    return DirectorySnapshot(
        version=version,
        categories=cats,
        agencies=frozenset(doc["agency"]),
        rules=tuple(sorted(rules, key=lambda r: r.rule_id)),
        priorities=priorities,
        accept_working_hours=settings.accept_working_hours,
        calendar=calendar_of(doc),
    )


def geo_units(doc: Mapping) -> list[Unit]:
    """Units as libs.geo sees them (code, name, centroid)."""
    return [
        Unit(code, u["name"], float(u["centroid"]["lat"]), float(u["centroid"]["lon"]))
        for code, u in sorted(doc["unit"].items())
    ]


def wards_of(doc: Mapping) -> WardIndex:
    """The ward index: stored polygons when loaded, else Voronoi cells; raises WardGeometryError."""
    province, cells = province_of(doc), cells_of(doc)
    outline = load_outline(geo.OUTLINES, province.code)
    units = geo_units(doc)
    if cells is None:
        return WardIndex.from_centroids(units, outline, province.buffer_m)
    return WardIndex.from_geojson(
        cells.feature_collection,
        units,
        outline,
        province.buffer_m,
        allow_missing=True,
        approximate=cells.approximate,
    )


def geometry_key(doc: Mapping) -> str:
    """What the ward index depends on (units' centroids, stored cells, province), for caching."""
    parts = {
        "units": [(u.code, u.lat, u.lon) for u in geo_units(doc)],
        "cells": doc["ward_geometry"].get(CELLS),
        "province": doc["settings"].get(PROVINCE),
    }
    return json.dumps(parts, sort_keys=True, default=str)


def build(version: int, effective_from: datetime, doc: Mapping, wards: WardIndex | None = None) -> Directory:
    """The runtime directory of one version (pass `wards` to reuse an index built for the same geometry)."""
    return Directory(
        version, effective_from, doc, snapshot_of(doc, version), wards or wards_of(doc), deadlines_of(doc)
    )


# ---- seed files → document ----

UNIT_FIELDS = ("code", "name", "type", "centroid", "area_km2")
AGENCY_FIELDS = ("code", "name_vi", "name_en", "level", "kind", "unit_code", "parent", "handles")
CATEGORY_FIELDS = (
    "code",
    "name_vi",
    "name_en",
    "description",
    "default_handling_level",
    "default_agency",
    "co_handlers",
    "escalation_agency",
    "examples",
)


def _split(record: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Known fields as they are, everything else under `details`."""
    known = {k: record[k] for k in fields if record.get(k) is not None}
    return {**known, "details": {k: v for k, v in record.items() if k not in fields}}


def doc_from_seed(data_dir: str | Path) -> Doc:
    """A document from a province's seed folder; raises on missing files or invalid records (naming them)."""
    root = Path(data_dir)
    read = lambda name: json.loads((root / f"{name}.json").read_text(encoding="utf-8"))  # noqa: E731
    doc = empty_doc()
    units = read("units")
    for u in units:
        doc["unit"][str(u["code"])] = dump(UnitData.model_validate(_split(u, UNIT_FIELDS)))
    for a in read("agencies")["agencies"]:
        doc["agency"][a["code"]] = dump(AgencyData.model_validate(_split(a, AGENCY_FIELDS)))
    for c in read("categories")["categories"]:
        data = _split(c, CATEGORY_FIELDS)
        data["deadline"] = CategoryDeadline(
            normal_working_days=c["default_deadline"]["normal_working_days"],
            urgent_hours=c["default_deadline"].get("urgent_hours"),
        )
        doc["category"][c["code"]] = dump(CategoryData.model_validate(data))
    workflow = read("workflow")
    priorities = {
        p["code"]: {
            "working_days": p.get("process_working_days"),
            "working_hours": p.get("process_working_hours"),
        }
        for p in workflow["priorities"]
    }
    accept = workflow.get("sla", {}).get("agency_accept_or_return", {}).get("working_hours", 8)
    doc["settings"][DEADLINES] = dump(DeadlineSettings(priorities=priorities, accept_working_hours=accept))
    codes = {str(u.get("province_code")) for u in units}
    doc["settings"][PROVINCE] = dump(ProvinceSettings(code=codes.pop() if len(codes) == 1 else "42"))
    for name, kind, key in (("rules", "rule", "rule_id"), ("holidays", "holiday_year", "year")):
        if (root / f"{name}.json").exists():
            for item in read(name)[name]:
                doc[kind][str(item[key])] = dump(ENTRY_MODELS[kind].model_validate(item))
    return doc


def doc_digest(doc: Mapping) -> str:
    """A stable hash of a document's content."""
    import hashlib

    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def entry_names(entry: Mapping) -> NamedEntry:
    """A category's or agency's names (English falls back to Vietnamese)."""
    return NamedEntry(
        code=entry["code"], name_vi=entry["name_vi"], name_en=entry.get("name_en") or entry["name_vi"]
    )


def unit_names(unit: dict) -> NamedEntry:
    """A unit's Vietnamese name as recorded ("Phường Thành Sen") and its English one ("Thành Sen Ward")."""
    vi_type, en_type = UNIT_TYPES.get(unit.get("type") or "", ("", ""))
    short = unit.get("details", {}).get("short_name") or unit["name"].removeprefix(f"{vi_type} ")
    return NamedEntry(code=unit["code"], name_vi=unit["name"], name_en=f"{short} {en_type}".strip())

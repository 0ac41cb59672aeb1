"""Administrator changes applied to a directory document (pure): each command → a new document and a summary.

The caller validates the result as a whole (`validation.validate`) and stores it as a new version. A merge of
units also retires the merged units' People's Committee and police, re-points rules at the new unit and unions
the ward cells (materialising approximate cells first, so the merged territory is exactly the old ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from libs.contracts.directory import (
    AgencyData,
    ClearWardGeometry,
    DeleteRule,
    DirectoryCommand,
    LoadWardGeometry,
    MergeUnits,
    PutAgency,
    PutCategory,
    PutDeadlines,
    PutHolidays,
    PutRule,
    PutUnit,
    RestoreVersion,
    RetireAgency,
    RetireCategory,
    UnitData,
)
from libs.geo.wards import WardGeometryError, parse_official_cells, union_cells

from .directory import CELLS, DEADLINES, Doc, StoredCells, cells_of, copy_doc, deadlines_of, dump, wards_of
from .validation import ChangeRejected, error

UNIT_AGENCIES = ("UBND_", "CA_")  # the per-unit agencies of the seed (People's Committee, police)
TYPE_VI = {"xa": "xã", "phuong": "phường", "dac_khu": "đặc khu"}


@dataclass(frozen=True)
class Applied:
    """The new document, a one-line summary, and for merges the retired agency → replacement map."""

    doc: Doc
    summary: str
    replaced_agencies: Mapping[str, str] = field(default_factory=dict)


def apply_change(doc: Mapping, command: DirectoryCommand, restored: Mapping | None = None) -> Applied:
    """Apply one command; raises ChangeRejected. `restored` is the document of the version to restore."""
    new = copy_doc(doc)
    match command:
        case PutUnit(unit=unit):
            return _put_unit(new, unit)
        case MergeUnits():
            return merge_units(new, command)
        case PutAgency(agency=agency):
            new["agency"][agency.code] = dump(agency)
            return Applied(new, f"agency {agency.code} saved")
        case RetireAgency(code=code):
            return _retire_agency(new, code)
        case PutCategory(category=category):
            new["category"][category.code] = dump(category)
            return Applied(new, f"category {category.code} saved")
        case RetireCategory(code=code):
            _must_exist(new, "category", code)
            users = sorted(rid for rid, r in new["rule"].items() if r["category"] == code)
            if users:
                raise ChangeRejected(
                    "conflict",
                    f"category {code} is used by rules: {', '.join(users)}",
                    [error("code", "delete or change these rules first", "in_use")],
                )
            del new["category"][code]
            return Applied(new, f"category {code} retired")
        case PutRule(rule=rule):
            new["rule"][rule.rule_id] = dump(rule)
            return Applied(new, f"rule {rule.rule_id} saved")
        case DeleteRule(rule_id=rule_id):
            _must_exist(new, "rule", rule_id)
            del new["rule"][rule_id]
            return Applied(new, f"rule {rule_id} deleted")
        case PutDeadlines(deadlines=deadlines):
            new["settings"][DEADLINES] = dump(deadlines)
            return Applied(new, "deadline settings saved")
        case PutHolidays(holidays=holidays):
            new["holiday_year"][str(holidays.year)] = dump(holidays)
            return Applied(new, f"holidays of {holidays.year} saved")
        case LoadWardGeometry():
            return _load_geometry(new, command)
        case ClearWardGeometry():
            new["ward_geometry"].pop(CELLS, None)
            return Applied(new, "ward polygons cleared: approximate cells from the centroids")
        case RestoreVersion(version=version):
            if restored is None:
                raise ChangeRejected(
                    "not_found",
                    f"no directory version {version}",
                    [error("version", "unknown version", "not_found")],
                )
            return Applied(copy_doc(restored), f"content of version {version} restored")
    raise ChangeRejected("invalid", f"unknown change {command!r}")  # unreachable with the contract union


def _must_exist(doc: Mapping, kind: str, key: str) -> None:
    if key not in doc[kind]:
        raise ChangeRejected("not_found", f"no {kind} {key}", [error("code", f"unknown {kind}", "not_found")])


def _put_unit(doc: Doc, unit: UnitData) -> Applied:
    cells = cells_of(doc)
    if unit.code not in doc["unit"] and cells is not None:
        raise ChangeRejected(
            "invalid",
            f"ward polygons are loaded and have no cell for the new unit {unit.code}",
            [
                error(
                    "unit.code", "upload ward polygons that include this unit, or clear them first", "no_cell"
                )
            ],
        )
    created = []
    if unit.code not in doc["unit"]:  # a new unit gets its People's Committee and police, like its peers
        for prefix in UNIT_AGENCIES:
            peers = sorted(
                code for code in doc["agency"] if code.startswith(prefix) and code[len(prefix) :].isdigit()
            )
            if peers and f"{prefix}{unit.code}" not in doc["agency"]:
                doc["agency"][f"{prefix}{unit.code}"] = _unit_agency(prefix, unit, doc["agency"][peers[0]])
                created.append(f"{prefix}{unit.code}")
    doc["unit"][unit.code] = dump(unit)
    return Applied(doc, f"unit {unit.code} saved" + (f" with {', '.join(created)}" if created else ""))


def _retire_agency(doc: Doc, code: str) -> Applied:
    _must_exist(doc, "agency", code)
    users = [
        f"category {c}"
        for c, data in sorted(doc["category"].items())
        if code in (data["default_agency"], data.get("escalation_agency"), *data.get("co_handlers", []))
    ]
    users += [
        f"rule {r}"
        for r, data in sorted(doc["rule"].items())
        if code in (data["agency"], data.get("escalation_agency"), *(data.get("co_handlers") or []))
    ]
    users += [
        f"agency {a} (parent)" for a, data in sorted(doc["agency"].items()) if data.get("parent") == code
    ]
    if deadlines_of(doc).ioc_agency == code:
        users.append("deadlines.ioc_agency")
    if users:
        raise ChangeRejected(
            "conflict",
            f"agency {code} is still referenced by {', '.join(users)}",
            [error("code", "change these references first", "in_use")],
        )
    del doc["agency"][code]
    return Applied(doc, f"agency {code} retired")


def _load_geometry(doc: Doc, command: LoadWardGeometry) -> Applied:
    try:
        cells = parse_official_cells(command.feature_collection, doc["unit"], command.allow_partial)
    except WardGeometryError as exc:
        raise ChangeRejected(
            "invalid", str(exc), [error("feature_collection", str(exc), "geometry")]
        ) from None
    doc["ward_geometry"][CELLS] = dump(
        StoredCells(approximate=False, feature_collection=dict(command.feature_collection))
    )
    return Applied(doc, f"official ward polygons loaded for {len(cells)} of {len(doc['unit'])} units")


def merge_units(doc: Doc, command: MergeUnits) -> Applied:
    """Merge `sources` into `into`: the unit, its agencies, rules that name the sources, and the ward
    cells."""
    into, sources = command.into, list(dict.fromkeys(command.sources))
    errors = [error("sources", f"unknown unit {s}", "not_found") for s in sources if s not in doc["unit"]]
    if into in sources:
        errors.append(error("sources", "a unit cannot be merged into itself", "invalid"))
    existing = doc["unit"].get(into)
    if existing is None and not (command.name and command.type):
        errors.append(error("name", "a new unit needs a name and a type", "missing"))
    if errors:
        raise ChangeRejected("invalid", "cannot merge these units", errors)
    merged: list[Mapping] = [doc["unit"][s] for s in sources]
    merged += [existing] if existing else []
    target = _merged_unit(into, merged, existing, command)
    cells = _merged_cells(doc, sources, into)
    replaced: dict[str, str] = {}
    for prefix in UNIT_AGENCIES:
        new_code = f"{prefix}{into}"
        olds = [f"{prefix}{s}" for s in sources if f"{prefix}{s}" in doc["agency"]]
        if olds and new_code not in doc["agency"]:
            doc["agency"][new_code] = _unit_agency(prefix, target, doc["agency"][olds[0]])
        for old in olds:
            replaced[old] = new_code
            del doc["agency"][old]
    for code, agency in list(doc["agency"].items()):  # other agencies tied to a merged unit follow it
        if agency.get("unit_code") in sources or agency.get("parent") in replaced:
            doc["agency"][code] = {
                **agency,
                "unit_code": into if agency.get("unit_code") in sources else agency.get("unit_code"),
                "parent": replaced.get(agency.get("parent") or "", agency.get("parent")),
            }
    for kind in ("rule", "category"):
        for key, data in list(doc[kind].items()):
            doc[kind][key] = _repoint(data, set(sources), into, replaced)
    for s in sources:
        del doc["unit"][s]
    doc["unit"][into] = dump(target)
    doc["ward_geometry"][CELLS] = dump(cells)
    return Applied(doc, f"units {', '.join(sources)} merged into {into} ({target.name})", replaced)


def _merged_unit(into: str, merged: list[Mapping], existing: Mapping | None, command: MergeUnits) -> UnitData:
    """The surviving unit: centroid weighted by area (or given), area summed, merged codes in details."""
    weights = [float(u.get("area_km2") or 1.0) for u in merged]
    lat = sum(w * u["centroid"]["lat"] for w, u in zip(weights, merged, strict=True)) / sum(weights)
    lon = sum(w * u["centroid"]["lon"] for w, u in zip(weights, merged, strict=True)) / sum(weights)
    areas = [u.get("area_km2") for u in merged]
    base = dict(existing or {})
    details = dict(base.get("details") or {})
    absorbed = {u["code"] for u in merged if u["code"] != into}
    details["merged_units"] = sorted({*details.get("merged_units", []), *absorbed})
    return UnitData(
        code=into,
        name=command.name or base["name"],
        type=command.type or base["type"],
        centroid=command.centroid or {"lat": round(lat, 6), "lon": round(lon, 6)},
        area_km2=round(sum(a or 0 for a in areas), 2) if all(areas) else None,
        details=details,
    )


def _merged_cells(doc: Doc, sources: list[str], into: str) -> StoredCells:
    """The stored cells with the sources dissolved into `into` (approximate cells are materialised first)."""
    stored = cells_of(doc)
    if stored is None:
        stored = StoredCells(approximate=True, feature_collection=wards_of(doc).to_feature_collection())
    try:
        fc = union_cells(stored.feature_collection, sources, into)
    except WardGeometryError as exc:
        raise ChangeRejected("invalid", str(exc), [error("sources", str(exc), "geometry")]) from None
    return StoredCells(approximate=stored.approximate, feature_collection=fc)


def _unit_agency(prefix: str, unit: UnitData, template: Mapping[str, Any]) -> dict[str, Any]:
    """The People's Committee / police of a new unit, shaped like the agency it replaces."""
    short = unit.name.split(" ", 1)[1] if " " in unit.name else unit.name
    names = {
        "UBND_": (f"UBND {unit.name}", f"People's Committee of {short}"),
        "CA_": (f"Công an {TYPE_VI[unit.type]} {short}", f"{short} commune/ward police"),
    }[prefix]
    return dump(
        AgencyData(
            code=f"{prefix}{unit.code}",
            name_vi=names[0],
            name_en=names[1],
            level=template.get("level", "commune"),
            kind=template.get("kind", "ubnd_xa"),
            unit_code=unit.code,
            parent=template.get("parent"),
            handles=template.get("handles", []),
            details={"created_with_unit": unit.code},
        )
    )


def _repoint(
    data: Mapping[str, Any], sources: set[str], into: str, replaced: Mapping[str, str]
) -> dict[str, Any]:
    """A rule or category with merged units and retired agencies replaced by the new ones."""
    out = dict(data)
    if out.get("units") is not None and "rule_id" in out:
        out["units"] = sorted({into if u in sources else u for u in out["units"]})
    for key in ("agency", "default_agency", "escalation_agency"):
        if out.get(key) in replaced:
            out[key] = replaced[out[key]]
    if out.get("co_handlers"):
        out["co_handlers"] = list(dict.fromkeys(replaced.get(c, c) for c in out["co_handlers"]))
    return out

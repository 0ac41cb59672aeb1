"""Whole-directory checks a change must pass before it becomes a version (pure).

Pydantic checks each entry's shape; these check the entries against each other: every agency a category or
rule can resolve to exists for every unit it covers, units and parents exist, the ward cells match the units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from libs.geo.wards import WardGeometryError

from .directory import build, deadlines_of
from .rules import UNIT_PLACEHOLDER

FieldError = dict[str, str]
SHOW = 5  # name at most this many missing codes in one message


class ChangeRejected(Exception):
    """A change that cannot be applied: `kind` is not_found, conflict or invalid; `errors` name the fields."""

    def __init__(self, kind: str, detail: str, errors: list[FieldError] | None = None):
        super().__init__(kind, detail)
        self.kind, self.detail, self.errors = kind, detail, errors or []


def error(field: str, message: str, type_: str = "directory") -> FieldError:
    """One field error."""
    return {"field": field, "message": message, "type": type_}


def _missing(pattern: str, units: Iterable[str], agencies: Mapping[str, Any]) -> list[str]:
    """Agency codes a pattern resolves to that are not in the directory."""
    if UNIT_PLACEHOLDER not in pattern:
        return [] if pattern in agencies else [pattern]
    return [
        code for code in (pattern.replace(UNIT_PLACEHOLDER, u) for u in sorted(units)) if code not in agencies
    ]


def _check_patterns(
    field: str, patterns: Iterable[str], units: Iterable[str], agencies: Mapping
) -> list[FieldError]:
    errors = []
    units = list(units)
    for pattern in patterns:
        missing = _missing(pattern, units, agencies)
        if missing:
            more = f" (+{len(missing) - SHOW})" if len(missing) > SHOW else ""
            errors.append(
                error(
                    field,
                    f"{pattern} does not resolve to a known agency: {', '.join(missing[:SHOW])}{more}",
                    "unknown_agency",
                )
            )
    return errors


def check_references(doc: Mapping) -> list[FieldError]:
    """Cross-entry consistency; an empty list means the document is coherent."""
    units, agencies = doc["unit"], doc["agency"]
    errors: list[FieldError] = []
    for code, a in sorted(agencies.items()):
        if a.get("unit_code") and a["unit_code"] not in units:
            errors.append(error(f"agency.{code}.unit_code", f"unknown unit {a['unit_code']}", "unknown_unit"))
        if a.get("parent") and a["parent"] not in agencies:
            errors.append(error(f"agency.{code}.parent", f"unknown agency {a['parent']}", "unknown_agency"))
    for code, c in sorted(doc["category"].items()):
        patterns = [
            c["default_agency"],
            *c.get("co_handlers", []),
            *filter(None, [c.get("escalation_agency")]),
        ]
        errors += _check_patterns(f"category.{code}", patterns, units, agencies)
    for rid, r in sorted(doc["rule"].items()):
        if r["category"] != "*" and r["category"] not in doc["category"]:
            errors.append(
                error(f"rule.{rid}.category", f"unknown category {r['category']}", "unknown_category")
            )
        scope = r["units"] if r.get("units") is not None else list(units)
        unknown = [u for u in scope if u not in units]
        if unknown:
            errors.append(
                error(f"rule.{rid}.units", f"unknown units: {', '.join(unknown[:SHOW])}", "unknown_unit")
            )
        patterns = [r["agency"], *(r.get("co_handlers") or []), *filter(None, [r.get("escalation_agency")])]
        errors += _check_patterns(f"rule.{rid}", patterns, [u for u in scope if u in units], agencies)
    ioc = deadlines_of(doc).ioc_agency
    if ioc not in agencies:
        errors.append(error("deadlines.ioc_agency", f"unknown agency {ioc}", "unknown_agency"))
    return errors


def validate(doc: Mapping, version: int, effective_from) -> Any:
    """Build the runtime directory, or raise ChangeRejected('invalid') naming what is wrong."""
    errors = check_references(doc)
    if errors:
        raise ChangeRejected(
            "invalid", f"the change leaves {len(errors)} inconsistency(ies) in the directory", errors
        )
    try:
        return build(version, effective_from, doc)
    except ValidationError as exc:
        raise ChangeRejected(
            "invalid",
            "the directory does not validate",
            [
                error(".".join(str(p) for p in e["loc"]) or "directory", e["msg"], e["type"])
                for e in exc.errors(include_url=False)
            ],
        ) from None
    except (WardGeometryError, ValueError) as exc:
        raise ChangeRejected("invalid", str(exc), [error("ward_geometry", str(exc), "geometry")]) from None

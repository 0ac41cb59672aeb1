"""Service list, service definitions and attribute validation built from our report categories."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from .attributes import Attribute, attributes_for
from .dates import parse_w3c, to_w3c
from .errors import Open311Error

LANGS = ("vi", "en")
BATCH_CATEGORIES = frozenset({"THU_TUC_HANH_CHINH"})  # screened before a case exists: answered with a token
MAX_STRING, MAX_TEXT = 500, 4000

# (vi, en) group names; a category may carry its own "group" ({"vi": ..., "en": ...}) instead.
GROUPS: dict[str, tuple[str, str]] = {
    "HA_TANG": ("Hạ tầng, tiện ích", "Infrastructure & utilities"),
    "MOI_TRUONG": ("Môi trường", "Environment"),
    "DO_THI": ("Đô thị, xây dựng, đất đai", "Urban order, construction & land"),
    "AN_TOAN": ("An ninh, an toàn", "Safety & security"),
    "XA_HOI": ("Xã hội, dịch vụ công", "Society & public services"),
    "KINH_TE": ("Kinh tế", "Economy"),
    "KHAC": ("Khác", "Other"),
}
GROUP_OF: dict[str, str] = {
    **dict.fromkeys(
        ("GIAO_THONG_HA_TANG", "CHIEU_SANG", "CAY_XANH", "CAP_NUOC", "THOAT_NUOC", "DIEN_LUC", "VIEN_THONG"),
        "HA_TANG",
    ),
    **dict.fromkeys(("MOI_TRUONG_RAC", "O_NHIEM_MOI_TRUONG"), "MOI_TRUONG"),
    **dict.fromkeys(("TRAT_TU_DO_THI", "TRAT_TU_XAY_DUNG", "DAT_DAI_TAI_NGUYEN"), "DO_THI"),
    **dict.fromkeys(("AN_TOAN_GIAO_THONG", "AN_NINH_TRAT_TU", "PCCC_CUU_NAN", "THIEN_TAI"), "AN_TOAN"),
    **dict.fromkeys(
        ("AN_SINH_XA_HOI", "Y_TE", "AN_TOAN_THUC_PHAM", "GIAO_DUC", "VAN_HOA_DU_LICH", "THU_TUC_HANH_CHINH"),
        "XA_HOI",
    ),
    **dict.fromkeys(("THUONG_MAI_NGUOI_TIEU_DUNG", "NONG_NGHIEP_THUY_LOI"), "KINH_TE"),
}
_PHRASE_SPLIT = re.compile(r"[,;]")
_PARENS = re.compile(r"\([^)]*\)")


def load_categories(path: str | Path) -> list[dict[str, Any]]:
    """Read ``categories.json`` (``{"categories": [...]}`` or a bare list)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return list(data["categories"] if isinstance(data, dict) else data)


def keywords(category: Mapping[str, Any]) -> str:
    """Comma-separated keywords: the examples, then the phrases of the description's first sentence."""
    first_sentence = _PARENS.sub("", category.get("description", "")).split(".")[0]
    phrases = [*category.get("examples", ()), *_PHRASE_SPLIT.split(first_sentence)]
    cleaned = (" ".join(p.replace(",", " ").split()) for p in phrases)  # a comma would split a keyword in two
    unique: dict[str, str] = {}
    for phrase in cleaned:
        if phrase:
            unique.setdefault(phrase.casefold(), phrase)
    return ", ".join(unique.values())


def service_type(category: Mapping[str, Any]) -> str:
    """'batch' for screened categories (or an explicit ``open311_type``), else 'realtime'."""
    return category.get("open311_type") or ("batch" if category["code"] in BATCH_CATEGORIES else "realtime")


def group_name(category: Mapping[str, Any], lang: str = "vi") -> str:
    """The category's group name in ``lang``."""
    own = category.get("group")
    if isinstance(own, Mapping):
        return own.get(lang) or own["vi"]
    vi, en = GROUPS[GROUP_OF.get(category["code"], "KHAC")]
    return en if lang == "en" else vi


def service_item(category: Mapping[str, Any], lang: str = "vi") -> dict[str, Any]:
    """One ``<service>``: code, name, description, metadata, type, keywords, group."""
    return {
        "service_code": str(category["code"]),
        "service_name": category["name_en"] if lang == "en" else category["name_vi"],
        "description": category.get("description", ""),  # Vietnamese only in our data
        "metadata": bool(attributes_for(dict(category))),
        "type": service_type(category),
        "keywords": keywords(category),
        "group": group_name(category, lang),
    }


def attribute_item(attribute: Attribute, order: int, lang: str = "vi") -> dict[str, Any]:
    """One ``<attribute>`` in the spec's element order."""
    pick = 1 if lang == "en" else 0
    item: dict[str, Any] = {
        "variable": attribute.variable,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description[pick]
        if attribute.datatype_description
        else None,
        "order": order,
        "description": attribute.description[pick],
    }
    if attribute.values:
        item["values"] = [{"key": key, "name": (vi, en)[pick]} for key, vi, en in attribute.values]
    return item


class ServiceCatalogue:
    """The services of one jurisdiction, built from its categories."""

    def __init__(self, categories: Sequence[Mapping[str, Any]]) -> None:
        self.categories = {str(c["code"]): dict(c) for c in categories}
        if len(self.categories) != len(categories):
            raise ValueError("duplicate category codes")

    @classmethod
    def from_file(cls, path: str | Path) -> ServiceCatalogue:
        """Build from a ``categories.json`` file."""
        return cls(load_categories(path))

    def category(self, service_code: str) -> dict[str, Any]:
        """The category of a service code; may raise Open311Error 404."""
        found = self.categories.get(service_code)
        if found is None:
            raise Open311Error.of("SERVICE_NOT_FOUND", service_code=service_code[:64])
        return found

    def services(self, lang: str = "vi", only_codes: Collection[str] | None = None) -> list[dict[str, Any]]:
        """The service list; ``only_codes`` restricts it (the gateway's lat/long availability filter)."""
        return [
            service_item(c, lang)
            for code, c in self.categories.items()
            if only_codes is None or code in only_codes
        ]

    def attributes(self, service_code: str) -> tuple[Attribute, ...]:
        """The attributes of a service; may raise Open311Error 404."""
        return attributes_for(self.category(service_code))

    def definition(self, service_code: str, lang: str = "vi") -> dict[str, Any]:
        """The ``<service_definition>``; order is 1..n, unique; may raise Open311Error 404."""
        attributes = self.attributes(service_code)
        items = [attribute_item(a, order, lang) for order, a in enumerate(attributes, start=1)]
        return {"service_code": service_code, "attributes": items}

    def service_type(self, service_code: str) -> str:
        """'realtime' or 'batch'; may raise Open311Error 404."""
        return service_type(self.category(service_code))

    def validate_attributes(self, service_code: str, values: Mapping[str, str | list[str]]) -> dict[str, Any]:
        """Validate submitted attributes for a service; may raise Open311Error 404/400."""
        return validate_attributes(self.attributes(service_code), values)


def validate_attributes(
    attributes: Sequence[Attribute], values: Mapping[str, str | list[str]]
) -> dict[str, Any]:
    """Check and normalise submitted attribute values against a definition; may raise Open311Error 400.

    Unknown codes are ignored (clients such as FixMyStreet add their own, e.g. ``fixmystreet_id``),
    as are values for non-variable attributes. Multivalue lists come back as lists of keys.
    """
    inputs = [a for a in attributes if a.variable]
    missing = [a.code for a in inputs if a.required and not values.get(a.code)]
    if missing:
        raise Open311Error.of("ATTRIBUTE_MISSING", codes=", ".join(missing))
    return {a.code: _checked(a, values[a.code]) for a in inputs if values.get(a.code)}


def _checked(attribute: Attribute, value: str | list[str]) -> Any:
    """One attribute value, checked against its datatype."""
    items = [value] if isinstance(value, str) else list(value)
    if attribute.datatype == "multivaluelist":
        return [_in_values(attribute, item) for item in dict.fromkeys(items)]
    if len(items) != 1:
        raise _bad(attribute, "expected one value")
    item = items[0]
    if attribute.datatype == "singlevaluelist":
        return _in_values(attribute, item)
    if attribute.datatype == "number":
        try:
            number = float(item)
        except ValueError:
            raise _bad(attribute, "not a number") from None
        if not math.isfinite(number) or number < 0:
            raise _bad(attribute, "expected a finite, non-negative number")
        return int(number) if number.is_integer() else number
    if attribute.datatype == "datetime":
        try:
            return to_w3c(parse_w3c(item))
        except ValueError:
            raise _bad(attribute, "expected a W3C datetime") from None
    limit = MAX_TEXT if attribute.datatype == "text" else MAX_STRING
    if len(item) > limit:
        raise _bad(attribute, f"longer than {limit} characters")
    return item


def _in_values(attribute: Attribute, key: str) -> str:
    """A list key that belongs to the attribute's values."""
    if key not in {k for k, _, _ in attribute.values}:
        raise _bad(attribute, "not one of the listed values")
    return key


def _bad(attribute: Attribute, why: str) -> Open311Error:
    """A 400 naming the attribute (also kept as `.attribute` for the native API's field errors)."""
    error = Open311Error.of("ATTRIBUTE_INVALID", code=attribute.code, why=why)
    error.attribute, error.why = attribute.code, why
    return error

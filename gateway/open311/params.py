"""Query/form parameter primitives: empty equals absent, NFC text, typed parsers raising 400."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from .dates import parse_w3c
from .errors import Open311Error
from .formats import CONTENT_TYPES

Pairs = Iterable[tuple[str, str]]
MAX_WINDOW_DAYS = 90
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")  # ids, codes, tokens, update ids


class Params:
    """Cleaned parameters: values NFC-normalised and stripped; empty values dropped (empty = absent)."""

    def __init__(self, pairs: Pairs) -> None:
        self.pairs: list[tuple[str, str]] = []
        for key, value in pairs:
            text = unicodedata.normalize("NFC", value or "").strip()
            if text:
                self.pairs.append((key, text))

    def get(self, name: str) -> str | None:
        """The last non-empty value of ``name`` (as Starlette does), or None."""
        values = self.getlist(name)
        return values[-1] if values else None

    def getlist(self, name: str) -> list[str]:
        """Every non-empty value of ``name`` in order."""
        return [value for key, value in self.pairs if key == name]


def invalid(name: str, why: str) -> Open311Error:
    """A 400 naming the parameter; ``why`` must not quote personal data."""
    return Open311Error.of("PARAM_INVALID", name=name, why=why)


def parse_format(suffix: str) -> str:
    """The format from the URL suffix ('xml' or 'json'); may raise Open311Error 404."""
    fmt = (suffix or "").lower().lstrip(".")
    if fmt not in CONTENT_TYPES:
        raise Open311Error.of("FORMAT_NOT_FOUND", fmt=fmt[:16])
    return fmt


def parse_float(value: str, name: str, low: float, high: float) -> float:
    """A finite float within [low, high]; may raise Open311Error 400."""
    try:
        number = float(value)
    except ValueError:
        raise invalid(name, "not a number / không phải số") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise invalid(name, f"out of range [{low}, {high}]")
    return number


def parse_point(params: Params) -> tuple[float, float] | None:
    """``lat`` and ``long`` together, or None when both are absent; one without the other is a 400."""
    lat, lng = params.get("lat"), params.get("long")
    if lat is None and lng is None:
        return None
    if lat is None or lng is None:
        raise invalid("lat/long", "both lat and long are required together")
    return parse_float(lat, "lat", -90.0, 90.0), parse_float(lng, "long", -180.0, 180.0)


def parse_int(value: str | None, name: str, low: int, high: int, default: int) -> int:
    """An integer within [low, high], or the default when absent; may raise Open311Error 400."""
    if value is None:
        return default
    if not re.fullmatch(r"\d{1,9}", value):
        raise invalid(name, "not a positive integer")
    number = int(value)
    if not low <= number <= high:
        raise invalid(name, f"out of range [{low}, {high}]")
    return number


def parse_bool(value: str | None, name: str) -> bool:
    """'true'/'false' (also 1/0, yes/no), absent means False; may raise Open311Error 400."""
    if value is None:
        return False
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise invalid(name, "expected true or false")


def parse_id(value: str, name: str) -> str:
    """One id/code/token of safe characters (≤ 64); may raise Open311Error 400."""
    if not TOKEN_PATTERN.match(value):
        raise invalid(name, "expected letters, digits, '-', '_', '.', ':' (max 64)")
    return value


def parse_csv(value: str | None, name: str, max_items: int = 100) -> tuple[str, ...] | None:
    """A comma list of ids, de-duplicated in order; None when absent or only commas."""
    if value is None:
        return None
    items = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not items:
        return None
    if len(items) > max_items:
        raise invalid(name, f"more than {max_items} items")
    return tuple(parse_id(item, name) for item in items)


def parse_datetime(value: str | None, name: str, *, upper: bool = False) -> datetime | None:
    """A W3C datetime (offset optional, Vietnam time assumed), or None; may raise Open311Error 400."""
    if value is None:
        return None
    try:
        return parse_w3c(value, upper=upper)
    except ValueError:
        raise invalid(name, "expected a W3C datetime such as 2026-03-16T08:30:00+07:00") from None


def parse_window(
    start: datetime | None, end: datetime | None, now: datetime, field: str, *, default_to_now: bool = True
) -> tuple[datetime, datetime] | None:
    """A window of at most 90 days; a wider one is a 400 (never silently clamped).

    Neither bound: the last 90 days up to ``now`` (or None when ``default_to_now`` is False).
    Only ``start``: start + 90 days. Only ``end``: end - 90 days. Start after end: 400.
    """
    span = timedelta(days=MAX_WINDOW_DAYS)
    if start is None and end is None:
        return (now - span, now) if default_to_now else None
    if start is None:
        start = end - span
    if end is None:
        end = start + span
    if start > end:
        raise invalid(field, "start is after end")
    if end - start > span:
        raise Open311Error.of("WINDOW_TOO_WIDE", field=field, days=MAX_WINDOW_DAYS)
    return start, end


def parse_statuses(value: str | None) -> frozenset[str] | None:
    """``status``: open, closed or both as a comma list; None means no filter."""
    items = parse_csv(value, "status", max_items=2)
    if items is None:
        return None
    wanted = frozenset(item.lower() for item in items)
    if not wanted <= {"open", "closed"}:
        raise invalid("status", "expected open, closed or open,closed")
    return None if wanted == {"open", "closed"} else wanted


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``bbox=minLng,minLat,maxLng,maxLat`` or None; may raise Open311Error 400."""
    if value is None:
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise invalid("bbox", "expected minLng,minLat,maxLng,maxLat")
    min_lng, max_lng = (parse_float(parts[i].strip(), "bbox", -180.0, 180.0) for i in (0, 2))
    min_lat, max_lat = (parse_float(parts[i].strip(), "bbox", -90.0, 90.0) for i in (1, 3))
    if min_lng > max_lng or min_lat > max_lat:
        raise invalid("bbox", "min is greater than max")
    return min_lng, min_lat, max_lng, max_lat


def parse_text(value: str | None, name: str, limit: int) -> str | None:
    """Free text of at most ``limit`` characters (after NFC), or None."""
    if value is not None and len(value) > limit:
        raise invalid(name, f"longer than {limit} characters")
    return value


def parse_attributes(params: Params) -> dict[str, str | list[str]]:
    """``attribute[code]=v`` → str, ``attribute[code][]=v1&attribute[code][]=v2`` → list; may raise 400."""
    found: dict[str, str | list[str]] = {}
    for key, value in params.pairs:
        if not key.startswith("attribute"):
            continue
        match = _ATTRIBUTE_KEY.match(key)
        if match is None:
            raise invalid(key[:80], "expected attribute[code] or attribute[code][]")
        code, multi = match[1].strip(), bool(match[2])
        previous = found.get(code)
        if previous is None:
            found[code] = [value] if multi else value
        else:  # a repeated code collects every value, whichever form was used
            found[code] = [*([previous] if isinstance(previous, str) else previous), value]
    return found


def parse_lang(params: Params, accept_language: str | None = None) -> str:
    """'vi' (default) or 'en': from ``locale``/``langcode``, else the first supported Accept-Language tag."""
    candidates = [params.get("locale"), params.get("langcode")]
    candidates += [part.split(";")[0] for part in (accept_language or "").split(",")]
    for candidate in candidates:
        primary = (candidate or "").strip().lower()[:2]
        if primary in ("vi", "en"):
            return primary
    return "vi"

"""Routing keys of the agency exchange (AMQP topic), and the bindings an agency's own system uses.

Documented keys (one message per routed or updated case, never with reporter data)::

    case.routed.<AGENCY>.<UNIT>.<CATEGORY>     e.g. case.routed.UBND_18073.18073.GIAO_THONG_HA_TANG
    case.updated.<AGENCY>.<UNIT>.<CATEGORY>    unit is '_' when the case has no ward (province-level)
    case.due_soon.<AGENCY>.<UNIT>.<CATEGORY>   a deadline is near (to the agency that holds the case)
    case.overdue.<AGENCY>.<UNIT>.<CATEGORY>    a deadline passed (level 1: the agency; level 2: its escalation
                                               agency, whose code is then <AGENCY>)

An agency binds its queue with `case.*.<AGENCY>.#` (everything for it), or narrower patterns such as
`case.routed.<AGENCY>.*.THOAT_NUOC` from `binding(...)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXCHANGE = "agency.cases"
PREFIX = "case"
EVENTS = ("routed", "updated", "due_soon", "overdue")
NO_UNIT = "_"
_SEGMENT = re.compile(r"^[A-Z0-9_-]{1,64}$")


class InvalidRoutingKey(ValueError):
    """A code that cannot be a routing-key segment, or a key that is not one of ours."""


def segment(value: str | None, *, what: str, default: str | None = None) -> str:
    """A code as one key segment: trimmed, uppercase; '.', '*', '#', spaces and accents are refused."""
    text = (value or "").strip().upper()
    if not text:
        if default is None:
            raise InvalidRoutingKey(f"{what} is required")
        return default
    # Refusing (not rewriting) a dot keeps two different codes from colliding into one segment.
    if not _SEGMENT.match(text):
        raise InvalidRoutingKey(f"{what} {value!r} is not a valid routing-key segment")
    return text


def _event(event: str) -> str:
    """A known event word."""
    if event not in EVENTS:
        raise InvalidRoutingKey(f"unknown case event {event!r}; expected one of {EVENTS}")
    return event


def build_key(event: str, agency: str, unit: str | None, category: str) -> str:
    """`case.<event>.<AGENCY>.<UNIT|_>.<CATEGORY>`."""
    return ".".join(
        (
            PREFIX,
            _event(event),
            segment(agency, what="agency"),
            segment(unit, what="unit", default=NO_UNIT),
            segment(category, what="category"),
        )
    )


def routed_key(agency: str, unit: str | None, category: str) -> str:
    """Key of a case routed to an agency."""
    return build_key("routed", agency, unit, category)


def updated_key(agency: str, unit: str | None, category: str) -> str:
    """Key of an update to a case an agency handles."""
    return build_key("updated", agency, unit, category)


def key_for(kind: str, agency: str, unit: str | None, category: str | None) -> str:
    """Key of a delivery kind such as `case.overdue`; an unknown category travels as '_'."""
    return build_key(kind.removeprefix(f"{PREFIX}."), agency, unit, category or NO_UNIT)


def binding(agency: str, *, event: str = "*", unit: str | None = None, category: str | None = None) -> str:
    """Binding pattern for an agency's queue; with no unit and no category: `case.<event>.<AGENCY>.#`."""
    ev = "*" if event == "*" else _event(event)
    ag = segment(agency, what="agency")
    if unit is None and category is None:
        return f"{PREFIX}.{ev}.{ag}.#"
    un = "*" if unit is None else segment(unit, what="unit", default=NO_UNIT)
    cat = "*" if category is None else segment(category, what="category")
    return f"{PREFIX}.{ev}.{ag}.{un}.{cat}"


def agency_binding(agency: str) -> str:
    """The catch-all binding of an agency: `case.*.<AGENCY>.#`."""
    return binding(agency)


@dataclass(frozen=True)
class RoutingKey:
    """A parsed case routing key."""

    event: str
    agency: str
    unit: str | None
    category: str


def parse_key(key: str) -> RoutingKey:
    """Split a case routing key; may raise InvalidRoutingKey."""
    parts = key.split(".")
    if len(parts) != 5 or parts[0] != PREFIX:
        raise InvalidRoutingKey(f"not a case routing key: {key!r}")
    _, event, agency, unit, category = parts
    if build_key(event, agency, unit if unit != NO_UNIT else None, category) != key:
        raise InvalidRoutingKey(f"not a canonical case routing key: {key!r}")
    return RoutingKey(event, agency, None if unit == NO_UNIT else unit, category)


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: `*` is exactly one word, `#` is zero or more words."""
    return _match(pattern.split("."), key.split("."))


def _match(pat: list[str], words: list[str]) -> bool:
    """Recursive topic matcher over word lists (keys are five words, so depth stays tiny)."""
    if not pat:
        return not words
    head, rest = pat[0], pat[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return (head == "*" or head == words[0]) and _match(rest, words[1:])

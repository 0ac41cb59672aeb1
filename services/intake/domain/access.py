"""Object-level access policy for cases: who may read, who may act, and what each viewer may see.

The service answers 404 NOT_FOUND (never 403) when `can_read` is false, so an agency cannot even learn
that a foreign case exists. `can_act` answers "who" (role and object); the workflow answers "when" (state).
"""

from __future__ import annotations

import hmac
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .workflow import AGENCY_ROLES, RULES, Actor, Kind, Role, State

ViewLevel = Literal["operator", "agency", "reporter", "public"]

# Keys that carry personal data (Law 91/2025/QH15); removed at any depth for every non-operator level.
PERSONAL_KEYS = frozenset(
    {
        "reporter",
        "reporter_name",
        "reporter_phone",
        "reporter_email",
        "reporter_id",
        "name_of_reporter",
        "phone",
        "email",
        "device_id",
        "account_id",
        "ip",
        "ip_address",
        "tracking_token",
        "contact",
    }
)
INTERNAL_KEYS = frozenset({"internal_note", "internal_notes"})
# Timeline entries (any dict with a "visibility" key) each level may see; unknown visibility fails closed.
VISIBLE: dict[str, frozenset[str]] = {
    "operator": frozenset({"public", "reporter", "staff", "internal"}),
    "agency": frozenset({"public", "reporter", "staff"}),
    "reporter": frozenset({"public", "reporter"}),
    "public": frozenset({"public"}),
}


class CaseAccess(BaseModel):
    """The facts about a case that access decisions need (the reporter key is opaque)."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    state: State
    assigned_agency: str | None = None
    past_agencies: tuple[str, ...] = ()  # every agency that previously held the case
    co_agencies: tuple[str, ...] = ()
    reporter_key: str | None = None  # opaque subject of the reporter (account or tracking-token id)
    public: bool = False  # libs.privacy.visibility.is_public: verified, and in a state after verification


class CaseNotFound(Exception):
    """Raised instead of a 403 so a foreign case's existence is not disclosed."""

    code = "NOT_FOUND"


class ActionForbidden(Exception):
    """The actor may read the case but not perform this action on it."""

    code = "FORBIDDEN"


def holders(case: CaseAccess) -> frozenset[str]:
    """Agencies that hold or held the case, including co-handlers."""
    current = {case.assigned_agency} if case.assigned_agency else set()
    return frozenset(current | set(case.past_agencies) | set(case.co_agencies))


def is_reporter(actor: Actor, case: CaseAccess) -> bool:
    """Whether a citizen actor is this case's reporter (constant-time compare)."""
    if actor.role is not Role.CITIZEN or not actor.subject or not case.reporter_key:
        return False
    return hmac.compare_digest(actor.subject.encode(), case.reporter_key.encode())


def can_read(actor: Actor, case: CaseAccess) -> bool:
    """Whether the actor may see the case at all (false → answer 404 NOT_FOUND)."""
    if actor.role in (Role.OPERATOR, Role.ADMINISTRATOR, Role.SYSTEM):
        return True
    if actor.role in AGENCY_ROLES:
        return actor.agency is not None and actor.agency in holders(case)
    return is_reporter(actor, case) or case.public


def can_act(actor: Actor, action: Kind, case: CaseAccess) -> bool:
    """Whether this actor may perform this verb on this case in some state (the workflow checks the state)."""
    if not can_read(actor, case) or actor.role not in RULES[action].roles:
        return False
    if actor.role in AGENCY_ROLES:  # previous holders read, only the current holder acts
        return actor.agency == case.assigned_agency or (
            action is Kind.PROGRESS_NOTE and actor.agency in case.co_agencies
        )
    if actor.role is Role.CITIZEN:
        return is_reporter(actor, case)
    return True


def authorize(actor: Actor, action: Kind, case: CaseAccess) -> None:
    """Guard for a service entrypoint; may raise CaseNotFound (404) or ActionForbidden (403)."""
    if not can_read(actor, case):
        raise CaseNotFound(case.case_id)
    if not can_act(actor, action, case):
        raise ActionForbidden(f"{actor.role} may not {action} on this case")


def view_level(actor: Actor, case: CaseAccess) -> ViewLevel:
    """How much of the case the actor sees; raises CaseNotFound when it may not read it."""
    if not can_read(actor, case):
        raise CaseNotFound(case.case_id)
    if actor.role is Role.OPERATOR:
        return "operator"
    if actor.role in AGENCY_ROLES or actor.role in (Role.ADMINISTRATOR, Role.SYSTEM):
        return "agency"  # staff without personal data
    return "reporter" if is_reporter(actor, case) else "public"


def redact(view: Any, level: ViewLevel) -> Any:
    """A copy of a view with personal data and not-visible notes removed for the level."""
    if level == "operator":
        return _copy(view)
    return _strip(view, VISIBLE[level])


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return [_copy(v) for v in value] if isinstance(value, list | tuple) else value


def _strip(value: Any, visible: frozenset[str]) -> Any:
    """Recursively drop personal/internal keys and timeline entries the level may not see."""
    if isinstance(value, dict):
        return {k: _strip(v, visible) for k, v in value.items() if k not in PERSONAL_KEYS | INTERNAL_KEYS}
    if isinstance(value, list | tuple):
        return [_strip(v, visible) for v in value if not _hidden(v, visible)]
    return value


def _hidden(item: Any, visible: frozenset[str]) -> bool:
    return isinstance(item, dict) and "visibility" in item and item["visibility"] not in visible


def personal_keys_in(value: Any, path: str = "$") -> list[str]:
    """Paths of personal-data keys anywhere in a structure (for tests of events and views)."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += [f"{path}.{k}"] if k in PERSONAL_KEYS else personal_keys_in(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            found += personal_keys_in(v, f"{path}[{i}]")
    return found

"""Pure rules of the media service: who sees which rendition, how derivatives are stored, what a failure
becomes.

Audiences: `operator` renditions keep faces (metadata is always stripped); `public` ones have faces and
operator-drawn regions blurred; a `shared` object serves both (nothing was hidden, or a video whose moving
picture is shown publicly only when `video_public`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from libs.contracts.accounts import AGENCY_ROLES
from libs.contracts.errors import ErrorCode

from ..processing import Derivative

Audience = Literal["operator", "public"]
StoredAudience = Literal["operator", "public", "shared"]
PUBLIC_PREFIX = "public_"
MAIN_NAMES = ("master", "video", "poster")  # the view's `url`: the first of these the caller may see


class Actor(Protocol):
    """What the policy reads of a caller (libs.contracts.common.Actor fits)."""

    role: str


def audience_for(actor: Actor | None, report_public: bool | None) -> Audience | None:
    """Operators see everything unblurred; others the public renditions of a public (or their own) report.

    `report_public` is intake's answer: True when the report is shown to the public or the caller's
    tracking token matched, False when not, None when intake could not be asked (fail closed).
    """
    if actor is not None and actor.role == "operator":
        return "operator"
    return "public" if report_public else None


def upload_refusal(role: str, actor_role: str | None) -> str | None:
    """Why this caller may not add a file of this role, or None. Evidence comes from the reporter (a citizen,
    whose tracking token the gateway checked, or an Open311 partner at submission) or an operator taking a
    report on the hotline, never from an agency; after-photos (`result`) come from staff: the agency holding
    the case (checked with intake) or an operator."""
    if role == "evidence" and actor_role not in (None, "operator"):
        return "only the reporter (or an operator) adds evidence; an agency adds after-photos (role result)"
    if role == "result" and actor_role != "operator" and actor_role not in AGENCY_ROLES:
        return "after-photos come from the agency holding the case or an operator"
    return None


@dataclass(frozen=True, slots=True)
class Planned:
    """One object to store: a rendition name, who may read it, and the derivative to write."""

    name: str
    audience: StoredAudience
    derivative: Derivative


def plan_renditions(derivatives: Mapping[str, Derivative]) -> list[Planned]:
    """Pair each operator rendition with its `public_` twin; identical bytes are stored once as `shared`."""
    planned: list[Planned] = []
    for name, derivative in sorted(derivatives.items()):
        if name.startswith(PUBLIC_PREFIX):
            continue
        twin = derivatives.get(PUBLIC_PREFIX + name)
        if twin is None:  # a video: no blurred twin; publicity is decided by `video_public`
            planned.append(Planned(name, "shared" if derivative.public else "operator", derivative))
        elif twin.body is derivative.body or twin.body == derivative.body:
            planned.append(Planned(name, "shared", derivative))
        else:
            planned.append(Planned(name, "operator", derivative))
            planned.append(Planned(name, "public", twin))
    orphans = {n for n in derivatives if n.startswith(PUBLIC_PREFIX)} - {
        PUBLIC_PREFIX + p.name for p in planned
    }
    for name in sorted(orphans):  # a public rendition without an operator one: store it for both
        planned.append(Planned(name[len(PUBLIC_PREFIX) :], "shared", derivatives[name]))
    return planned


class StoredRow(Protocol):
    """What the policy reads of a stored rendition row."""

    name: str
    audience: str


def visible(
    rows: Iterable[StoredRow], audience: Audience | None, video_public: bool, hidden: bool = False
) -> list:
    """The rendition rows a caller with `audience` may read, in a stable order (a file an operator hid: none
    but the operators')."""
    if audience is None or (hidden and audience != "operator"):
        return []
    allowed = {"operator", "shared"} if audience == "operator" else {"public", "shared"}
    out = [
        r
        for r in rows
        if r.audience in allowed and not (audience == "public" and r.name == "video" and not video_public)
    ]
    return sorted(out, key=lambda r: r.name)


def main_rendition(names: Iterable[str]) -> str | None:
    """Which visible rendition the view's `url` points at."""
    present = set(names)
    return next((n for n in MAIN_NAMES if n in present), None)


def blurred_for(audience: Audience | None, faces_found: int | None, redactions: list) -> bool:
    """Whether what this audience sees had something hidden."""
    return audience == "public" and bool(faces_found or redactions)


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again at `at`."""

    at: datetime


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Stop trying: the file is rejected with `reason`."""

    reason: str


def after_failure(
    attempts: int, max_attempts: int, now: datetime, base: timedelta, cap: timedelta
) -> Retry | GiveUp:
    """Our side failed on attempt number `attempts`: retry after a doubling pause, or give up at the limit."""
    if attempts >= max_attempts:
        return GiveUp(ErrorCode.MEDIA_PROCESSING_FAILED.value)
    return Retry(now + min(base * 2 ** max(0, attempts - 1), cap))


def reject_code(code: str) -> str:
    """A processing error code as the view's reject reason (unknown codes become MEDIA_REJECTED)."""
    return code if code in ErrorCode._value2member_map_ else ErrorCode.MEDIA_REJECTED.value


def unblurred(stored: Iterable[StoredRow]) -> bool:
    """Whether a file has renditions only operators see (faces or regions the public sees blurred)."""
    return any(r.audience == "operator" for r in stored)

"""What media asks intake (the owner of reports): does a report exist, is it shown to the public?

Asked at read time, so media serves public renditions by exactly the rule intake uses for its public view (a
verified report, or the caller's own report with its tracking token). Every call goes through
`libs.platform.peers.timed_call` (bounded wait); when intake does not answer the answer is "unknown" and
callers fail closed (no public URLs, no sweeping)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from libs.contracts.errors import ErrorCode
from libs.platform.errors import ServiceError
from libs.platform.peers import PeerError, PeerRemoteError, timed_call

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """Intake's answer about one report for one caller."""

    exists: bool
    public: bool  # shown to this caller as to the public (verified), or their own (token matched)


def report_facts(
    intake, report_id: UUID, tracking_token: str | None, timeout: float, client: dict | None = None
) -> ReportFacts | None:
    """Intake's public (or own) view of a report, reduced to two facts; None when intake cannot say.

    `client` (the caller's IP) lets intake count a wrong tracking token; may raise ServiceError RATE_LIMITED
    when intake slows this IP down."""
    try:
        view = timed_call(
            intake,
            "get_report",
            timeout,
            payload={"report_id": str(report_id), "tracking_token": tracking_token, "client": client},
        )
    except PeerRemoteError as exc:
        if exc.code == "REPORT_NOT_FOUND":
            return ReportFacts(exists=False, public=False)
        if exc.code == ErrorCode.RATE_LIMITED.value:
            raise ServiceError(
                ErrorCode.RATE_LIMITED,
                "too many wrong tokens from this address",
                [{"field": "Retry-After", "message": "60", "type": "retry_after"}],
            ) from None
        log.warning("intake.get_report failed: %s", exc.reason)
        return None
    except PeerError as exc:  # intake down, not deployed, or slow
        log.warning("intake.get_report unavailable: %s", exc.reason)
        return None
    return ReportFacts(exists=True, public=not view.get("restricted", True))


def _agency_case(intake, report_id: UUID, actor: dict, timeout: float) -> dict | bool | None:
    """Intake's case view for an agency actor (it holds or held the case), False when intake refuses it, None
    when unknown."""
    try:
        return timed_call(intake, "get_case", timeout, payload={"report_id": str(report_id), "actor": actor})
    except PeerRemoteError as exc:
        if exc.code is not None and (exc.code.endswith("NOT_FOUND") or exc.code == "FORBIDDEN"):
            return False
        log.warning("intake.get_case failed: %s", exc.reason)
        return None
    except PeerError as exc:
        log.warning("intake.get_case unavailable: %s", exc.reason)
        return None


def agency_holds(intake, report_id: UUID, actor: dict, timeout: float) -> bool | None:
    """Whether an agency actor may see the case: it holds or held it (intake's own object-level check); None
    when unknown."""
    case = _agency_case(intake, report_id, actor, timeout)
    return None if case is None else bool(case)


def agency_holds_now(intake, report_id: UUID, actor: dict, timeout: float) -> bool | None:
    """Whether an agency actor holds the case now (its handler or a co-handler): only then does it add files.
    A past holder still reads the case but no longer adds to it; None when unknown."""
    case = _agency_case(intake, report_id, actor, timeout)
    if not isinstance(case, dict):
        return case
    return actor.get("agency") is not None and (
        actor["agency"] == case.get("agency_code") or actor["agency"] in (case.get("co_agencies") or [])
    )


def record_unblurred(
    intake, report_id: UUID, actor: dict, media_ids: list[UUID], timeout: float, grant: str | None = None
) -> bool:
    """Ask intake to verify the gateway's grant and audit that a staff member is shown these files unblurred;
    False when it did not answer (then nothing unblurred may be shown); FORBIDDEN when it refused the
    grant."""
    try:
        timed_call(
            intake,
            "record_media_access",
            timeout,
            payload={
                "report_id": str(report_id),
                "actor": actor,
                "media_ids": [str(m) for m in media_ids],
                "grant": grant,
            },
        )
    except PeerRemoteError as exc:
        if exc.code == ErrorCode.FORBIDDEN.value:
            raise ServiceError(
                ErrorCode.FORBIDDEN,
                "unblurred media needs the gateway's grant for this operator",
                [{"field": "grant", "message": "missing or invalid", "type": "grant"}],
            ) from None
        log.warning("intake.record_media_access failed: %s", exc.reason)
        return False
    except PeerError as exc:
        log.warning("intake.record_media_access failed: %s", exc.reason)
        return False
    return True


def case_closures(intake, report_ids: list[UUID], timeout: float) -> dict[UUID, str | None] | None:
    """When each case closed (ISO time, None while open); None when intake cannot say."""
    try:
        rows = timed_call(
            intake, "case_closures", timeout, payload={"report_ids": [str(r) for r in report_ids]}
        )
    except PeerError as exc:
        log.warning("intake.case_closures unavailable: %s", exc.reason)
        return None
    return {UUID(r["report_id"]): r["closed_at"] for r in rows}

"""What media asks intake (the owner of reports): does a report exist, is it shown to the public?

Asked at read time, so media serves public renditions by exactly the rule intake uses for its public view
(a verified report, or the caller's own report with its tracking token). Every call goes through
`libs.platform.peers.timed_call` (bounded wait); when intake does not answer the answer is "unknown" and callers
fail closed (no public URLs, no sweeping).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from libs.platform.peers import PeerError, PeerRemoteError, timed_call

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """Intake's answer about one report for one caller."""

    exists: bool
    public: bool  # shown to this caller as to the public (verified), or their own (token matched)


def report_facts(intake, report_id: UUID, tracking_token: str | None, timeout: float) -> ReportFacts | None:
    """Intake's public (or own) view of a report, reduced to two facts; None when intake cannot say."""
    try:
        view = timed_call(intake, "get_report", timeout,
                          payload={"report_id": str(report_id), "tracking_token": tracking_token})
    except PeerRemoteError as exc:
        if exc.code == "REPORT_NOT_FOUND":
            return ReportFacts(exists=False, public=False)
        log.warning("intake.get_report failed: %s", exc.reason)
        return None
    except PeerError as exc:  # intake down, not deployed, or slow
        log.warning("intake.get_report unavailable: %s", exc.reason)
        return None
    return ReportFacts(exists=True, public=not view.get("restricted", True))


def agency_holds(intake, report_id: UUID, actor: dict, timeout: float) -> bool | None:
    """Whether an agency actor may act on the case (intake's own object-level check); None when unknown."""
    try:
        timed_call(intake, "get_case", timeout, payload={"report_id": str(report_id), "actor": actor})
    except PeerRemoteError as exc:
        if exc.code is not None and (exc.code.endswith("NOT_FOUND") or exc.code == "FORBIDDEN"):
            return False
        log.warning("intake.get_case failed: %s", exc.reason)
        return None
    except PeerError as exc:
        log.warning("intake.get_case unavailable: %s", exc.reason)
        return None
    return True

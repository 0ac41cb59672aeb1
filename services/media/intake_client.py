"""What media asks intake (the owner of reports): does a report exist, is it shown to the public?

Asked at read time, so media serves public renditions by exactly the rule intake uses for its public view
(a verified report, or the caller's own report with its tracking token). Every call has a timeout; when
intake does not answer the answer is "unknown" and callers fail closed (no public URLs, no sweeping).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

import eventlet
from nameko.exceptions import RemoteError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """Intake's answer about one report for one caller."""

    exists: bool
    public: bool  # shown to this caller as to the public (verified), or their own (token matched)


def _ask(intake, method: str, payload: dict, timeout: float):
    with eventlet.Timeout(timeout):
        return getattr(intake, method).call_async(payload=payload).result()


def report_facts(intake, report_id: UUID, tracking_token: str | None, timeout: float) -> ReportFacts | None:
    """Intake's public (or own) view of a report, reduced to two facts; None when intake cannot say."""
    try:
        view = _ask(intake, "get_report", {"report_id": str(report_id), "tracking_token": tracking_token}, timeout)
    except RemoteError as exc:
        if "REPORT_NOT_FOUND" in str(exc.value):
            return ReportFacts(exists=False, public=False)
        log.warning("intake.get_report failed: %s", exc.exc_type)
        return None
    except (Exception, eventlet.Timeout) as exc:  # intake down, not deployed, or slow
        log.warning("intake.get_report unavailable: %s", type(exc).__name__)
        return None
    return ReportFacts(exists=True, public=not view.get("restricted", True))


def agency_holds(intake, report_id: UUID, actor: dict, timeout: float) -> bool | None:
    """Whether an agency actor may act on the case (intake's own object-level check); None when unknown."""
    try:
        _ask(intake, "get_case", {"report_id": str(report_id), "actor": actor}, timeout)
    except RemoteError as exc:
        if "NOT_FOUND" in str(exc.value) or "FORBIDDEN" in str(exc.value):
            return False
        log.warning("intake.get_case failed: %s", exc.exc_type)
        return None
    except (Exception, eventlet.Timeout) as exc:
        log.warning("intake.get_case unavailable: %s", type(exc).__name__)
        return None
    return True

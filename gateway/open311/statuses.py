"""Our Vietnamese workflow states ⇄ Open311 open/closed and mySociety's extended statuses."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection

from libs.privacy.visibility import STATUS_LABELS

from .errors import Open311Error

OPEN, CLOSED = "open", "closed"
# A duplicate is TU_CHOI with the reason "trùng lặp" and `duplicate_of` (intake's workflow: MARK_DUPLICATE).
DUPLICATE_STATE = "TU_CHOI"
REOPENED_STATE = "DANG_XU_LY"  # a reopened case goes back to the agency

EXTENDED_STATUSES = (
    "OPEN",
    "INVESTIGATING",
    "IN_PROGRESS",
    "ACTION_SCHEDULED",
    "FIXED",
    "CLOSED",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "INTERNAL_REFERRAL",
    "FOR_TRIAGE",
    "CANCELLED",
    "REOPEN",
)

# state -> (open/closed, extended status)
STATES: dict[str, tuple[str, str]] = {
    "CHO_TIEP_NHAN": (OPEN, "FOR_TRIAGE"),  # received, waiting for the operators
    "CHO_BO_SUNG": (OPEN, "FOR_TRIAGE"),  # waiting for the citizen to add information
    "TU_CHOI": (
        CLOSED,
        "NO_FURTHER_ACTION",
    ),  # rejected with a reason (see REJECTION_REASONS), or a duplicate
    "DA_TIEP_NHAN": (OPEN, "OPEN"),  # verified and classified
    "DA_CHUYEN_XU_LY": (OPEN, "ACTION_SCHEDULED"),  # routed to an agency with a deadline
    "DANG_XU_LY": (OPEN, "IN_PROGRESS"),
    "TRA_LAI": (OPEN, "INVESTIGATING"),  # agency returned it; operators re-route (not FMS's closed referral)
    "DA_XU_LY": (OPEN, "IN_PROGRESS"),  # agency says done, result not yet reviewed and published
    "DA_CONG_KHAI": (CLOSED, "FIXED"),  # result published, waiting for the rating
    "DA_DANH_GIA": (CLOSED, "FIXED"),  # rated
    "DONG": (CLOSED, "CLOSED"),  # rating window over without a rating
}
# (Vietnamese, English) plain labels: the public's, shared with /v1 (libs.privacy.visibility).
LABELS = STATUS_LABELS
# Rejection reasons that sharpen TU_CHOI's extended status: the workflow's reason texts (REJECT_REASONS of
# services/intake/domain/workflow_model.py, compared case-insensitively) and short codes for other callers.
REJECTION_REASONS: dict[str, str] = {
    "không thuộc phạm vi paht (khiếu nại, tố cáo, tranh chấp dân sự)": "NOT_COUNCILS_RESPONSIBILITY",
    "trùng lặp": "DUPLICATE",
    "thông tin không rõ ràng/không bổ sung": "NO_FURTHER_ACTION",
    "nội dung vi phạm quy định (xúc phạm, sai sự thật)": "CANCELLED",
    "khong_thuoc_pham_vi": "NOT_COUNCILS_RESPONSIBILITY",  # complaint/denunciation, civil dispute
    "trung_lap": "DUPLICATE",
    "khong_bo_sung": "NO_FURTHER_ACTION",
    "vi_pham_noi_dung": "CANCELLED",
}
# extended status posted by a client -> target state; None = a note only, no state change.
# The intake service still checks the transition against the workflow and the client's rights.
FROM_EXTENDED: dict[str, str | None] = {
    "OPEN": None,  # on a closed case: a reopen (see state_for_extended)
    "FOR_TRIAGE": "CHO_TIEP_NHAN",
    "INVESTIGATING": "DANG_XU_LY",
    "IN_PROGRESS": "DANG_XU_LY",
    "ACTION_SCHEDULED": "DANG_XU_LY",
    "FIXED": "DA_XU_LY",  # "agency says done": operators review before anything is published
    "CLOSED": "DA_XU_LY",
    "DUPLICATE": DUPLICATE_STATE,  # as MARK_DUPLICATE: an operator names the primary case
    "NOT_COUNCILS_RESPONSIBILITY": "TRA_LAI",
    "INTERNAL_REFERRAL": "TRA_LAI",
    "NO_FURTHER_ACTION": "TU_CHOI",
    "CANCELLED": "TU_CHOI",
    "REOPEN": REOPENED_STATE,
}


class UnknownState(ValueError):
    """A workflow state with no Open311 mapping (add it to STATES)."""


def _row(state: str) -> tuple[str, str]:
    """The mapping row of a state; may raise UnknownState."""
    try:
        return STATES[state]
    except KeyError:
        raise UnknownState(state) from None


def label(state: str) -> str:
    """'Vietnamese / English' label of a state (the raw code when unknown)."""
    vi, en = LABELS.get(state, (state, state))
    return f"{vi} / {en}"


def open311_status(state: str) -> str:
    """'open' or 'closed' for a workflow state; may raise UnknownState."""
    return _row(state)[0]


def extended_status(state: str, reason: str | None = None) -> str:
    """mySociety's extended status of a state (a rejection reason may sharpen TU_CHOI)."""
    status = _row(state)[1]
    key = unicodedata.normalize("NFC", reason or "").strip().casefold()
    if state == "TU_CHOI" and key in REJECTION_REASONS:
        return REJECTION_REASONS[key]
    return status


def transition_status(from_state: str | None, to_state: str, reason: str | None = None) -> str:
    """Extended status of a timeline entry: REOPEN when a closed case becomes open again."""
    if from_state is not None and open311_status(from_state) == CLOSED and open311_status(to_state) == OPEN:
        return "REOPEN"
    return extended_status(to_state, reason)


def states_for(statuses: Collection[str] | None) -> frozenset[str] | None:
    """Workflow states matching an Open311 status filter ({'open'}, {'closed'}); None = no filter."""
    if statuses is None or set(statuses) >= {OPEN, CLOSED}:
        return None
    return frozenset(state for state, (status, _) in STATES.items() if status in statuses)


def parse_extended(value: str | None) -> str:
    """Normalise a posted extended status ('in progress', 'In-Progress' → IN_PROGRESS); may raise 400."""
    if not value:
        raise Open311Error.of("PARAM_MISSING", name="status")
    normalised = value.strip().upper().replace(" ", "_").replace("-", "_")
    if normalised not in FROM_EXTENDED:
        raise Open311Error.of("PARAM_INVALID", name="status", why="not an Open311 extended status")
    return normalised


def state_for_extended(status: str, current_state: str) -> str | None:
    """Target state for a posted update on a case in ``current_state``; None = note only."""
    status = parse_extended(status)
    is_closed = open311_status(current_state) == CLOSED
    if status in ("OPEN", "REOPEN"):
        return REOPENED_STATE if is_closed else None
    return FROM_EXTENDED[status]

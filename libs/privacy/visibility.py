"""What each reader sees of a case: one place for the public-visibility rules (pure, no I/O).

Intake's views and search, the Open311 edge, media (through intake's answers) and any later read model of
public reads apply these rules and no others:

1. A case is public once it is verified — by an IOC operator (accept, verify, publish) or by automatic triage
  of
   a trusted category or an authenticated channel — and stays public through every later state (TRA_LAI and
   DA_XU_LY included), under a plain status label. A citizen's urgency (`KHAN`) is only a request: an urgent
   report is routed at once but is not public until an operator verifies it. Received, waiting-for-information
   and rejected cases are never public.
2. Of a case that is not public, anyone but its reporter (tracking token) and staff sees its code, category
  and
   status: `RESTRICTED_FIELDS`, nothing else (no text, place, time, agency, photos or timeline).
3. Free text is masked (`libs.privacy.masking`) for every reader but the IOC and the text's author; staff read
   each other's notes as written. The public text of a case is the operators' edit when there is one, else the
   citizen's text, masked either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .masking import mask_personal_data

Reader = Literal[
    "ioc", "reporter", "staff", "public"
]  # IOC operator, the case's reporter, agency staff, anyone

NEVER_PUBLIC = frozenset({"CHO_TIEP_NHAN", "CHO_BO_SUNG", "TU_CHOI"})
RESTRICTED_FIELDS = ("id", "code", "category", "status")
STAFF_AUTHORS = frozenset({"operator", "agency_officer", "agency_leader", "administrator", "system"})

# (Vietnamese, English) plain labels of every state, as the public reads them.
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "CHO_TIEP_NHAN": ("Chờ tiếp nhận", "Received"),
    "CHO_BO_SUNG": ("Chờ bổ sung thông tin", "Waiting for more information"),
    "TU_CHOI": ("Không tiếp nhận", "Rejected"),
    "DA_TIEP_NHAN": ("Đã tiếp nhận", "Accepted"),
    "DA_CHUYEN_XU_LY": ("Đã chuyển đơn vị xử lý", "Sent to the handling agency"),
    "DANG_XU_LY": ("Đang xử lý", "In progress"),
    "TRA_LAI": ("Đơn vị trả lại, đang chuyển lại", "Returned by the agency, being re-routed"),
    "DA_XU_LY": ("Đã xử lý, chờ duyệt", "Handled, result under review"),
    "DA_CONG_KHAI": ("Đã công khai kết quả", "Result published"),
    "DA_DANH_GIA": ("Đã đánh giá", "Rated"),
    "DONG": ("Đã đóng", "Closed"),
}


def is_public(status: str, verified: bool) -> bool:
    """Rule 1: whether anyone may see the case (its text, place, photos and public timeline)."""
    return verified and str(status) not in NEVER_PUBLIC


def status_label(status: str) -> tuple[str, str]:
    """(Vietnamese, English) plain label of a state (the code itself when unknown)."""
    return STATUS_LABELS.get(str(status), (str(status), str(status)))


def restricted(view: Mapping[str, Any]) -> dict[str, Any]:
    """Rule 2: the only fields of a not-public case that others may read."""
    return {k: view[k] for k in RESTRICTED_FIELDS if k in view}


def public_text(original: str | None, edited: str | None = None) -> str | None:
    """Rule 3: the text the public reads — the operators' edit when there is one — masked."""
    return mask_personal_data(edited if edited is not None else original)


def text_for(reader: Reader, original: str | None, edited: str | None = None) -> str | None:
    """A citizen's text (description, address) as `reader` sees it: the IOC and its author the original."""
    return original if reader in ("ioc", "reporter") else public_text(original, edited)


def note_for(reader: Reader, note: str | None, author_role: str | None) -> str | None:
    """A timeline note as `reader` sees it: unmasked for the IOC, its author, and staff reading staff."""
    if (
        reader == "ioc"
        or (reader == "reporter" and author_role == "citizen")
        or (reader == "staff" and author_role in STAFF_AUTHORS)
    ):
        return note
    return mask_personal_data(note)


__all__ = [
    "NEVER_PUBLIC",
    "RESTRICTED_FIELDS",
    "Reader",
    "STATUS_LABELS",
    "is_public",
    "note_for",
    "public_text",
    "restricted",
    "status_label",
    "text_for",
]

"""Vocabulary of the case state machine: states, roles, verbs, flags, and the frozen models it reads and
writes.

Pure (pydantic only). `workflow.py` holds the transition table and `apply`; `workflow_guards.py` the guards.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from libs.contracts.common import Status

State = Status  # the case states are the contracts' (Vietnamese codes from workflow.json)


class Role(StrEnum):
    OPERATOR = "operator"
    AGENCY_OFFICER = "agency_officer"
    AGENCY_LEADER = "agency_leader"
    ADMINISTRATOR = "administrator"
    CITIZEN = "citizen"  # the reporter, by account or tracking token
    SYSTEM = "system"  # timers, auto-triage, auto_router, feedback service
    PUBLIC = "public"


class Kind(StrEnum):
    ACCEPT = "accept"
    REQUEST_INFO = "request_info"
    REJECT = "reject"
    MARK_DUPLICATE = "mark_duplicate"
    VERIFY = "verify"
    ROUTE = "route"
    REROUTE = "reroute"
    REQUEST_REROUTE = "request_reroute"
    REASSIGN = "reassign"
    AGENCY_ACCEPT = "agency_accept"
    AGENCY_RETURN = "agency_return"
    PROGRESS_NOTE = "progress_note"
    ADD_CO_HANDLER = "add_co_handler"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    POST_RESULT = "post_result"
    PUBLISH = "publish"
    SEND_BACK = "send_back"
    SUPPLY_INFO = "supply_info"
    RATE = "rate"
    CLOSE = "close"
    INFO_TIMEOUT = "info_timeout"
    REQUEST_REOPEN = "request_reopen"
    APPROVE_REOPEN = "approve_reopen"
    REFUSE_REOPEN = "refuse_reopen"


class Flag(StrEnum):
    GIA_HAN = "GIA_HAN"  # extended
    QUA_HAN = "QUA_HAN"  # overdue
    CO_PHOI_HOP = "CO_PHOI_HOP"  # has co-handling agencies


S, R = State, Role
AGENCY_ROLES = frozenset({R.AGENCY_OFFICER, R.AGENCY_LEADER})
PRIORITIES = ("BINH_THUONG", "KHAN", "PHUC_TAP")
RATINGS = ("HAI_LONG", "CHAP_NHAN", "KHONG_HAI_LONG")
REJECT_REASONS = (
    "không thuộc phạm vi PAHT (khiếu nại, tố cáo, tranh chấp dân sự)",
    "trùng lặp",
    "thông tin không rõ ràng/không bổ sung",
    "nội dung vi phạm quy định (xúc phạm, sai sự thật)",
)
DUPLICATE_REASON, INFO_TIMEOUT_REASON = REJECT_REASONS[1], REJECT_REASONS[2]
MAX_EXTENSIONS = 1
MAX_REOPENS = 1
RATING_WINDOW = timedelta(days=7)
TERMINAL_STATES = frozenset({S.TU_CHOI, S.DA_DANH_GIA, S.DONG})
PUBLIC_STATES = frozenset(
    {S.DA_TIEP_NHAN, S.DA_CHUYEN_XU_LY, S.DANG_XU_LY, S.DA_CONG_KHAI, S.DA_DANH_GIA, S.DONG}
)
HANDLING_STATES = frozenset({S.DA_CHUYEN_XU_LY, S.DANG_XU_LY})  # where QUA_HAN applies
OPEN_STATES = frozenset(S) - TERMINAL_STATES - {S.DA_CONG_KHAI}

Visibility = Literal["public", "reporter", "staff", "internal"]  # internal = IOC operators only
VISIBILITY_ORDER: tuple[str, ...] = ("public", "reporter", "staff", "internal")
Clock = Literal["start", "stop", "resume"] | None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Actor(_Frozen):
    """Who acts: role, stable subject id, and the agency code for agency roles."""

    role: Role
    subject: str = ""
    agency: str | None = None


class CaseState(_Frozen):
    """What the state machine needs to know about a case (no personal data)."""

    case_id: str
    state: State = S.CHO_TIEP_NHAN
    flags: frozenset[Flag] = frozenset()
    category: str | None = None
    ward: str | None = None
    priority: str = "BINH_THUONG"
    assigned_agency: str | None = None
    past_agencies: tuple[str, ...] = ()
    co_agencies: tuple[str, ...] = ()
    due_at: AwareDatetime | None = None
    info_due_at: AwareDatetime | None = None
    base_working_days: int | None = None  # original allowance; caps an extension ("bằng thời hạn ban đầu")
    extension_count: int = 0
    extension_pending_days: int | None = None
    published_at: AwareDatetime | None = None
    rating: str | None = None
    reopen_count: int = 0
    reopen_requested: bool = False
    verified: bool = False  # by an operator, or by trusted automatic triage: public from then on


class Action(_Frozen):
    """A verb with its payload; which fields matter depends on `kind`."""

    kind: Kind
    note: str = ""
    reason: str | None = None
    category: str | None = None
    ward: str | None = None
    priority: str | None = None
    agency: str | None = None
    suggested_agency: str | None = None
    co_agencies: tuple[str, ...] = ()
    media_ids: tuple[str, ...] = ()
    days: int | None = None
    due_at: AwareDatetime | None = None  # new deadline, info deadline, or committed date (progress note)
    duplicate_of: str | None = None
    rating: str | None = None
    visibility: Visibility | None = None  # may only narrow the rule's default
    verify: bool = (
        True  # a system ACCEPT: whether the triage was trusted (a category or an authenticated channel)
    )


class Transition(_Frozen):
    """One timeline entry plus the resulting case state, ready to persist."""

    case_id: str
    from_state: State
    to_state: State
    action: Kind
    actor_role: Role
    actor_agency: str | None
    actor_subject: str | None  # staff and system only: a citizen's id is personal data
    at: AwareDatetime
    note: str
    reason: str | None = None
    visibility: Visibility
    public: bool
    media_ids: tuple[str, ...] = ()
    flags_added: frozenset[Flag] = frozenset()
    flags_removed: frozenset[Flag] = frozenset()
    clock: Clock = None
    extension_days: int | None = None
    agency: str | None = (
        None  # agency routed to (route, reroute, reassign) or chosen by hand (request_reroute)
    )
    suggested_agency: str | None = None
    co_agencies: tuple[str, ...] = ()
    duplicate_of: str | None = None
    rating: str | None = None
    committed_at: AwareDatetime | None = None  # overdue progress note: new committed date
    changes: dict[str, tuple[str | None, str | None]] = Field(default_factory=dict)
    newly_verified: bool = False  # this step verified the case: it is public from now on
    after: CaseState


class TransitionNotAllowed(Exception):
    """The action is not allowed for this state and role, or a guard refused it (see `code`)."""

    def __init__(self, code: str, from_state: State, action: Kind, role: Role):
        super().__init__(f"{code}: {action} by {role} in {from_state}")
        self.code, self.from_state, self.action, self.role = code, from_state, action, role


class InvalidAction(Exception):
    """The action's payload is incomplete or wrong; `message_vi` is for officers and citizens."""

    def __init__(self, field: str, message: str, message_vi: str = ""):
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.message_vi = field, message, message_vi or message


def is_overdue(case: CaseState, now: datetime) -> bool:
    """QUA_HAN rule: past due while routed or in handling."""
    return case.state in HANDLING_STATES and case.due_at is not None and now > case.due_at

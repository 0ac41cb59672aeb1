"""The case state machine: pure and table-driven from shared/data/hatinh/workflow.json.

Decisions (documented here because the JSON leaves them open):
- "Duplicate of case X" is TU_CHOI with reason 'trùng lặp' plus `duplicate_of`, reached only by the
  MARK_DUPLICATE action; REJECT refuses that reason so every duplicate names its primary case.
- Operator accept and agency accept are different verbs (ACCEPT, AGENCY_ACCEPT); so are the two halves
  of "decide" (APPROVE_/REFUSE_EXTENSION, APPROVE_/REFUSE_REOPEN), so each verb has one target state.
- Extensions and reopen requests are counted when *requested* (max 1 each per case, from the JSON).
- The pure module cannot compute working-day deadlines: ROUTE, REROUTE, APPROVE_EXTENSION and
  APPROVE_REOPEN carry the new `due_at` computed by the caller (routing/calendar).
- The administrator manages configuration and performs no case action; `public` never acts.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Callable, Literal, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class State(StrEnum):
    CHO_TIEP_NHAN = "CHO_TIEP_NHAN"
    CHO_BO_SUNG = "CHO_BO_SUNG"
    TU_CHOI = "TU_CHOI"
    DA_TIEP_NHAN = "DA_TIEP_NHAN"
    DA_CHUYEN_XU_LY = "DA_CHUYEN_XU_LY"
    DANG_XU_LY = "DANG_XU_LY"
    TRA_LAI = "TRA_LAI"
    DA_XU_LY = "DA_XU_LY"
    DA_CONG_KHAI = "DA_CONG_KHAI"
    DA_DANH_GIA = "DA_DANH_GIA"
    DONG = "DONG"


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
    ROUTE = "route"
    REROUTE = "reroute"
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


S, R, K = State, Role, Kind
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
PUBLIC_STATES = frozenset({S.DA_TIEP_NHAN, S.DA_CHUYEN_XU_LY, S.DANG_XU_LY, S.DA_CONG_KHAI, S.DA_DANH_GIA, S.DONG})
HANDLING_STATES = frozenset({S.DA_CHUYEN_XU_LY, S.DANG_XU_LY})  # where QUA_HAN applies
OPEN_STATES = frozenset(S) - TERMINAL_STATES - {S.DA_CONG_KHAI}

# Verbatim (from, to, role) of workflow.json "transitions"; a unit test keeps them equal to the file.
JSON_TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    ("CHO_TIEP_NHAN", "DA_TIEP_NHAN", "operator"),
    ("CHO_TIEP_NHAN", "CHO_BO_SUNG", "operator"),
    ("CHO_BO_SUNG", "CHO_TIEP_NHAN", "citizen"),
    ("CHO_BO_SUNG", "TU_CHOI", "system"),
    ("CHO_TIEP_NHAN", "TU_CHOI", "operator"),
    ("DA_TIEP_NHAN", "DA_CHUYEN_XU_LY", "operator|auto_router"),
    ("DA_CHUYEN_XU_LY", "DANG_XU_LY", "agency"),
    ("DA_CHUYEN_XU_LY", "TRA_LAI", "agency"),
    ("DANG_XU_LY", "TRA_LAI", "agency"),
    ("TRA_LAI", "DA_CHUYEN_XU_LY", "operator"),
    ("DANG_XU_LY", "DANG_XU_LY", "agency"),
    ("DANG_XU_LY", "DA_XU_LY", "agency"),
    ("DA_XU_LY", "DANG_XU_LY", "operator"),
    ("DA_XU_LY", "DA_CONG_KHAI", "operator"),
    ("DA_CONG_KHAI", "DA_DANH_GIA", "citizen"),
    ("DA_CONG_KHAI", "DONG", "system"),
    ("DA_DANH_GIA", "DANG_XU_LY", "operator"),
)
# Edges this module adds to the JSON, each for a reason stated in the brief or domain.md.
EXTRA_EDGES: tuple[tuple[str, str, str], ...] = (
    ("CHO_TIEP_NHAN", "DA_TIEP_NHAN", "system"),  # automatic triage (trusted channel/category, KHAN)
    ("DANG_XU_LY", "DANG_XU_LY", "operator"),  # approve / refuse an extension
    ("DA_CONG_KHAI", "DA_DANH_GIA", "system"),  # rating received through another channel
    ("DA_DANH_GIA", "DA_DANH_GIA", "citizen"),  # request a reopen
    ("DA_DANH_GIA", "DA_DANH_GIA", "operator"),  # refuse a reopen
)
JSON_ROLES: dict[str, frozenset[Role]] = {
    "operator": frozenset({R.OPERATOR}), "citizen": frozenset({R.CITIZEN}), "system": frozenset({R.SYSTEM}),
    "auto_router": frozenset({R.SYSTEM}), "agency": AGENCY_ROLES,
}

Visibility = Literal["public", "reporter", "staff", "internal"]  # internal = IOC operators only
VISIBILITY_ORDER: tuple[str, ...] = ("public", "reporter", "staff", "internal")
Clock = Literal["start", "stop", "resume"] | None


class Rule(NamedTuple):
    sources: frozenset[State]
    target: State | None  # None: stays in the same state
    roles: frozenset[Role]
    visibility: Visibility
    clock: Clock = None


def _r(sources: State | tuple[State, ...], target: State | None, roles: Any, vis: Visibility, clock: Clock = None) -> Rule:
    src = frozenset(sources if isinstance(sources, tuple) else (sources,))
    return Rule(src, target, frozenset(roles if isinstance(roles, frozenset | set | tuple) else (roles,)), vis, clock)


OP, CIT, SYS, AG = R.OPERATOR, R.CITIZEN, R.SYSTEM, AGENCY_ROLES
RULES: dict[Kind, Rule] = {
    K.ACCEPT: _r(S.CHO_TIEP_NHAN, S.DA_TIEP_NHAN, (OP, SYS), "public"),
    K.REQUEST_INFO: _r(S.CHO_TIEP_NHAN, S.CHO_BO_SUNG, OP, "reporter", "stop"),
    K.REJECT: _r(S.CHO_TIEP_NHAN, S.TU_CHOI, OP, "reporter"),
    K.MARK_DUPLICATE: _r(S.CHO_TIEP_NHAN, S.TU_CHOI, OP, "reporter"),
    K.ROUTE: _r(S.DA_TIEP_NHAN, S.DA_CHUYEN_XU_LY, (OP, SYS), "public", "start"),
    K.REROUTE: _r(S.TRA_LAI, S.DA_CHUYEN_XU_LY, OP, "public", "start"),
    K.AGENCY_ACCEPT: _r(S.DA_CHUYEN_XU_LY, S.DANG_XU_LY, AG, "public"),
    K.AGENCY_RETURN: _r((S.DA_CHUYEN_XU_LY, S.DANG_XU_LY), S.TRA_LAI, AG, "staff"),
    K.PROGRESS_NOTE: _r(S.DANG_XU_LY, None, AG, "public"),
    K.ADD_CO_HANDLER: _r(S.DANG_XU_LY, None, AG, "staff"),
    K.REQUEST_EXTENSION: _r(S.DANG_XU_LY, None, AG, "staff"),
    K.APPROVE_EXTENSION: _r(S.DANG_XU_LY, None, OP, "public"),
    K.REFUSE_EXTENSION: _r(S.DANG_XU_LY, None, OP, "staff"),
    K.POST_RESULT: _r(S.DANG_XU_LY, S.DA_XU_LY, AG, "staff"),
    K.PUBLISH: _r(S.DA_XU_LY, S.DA_CONG_KHAI, OP, "public"),
    K.SEND_BACK: _r(S.DA_XU_LY, S.DANG_XU_LY, OP, "staff"),
    K.SUPPLY_INFO: _r(S.CHO_BO_SUNG, S.CHO_TIEP_NHAN, CIT, "reporter", "resume"),
    K.RATE: _r(S.DA_CONG_KHAI, S.DA_DANH_GIA, (CIT, SYS), "public"),
    K.CLOSE: _r(S.DA_CONG_KHAI, S.DONG, SYS, "public"),
    K.INFO_TIMEOUT: _r(S.CHO_BO_SUNG, S.TU_CHOI, SYS, "reporter"),
    K.REQUEST_REOPEN: _r(S.DA_DANH_GIA, None, CIT, "reporter"),
    K.APPROVE_REOPEN: _r(S.DA_DANH_GIA, S.DANG_XU_LY, OP, "public", "start"),
    K.REFUSE_REOPEN: _r(S.DA_DANH_GIA, None, OP, "reporter"),
}


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
    agency: str | None = None  # agency routed to (route, reroute)
    suggested_agency: str | None = None
    co_agencies: tuple[str, ...] = ()
    duplicate_of: str | None = None
    rating: str | None = None
    committed_at: AwareDatetime | None = None  # overdue progress note: new committed date
    changes: dict[str, tuple[str | None, str | None]] = Field(default_factory=dict)
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


def allowed(state: State, kind: Kind, role: Role) -> bool:
    """Whether the table allows this verb for this role in this state (before guards)."""
    rule = RULES[kind]
    return state in rule.sources and role in rule.roles


def allowed_actions(state: State, role: Role) -> tuple[Kind, ...]:
    """Verbs a role may try in a state (for building UI buttons)."""
    return tuple(k for k in Kind if allowed(state, k, role))


def is_overdue(case: CaseState, now: datetime) -> bool:
    """QUA_HAN rule: past due while routed or in handling."""
    return case.state in HANDLING_STATES and case.due_at is not None and now > case.due_at


def apply(case: CaseState, action: Action, actor: Actor, now: datetime) -> Transition:
    """Apply one verb; may raise TransitionNotAllowed or InvalidAction."""
    if now.tzinfo is None:
        raise InvalidAction("now", "must be timezone-aware", "thời điểm phải có múi giờ")
    if not allowed(case.state, action.kind, actor.role):
        raise TransitionNotAllowed("NOT_ALLOWED", case.state, action.kind, actor.role)
    if actor.role in AGENCY_ROLES:
        _check_agency(case, action, actor)
    rule = RULES[action.kind]
    updates, extra = _GUARDS[action.kind](case, action, actor, now)
    target = rule.target or case.state
    after = case.model_copy(update={"state": target, **updates})
    after = after.model_copy(update={"flags": _overdue_flags(after, now)})
    visibility = _visibility(rule.visibility, action.visibility, actor)
    return Transition(
        case_id=case.case_id, from_state=case.state, to_state=target, action=action.kind,
        actor_role=actor.role, actor_agency=actor.agency,
        actor_subject=None if actor.role in (R.CITIZEN, R.PUBLIC) else actor.subject,
        at=now, note=action.note, visibility=visibility, public=visibility == "public",
        media_ids=action.media_ids, clock=rule.clock,
        flags_added=after.flags - case.flags, flags_removed=case.flags - after.flags, after=after, **extra,
    )


def _check_agency(case: CaseState, action: Action, actor: Actor) -> None:
    """Agency verbs are for the assigned agency (co-handlers may only post progress)."""
    mine = actor.agency is not None and actor.agency == case.assigned_agency
    co = action.kind is K.PROGRESS_NOTE and actor.agency in case.co_agencies
    if not (mine or co):
        raise TransitionNotAllowed("AGENCY_NOT_ASSIGNED", case.state, action.kind, actor.role)


def _overdue_flags(after: CaseState, now: datetime) -> frozenset[Flag]:
    """QUA_HAN is sticky once seen; a new future deadline (guards remove it) clears it."""
    return after.flags | {Flag.QUA_HAN} if is_overdue(after, now) else after.flags


def _visibility(default: Visibility, asked: Visibility | None, actor: Actor) -> Visibility:
    """An actor may narrow visibility, never widen it; only operators write internal notes."""
    if asked is None:
        return default
    if VISIBILITY_ORDER.index(asked) < VISIBILITY_ORDER.index(default):
        raise InvalidAction("visibility", f"cannot widen {default} to {asked}", "không thể mở rộng phạm vi hiển thị")
    if asked == "internal" and actor.role is not R.OPERATOR:
        raise InvalidAction("visibility", "only operators write internal notes", "chỉ điều hành viên ghi chú nội bộ")
    return asked


class AutoTriageConfig(_Frozen):
    """Which reports skip the operator: trusted categories or channels ('*' = all), and urgent (KHAN) ones."""

    categories: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    urgent: bool = True  # KHAN: auto-accept and route at once


def should_auto_accept(category: str | None, channel: str | None, priority: str, config: AutoTriageConfig) -> bool:
    """Whether the system accepts a new report without waiting for an operator."""
    if config.urgent and priority == "KHAN":
        return True
    by_category = "*" in config.categories or (category is not None and category in config.categories)
    return by_category or "*" in config.channels or (channel is not None and channel in config.channels)




# --- guards: one per verb, returning (CaseState updates, extra Transition fields) -----------------
Result = tuple[dict[str, Any], dict[str, Any]]
NONE: Result = ({}, {})


def _refuse(code: str, c: CaseState, a: Action, actor: Actor) -> TransitionNotAllowed:
    return TransitionNotAllowed(code, c.state, a.kind, actor.role)


def _need(ok: object, field: str, en: str, vi: str) -> None:
    if not ok:
        raise InvalidAction(field, en, vi)


def _need_note(a: Action, what_vi: str = "nội dung") -> None:
    _need(a.note.strip(), "note", "a note is required", f"cần nhập {what_vi}")


def _need_future(due: datetime | None, after: datetime, field: str = "due_at") -> datetime:
    _need(due is not None and due > after, field, "a later deadline is required", "cần thời hạn mới hợp lệ")
    return due  # type: ignore[return-value]


def _accept(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(a.priority is None or a.priority in PRIORITIES, "priority", "unknown priority", "mức độ không hợp lệ")
    fixed = {f: (getattr(c, f), getattr(a, f)) for f in ("category", "ward", "priority")}
    changes = {f: v for f, v in fixed.items() if v[1] is not None and v[1] != v[0]}
    return {f: new for f, (_, new) in changes.items()}, {"changes": changes}


def _request_info(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need_note(a, "nội dung cần bổ sung")
    if a.due_at is not None:
        _need_future(a.due_at, now)
    return {"info_due_at": a.due_at}, {}


def _reject(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(a.reason in REJECT_REASONS, "reason", "reason must be one of the workflow's reasons", "lý do không hợp lệ")
    _need(a.reason != DUPLICATE_REASON, "reason", "use mark_duplicate", "dùng chức năng đánh dấu trùng lặp")
    return {}, {"reason": a.reason}


def _mark_duplicate(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(a.duplicate_of and a.duplicate_of != c.case_id, "duplicate_of", "another case id is required", "cần mã phản ánh gốc")
    return {}, {"reason": DUPLICATE_REASON, "duplicate_of": a.duplicate_of}


def _route(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(a.agency, "agency", "an agency is required", "cần chọn đơn vị xử lý")
    _need(a.agency not in a.co_agencies, "co_agencies", "lead agency listed as co-handler",
          "đơn vị chủ trì trùng đơn vị phối hợp")
    co = a.co_agencies or c.co_agencies
    flags = (c.flags - {Flag.QUA_HAN}) | ({Flag.CO_PHOI_HOP} if co else set())
    updates = {"assigned_agency": a.agency, "co_agencies": co, "due_at": _need_future(a.due_at, now), "flags": flags}
    return updates, {"agency": a.agency, "co_agencies": a.co_agencies}


def _agency_return(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(a.reason and a.reason.strip(), "reason", "a reason is required", "cần nêu lý do chuyển trả")
    _need(a.suggested_agency != actor.agency, "suggested_agency", "suggest another agency", "cần gợi ý đơn vị khác")
    past = c.past_agencies + tuple(x for x in (c.assigned_agency,) if x and x not in c.past_agencies)
    updates = {"assigned_agency": None, "past_agencies": past, "extension_pending_days": None}
    return updates, {"reason": a.reason, "suggested_agency": a.suggested_agency}


def _progress_note(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(a.note.strip() or a.media_ids, "note", "a note or a photo is required", "cần nội dung hoặc hình ảnh")
    if is_overdue(c, now):  # workflow.json: overdue progress = progress + photos + committed date
        _need(a.media_ids, "media_ids", "overdue: photos are required", "quá hạn: cần hình ảnh tiến độ")
        return {}, {"committed_at": _need_future(a.due_at, now)}
    return NONE


def _add_co_handler(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(a.co_agencies and c.assigned_agency not in a.co_agencies, "co_agencies", "other agencies are required",
          "cần chọn đơn vị phối hợp")
    co = c.co_agencies + tuple(x for x in a.co_agencies if x not in c.co_agencies)
    return {"co_agencies": co, "flags": c.flags | {Flag.CO_PHOI_HOP}}, {"co_agencies": a.co_agencies}


def _request_extension(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if c.extension_count >= MAX_EXTENSIONS:
        raise _refuse("EXTENSION_LIMIT", c, a, actor)
    if c.due_at is None or now >= c.due_at:
        raise _refuse("EXTENSION_AFTER_DUE", c, a, actor)
    cap = c.base_working_days or 10**6
    _need(a.days is not None and 1 <= a.days <= cap, "days", f"days must be 1..{cap}", "số ngày gia hạn không hợp lệ")
    _need_note(a, "lý do xin gia hạn")
    return {"extension_count": c.extension_count + 1, "extension_pending_days": a.days}, {"extension_days": a.days}


def _approve_extension(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if c.extension_pending_days is None:
        raise _refuse("NO_EXTENSION_PENDING", c, a, actor)
    due = _need_future(a.due_at, max(now, c.due_at or now))
    flags = (c.flags | {Flag.GIA_HAN}) - {Flag.QUA_HAN}
    updates = {"extension_pending_days": None, "due_at": due, "flags": flags}
    return updates, {"extension_days": c.extension_pending_days}


def _refuse_extension(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if c.extension_pending_days is None:
        raise _refuse("NO_EXTENSION_PENDING", c, a, actor)
    _need_note(a, "lý do không duyệt")
    return {"extension_pending_days": None}, {"extension_days": c.extension_pending_days}


def _post_result(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need_note(a, "kết quả xử lý")
    _need(a.media_ids, "media_ids", "at least one after-photo is required", "cần ít nhất một ảnh sau xử lý")
    return {"extension_pending_days": None}, {}


def _publish(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    return {"published_at": now}, {}


def _need_note_only(what_vi: str) -> Callable[[CaseState, Action, Actor, datetime], Result]:
    def guard(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
        _need_note(a, what_vi)
        return NONE
    return guard


def _supply_info(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(a.note.strip() or a.media_ids, "note", "a note or a photo is required", "cần nội dung hoặc hình ảnh bổ sung")
    return {"info_due_at": None}, {}


def _rate(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if c.published_at is not None and now > c.published_at + RATING_WINDOW:
        raise _refuse("RATING_WINDOW_CLOSED", c, a, actor)
    _need(a.rating in RATINGS, "rating", f"rating must be one of {RATINGS}", "mức đánh giá không hợp lệ")
    return {"rating": a.rating}, {"rating": a.rating}


def _close(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if c.published_at is None or now <= c.published_at + RATING_WINDOW:
        raise _refuse("RATING_WINDOW_OPEN", c, a, actor)
    return NONE


def _info_timeout(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if c.info_due_at is not None and now < c.info_due_at:
        raise _refuse("INFO_WINDOW_OPEN", c, a, actor)
    return {"info_due_at": None}, {"reason": INFO_TIMEOUT_REASON}


def _request_reopen(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if c.rating != "KHONG_HAI_LONG":
        raise _refuse("REOPEN_NOT_UNSATISFIED", c, a, actor)
    if c.reopen_count >= MAX_REOPENS:
        raise _refuse("REOPEN_LIMIT", c, a, actor)
    _need_note(a, "lý do đề nghị xử lý lại")
    return {"reopen_count": c.reopen_count + 1, "reopen_requested": True}, {}


def _approve_reopen(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if not c.reopen_requested:
        raise _refuse("NO_REOPEN_REQUEST", c, a, actor)
    due = _need_future(a.due_at, now)
    updates = {"reopen_requested": False, "rating": None, "published_at": None, "due_at": due, "flags": c.flags - {Flag.QUA_HAN}}
    return updates, {}


def _refuse_reopen(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if not c.reopen_requested:
        raise _refuse("NO_REOPEN_REQUEST", c, a, actor)
    _need_note(a, "lý do không mở lại")
    return {"reopen_requested": False}, {}


_GUARDS: dict[Kind, Callable[[CaseState, Action, Actor, datetime], Result]] = {
    K.ACCEPT: _accept, K.REQUEST_INFO: _request_info, K.REJECT: _reject, K.MARK_DUPLICATE: _mark_duplicate,
    K.ROUTE: _route, K.REROUTE: _route, K.AGENCY_ACCEPT: lambda *_: NONE, K.AGENCY_RETURN: _agency_return,
    K.PROGRESS_NOTE: _progress_note, K.ADD_CO_HANDLER: _add_co_handler, K.REQUEST_EXTENSION: _request_extension,
    K.APPROVE_EXTENSION: _approve_extension, K.REFUSE_EXTENSION: _refuse_extension, K.POST_RESULT: _post_result,
    K.PUBLISH: _publish, K.SEND_BACK: _need_note_only("lý do yêu cầu xử lý lại"), K.SUPPLY_INFO: _supply_info,
    K.RATE: _rate, K.CLOSE: _close, K.INFO_TIMEOUT: _info_timeout, K.REQUEST_REOPEN: _request_reopen,
    K.APPROVE_REOPEN: _approve_reopen, K.REFUSE_REOPEN: _refuse_reopen,
}

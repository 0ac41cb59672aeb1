"""Guards of the case state machine: one per verb, each returning (CaseState updates, extra Transition
fields).

A guard raises InvalidAction for a bad payload and TransitionNotAllowed (with a code) for a refused step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .workflow_model import (
    DUPLICATE_REASON,
    INFO_TIMEOUT_REASON,
    MAX_EXTENSIONS,
    MAX_REOPENS,
    PRIORITIES,
    RATING_WINDOW,
    RATINGS,
    REJECT_REASONS,
    Action,
    Actor,
    CaseState,
    Flag,
    InvalidAction,
    Kind,
    Role,
    TransitionNotAllowed,
    is_overdue,
)

K = Kind
Result = tuple[dict[str, Any], dict[str, Any]]
Guard = Callable[[CaseState, Action, Actor, datetime], Result]
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


def _fixes(c: CaseState, a: Action) -> Result:
    """Category, ward and priority an operator corrects (only real changes are recorded)."""
    _need(
        a.priority is None or a.priority in PRIORITIES, "priority", "unknown priority", "mức độ không hợp lệ"
    )
    fixed = {f: (getattr(c, f), getattr(a, f)) for f in ("category", "ward", "priority")}
    changes = {f: v for f, v in fixed.items() if v[1] is not None and v[1] != v[0]}
    return {f: new for f, (_, new) in changes.items()}, {"changes": changes}


def _accept(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    """An operator's accept verifies; automatic triage verifies only when trusted (`a.verify`)."""
    updates, extra = _fixes(c, a)
    return {**updates, "verified": actor.role is Role.OPERATOR or a.verify}, extra


def _verify(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    """The operator verifies a case automatic triage let through (a citizen's urgency), maybe downgrading
    it."""
    if c.verified:
        raise _refuse("ALREADY_VERIFIED", c, a, actor)
    _need(
        a.category is None and a.ward is None,
        "priority",
        "verify fixes only the priority",
        "xác minh chỉ sửa mức độ",
    )
    updates, extra = _fixes(c, a)
    return {**updates, "verified": True}, extra


def _request_info(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need_note(a, "nội dung cần bổ sung")
    if a.due_at is not None:
        _need_future(a.due_at, now)
    return {"info_due_at": a.due_at}, {}


def _reject(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(
        a.reason in REJECT_REASONS,
        "reason",
        "reason must be one of the workflow's reasons",
        "lý do không hợp lệ",
    )
    _need(a.reason != DUPLICATE_REASON, "reason", "use mark_duplicate", "dùng chức năng đánh dấu trùng lặp")
    return {}, {"reason": a.reason}


def _mark_duplicate(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(
        a.duplicate_of and a.duplicate_of != c.case_id,
        "duplicate_of",
        "another case id is required",
        "cần mã phản ánh gốc",
    )
    return {}, {"reason": DUPLICATE_REASON, "duplicate_of": a.duplicate_of}


def _route(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    """Routing's deadline is a fact (it may be absent or already past); an operator's must lie ahead."""
    _need(a.agency, "agency", "an agency is required", "cần chọn đơn vị xử lý")
    _need(
        a.agency not in a.co_agencies,
        "co_agencies",
        "lead agency listed as co-handler",
        "đơn vị chủ trì trùng đơn vị phối hợp",
    )
    due = a.due_at if actor.role is Role.SYSTEM else _need_future(a.due_at, now)
    co = a.co_agencies or c.co_agencies
    flags = (c.flags - {Flag.QUA_HAN}) | ({Flag.CO_PHOI_HOP} if co else set())
    updates = {"assigned_agency": a.agency, "co_agencies": co, "due_at": due, "flags": flags}
    return updates, {"agency": a.agency, "co_agencies": a.co_agencies}


def _reassign(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    """An open case moves to another agency (re-routing after a fix, or a directory change)."""
    _need(
        a.agency and a.agency != c.assigned_agency,
        "agency",
        "another agency is required",
        "cần đơn vị xử lý khác",
    )
    past = c.past_agencies + tuple(x for x in (c.assigned_agency,) if x and x not in c.past_agencies)
    updates, extra = _route(c, a, actor, now)
    return {**updates, "past_agencies": past, "extension_pending_days": None}, extra


def _request_reroute(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    """The operator asks routing to decide again, optionally fixing category/ward/priority or naming an
    agency."""
    updates, extra = _fixes(c, a)
    return updates, {**extra, "agency": a.agency}


def _agency_return(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(a.reason and a.reason.strip(), "reason", "a reason is required", "cần nêu lý do chuyển trả")
    _need(
        a.suggested_agency != actor.agency,
        "suggested_agency",
        "suggest another agency",
        "cần gợi ý đơn vị khác",
    )
    past = c.past_agencies + tuple(x for x in (c.assigned_agency,) if x and x not in c.past_agencies)
    updates = {"assigned_agency": None, "past_agencies": past, "extension_pending_days": None}
    return updates, {"reason": a.reason, "suggested_agency": a.suggested_agency}


def _progress_note(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(
        a.note.strip() or a.media_ids, "note", "a note or a photo is required", "cần nội dung hoặc hình ảnh"
    )
    if is_overdue(c, now):  # workflow.json: overdue progress = progress + photos + committed date
        _need(a.media_ids, "media_ids", "overdue: photos are required", "quá hạn: cần hình ảnh tiến độ")
        return {}, {"committed_at": _need_future(a.due_at, now)}
    return NONE


def _add_co_handler(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(
        a.co_agencies and c.assigned_agency not in a.co_agencies,
        "co_agencies",
        "other agencies are required",
        "cần chọn đơn vị phối hợp",
    )
    co = c.co_agencies + tuple(x for x in a.co_agencies if x not in c.co_agencies)
    return {"co_agencies": co, "flags": c.flags | {Flag.CO_PHOI_HOP}}, {"co_agencies": a.co_agencies}


def _request_extension(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if c.extension_count >= MAX_EXTENSIONS:
        raise _refuse("EXTENSION_LIMIT", c, a, actor)
    if c.due_at is None or now >= c.due_at:
        raise _refuse("EXTENSION_AFTER_DUE", c, a, actor)
    cap = c.base_working_days or 10**6
    _need(
        a.days is not None and 1 <= a.days <= cap,
        "days",
        f"days must be 1..{cap}",
        "số ngày gia hạn không hợp lệ",
    )
    _need_note(a, "lý do xin gia hạn")
    return {"extension_count": c.extension_count + 1, "extension_pending_days": a.days}, {
        "extension_days": a.days
    }


def _approve_extension(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    """A given deadline must lie ahead; without one the due date stays until routing recomputes it."""
    if c.extension_pending_days is None:
        raise _refuse("NO_EXTENSION_PENDING", c, a, actor)
    due = c.due_at if a.due_at is None else _need_future(a.due_at, max(now, c.due_at or now))
    flags = (c.flags | {Flag.GIA_HAN}) - ({Flag.QUA_HAN} if a.due_at is not None else set())
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
    """Publishing is the operator's review: a case not verified before is verified now."""
    return {"published_at": now, "verified": True}, {}


def _need_note_only(what_vi: str) -> Guard:
    def guard(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
        _need_note(a, what_vi)
        return NONE

    return guard


def _supply_info(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    _need(
        a.note.strip() or a.media_ids,
        "note",
        "a note or a photo is required",
        "cần nội dung hoặc hình ảnh bổ sung",
    )
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
    updates = {
        "reopen_requested": False,
        "rating": None,
        "published_at": None,
        "due_at": due,
        "flags": c.flags - {Flag.QUA_HAN},
    }
    return updates, {}


def _refuse_reopen(c: CaseState, a: Action, actor: Actor, now: datetime) -> Result:
    if not c.reopen_requested:
        raise _refuse("NO_REOPEN_REQUEST", c, a, actor)
    _need_note(a, "lý do không mở lại")
    return {"reopen_requested": False}, {}


GUARDS: dict[Kind, Guard] = {
    K.ACCEPT: _accept,
    K.VERIFY: _verify,
    K.REQUEST_INFO: _request_info,
    K.REJECT: _reject,
    K.MARK_DUPLICATE: _mark_duplicate,
    K.ROUTE: _route,
    K.REROUTE: _route,
    K.REQUEST_REROUTE: _request_reroute,
    K.REASSIGN: _reassign,
    K.AGENCY_ACCEPT: lambda *_: NONE,
    K.AGENCY_RETURN: _agency_return,
    K.PROGRESS_NOTE: _progress_note,
    K.ADD_CO_HANDLER: _add_co_handler,
    K.REQUEST_EXTENSION: _request_extension,
    K.APPROVE_EXTENSION: _approve_extension,
    K.REFUSE_EXTENSION: _refuse_extension,
    K.POST_RESULT: _post_result,
    K.PUBLISH: _publish,
    K.SEND_BACK: _need_note_only("lý do yêu cầu xử lý lại"),
    K.SUPPLY_INFO: _supply_info,
    K.RATE: _rate,
    K.CLOSE: _close,
    K.INFO_TIMEOUT: _info_timeout,
    K.REQUEST_REOPEN: _request_reopen,
    K.APPROVE_REOPEN: _approve_reopen,
    K.REFUSE_REOPEN: _refuse_reopen,
}

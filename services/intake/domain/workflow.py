"""The case state machine: pure and table-driven from shared/data/hatinh/workflow.json.

Decisions (documented here because the JSON leaves them open):
- "Duplicate of case X" is TU_CHOI with reason 'trùng lặp' plus `duplicate_of`, reached only by the
  MARK_DUPLICATE action; REJECT refuses that reason so every duplicate names its primary case.
- Operator accept and agency accept are different verbs (ACCEPT, AGENCY_ACCEPT); so are the two halves
  of "decide" (APPROVE_/REFUSE_EXTENSION, APPROVE_/REFUSE_REOPEN), so each verb has one target state.
- Extensions and reopen requests are counted when *requested* (max 1 each per case, from the JSON).
- Routing owns agencies and working-day deadlines: the operator's re-route is REQUEST_REROUTE (no state
  change; intake emits `report.reroute_requested`), and routing's answer (`report.routed`) is applied by the
  system as REROUTE (from TRA_LAI) or REASSIGN (an open case moves to another agency). ROUTE, REROUTE and
  REASSIGN carry routing's `due_at`; APPROVE_REOPEN carries the caller's, which routing adopts (it owns the
  deadlines: `report.status_changed.reopen_due_at` → `report.deadline_changed(reopened)`);
  APPROVE_EXTENSION may
  (else routing sends the new one in `report.deadline_changed`).
- The administrator manages configuration and performs no case action; `public` never acts.

Vocabulary and models live in `workflow_model.py`, guards in `workflow_guards.py`; both are re-exported here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from .workflow_guards import GUARDS
from .workflow_model import (
    AGENCY_ROLES,
    DUPLICATE_REASON,
    HANDLING_STATES,
    INFO_TIMEOUT_REASON,
    MAX_EXTENSIONS,
    MAX_REOPENS,
    OPEN_STATES,
    PRIORITIES,
    PUBLIC_STATES,
    RATING_WINDOW,
    RATINGS,
    REJECT_REASONS,
    TERMINAL_STATES,
    VISIBILITY_ORDER,
    Action,
    Actor,
    CaseState,
    Clock,
    Flag,
    InvalidAction,
    Kind,
    Role,
    State,
    Transition,
    TransitionNotAllowed,
    Visibility,
    is_overdue,
)

S, R, K = State, Role, Kind

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
    ("DANG_XU_LY", "DANG_XU_LY", "operator"),  # approve / refuse an extension; ask routing to re-route
    ("DA_CONG_KHAI", "DA_DANH_GIA", "system"),  # rating received through another channel
    ("DA_DANH_GIA", "DA_DANH_GIA", "citizen"),  # request a reopen
    ("DA_DANH_GIA", "DA_DANH_GIA", "operator"),  # refuse a reopen
    ("TRA_LAI", "DA_CHUYEN_XU_LY", "system"),  # routing carries out the operator's re-route request
    ("DA_CHUYEN_XU_LY", "DA_CHUYEN_XU_LY", "system"),  # re-routed while open (fix or directory change)
    ("DANG_XU_LY", "DA_CHUYEN_XU_LY", "system"),  # ditto: the new agency must accept it
    (
        "DA_TIEP_NHAN",
        "DA_TIEP_NHAN",
        "operator",
    ),  # unroutable: the operator asks routing again / names an agency
    ("TRA_LAI", "TRA_LAI", "operator"),  # returned: the operator asks routing to re-route
    ("DA_CHUYEN_XU_LY", "DA_CHUYEN_XU_LY", "operator"),  # the operator fixes category/ward of an open case
    ("DA_XU_LY", "DA_XU_LY", "operator"),  # verify an urgent case that reached its result unverified
)
JSON_ROLES: dict[str, frozenset[Role]] = {
    "operator": frozenset({R.OPERATOR}),
    "citizen": frozenset({R.CITIZEN}),
    "system": frozenset({R.SYSTEM}),
    "auto_router": frozenset({R.SYSTEM}),
    "agency": AGENCY_ROLES,
}


class Rule(NamedTuple):
    sources: frozenset[State]
    target: State | None  # None: stays in the same state
    roles: frozenset[Role]
    visibility: Visibility
    clock: Clock = None


def _r(
    sources: State | tuple[State, ...], target: State | None, roles: Any, vis: Visibility, clock: Clock = None
) -> Rule:
    src = frozenset(sources if isinstance(sources, tuple) else (sources,))
    return Rule(
        src, target, frozenset(roles if isinstance(roles, frozenset | set | tuple) else (roles,)), vis, clock
    )


OP, CIT, SYS, AG = R.OPERATOR, R.CITIZEN, R.SYSTEM, AGENCY_ROLES
RULES: dict[Kind, Rule] = {
    K.ACCEPT: _r(S.CHO_TIEP_NHAN, S.DA_TIEP_NHAN, (OP, SYS), "public"),
    K.REQUEST_INFO: _r(S.CHO_TIEP_NHAN, S.CHO_BO_SUNG, OP, "reporter", "stop"),
    K.REJECT: _r(S.CHO_TIEP_NHAN, S.TU_CHOI, OP, "reporter"),
    K.MARK_DUPLICATE: _r(S.CHO_TIEP_NHAN, S.TU_CHOI, OP, "reporter"),
    K.VERIFY: _r(
        (S.DA_TIEP_NHAN, S.DA_CHUYEN_XU_LY, S.DANG_XU_LY, S.TRA_LAI, S.DA_XU_LY), None, OP, "public"
    ),
    K.ROUTE: _r(S.DA_TIEP_NHAN, S.DA_CHUYEN_XU_LY, (OP, SYS), "public", "start"),
    K.REROUTE: _r(S.TRA_LAI, S.DA_CHUYEN_XU_LY, (OP, SYS), "public", "start"),
    K.REQUEST_REROUTE: _r((S.DA_TIEP_NHAN, S.TRA_LAI, S.DA_CHUYEN_XU_LY, S.DANG_XU_LY), None, OP, "staff"),
    K.REASSIGN: _r((S.DA_CHUYEN_XU_LY, S.DANG_XU_LY), S.DA_CHUYEN_XU_LY, SYS, "public", "start"),
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


def allowed(state: State, kind: Kind, role: Role) -> bool:
    """Whether the table allows this verb for this role in this state (before guards)."""
    rule = RULES[kind]
    return state in rule.sources and role in rule.roles


def allowed_actions(state: State, role: Role) -> tuple[Kind, ...]:
    """Verbs a role may try in a state (for building UI buttons)."""
    return tuple(k for k in Kind if allowed(state, k, role))


def apply(case: CaseState, action: Action, actor: Actor, now: datetime) -> Transition:
    """Apply one verb; may raise TransitionNotAllowed or InvalidAction."""
    if now.tzinfo is None:
        raise InvalidAction("now", "must be timezone-aware", "thời điểm phải có múi giờ")
    if not allowed(case.state, action.kind, actor.role):
        raise TransitionNotAllowed("NOT_ALLOWED", case.state, action.kind, actor.role)
    if actor.role in AGENCY_ROLES:
        _check_agency(case, action, actor)
    rule = RULES[action.kind]
    updates, extra = GUARDS[action.kind](case, action, actor, now)
    target = rule.target or case.state
    after = case.model_copy(update={"state": target, **updates})
    after = after.model_copy(update={"flags": _overdue_flags(after, now)})
    visibility = _visibility(rule.visibility, action.visibility, actor)
    return Transition(
        case_id=case.case_id,
        from_state=case.state,
        to_state=target,
        action=action.kind,
        newly_verified=after.verified and not case.verified,
        actor_role=actor.role,
        actor_agency=actor.agency,
        actor_subject=None if actor.role in (R.CITIZEN, R.PUBLIC) else actor.subject,
        at=now,
        note=action.note,
        visibility=visibility,
        public=visibility == "public",
        media_ids=action.media_ids,
        clock=rule.clock,
        flags_added=after.flags - case.flags,
        flags_removed=case.flags - after.flags,
        after=after,
        **extra,
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
        raise InvalidAction(
            "visibility", f"cannot widen {default} to {asked}", "không thể mở rộng phạm vi hiển thị"
        )
    if asked == "internal" and actor.role is not R.OPERATOR:
        raise InvalidAction(
            "visibility", "only operators write internal notes", "chỉ điều hành viên ghi chú nội bộ"
        )
    return asked


# Channels whose caller the gateway authenticated (an Open311 key's client, an IOC operator entering a call);
# the citizen's own `web` channel is anonymous, so no setting can make automatic triage trust it.
AUTHENTICATED_CHANNELS = frozenset({"open311", "hotline"})
AutoAccept = Literal["trusted", "urgent"]


class AutoTriageConfig(BaseModel):
    """Which reports skip the operator: trusted categories or authenticated channels ('*' = all), and urgent
    (KHAN) ones — routed at once but left unverified (not public) until an operator verifies them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    categories: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    urgent: bool = True  # KHAN: auto-accept and route at once (not verified)

    @classmethod
    def parse(cls, categories: str | None, channels: str | None, urgent: bool = True) -> AutoTriageConfig:
        """From comma lists as configured (`AUTO_ACCEPT_CATEGORIES`, `AUTO_ACCEPT_CHANNELS`); may raise
        ValueError for a channel that is not authenticated ('*' means every authenticated channel)."""

        def split(text: str | None) -> frozenset[str]:
            return frozenset(x.strip() for x in (text or "").split(",") if x.strip())

        channel_set = split(channels)
        untrusted = channel_set - AUTHENTICATED_CHANNELS - {"*"}
        if untrusted:
            raise ValueError(
                f"AUTO_ACCEPT_CHANNELS: {', '.join(sorted(untrusted))} not authenticated (use one of "
                f"{', '.join(sorted(AUTHENTICATED_CHANNELS))})"
            )
        if "*" in channel_set:
            channel_set = AUTHENTICATED_CHANNELS
        return cls(categories=split(categories), channels=channel_set, urgent=urgent)


def should_auto_accept(
    category: str | None, channel: str | None, priority: str, config: AutoTriageConfig
) -> AutoAccept | None:
    """Whether the system accepts a new report without waiting for an operator, and how far it is trusted:
    `trusted` (a configured category, an authenticated channel: verified, public at once), `urgent` (a
    citizen's urgency: routed at once, public only once an operator verifies it), None (the operator triages
    it)."""
    by_category = "*" in config.categories or (category is not None and category in config.categories)
    by_channel = channel in AUTHENTICATED_CHANNELS and channel in config.channels
    if by_category or by_channel:
        return "trusted"
    return "urgent" if config.urgent and priority == "KHAN" else None


__all__ = [
    "AGENCY_ROLES",
    "AUTHENTICATED_CHANNELS",
    "DUPLICATE_REASON",
    "EXTRA_EDGES",
    "HANDLING_STATES",
    "INFO_TIMEOUT_REASON",
    "JSON_ROLES",
    "JSON_TRANSITIONS",
    "MAX_EXTENSIONS",
    "MAX_REOPENS",
    "OPEN_STATES",
    "PRIORITIES",
    "PUBLIC_STATES",
    "RATING_WINDOW",
    "RATINGS",
    "REJECT_REASONS",
    "RULES",
    "TERMINAL_STATES",
    "VISIBILITY_ORDER",
    "Action",
    "Actor",
    "AutoTriageConfig",
    "CaseState",
    "Flag",
    "InvalidAction",
    "Kind",
    "Role",
    "Rule",
    "State",
    "Transition",
    "TransitionNotAllowed",
    "allowed",
    "allowed_actions",
    "apply",
    "is_overdue",
    "should_auto_accept",
]

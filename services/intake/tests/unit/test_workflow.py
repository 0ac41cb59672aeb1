"""Unit tests of the case state machine: drift against workflow.json, the full cross product, guards."""

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from libs import refdata
from services.intake.domain import workflow as wf
from services.intake.domain.workflow import (
    Action,
    Actor,
    AutoTriageConfig,
    CaseState,
    Flag,
    InvalidAction,
    TransitionNotAllowed,
    apply,
    should_auto_accept,
)
from services.intake.domain.workflow import (
    Kind as K,
)
from services.intake.domain.workflow import (
    Role as R,
)
from services.intake.domain.workflow import (
    State as S,
)

REPO = Path(__file__).resolve().parents[4]
SEED = refdata.ROOT  # the project's copy of the shared reference data
NOW = datetime(2026, 5, 12, 9, 30, tzinfo=timezone(timedelta(hours=7)))
AGENCY_ROLES = (R.AGENCY_OFFICER, R.AGENCY_LEADER)


def rid(prefix: str = "") -> str:
    """A random id so no test leans on a hard-coded value."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def make_case(**kw) -> CaseState:
    """A case builder with sensible defaults for a routed, in-handling case."""
    base = dict(
        case_id=rid("PA"),
        assigned_agency=rid("UBND_"),
        due_at=NOW + timedelta(days=2),
        category="GIAO_THONG_HA_TANG",
        ward="18073",
    )
    return CaseState(**{**base, **kw})


def make_actor(role: R, case: CaseState | None = None, **kw) -> Actor:
    """An actor; agency roles default to the case's assigned agency."""
    agency = case.assigned_agency if case is not None and role in AGENCY_ROLES else None
    return Actor(**{"role": role, "subject": rid("u"), "agency": agency, **kw})


def workflow_json() -> dict:
    return json.loads((SEED / "hatinh" / "workflow.json").read_text(encoding="utf-8"))


# ---- drift: the Python table and constants equal workflow.json ------------------------------------


def test_transitions_table_equals_json():
    assert wf.JSON_TRANSITIONS == tuple(tuple(t[:3]) for t in workflow_json()["transitions"])


def test_states_and_constants_equal_json():
    data = workflow_json()
    states = data["states"]
    assert [s.value for s in S] == [s["code"] for s in states]
    assert {s.value for s in wf.PUBLIC_STATES} == {s["code"] for s in states if s["public"]}
    assert {s.value for s in wf.TERMINAL_STATES} == {s["code"] for s in states if s.get("terminal")}
    assert wf.REJECT_REASONS == tuple(next(s for s in states if s["code"] == "TU_CHOI")["reasons"])
    assert set(Flag) == set(next(s for s in states if s["code"] == "DANG_XU_LY")["flags"])
    assert wf.PRIORITIES == tuple(p["code"] for p in data["priorities"])
    sla = data["sla"]
    assert wf.RATINGS == tuple(sla["rating_levels"])
    assert wf.MAX_EXTENSIONS == sla["extension"]["max_times"]
    assert wf.MAX_REOPENS == sla["reopen_on_unsatisfied"]["max_times"]
    assert wf.RATING_WINDOW == timedelta(days=sla["rating_window_days"])


def test_codes_agree_with_the_shared_contracts():
    from libs.contracts.common import Priority, Status

    assert [s.value for s in Status] == [s.value for s in S]
    assert tuple(p.value for p in Priority) == wf.PRIORITIES


def _expand(edges) -> set[tuple[str, str, R]]:
    return {(f, t, role) for f, t, names in edges for n in names.split("|") for role in wf.JSON_ROLES[n]}


def test_rules_cover_exactly_json_plus_documented_extras():
    from_rules = {
        (src.value, (rule.target or src).value, role)
        for rule in wf.RULES.values()
        for src in rule.sources
        for role in rule.roles
    }
    assert from_rules == _expand(wf.JSON_TRANSITIONS) | _expand(wf.EXTRA_EDGES)
    assert not set(wf.EXTRA_EDGES) & set(wf.JSON_TRANSITIONS)


# ---- the full cross product: state x action x role -------------------------------------------------

AG = AGENCY_ROLES
EXPECTED = {  # written by hand from the brief, independent of wf.RULES
    K.ACCEPT: ({S.CHO_TIEP_NHAN}, S.DA_TIEP_NHAN, {R.OPERATOR, R.SYSTEM}),
    K.REQUEST_INFO: ({S.CHO_TIEP_NHAN}, S.CHO_BO_SUNG, {R.OPERATOR}),
    K.REJECT: ({S.CHO_TIEP_NHAN}, S.TU_CHOI, {R.OPERATOR}),
    K.MARK_DUPLICATE: ({S.CHO_TIEP_NHAN}, S.TU_CHOI, {R.OPERATOR}),
    K.VERIFY: ({S.DA_TIEP_NHAN, S.DA_CHUYEN_XU_LY, S.DANG_XU_LY, S.TRA_LAI, S.DA_XU_LY}, None, {R.OPERATOR}),
    K.ROUTE: ({S.DA_TIEP_NHAN}, S.DA_CHUYEN_XU_LY, {R.OPERATOR, R.SYSTEM}),
    K.REROUTE: ({S.TRA_LAI}, S.DA_CHUYEN_XU_LY, {R.OPERATOR, R.SYSTEM}),
    K.REQUEST_REROUTE: ({S.DA_TIEP_NHAN, S.TRA_LAI, S.DA_CHUYEN_XU_LY, S.DANG_XU_LY}, None, {R.OPERATOR}),
    K.REASSIGN: ({S.DA_CHUYEN_XU_LY, S.DANG_XU_LY}, S.DA_CHUYEN_XU_LY, {R.SYSTEM}),
    K.AGENCY_ACCEPT: ({S.DA_CHUYEN_XU_LY}, S.DANG_XU_LY, set(AG)),
    K.AGENCY_RETURN: ({S.DA_CHUYEN_XU_LY, S.DANG_XU_LY}, S.TRA_LAI, set(AG)),
    K.PROGRESS_NOTE: ({S.DANG_XU_LY}, S.DANG_XU_LY, set(AG)),
    K.ADD_CO_HANDLER: ({S.DANG_XU_LY}, S.DANG_XU_LY, set(AG)),
    K.REQUEST_EXTENSION: ({S.DANG_XU_LY}, S.DANG_XU_LY, set(AG)),
    K.APPROVE_EXTENSION: ({S.DANG_XU_LY}, S.DANG_XU_LY, {R.OPERATOR}),
    K.REFUSE_EXTENSION: ({S.DANG_XU_LY}, S.DANG_XU_LY, {R.OPERATOR}),
    K.POST_RESULT: ({S.DANG_XU_LY}, S.DA_XU_LY, set(AG)),
    K.PUBLISH: ({S.DA_XU_LY}, S.DA_CONG_KHAI, {R.OPERATOR}),
    K.SEND_BACK: ({S.DA_XU_LY}, S.DANG_XU_LY, {R.OPERATOR}),
    K.SUPPLY_INFO: ({S.CHO_BO_SUNG}, S.CHO_TIEP_NHAN, {R.CITIZEN}),
    K.RATE: ({S.DA_CONG_KHAI}, S.DA_DANH_GIA, {R.CITIZEN, R.SYSTEM}),
    K.CLOSE: ({S.DA_CONG_KHAI}, S.DONG, {R.SYSTEM}),
    K.INFO_TIMEOUT: ({S.CHO_BO_SUNG}, S.TU_CHOI, {R.SYSTEM}),
    K.REQUEST_REOPEN: ({S.DA_DANH_GIA}, S.DA_DANH_GIA, {R.CITIZEN}),
    K.APPROVE_REOPEN: ({S.DA_DANH_GIA}, S.DANG_XU_LY, {R.OPERATOR}),
    K.REFUSE_REOPEN: ({S.DA_DANH_GIA}, S.DA_DANH_GIA, {R.OPERATOR}),
}


def valid_setup(kind: K) -> tuple[dict, dict]:
    """Case overrides and action payload that satisfy every guard of `kind`."""
    note, later = {"note": "Nội dung " + rid()}, NOW + timedelta(days=3)
    table = {
        K.REQUEST_INFO: ({}, note),
        K.REJECT: ({}, {"reason": wf.REJECT_REASONS[0]}),
        K.MARK_DUPLICATE: ({}, {"duplicate_of": rid("PA")}),
        K.ROUTE: ({}, {"agency": rid("UBND_"), "due_at": later}),
        K.REROUTE: ({}, {"agency": rid("UBND_"), "due_at": later}),
        K.REASSIGN: ({}, {"agency": rid("UBND_"), "due_at": later}),
        K.AGENCY_RETURN: ({}, {"reason": "Không thuộc thẩm quyền", "suggested_agency": rid("SO_")}),
        K.PROGRESS_NOTE: ({}, note),
        K.ADD_CO_HANDLER: ({}, {"co_agencies": (rid("CA_"),)}),
        K.REQUEST_EXTENSION: ({}, {"days": 3, **note}),
        K.APPROVE_EXTENSION: ({"extension_pending_days": 3}, {"due_at": NOW + timedelta(days=5)}),
        K.REFUSE_EXTENSION: ({"extension_pending_days": 3}, note),
        K.POST_RESULT: ({}, {"media_ids": (rid("m"),), **note}),
        K.SEND_BACK: ({}, note),
        K.SUPPLY_INFO: ({}, note),
        K.RATE: ({"published_at": NOW - timedelta(days=1)}, {"rating": "HAI_LONG"}),
        K.CLOSE: ({"published_at": NOW - timedelta(days=8)}, {}),
        K.INFO_TIMEOUT: ({"info_due_at": NOW - timedelta(hours=1)}, {}),
        K.REQUEST_REOPEN: ({"rating": "KHONG_HAI_LONG"}, note),
        K.APPROVE_REOPEN: (
            {"rating": "KHONG_HAI_LONG", "reopen_requested": True, "reopen_count": 1},
            {"due_at": later},
        ),
        K.REFUSE_REOPEN: ({"rating": "KHONG_HAI_LONG", "reopen_requested": True, "reopen_count": 1}, note),
    }
    return table.get(kind, ({}, {}))


CROSS = [(s, k, r) for s in S for k in K for r in R]


def test_cross_product_has_every_combination():
    assert len(CROSS) == len(S) * len(K) * len(R) == 11 * 26 * 7


@pytest.mark.parametrize("state,kind,role", CROSS, ids=lambda v: str(v))
def test_exactly_the_allowed_set_passes(state, kind, role):
    sources, target, roles = EXPECTED[kind]
    case_kw, action_kw = valid_setup(kind)
    case = make_case(state=state, **case_kw)
    action, actor = Action(kind=kind, **action_kw), make_actor(role, case)
    assert wf.allowed(state, kind, role) is (state in sources and role in roles)
    if state in sources and role in roles:
        t = apply(case, action, actor, NOW)
        target = target or state
        assert (t.from_state, t.to_state, t.after.state, t.action) == (state, target, target, kind)
    else:
        with pytest.raises(TransitionNotAllowed) as err:
            apply(case, action, actor, NOW)
        assert (err.value.code, err.value.from_state, err.value.action, err.value.role) == (
            "NOT_ALLOWED",
            state,
            kind,
            role,
        )


def test_administrator_and_public_have_no_actions():
    assert all(wf.allowed_actions(s, r) == () for s in S for r in (R.ADMINISTRATOR, R.PUBLIC))


# ---- guards ----------------------------------------------------------------------------------------


def run(kind: K, case: CaseState, role: R, at: datetime = NOW, actor: Actor | None = None, **payload):
    return apply(case, Action(kind=kind, **payload), actor or make_actor(role, case), at)


def refused(kind: K, case: CaseState, role: R, at: datetime = NOW, **payload) -> str:
    with pytest.raises(TransitionNotAllowed) as err:
        run(kind, case, role, at, **payload)
    return err.value.code


def invalid(kind: K, case: CaseState, role: R, at: datetime = NOW, **payload) -> str:
    with pytest.raises(InvalidAction) as err:
        run(kind, case, role, at, **payload)
    assert err.value.message_vi
    return err.value.field


@pytest.mark.parametrize(
    "kind,state,role,case_kw,payload,field",
    [
        (K.REJECT, S.CHO_TIEP_NHAN, R.OPERATOR, {}, {"reason": "tùy ý"}, "reason"),
        (K.REJECT, S.CHO_TIEP_NHAN, R.OPERATOR, {}, {"reason": wf.DUPLICATE_REASON}, "reason"),
        (
            K.MARK_DUPLICATE,
            S.CHO_TIEP_NHAN,
            R.OPERATOR,
            {"case_id": "PA-self"},
            {"duplicate_of": "PA-self"},
            "duplicate_of",
        ),
        (K.MARK_DUPLICATE, S.CHO_TIEP_NHAN, R.OPERATOR, {}, {}, "duplicate_of"),
        (K.ACCEPT, S.CHO_TIEP_NHAN, R.OPERATOR, {}, {"priority": "RAT_GAP"}, "priority"),
        (K.REQUEST_INFO, S.CHO_TIEP_NHAN, R.OPERATOR, {}, {"note": "  "}, "note"),
        (K.ROUTE, S.DA_TIEP_NHAN, R.SYSTEM, {}, {"due_at": NOW + timedelta(days=1)}, "agency"),
        (
            K.ROUTE,
            S.DA_TIEP_NHAN,
            R.OPERATOR,
            {},
            {"agency": "SO_XD", "due_at": NOW - timedelta(days=1)},
            "due_at",
        ),
        (K.REASSIGN, S.DANG_XU_LY, R.SYSTEM, {"assigned_agency": "SO_XD"}, {"agency": "SO_XD"}, "agency"),
        (K.REQUEST_REROUTE, S.TRA_LAI, R.OPERATOR, {}, {"priority": "RAT_GAP"}, "priority"),
        (
            K.ROUTE,
            S.DA_TIEP_NHAN,
            R.OPERATOR,
            {},
            {"agency": "SO_XD", "co_agencies": ("SO_XD",), "due_at": NOW + timedelta(days=1)},
            "co_agencies",
        ),
        (K.AGENCY_RETURN, S.DANG_XU_LY, R.AGENCY_OFFICER, {}, {}, "reason"),
        (K.POST_RESULT, S.DANG_XU_LY, R.AGENCY_OFFICER, {}, {"note": "Đã vá ổ gà"}, "media_ids"),
        (K.POST_RESULT, S.DANG_XU_LY, R.AGENCY_LEADER, {}, {"media_ids": ("m1",)}, "note"),
        (
            K.REQUEST_EXTENSION,
            S.DANG_XU_LY,
            R.AGENCY_OFFICER,
            {"base_working_days": 7},
            {"days": 8, "note": "x"},
            "days",
        ),
        (K.REQUEST_EXTENSION, S.DANG_XU_LY, R.AGENCY_OFFICER, {}, {"days": 0, "note": "x"}, "days"),
        (K.REQUEST_EXTENSION, S.DANG_XU_LY, R.AGENCY_OFFICER, {}, {"days": 2}, "note"),
        (
            K.APPROVE_EXTENSION,
            S.DANG_XU_LY,
            R.OPERATOR,
            {"extension_pending_days": 2},
            {"due_at": NOW + timedelta(days=1)},
            "due_at",
        ),
        (K.RATE, S.DA_CONG_KHAI, R.CITIZEN, {"published_at": NOW}, {"rating": "TUYET_VOI"}, "rating"),
        (K.SUPPLY_INFO, S.CHO_BO_SUNG, R.CITIZEN, {}, {}, "note"),
        (K.SEND_BACK, S.DA_XU_LY, R.OPERATOR, {}, {}, "note"),
        (K.APPROVE_REOPEN, S.DA_DANH_GIA, R.OPERATOR, {"reopen_requested": True}, {}, "due_at"),
    ],
)
def test_invalid_payloads(kind, state, role, case_kw, payload, field):
    assert invalid(kind, make_case(state=state, **case_kw), role, **payload) == field


@pytest.mark.parametrize(
    "kind,state,role,case_kw,payload,at,code",
    [
        (
            K.REQUEST_EXTENSION,
            S.DANG_XU_LY,
            R.AGENCY_OFFICER,
            {"extension_count": 1},
            {"days": 2, "note": "x"},
            NOW,
            "EXTENSION_LIMIT",
        ),
        (
            K.REQUEST_EXTENSION,
            S.DANG_XU_LY,
            R.AGENCY_OFFICER,
            {},
            {"days": 2, "note": "x"},
            NOW + timedelta(days=3),
            "EXTENSION_AFTER_DUE",
        ),
        (
            K.REQUEST_EXTENSION,
            S.DANG_XU_LY,
            R.AGENCY_OFFICER,
            {"due_at": None},
            {"days": 2, "note": "x"},
            NOW,
            "EXTENSION_AFTER_DUE",
        ),
        (
            K.APPROVE_EXTENSION,
            S.DANG_XU_LY,
            R.OPERATOR,
            {},
            {"due_at": NOW + timedelta(days=9)},
            NOW,
            "NO_EXTENSION_PENDING",
        ),
        (K.REFUSE_EXTENSION, S.DANG_XU_LY, R.OPERATOR, {}, {"note": "x"}, NOW, "NO_EXTENSION_PENDING"),
        (
            K.RATE,
            S.DA_CONG_KHAI,
            R.CITIZEN,
            {"published_at": NOW - timedelta(days=7, seconds=1)},
            {"rating": "HAI_LONG"},
            NOW,
            "RATING_WINDOW_CLOSED",
        ),
        (
            K.CLOSE,
            S.DA_CONG_KHAI,
            R.SYSTEM,
            {"published_at": NOW - timedelta(days=6)},
            {},
            NOW,
            "RATING_WINDOW_OPEN",
        ),
        (K.CLOSE, S.DA_CONG_KHAI, R.SYSTEM, {"published_at": None}, {}, NOW, "RATING_WINDOW_OPEN"),
        (
            K.INFO_TIMEOUT,
            S.CHO_BO_SUNG,
            R.SYSTEM,
            {"info_due_at": NOW + timedelta(hours=1)},
            {},
            NOW,
            "INFO_WINDOW_OPEN",
        ),
        (
            K.REQUEST_REOPEN,
            S.DA_DANH_GIA,
            R.CITIZEN,
            {"rating": "CHAP_NHAN"},
            {"note": "x"},
            NOW,
            "REOPEN_NOT_UNSATISFIED",
        ),
        (
            K.REQUEST_REOPEN,
            S.DA_DANH_GIA,
            R.CITIZEN,
            {"rating": "KHONG_HAI_LONG", "reopen_count": 1},
            {"note": "x"},
            NOW,
            "REOPEN_LIMIT",
        ),
        (
            K.APPROVE_REOPEN,
            S.DA_DANH_GIA,
            R.OPERATOR,
            {"rating": "KHONG_HAI_LONG"},
            {"due_at": NOW + timedelta(days=2)},
            NOW,
            "NO_REOPEN_REQUEST",
        ),
        (K.REFUSE_REOPEN, S.DA_DANH_GIA, R.OPERATOR, {}, {"note": "x"}, NOW, "NO_REOPEN_REQUEST"),
    ],
)
def test_guards_refuse(kind, state, role, case_kw, payload, at, code):
    assert refused(kind, make_case(state=state, **case_kw), role, at, **payload) == code


@pytest.mark.parametrize(
    "kind,payload",
    [
        (K.AGENCY_ACCEPT, {}),
        (K.POST_RESULT, {"note": "x", "media_ids": ("m",)}),
        (K.PROGRESS_NOTE, {"note": "x"}),
    ],
)
def test_foreign_agency_cannot_act(kind, payload):
    state = S.DA_CHUYEN_XU_LY if kind is K.AGENCY_ACCEPT else S.DANG_XU_LY
    case = make_case(state=state, co_agencies=("CA_18073",))
    stranger = Actor(role=R.AGENCY_OFFICER, subject=rid(), agency=rid("UBND_"))
    with pytest.raises(TransitionNotAllowed) as err:
        run(kind, case, R.AGENCY_OFFICER, actor=stranger, **payload)
    assert err.value.code == "AGENCY_NOT_ASSIGNED"
    with pytest.raises(TransitionNotAllowed):  # an agency actor without an agency claim
        run(kind, case, R.AGENCY_OFFICER, actor=Actor(role=R.AGENCY_LEADER, subject=rid()), **payload)


def test_co_handler_may_post_progress_but_not_result():
    case = make_case(state=S.DANG_XU_LY, co_agencies=("CA_18073",))
    co = Actor(role=R.AGENCY_OFFICER, subject=rid(), agency="CA_18073")
    assert run(K.PROGRESS_NOTE, case, R.AGENCY_OFFICER, actor=co, note="Đã phối hợp").to_state is S.DANG_XU_LY
    with pytest.raises(TransitionNotAllowed):
        run(K.POST_RESULT, case, R.AGENCY_OFFICER, actor=co, note="x", media_ids=("m",))


def test_accept_records_fixed_fields():
    case = make_case(state=S.CHO_TIEP_NHAN, priority="BINH_THUONG")
    t = run(K.ACCEPT, case, R.OPERATOR, category="CHIEU_SANG", ward=case.ward, priority="KHAN")
    assert t.changes == {
        "category": ("GIAO_THONG_HA_TANG", "CHIEU_SANG"),
        "priority": ("BINH_THUONG", "KHAN"),
    }
    assert (t.after.category, t.after.ward, t.after.priority) == ("CHIEU_SANG", case.ward, "KHAN")
    assert t.public and t.visibility == "public"


def test_mark_duplicate_is_tu_choi_with_reason_and_primary():
    primary = rid("PA")
    t = run(K.MARK_DUPLICATE, make_case(state=S.CHO_TIEP_NHAN), R.OPERATOR, duplicate_of=primary)
    assert (t.to_state, t.reason, t.duplicate_of, t.public) == (S.TU_CHOI, "trùng lặp", primary, False)


@pytest.mark.parametrize(
    "kind,state,role,payload,clock",
    [
        (K.REQUEST_INFO, S.CHO_TIEP_NHAN, R.OPERATOR, {"note": "Cần ảnh rõ hơn"}, "stop"),
        (K.SUPPLY_INFO, S.CHO_BO_SUNG, R.CITIZEN, {"media_ids": ("m1",)}, "resume"),
        (
            K.ROUTE,
            S.DA_TIEP_NHAN,
            R.SYSTEM,
            {"agency": "UBND_18073", "due_at": NOW + timedelta(hours=4)},
            "start",
        ),
        (K.AGENCY_ACCEPT, S.DA_CHUYEN_XU_LY, R.AGENCY_LEADER, {}, None),
    ],
)
def test_clock_effects(kind, state, role, payload, clock):
    assert run(kind, make_case(state=state), role, **payload).clock == clock


def test_request_info_then_supply_sets_and_clears_info_deadline():
    info_due = NOW + timedelta(days=3)
    t = run(
        K.REQUEST_INFO, make_case(state=S.CHO_TIEP_NHAN), R.OPERATOR, note="Bổ sung vị trí", due_at=info_due
    )
    assert t.after.info_due_at == info_due
    back = run(K.SUPPLY_INFO, t.after, R.CITIZEN, NOW + timedelta(days=1), note="Gần chợ")
    assert back.after.info_due_at is None and back.actor_subject is None  # a citizen's id never leaves


def test_route_sets_agency_deadline_and_co_handling():
    case, due = make_case(state=S.DA_TIEP_NHAN, assigned_agency=None, due_at=None), NOW + timedelta(days=7)
    t = run(
        K.ROUTE,
        case,
        R.SYSTEM,
        actor=Actor(role=R.SYSTEM, subject="auto_router"),
        agency="UBND_18073",
        co_agencies=("CA_18073",),
        due_at=due,
    )
    assert (t.after.assigned_agency, t.after.due_at, t.after.co_agencies) == (
        "UBND_18073",
        due,
        ("CA_18073",),
    )
    assert (
        t.flags_added == {Flag.CO_PHOI_HOP} and t.actor_subject == "auto_router" and t.agency == "UBND_18073"
    )


def test_return_then_reroute_keeps_history():
    case = make_case(state=S.DANG_XU_LY, flags=frozenset({Flag.QUA_HAN}))
    first = case.assigned_agency
    ret = run(
        K.AGENCY_RETURN,
        case,
        R.AGENCY_OFFICER,
        NOW + timedelta(days=3),
        reason="Đường tỉnh",
        suggested_agency="SO_XD",
    )
    assert (ret.after.assigned_agency, ret.after.past_agencies, ret.suggested_agency) == (
        None,
        (first,),
        "SO_XD",
    )
    assert ret.visibility == "staff" and not ret.public
    due = NOW + timedelta(days=10)
    again = run(K.REROUTE, ret.after, R.OPERATOR, NOW + timedelta(days=4), agency="SO_XD", due_at=due)
    assert (again.after.assigned_agency, again.after.past_agencies) == ("SO_XD", (first,))
    assert Flag.QUA_HAN in again.flags_removed
    with pytest.raises(InvalidAction):
        run(K.AGENCY_RETURN, again.after, R.AGENCY_OFFICER, reason="x", suggested_agency="SO_XD")


def test_extension_flow_sets_gia_han_and_clears_qua_han():
    case = make_case(state=S.DANG_XU_LY, base_working_days=7)
    req = run(K.REQUEST_EXTENSION, case, R.AGENCY_OFFICER, days=5, note="Chờ vật tư")
    assert (req.after.extension_count, req.after.extension_pending_days, req.extension_days) == (1, 5, 5)
    late = NOW + timedelta(days=2, hours=1)  # the deadline passes before the operator decides
    new_due = NOW + timedelta(days=9)
    ok = run(
        K.APPROVE_EXTENSION,
        req.after.model_copy(update={"flags": frozenset({Flag.QUA_HAN})}),
        R.OPERATOR,
        late,
        due_at=new_due,
    )
    assert (
        ok.after.due_at == new_due and ok.flags_added == {Flag.GIA_HAN} and ok.flags_removed == {Flag.QUA_HAN}
    )
    assert ok.extension_days == 5 and ok.after.extension_pending_days is None and ok.public
    assert (
        refused(K.REQUEST_EXTENSION, ok.after, R.AGENCY_OFFICER, late, days=1, note="x") == "EXTENSION_LIMIT"
    )


def test_overdue_is_flagged_and_progress_then_needs_photos_and_commitment():
    case = make_case(state=S.DANG_XU_LY)
    late = case.due_at + timedelta(minutes=1)
    assert not wf.is_overdue(case, NOW) and wf.is_overdue(case, late)
    assert invalid(K.PROGRESS_NOTE, case, R.AGENCY_OFFICER, late, note="Đang làm") == "media_ids"
    assert invalid(K.PROGRESS_NOTE, case, R.AGENCY_OFFICER, late, note="x", media_ids=("m",)) == "due_at"
    t = run(
        K.PROGRESS_NOTE,
        case,
        R.AGENCY_OFFICER,
        late,
        note="x",
        media_ids=("m",),
        due_at=late + timedelta(days=1),
    )
    assert t.flags_added == {Flag.QUA_HAN} and t.committed_at == late + timedelta(days=1)


def test_post_result_drops_pending_extension_and_publish_opens_rating_window():
    case = make_case(state=S.DANG_XU_LY, extension_pending_days=2, extension_count=1)
    res = run(K.POST_RESULT, case, R.AGENCY_OFFICER, note="Đã sửa", media_ids=("after-1", "after-2"))
    assert res.after.extension_pending_days is None and res.media_ids == ("after-1", "after-2")
    pub = run(K.PUBLISH, res.after, R.OPERATOR, NOW + timedelta(hours=2))
    assert pub.after.published_at == NOW + timedelta(hours=2)
    assert (
        run(K.RATE, pub.after, R.CITIZEN, NOW + timedelta(days=7), rating="HAI_LONG").after.rating
        == "HAI_LONG"
    )
    assert run(K.CLOSE, pub.after, R.SYSTEM, NOW + timedelta(days=7, hours=3)).to_state is S.DONG


def test_reopen_once_then_never_again():
    rated = make_case(state=S.DA_DANH_GIA, rating="KHONG_HAI_LONG", published_at=NOW - timedelta(days=1))
    req = run(K.REQUEST_REOPEN, rated, R.CITIZEN, note="Ổ gà vẫn còn")
    assert req.after.reopen_requested and req.after.reopen_count == 1 and req.to_state is S.DA_DANH_GIA
    assert refused(K.REQUEST_REOPEN, req.after, R.CITIZEN, note="lần 2") == "REOPEN_LIMIT"
    reopened = run(K.APPROVE_REOPEN, req.after, R.OPERATOR, due_at=NOW + timedelta(days=5))
    assert reopened.to_state is S.DANG_XU_LY and reopened.clock == "start"
    assert (reopened.after.rating, reopened.after.published_at, reopened.after.reopen_requested) == (
        None,
        None,
        False,
    )
    refused_t = run(K.REFUSE_REOPEN, req.after, R.OPERATOR, note="Đã xử lý đúng")
    assert refused_t.to_state is S.DA_DANH_GIA and not refused_t.after.reopen_requested


def test_info_timeout_rejects_with_reason():
    t = run(K.INFO_TIMEOUT, make_case(state=S.CHO_BO_SUNG, info_due_at=NOW), R.SYSTEM)
    assert (t.to_state, t.reason) == (S.TU_CHOI, wf.INFO_TIMEOUT_REASON)


@pytest.mark.parametrize(
    "role,asked,expected",
    [
        (R.AGENCY_OFFICER, None, "public"),
        (R.AGENCY_OFFICER, "staff", "staff"),
        (R.AGENCY_OFFICER, "internal", InvalidAction),
    ],
)
def test_progress_note_visibility_can_only_narrow(role, asked, expected):
    case = make_case(state=S.DANG_XU_LY)
    if expected is InvalidAction:
        assert invalid(K.PROGRESS_NOTE, case, role, note="x", visibility=asked) == "visibility"
    else:
        t = run(K.PROGRESS_NOTE, case, role, note="x", visibility=asked)
        assert t.visibility == expected and t.public is (expected == "public")


def test_visibility_cannot_widen_and_operator_may_write_internal():
    case = make_case(state=S.DA_XU_LY)
    assert invalid(K.SEND_BACK, case, R.OPERATOR, note="x", visibility="public") == "visibility"
    assert run(K.SEND_BACK, case, R.OPERATOR, note="x", visibility="internal").visibility == "internal"


def test_naive_now_is_refused():
    with pytest.raises(InvalidAction):
        run(K.ACCEPT, make_case(state=S.CHO_TIEP_NHAN), R.OPERATOR, NOW.replace(tzinfo=None))


def test_full_lifecycle_ends_closed():
    case, t = make_case(state=S.CHO_TIEP_NHAN, assigned_agency=None, due_at=None), NOW
    steps = [
        (K.REQUEST_INFO, R.OPERATOR, {"note": "Cần vị trí"}),
        (K.SUPPLY_INFO, R.CITIZEN, {"note": "Ngã ba"}),
        (K.ACCEPT, R.OPERATOR, {}),
        (K.ROUTE, R.SYSTEM, {"agency": "UBND_18073", "due_at": NOW + timedelta(days=9)}),
        (K.AGENCY_ACCEPT, R.AGENCY_OFFICER, {}),
        (K.POST_RESULT, R.AGENCY_OFFICER, {"note": "Xong", "media_ids": ("a",)}),
        (K.SEND_BACK, R.OPERATOR, {"note": "Ảnh mờ"}),
        (K.POST_RESULT, R.AGENCY_LEADER, {"note": "Xong", "media_ids": ("b",)}),
        (K.PUBLISH, R.OPERATOR, {}),
    ]
    for kind, role, payload in steps:
        t += timedelta(hours=1)
        case = run(kind, case, role, t, **payload).after
    assert case.state is S.DA_CONG_KHAI
    assert run(K.CLOSE, case, R.SYSTEM, t + timedelta(days=8)).after.state is S.DONG


@pytest.mark.parametrize(
    "category,channel,priority,expected",
    [
        ("CHIEU_SANG", "web", "BINH_THUONG", None),
        ("THIEN_TAI", "web", "KHAN", "urgent"),  # a citizen's urgency: routed at once, not verified
        ("MOI_TRUONG_RAC", "web", "BINH_THUONG", "trusted"),
        ("MOI_TRUONG_RAC", "web", "KHAN", "trusted"),
        ("CHIEU_SANG", "hotline", "PHUC_TAP", "trusted"),
        ("CHIEU_SANG", "open311", "BINH_THUONG", None),  # authenticated, but not configured
        (None, None, "BINH_THUONG", None),
    ],
)
def test_should_auto_accept(category, channel, priority, expected):
    config = AutoTriageConfig.parse("MOI_TRUONG_RAC", "hotline")
    assert should_auto_accept(category, channel, priority, config) == expected


def test_wildcard_auto_accepts_every_category_but_only_authenticated_channels():
    assert should_auto_accept("KHAC", "web", "BINH_THUONG", AutoTriageConfig.parse("*", None)) == "trusted"
    every_channel = AutoTriageConfig.parse(None, "*")
    assert every_channel.channels == wf.AUTHENTICATED_CHANNELS
    assert should_auto_accept("KHAC", "web", "BINH_THUONG", every_channel) is None
    assert should_auto_accept("KHAC", "open311", "BINH_THUONG", every_channel) == "trusted"


@pytest.mark.parametrize("channels", ["web", "hotline,web", "app"])
def test_an_anonymous_channel_cannot_be_trusted(channels):
    with pytest.raises(ValueError, match="not authenticated"):
        AutoTriageConfig.parse(None, channels)


def test_urgent_auto_accept_can_be_turned_off():
    config = AutoTriageConfig(urgent=False)
    assert should_auto_accept("THIEN_TAI", "web", "KHAN", config) is None


def test_accept_verifies_unless_automatic_triage_was_only_urgency():
    case = make_case(state=S.CHO_TIEP_NHAN, assigned_agency=None, priority="KHAN")
    assert run(K.ACCEPT, case, R.OPERATOR).after.verified is True
    assert run(K.ACCEPT, case, R.SYSTEM, verify=True).newly_verified is True
    urgent = run(K.ACCEPT, case, R.SYSTEM, verify=False)
    assert urgent.after.verified is False and urgent.newly_verified is False


def test_verify_makes_an_urgent_case_public_once_and_may_downgrade_it():
    case = make_case(state=S.DA_CHUYEN_XU_LY, priority="KHAN")
    t = run(K.VERIFY, case, R.OPERATOR, priority="BINH_THUONG", note="Đã xác minh, không khẩn")
    assert (t.to_state, t.after.verified, t.newly_verified, t.after.priority) == (
        S.DA_CHUYEN_XU_LY,
        True,
        True,
        "BINH_THUONG",
    )
    assert t.changes == {"priority": ("KHAN", "BINH_THUONG")} and t.visibility == "public"
    assert refused(K.VERIFY, t.after, R.OPERATOR) == "ALREADY_VERIFIED"
    assert invalid(K.VERIFY, case, R.OPERATOR, ward="18073") == "priority"


def test_publishing_verifies_a_case_that_was_never_verified():
    case = make_case(state=S.DA_XU_LY, priority="KHAN")
    assert run(K.PUBLISH, case, R.OPERATOR).newly_verified is True


def test_routing_due_dates_are_facts_for_the_system():
    case = make_case(state=S.DA_TIEP_NHAN, assigned_agency=None, due_at=None)
    late = run(K.ROUTE, case, R.SYSTEM, agency="UBND_18073", due_at=NOW - timedelta(hours=1))
    assert late.after.due_at == NOW - timedelta(hours=1) and Flag.QUA_HAN in late.flags_added
    assert run(K.ROUTE, case, R.SYSTEM, agency="UBND_18073").after.due_at is None


def test_reassign_moves_an_open_case_and_keeps_history():
    case = make_case(state=S.DANG_XU_LY, extension_pending_days=2)
    first, due = case.assigned_agency, NOW + timedelta(days=6)
    t = run(K.REASSIGN, case, R.SYSTEM, agency="SO_XD", due_at=due)
    assert (t.to_state, t.after.assigned_agency, t.after.past_agencies) == (
        S.DA_CHUYEN_XU_LY,
        "SO_XD",
        (first,),
    )
    assert t.after.extension_pending_days is None and t.public and t.agency == "SO_XD"


def test_request_reroute_fixes_fields_and_names_an_agency_without_moving():
    case = make_case(state=S.TRA_LAI, assigned_agency=None, ward="18073")
    t = run(K.REQUEST_REROUTE, case, R.OPERATOR, ward="18100", agency="SO_XD", note="Đường tỉnh")
    assert (t.to_state, t.after.ward, t.agency, t.public) == (S.TRA_LAI, "18100", "SO_XD", False)
    assert t.changes == {"ward": ("18073", "18100")}


def test_approving_an_extension_without_a_date_waits_for_routing():
    case = make_case(state=S.DANG_XU_LY, extension_pending_days=3, flags=frozenset({Flag.QUA_HAN}))
    t = run(K.APPROVE_EXTENSION, case, R.OPERATOR)
    assert t.after.due_at == case.due_at and t.extension_days == 3 and Flag.GIA_HAN in t.flags_added
    assert Flag.QUA_HAN in t.after.flags  # cleared only by routing's new deadline


def test_the_split_modules_are_the_same_objects():
    from services.intake.domain import workflow_guards, workflow_model

    assert wf.State is workflow_model.State and set(workflow_guards.GUARDS) == set(K) == set(wf.RULES)

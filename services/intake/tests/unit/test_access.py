"""Unit tests of object-level access: a matrix of agencies × cases, acting rights, and redaction."""

import uuid

import pytest

from services.intake.domain.access import (
    PERSONAL_KEYS,
    ActionForbidden,
    CaseAccess,
    CaseNotFound,
    authorize,
    can_act,
    can_read,
    personal_keys_in,
    redact,
    view_level,
)
from services.intake.domain.workflow import Actor
from services.intake.domain.workflow import Kind as K
from services.intake.domain.workflow import Role as R
from services.intake.domain.workflow import State as S


def rid(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


A, B, C, D = (rid("UBND_") for _ in range(4))
REPORTER = rid("acct-")
CASES = {  # name → (case, agencies allowed to read)
    "held_by_A": (CaseAccess(case_id=rid("PA"), state=S.DANG_XU_LY, assigned_agency=A, public=True), {A}),
    "returned_by_A_now_B": (
        CaseAccess(
            case_id=rid("PA"), state=S.DA_CHUYEN_XU_LY, assigned_agency=B, past_agencies=(A,), public=True
        ),
        {A, B},
    ),
    "held_by_C_with_B": (
        CaseAccess(case_id=rid("PA"), state=S.DANG_XU_LY, assigned_agency=C, co_agencies=(B,), public=True),
        {B, C},
    ),
    "returned_waiting": (
        CaseAccess(case_id=rid("PA"), state=S.TRA_LAI, past_agencies=(C,), public=True),
        {C},
    ),
    "urgent_unverified": (CaseAccess(case_id=rid("PA"), state=S.DA_CHUYEN_XU_LY, assigned_agency=D), {D}),
    "untriaged": (CaseAccess(case_id=rid("PA"), state=S.CHO_TIEP_NHAN, reporter_key=REPORTER), set()),
}
AGENCY_MATRIX = [
    (name, agency, role)
    for name in CASES
    for agency in (A, B, C, D)
    for role in (R.AGENCY_OFFICER, R.AGENCY_LEADER)
]


@pytest.mark.parametrize("name,agency,role", AGENCY_MATRIX)
def test_agency_reads_only_cases_it_holds_or_held(name, agency, role):
    case, readers = CASES[name]
    actor = Actor(role=role, subject=rid(), agency=agency)
    assert can_read(actor, case) is (agency in readers)
    if agency in readers:
        assert view_level(actor, case) == "agency"
    else:
        with pytest.raises(CaseNotFound) as err:
            authorize(actor, K.PROGRESS_NOTE, case)
        assert err.value.code == "NOT_FOUND"
        with pytest.raises(CaseNotFound):
            view_level(actor, case)


def test_agency_without_agency_claim_reads_nothing():
    actor = Actor(role=R.AGENCY_OFFICER, subject=rid())
    assert not any(can_read(actor, case) for case, _ in CASES.values())


@pytest.mark.parametrize("role", [R.OPERATOR, R.ADMINISTRATOR, R.SYSTEM])
def test_staff_and_system_read_every_case(role):
    assert all(can_read(Actor(role=role, subject=rid()), case) for case, _ in CASES.values())


@pytest.mark.parametrize("name", list(CASES))
def test_public_and_other_citizens_read_only_public_cases(name):
    case, _ = CASES[name]
    public_state = case.public  # verified: public in every later state, TRA_LAI included
    for actor in (Actor(role=R.PUBLIC), Actor(role=R.CITIZEN, subject=rid("acct-"))):
        assert can_read(actor, case) is public_state
        if public_state:
            assert view_level(actor, case) == "public"


def test_reporter_reads_own_unpublished_case_at_reporter_level():
    case, _ = CASES["untriaged"]
    me = Actor(role=R.CITIZEN, subject=REPORTER)
    assert can_read(me, case) and view_level(me, case) == "reporter"
    assert not can_read(Actor(role=R.CITIZEN, subject=""), case)


@pytest.mark.parametrize(
    "name,actor_agency,action,expected",
    [
        ("held_by_A", A, K.POST_RESULT, True),
        ("returned_by_A_now_B", A, K.AGENCY_RETURN, False),  # a previous holder reads but cannot act
        ("returned_by_A_now_B", B, K.AGENCY_ACCEPT, True),
        ("held_by_C_with_B", B, K.PROGRESS_NOTE, True),  # co-handler posts progress
        ("held_by_C_with_B", B, K.POST_RESULT, False),
        ("held_by_C_with_B", C, K.POST_RESULT, True),
        ("held_by_A", A, K.PUBLISH, False),  # an operator verb
    ],
)
def test_agency_can_act(name, actor_agency, action, expected):
    case, _ = CASES[name]
    actor = Actor(role=R.AGENCY_OFFICER, subject=rid(), agency=actor_agency)
    assert can_act(actor, action, case) is expected
    if not expected:
        with pytest.raises(ActionForbidden):
            authorize(actor, action, case)


@pytest.mark.parametrize(
    "actor,action,expected",
    [
        (Actor(role=R.CITIZEN, subject=REPORTER), K.SUPPLY_INFO, True),
        (Actor(role=R.CITIZEN, subject=rid("acct-")), K.SUPPLY_INFO, False),
        (Actor(role=R.OPERATOR, subject=rid()), K.ACCEPT, True),
        (Actor(role=R.ADMINISTRATOR, subject=rid()), K.ACCEPT, False),
        (Actor(role=R.PUBLIC), K.RATE, False),
    ],
)
def test_non_agency_can_act(actor, action, expected):
    assert can_act(actor, action, CASES["untriaged"][0]) is expected


def make_view() -> dict:
    """A case view as intake would build it, with personal data and notes of every visibility."""
    return {
        "case_id": rid("PA"),
        "category": "CHIEU_SANG",
        "location": {"lat": 18.34, "lon": 105.9},
        "reporter": {"name": "Nguyễn Văn A", "phone": "0912345678"},
        "reporter_name": "Nguyễn Văn A",
        "phone": "0912345678",
        "email": "a@example.vn",
        "device_id": rid("dev-"),
        "account_id": rid("acct-"),
        "internal_note": "Người phản ánh hay gọi",
        "media": [{"id": rid("m"), "device_id": rid("dev-")}],
        "timeline": [
            {"action": "accept", "visibility": "public", "note": "Đã tiếp nhận"},
            {"action": "request_info", "visibility": "reporter", "note": "Cần ảnh"},
            {"action": "agency_return", "visibility": "staff", "note": "Không thuộc thẩm quyền"},
            {"action": "send_back", "visibility": "internal", "note": "Gọi điện cho 0912345678"},
            {"action": "odd", "visibility": "unknown-level", "note": "?"},
        ],
    }


@pytest.mark.parametrize(
    "level,notes",
    [
        ("agency", ["accept", "request_info", "agency_return"]),
        ("reporter", ["accept", "request_info"]),
        ("public", ["accept"]),
    ],
)
def test_redaction_removes_personal_data_and_hidden_notes(level, notes):
    view = make_view()
    out = redact(view, level)
    assert personal_keys_in(out) == [] and "internal_note" not in out
    assert [e["action"] for e in out["timeline"]] == notes
    assert out["location"] == view["location"] and out["media"][0]["id"] == view["media"][0]["id"]
    assert personal_keys_in(view)  # the input is not mutated


def test_operator_sees_everything_as_a_copy():
    view = make_view()
    out = redact(view, "operator")
    assert out == view and out is not view and out["timeline"] is not view["timeline"]
    assert {"$.reporter", "$.phone", "$.email", "$.device_id", "$.account_id", "$.media[0].device_id"} <= set(
        personal_keys_in(out)
    )


def test_personal_keys_cover_the_domain_list():
    assert {"reporter_name", "phone", "email", "device_id", "account_id"} <= PERSONAL_KEYS

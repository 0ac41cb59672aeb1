"""Workflow states ⇄ open/closed and mySociety extended statuses."""

from __future__ import annotations

import json

import pytest

from gateway.open311.errors import Open311Error
from gateway.open311.statuses import (
    DUPLICATE_STATE,
    EXTENDED_STATUSES,
    FROM_EXTENDED,
    LABELS,
    STATES,
    UnknownState,
    extended_status,
    label,
    open311_status,
    parse_extended,
    state_for_extended,
    states_for,
    transition_status,
)
from libs import refdata

WORKFLOW = refdata.load().file("workflow")

FORWARD = [
    ("CHO_TIEP_NHAN", "open", "FOR_TRIAGE"),
    ("CHO_BO_SUNG", "open", "FOR_TRIAGE"),
    ("TU_CHOI", "closed", "NO_FURTHER_ACTION"),
    ("DA_TIEP_NHAN", "open", "OPEN"),
    ("DA_CHUYEN_XU_LY", "open", "ACTION_SCHEDULED"),
    ("DANG_XU_LY", "open", "IN_PROGRESS"),
    ("TRA_LAI", "open", "INVESTIGATING"),
    ("DA_XU_LY", "open", "IN_PROGRESS"),
    ("DA_CONG_KHAI", "closed", "FIXED"),
    ("DA_DANH_GIA", "closed", "FIXED"),
    ("DONG", "closed", "CLOSED"),
]


@pytest.mark.parametrize("state,status,extended", FORWARD)
def test_forward_mapping(state, status, extended):
    assert open311_status(state) == status
    assert extended_status(state) == extended


def test_every_workflow_state_is_mapped_and_labelled_and_a_duplicate_is_a_rejection():
    states = {s["code"] for s in json.loads(WORKFLOW.read_text(encoding="utf-8"))["states"]}
    assert states == set(STATES) == {row[0] for row in FORWARD} == set(LABELS)
    assert DUPLICATE_STATE == "TU_CHOI"
    assert {extended for _, extended in STATES.values()} <= set(EXTENDED_STATUSES)


def test_unknown_state_is_an_explicit_error():
    with pytest.raises(UnknownState):
        open311_status("MOI_THEM")


@pytest.mark.parametrize(
    "reason,extended",
    [
        ("KHONG_THUOC_PHAM_VI", "NOT_COUNCILS_RESPONSIBILITY"),
        ("TRUNG_LAP", "DUPLICATE"),
        ("VI_PHAM_NOI_DUNG", "CANCELLED"),
        (None, "NO_FURTHER_ACTION"),
        ("KHAC", "NO_FURTHER_ACTION"),
        ("trùng lặp", "DUPLICATE"),
        ("Trùng lặp", "DUPLICATE"),
    ],
)
def test_rejection_reason_sharpens_the_extended_status(reason, extended):
    assert extended_status("TU_CHOI", reason) == extended


def test_every_reason_of_the_intake_workflow_is_mapped():
    from services.intake.domain.workflow import DUPLICATE_REASON, REJECT_REASONS

    expected = ["NOT_COUNCILS_RESPONSIBILITY", "DUPLICATE", "NO_FURTHER_ACTION", "CANCELLED"]
    assert [extended_status("TU_CHOI", reason) for reason in REJECT_REASONS] == expected
    assert extended_status("TU_CHOI", DUPLICATE_REASON) == "DUPLICATE"


def test_reason_only_applies_to_rejections():
    assert extended_status("DANG_XU_LY", "TRUNG_LAP") == "IN_PROGRESS"


@pytest.mark.parametrize(
    "from_state,to_state,extended",
    [
        ("DA_DANH_GIA", "DANG_XU_LY", "REOPEN"),
        ("DA_CONG_KHAI", "DANG_XU_LY", "REOPEN"),
        ("DA_XU_LY", "DANG_XU_LY", "IN_PROGRESS"),
        ("DA_XU_LY", "DA_CONG_KHAI", "FIXED"),
        (None, "CHO_TIEP_NHAN", "FOR_TRIAGE"),
    ],
)
def test_transition_status(from_state, to_state, extended):
    assert transition_status(from_state, to_state) == extended


def test_states_for_status_filters():
    assert states_for(None) is None and states_for({"open", "closed"}) is None
    assert states_for({"closed"}) == {"TU_CHOI", "DA_CONG_KHAI", "DA_DANH_GIA", "DONG"}
    assert states_for({"open"}) == set(STATES) - states_for({"closed"})


def test_every_extended_status_can_be_posted():
    assert set(FROM_EXTENDED) == set(EXTENDED_STATUSES)
    assert {target for target in FROM_EXTENDED.values() if target} <= set(STATES)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("in progress", "IN_PROGRESS"),
        ("In-Progress", "IN_PROGRESS"),
        ("fixed", "FIXED"),
        (" REOPEN ", "REOPEN"),
    ],
)
def test_parse_extended_normalises(value, expected):
    assert parse_extended(value) == expected


@pytest.mark.parametrize("value", ["", None, "DONE", "open311"])
def test_parse_extended_refuses_unknown(value):
    with pytest.raises(Open311Error) as caught:
        parse_extended(value)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "status,current,target",
    [
        ("OPEN", "DANG_XU_LY", None),
        ("OPEN", "DA_DANH_GIA", "DANG_XU_LY"),
        ("REOPEN", "DONG", "DANG_XU_LY"),
        ("REOPEN", "DANG_XU_LY", None),
        ("IN_PROGRESS", "DA_CHUYEN_XU_LY", "DANG_XU_LY"),
        ("INVESTIGATING", "DA_CHUYEN_XU_LY", "DANG_XU_LY"),
        ("ACTION_SCHEDULED", "DA_CHUYEN_XU_LY", "DANG_XU_LY"),
        ("FIXED", "DANG_XU_LY", "DA_XU_LY"),
        ("CLOSED", "DANG_XU_LY", "DA_XU_LY"),
        ("DUPLICATE", "CHO_TIEP_NHAN", "TU_CHOI"),
        ("NOT_COUNCILS_RESPONSIBILITY", "DANG_XU_LY", "TRA_LAI"),
        ("INTERNAL_REFERRAL", "DA_CHUYEN_XU_LY", "TRA_LAI"),
        ("NO_FURTHER_ACTION", "CHO_TIEP_NHAN", "TU_CHOI"),
        ("CANCELLED", "CHO_TIEP_NHAN", "TU_CHOI"),
        ("FOR_TRIAGE", "CHO_BO_SUNG", "CHO_TIEP_NHAN"),
    ],
)
def test_backward_mapping_for_posted_updates(status, current, target):
    assert state_for_extended(status, current) == target


def test_round_trip_forward_then_back_keeps_open_or_closed_for_agency_states():
    for state in ("DANG_XU_LY", "DA_CHUYEN_XU_LY"):
        target = state_for_extended(extended_status(state), state)
        assert open311_status(target) == open311_status(state)


def test_labels_are_vietnamese_first():
    assert label("DANG_XU_LY") == "Đang xử lý / In progress"
    assert label("LA") == "LA / LA"

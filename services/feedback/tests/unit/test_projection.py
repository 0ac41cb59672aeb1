"""A case's figures from its facts: milestones, clock stops, reopen, deadlines, and any arrival order."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from libs.contracts.common import Location, Priority, Status
from libs.contracts.events import (
    ReportDeadlineChangedV1,
    ReportOverdueV1,
    ReportRoutedV1,
    ReportStatusChangedV1,
    ReportSubmittedV1,
)
from services.feedback.domain.projection import Fact, fact_of, project, rating_state

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
H = timedelta(hours=1)


def step(at, src, dst, **data) -> Fact:
    return Fact("status", T0 + at, {"from_status": src, "to_status": dst, **data})


def routed(at, agency="UBND_18073", due=T0 + 72 * H) -> Fact:
    return Fact(
        "routed",
        T0 + at,
        {
            "ward_code": "18073",
            "agency_code": agency,
            "category": "CHIEU_SANG",
            "due_at": due.isoformat() if due else None,
        },
    )


def full_case() -> list[Fact]:
    """Submitted, info asked (clock stopped 2 h), accepted, routed, extended, published at +30 h, rated."""
    return [
        Fact("submitted", T0, {"category": "GIAO_THONG_HA_TANG", "status": "CHO_TIEP_NHAN"}),
        step(1 * H, "CHO_TIEP_NHAN", "CHO_BO_SUNG", clock="stop"),
        step(3 * H, "CHO_BO_SUNG", "CHO_TIEP_NHAN", clock="resume"),
        step(4 * H, "CHO_TIEP_NHAN", "DA_TIEP_NHAN", category="CHIEU_SANG"),
        Fact("accepted", T0 + 4 * H, {"category": "CHIEU_SANG", "ward_code": None}),
        routed(5 * H),
        step(5 * H, "DA_TIEP_NHAN", "DA_CHUYEN_XU_LY", agency_code="UBND_18073", ward_code="18073"),
        step(6 * H, "DA_CHUYEN_XU_LY", "DANG_XU_LY", agency_code="UBND_18073"),
        step(7 * H, "DANG_XU_LY", "DANG_XU_LY", extension_working_days=2),
        Fact("deadline", T0 + 7 * H, {"due_at": (T0 + 120 * H).isoformat()}),
        step(20 * H, "DANG_XU_LY", "DA_XU_LY"),
        step(30 * H, "DA_XU_LY", "DA_CONG_KHAI"),
        step(31 * H, "DA_CONG_KHAI", "DA_DANH_GIA", rating="CHAP_NHAN"),
    ]


def test_a_full_case_has_every_milestone():
    f = project(full_case())
    assert (f.category, f.ward_code, f.agency_code, f.status) == (
        "CHIEU_SANG",
        "18073",
        "UBND_18073",
        "DA_DANH_GIA",
    )
    assert (f.received_at, f.accepted_at, f.routed_at) == (T0, T0 + 4 * H, T0 + 5 * H)
    assert (f.extended_at, f.extension_days, f.due_at) == (T0 + 7 * H, 2, T0 + 120 * H)
    assert (f.published_at, f.rated_at, f.rating, f.rejected_at) == (
        T0 + 30 * H,
        T0 + 31 * H,
        "CHAP_NHAN",
        None,
    )
    assert f.clock_stopped_seconds == 2 * 3600
    assert f.processing_seconds == 28 * 3600  # 30 h elapsed minus the 2 h waiting on the citizen
    assert (f.first_at, f.last_at) == (
        T0,
        T0 + 120 * H,
    )  # the deadline is the latest instant the case matters


@pytest.mark.parametrize("seed", range(6))
def test_any_arrival_order_gives_the_same_figures(seed):
    facts = full_case()
    shuffled = facts[:]
    random.Random(seed).shuffle(shuffled)
    assert project(shuffled) == project(facts)


def test_a_reopened_case_is_not_resolved_until_published_again():
    facts = full_case() + [step(40 * H, "DA_DANH_GIA", "DANG_XU_LY")]
    reopened = project(facts)
    assert (reopened.published_at, reopened.rated_at, reopened.rating, reopened.reopen_count) == (
        None,
        None,
        None,
        1,
    )
    assert reopened.processing_seconds is None and reopened.status == "DANG_XU_LY"
    again = project(
        facts
        + [
            step(50 * H, "DANG_XU_LY", "DA_XU_LY"),
            step(60 * H, "DA_XU_LY", "DA_CONG_KHAI"),
            step(61 * H, "DA_CONG_KHAI", "DA_DANH_GIA", rating="HAI_LONG"),
        ]
    )
    assert (again.published_at, again.rating, again.processing_seconds) == (
        T0 + 60 * H,
        "HAI_LONG",
        58 * 3600,
    )


def test_a_step_that_stays_in_a_state_does_not_rate_or_publish_again():
    facts = full_case() + [step(32 * H, "DA_DANH_GIA", "DA_DANH_GIA")]  # the citizen asks to reopen
    f = project(facts)
    assert (f.rated_at, f.rating) == (T0 + 31 * H, "CHAP_NHAN")


def test_the_latest_word_on_the_deadline_wins_and_may_clear_it():
    later = project(
        [
            routed(0 * H),
            Fact("overdue", T0 + 80 * H, {"due_at": (T0 + 72 * H).isoformat()}),
            Fact("deadline", T0 + 81 * H, {"due_at": (T0 + 100 * H).isoformat()}),
        ]
    )
    assert later.due_at == T0 + 100 * H
    assert project([routed(0 * H), routed(5 * H, agency="SO_XD", due=None)]).due_at is None


def test_rejection_and_no_submission_fact():
    f = project([step(2 * H, "CHO_TIEP_NHAN", "TU_CHOI")])
    assert (f.rejected_at, f.received_at, f.processing_seconds, f.status) == (
        T0 + 2 * H,
        None,
        None,
        "TU_CHOI",
    )


@pytest.mark.parametrize(
    "facts, now, expected",
    [
        ([], T0, ("NOT_OPEN", None)),
        ([step(0 * H, "DA_XU_LY", "DA_CONG_KHAI")], T0 + H, ("OPEN", T0 + 7 * 24 * H)),
        ([step(0 * H, "DA_XU_LY", "DA_CONG_KHAI")], T0 + 7 * 24 * H, ("CLOSED", T0 + 7 * 24 * H)),
        (
            [step(0 * H, "DA_XU_LY", "DA_CONG_KHAI"), step(H, "DA_CONG_KHAI", "DONG")],
            T0 + 2 * H,
            ("CLOSED", T0 + 7 * 24 * H),
        ),
        (
            [
                step(0 * H, "DA_XU_LY", "DA_CONG_KHAI"),
                step(H, "DA_CONG_KHAI", "DA_DANH_GIA", rating="HAI_LONG"),
            ],
            T0 + 30 * 24 * H,
            ("RATED", T0 + 7 * 24 * H),
        ),
    ],
)
def test_rating_state(facts, now, expected):
    assert rating_state(project(facts) if facts else None, now) == expected


def test_events_become_facts_without_personal_data():
    rid = uuid.uuid4()
    submitted = ReportSubmittedV1(
        report_id=rid,
        code="HT-2025-000001",
        category="CHIEU_SANG",
        priority=Priority.BINH_THUONG,
        location=Location(lat=18.3, lon=105.9),
        status=Status.CHO_TIEP_NHAN,
        channel="app",
    )
    assert fact_of(submitted).data == {
        "category": "CHIEU_SANG",
        "status": "CHO_TIEP_NHAN",
    }  # no location either
    rate = ReportStatusChangedV1(
        report_id=rid,
        code="HT-2025-000001",
        category="CHIEU_SANG",
        from_status=Status.DA_CONG_KHAI,
        to_status=Status.DA_DANH_GIA,
        actor_role="citizen",
        public_note="ghi chú",
        rating="KHONG_HAI_LONG",
    )
    assert fact_of(rate).data["rating"] == "KHONG_HAI_LONG" and "public_note" not in fact_of(rate).data
    naive_due = ReportRoutedV1(
        report_id=rid,
        code="HT-2025-000001",
        category="CHIEU_SANG",
        priority=Priority.BINH_THUONG,
        ward_code="18073",
        ward_approximate=True,
        agency_code="UBND_18073",
        reason="default",
        directory_version=1,
        due_at=datetime(2025, 3, 5, 10, 0),
    )
    assert project([fact_of(naive_due)]).due_at == datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
    accept_warning = ReportOverdueV1(
        report_id=rid, code="HT-2025-000001", agency_code="UBND_18073", due_at=T0, deadline="accept", level=1
    )
    assert fact_of(accept_warning) is None
    changed = ReportDeadlineChangedV1(report_id=rid, due_at=T0, reason="extension_approved")
    assert fact_of(changed).data == {"due_at": T0.isoformat()}

"""A case's clock: stopped while waiting on the citizen, moved by extensions and priority, across weekends and
Tết."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from services.routing.domain.cases import CaseClock, StatusChange, apply_status_change, recompute, stale_step
from services.routing.domain.workcalendar import VN_TZ

from .builders import FRIDAY, directory

SNAPSHOT = directory().snapshot


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def routed(started: datetime = FRIDAY, **kw) -> CaseClock:
    """A case just routed (GIAO_THONG_HA_TANG, 7 working days), deadlines computed."""
    fields = dict(
        category="GIAO_THONG_HA_TANG",
        priority="BINH_THUONG",
        status="DA_CHUYEN_XU_LY",
        agency_code="UBND_18073",
        clock_started_at=started,
    )
    return recompute(CaseClock(**{**fields, **kw}), SNAPSHOT)


def change(case: CaseClock, at: datetime, to: str | None = None, **kw):
    return apply_status_change(case, StatusChange(at=at, to_status=to or case.status, **kw), SNAPSHOT)


def test_routed_on_a_friday_afternoon():
    clock = routed()
    assert (clock.accept_due_at, clock.due_at) == (vn(2026, 3, 9, 15, 30), vn(2026, 3, 17, 17, 0))


@pytest.mark.parametrize(
    "stop, resume, due",
    [
        (vn(2026, 3, 10, 9, 0), vn(2026, 3, 12, 9, 0), vn(2026, 3, 19, 17, 0)),  # 15 working hours = 2 days
        (vn(2026, 3, 13, 16, 0), vn(2026, 3, 16, 8, 0), vn(2026, 3, 18, 9, 0)),  # over a weekend: 1.5 h only
        (vn(2026, 3, 14, 9, 0), vn(2026, 3, 15, 18, 0), vn(2026, 3, 17, 17, 0)),  # all weekend: nothing moves
    ],
)
def test_stopped_clock_moves_the_deadline_by_the_working_time_it_was_stopped(stop, resume, due):
    clock, reason = change(routed(status="DANG_XU_LY"), stop, clock="stop")
    assert reason is None and clock.paused_at == stop and clock.due_at == vn(2026, 3, 17, 17, 0)
    clock, reason = change(clock, resume, clock="resume")
    assert clock.due_at == due and clock.paused_at is None and clock.pauses == ((stop, resume),)
    assert reason == ("clock_resumed" if due != vn(2026, 3, 17, 17, 0) else None)


def test_two_pauses_add_up_and_a_resume_without_a_stop_is_ignored():
    clock, _ = change(routed(), vn(2026, 3, 10, 13, 30), clock="stop")
    clock, _ = change(clock, vn(2026, 3, 10, 17, 0), clock="resume")  # 3.5 h
    clock, reason = change(clock, vn(2026, 3, 11, 9, 0), clock="resume")  # not stopped: nothing happens
    assert reason is None
    clock, _ = change(clock, vn(2026, 3, 12, 7, 30), clock="stop")
    clock, _ = change(clock, vn(2026, 3, 12, 11, 30), clock="resume")  # 4 h → 7.5 h in all = one day
    assert clock.due_at == vn(2026, 3, 18, 17, 0) and len(clock.pauses) == 2


def test_pause_inside_tet_moves_nothing_and_one_reaching_past_it_moves_by_the_working_time():
    started = vn(2027, 2, 4, 10, 0)  # Tết Đinh Mùi: 5–9 Feb off, 10–11 Feb compensatory days
    clock = routed(started)
    assert clock.due_at == vn(2027, 2, 22, 17, 0)
    inside, reason = change(
        change(clock, vn(2027, 2, 5, 8, 0), clock="stop")[0], vn(2027, 2, 11, 16, 0), clock="resume"
    )
    assert (inside.due_at, reason) == (vn(2027, 2, 22, 17, 0), None)
    past, reason = change(
        change(clock, vn(2027, 2, 5, 8, 0), clock="stop")[0], vn(2027, 2, 12, 9, 0), clock="resume"
    )
    assert (past.due_at, reason) == (vn(2027, 2, 23, 9, 0), "clock_resumed")  # 7:30–9:00 on 12 Feb


def test_extension_adds_working_days_to_the_processing_deadline_only():
    clock, reason = change(routed(status="DANG_XU_LY"), vn(2026, 3, 16, 10, 0), extension_working_days=3)
    assert (clock.due_at, clock.accept_due_at, reason) == (
        vn(2026, 3, 20, 17, 0),
        vn(2026, 3, 9, 15, 30),
        "extension_approved",
    )
    clock, _ = change(clock, vn(2026, 3, 18, 10, 0), extension_working_days=2)  # a second one adds up
    assert clock.due_at == vn(2026, 3, 24, 17, 0) and clock.extension_days == 5


def test_extension_while_stopped_waits_for_the_resume():
    clock, _ = change(routed(), vn(2026, 3, 10, 9, 0), clock="stop")
    clock, reason = change(clock, vn(2026, 3, 10, 10, 0), extension_working_days=1)
    assert reason is None and clock.due_at == vn(2026, 3, 17, 17, 0)
    clock, reason = change(clock, vn(2026, 3, 12, 9, 0), clock="resume")
    assert (clock.due_at, reason) == (vn(2026, 3, 20, 17, 0), "clock_resumed")  # 2 days paused + 1 extension


def test_priority_change_recomputes_from_the_start():
    clock, reason = change(routed(), vn(2026, 3, 9, 8, 0), priority="KHAN")
    assert (clock.priority, clock.due_at, clock.accept_due_at, reason) == (
        "KHAN",
        vn(2026, 3, 11, 16, 30),
        vn(2026, 3, 9, 15, 30),
        "priority_changed",
    )


def test_agency_acceptance_and_closing():
    clock, _ = change(routed(), vn(2026, 3, 9, 9, 0), "DANG_XU_LY")
    assert clock.accepted_at == vn(2026, 3, 9, 9, 0)
    done, _ = change(clock, vn(2026, 3, 12, 9, 0), "DA_XU_LY")
    assert done.closed_at == vn(2026, 3, 12, 9, 0)
    reworked, reason = change(done, vn(2026, 3, 13, 9, 0), "DANG_XU_LY")
    assert reworked.closed_at is None and reworked.due_at == clock.due_at and reason is None
    assert reworked.accepted_at == clock.accepted_at


def test_a_reopened_case_takes_the_operators_deadline_and_later_extensions_add_to_it():
    cal = SNAPSHOT.calendar
    clock, _ = change(routed(), vn(2026, 3, 9, 9, 0), "DANG_XU_LY")
    clock, _ = change(clock, vn(2026, 3, 10, 9, 0), extension_working_days=2)
    for status, day in (("DA_XU_LY", 12), ("DA_CONG_KHAI", 13), ("DA_DANH_GIA", 16)):
        clock, _ = change(clock, vn(2026, 3, day, 9, 0), status)
    new_due = vn(2026, 4, 8, 9, 0)
    reopened, reason = change(clock, vn(2026, 4, 1, 9, 0), "DANG_XU_LY", reopen_due_at=new_due)
    assert (reopened.due_at, reason, reopened.closed_at, reopened.extension_days) == (
        new_due,
        "reopened",
        None,
        0,
    )
    assert reopened.accepted_at == clock.accepted_at and reopened.accept_due_at == clock.accept_due_at
    again, reason = change(reopened, vn(2026, 4, 1, 9, 5), "DANG_XU_LY", reopen_due_at=vn(2026, 5, 1, 9, 0))
    assert (again.due_at, reason) == (new_due, None)  # only a closed case reopens: a replay moves nothing
    extended, reason = change(reopened, vn(2026, 4, 2, 9, 0), extension_working_days=2)
    assert (extended.due_at, reason) == (
        cal.add_working_hours(new_due, 2 * cal.hours_per_day),
        "extension_approved",
    )
    urgent, reason = change(extended, vn(2026, 4, 2, 10, 0), priority="KHAN")
    assert (urgent.due_at, reason) == (extended.due_at, None)  # the operator's date, not the category's
    reworked, _ = change(
        change(urgent, vn(2026, 4, 3, 9, 0), "DA_XU_LY")[0], vn(2026, 4, 3, 10, 0), "DANG_XU_LY"
    )
    assert reworked.due_at == extended.due_at  # sent back for rework: the same deadline


def test_a_stale_change_moves_no_status_back_but_its_extension_and_a_reopen_not_seen_yet_count():
    cal = SNAPSHOT.calendar
    clock, _ = change(routed(), vn(2026, 3, 9, 9, 0), "DANG_XU_LY")
    late, reason = change(clock, vn(2026, 3, 9, 8, 0), "DA_CHUYEN_XU_LY", stale=True, priority="KHAN")
    assert (late, reason) == (clock, None)  # an older step: the case stays accepted, the priority as it is
    late, reason = change(clock, vn(2026, 3, 10, 9, 0), "DANG_XU_LY", stale=True, extension_working_days=1)
    assert (late.due_at, reason) == (
        cal.add_working_hours(clock.due_at, cal.hours_per_day),
        "extension_approved",
    )
    done, _ = change(clock, vn(2026, 3, 12, 9, 0), "DA_XU_LY")  # a result made after a reopen, applied first
    new_due = vn(2026, 4, 8, 9, 0)
    reopened, reason = change(done, vn(2026, 3, 11, 9, 0), "DANG_XU_LY", stale=True, reopen_due_at=new_due)
    assert (reopened.status, reopened.closed_at, reopened.due_at, reason) == (
        "DA_XU_LY",
        done.closed_at,
        new_due,
        "reopened",
    )


def test_a_step_older_than_one_applied_or_made_before_the_routing_is_stale():
    started = vn(2026, 3, 9, 9, 0)
    assert stale_step(5, started, 5, vn(2026, 3, 9, 10, 0)) and stale_step(
        5, started, 4, vn(2026, 3, 9, 10, 0)
    )
    assert not stale_step(5, started, 6, vn(2026, 3, 9, 10, 0))
    # a request for information and its answer, delivered after routing started the clock (intake's steps of
    # the same case numbered lower than none applied here yet)
    assert stale_step(0, started, 3, vn(2026, 3, 9, 8, 59))
    assert not stale_step(0, started, 3, started) and not stale_step(0, None, 3, vn(2026, 3, 9, 8, 59))
    assert not stale_step(0, started, None, vn(2026, 3, 9, 9, 1)) and stale_step(
        0, started, None, vn(2026, 3, 9, 8, 0)
    )
    clock = routed(started)
    late, reason = change(clock, vn(2026, 3, 9, 8, 30), "CHO_BO_SUNG", clock="stop", stale=True)
    assert (late, reason) == (clock, None)  # the clock runs on, the case stays with its agency


def test_recompute_leaves_a_paused_or_unassigned_case_alone():
    clock = routed()
    assert recompute(replace(clock, paused_at=vn(2026, 3, 9, 9, 0), due_at=None), SNAPSHOT).due_at is None
    assert recompute(replace(clock, agency_code=None, due_at=None), SNAPSHOT).due_at is None

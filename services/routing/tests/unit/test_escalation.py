"""Which warnings are due: due soon (0), overdue → leader (1), → escalation agency/IOC (2), in working
hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from libs.contracts.directory import DeadlineSettings
from services.routing.domain.escalation import firings, horizon

from .test_cases import SNAPSHOT, routed, vn

SETTINGS = DeadlineSettings()  # due soon: accept 2 h, process 4 h; level 2: accept 8 h, process 15 h
CAL = SNAPSHOT.calendar


def levels(clock, now: datetime) -> list[str]:
    return [f"{f.deadline}:{f.level}" for f in firings(clock, SETTINGS, CAL, now)]


ACCEPTED = routed(status="DANG_XU_LY", accepted_at=vn(2026, 3, 9, 8, 0))  # due Tue 17 Mar 17:00


@pytest.mark.parametrize(
    "now, expected",
    [
        (vn(2026, 3, 17, 10, 59), []),  # 4 h 01 left
        (vn(2026, 3, 17, 11, 0), ["process:0"]),  # exactly 4 working hours left
        (vn(2026, 3, 17, 12, 30), ["process:0"]),  # lunch: 3.5 h left
        (vn(2026, 3, 16, 17, 30), []),  # evening before: still 7.5 h left
        (vn(2026, 3, 18, 9, 0), ["process:1"]),  # overdue → agency leader
        (vn(2026, 3, 19, 16, 59), ["process:1"]),
        (vn(2026, 3, 19, 17, 0), ["process:1", "process:2"]),  # 15 working hours late → escalation
        (vn(2026, 3, 21, 10, 0), ["process:1", "process:2"]),  # a Saturday, long overdue
    ],
)
def test_processing_deadline(now, expected):
    assert levels(ACCEPTED, now) == expected


@pytest.mark.parametrize(
    "now, expected",
    [
        (vn(2026, 3, 9, 11, 0), []),  # 2.5 h left (lunch does not count)
        (vn(2026, 3, 9, 14, 0), ["accept:0"]),  # 1.5 h left to accept
        (vn(2026, 3, 10, 8, 0), ["accept:1"]),
        (vn(2026, 3, 10, 16, 0), ["accept:1", "accept:2"]),  # 8 working hours without accepting
    ],
)
def test_accept_deadline_runs_until_the_agency_accepts(now, expected):
    assert levels(routed(), now) == expected
    assert levels(replace(routed(), status="DANG_XU_LY", accepted_at=vn(2026, 3, 9, 9, 0)), now) == []


@pytest.mark.parametrize(
    "change",
    [
        dict(paused_at=vn(2026, 3, 16, 9, 0)),  # waiting on the citizen
        dict(status="DA_XU_LY"),  # result posted
        dict(status="TRA_LAI"),  # returned: waits for an operator
        dict(agency_code=None),  # unroutable, in the IOC queue
    ],
)
def test_no_warning_while_the_clock_does_not_run(change):
    assert levels(replace(ACCEPTED, **change), vn(2026, 3, 25, 9, 0)) == []


def test_horizon_covers_every_due_soon_case():
    now = vn(2026, 3, 17, 11, 0)
    assert horizon(SETTINGS, CAL, now) >= ACCEPTED.due_at
    assert horizon(SETTINGS, CAL, vn(2026, 3, 13, 9, 0)) < ACCEPTED.due_at  # days ahead: filtered out

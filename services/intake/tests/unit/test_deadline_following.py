"""Intake follows routing's deadlines: only newer versions replace what it holds; warnings about an old one
lapse."""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from libs.contracts.events import ReportDeadlineChangedV1, ReportOverdueV1
from services.intake.usecases.events import deadline_columns, newer_deadlines, stale_warning

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def changed(version: int | None, due: datetime = NOW) -> ReportDeadlineChangedV1:
    return ReportDeadlineChangedV1(
        report_id=uuid.uuid4(),
        accept_due_at=NOW,
        due_at=due,
        reason="extension_approved",
        deadline_version=version,
    )


@pytest.mark.parametrize(
    "held, sent, applied", [(0, 1, True), (2, 3, True), (3, 3, False), (3, 2, False), (5, None, True)]
)  # None: sent before versions existed
def test_only_a_newer_version_replaces_the_deadlines(held, sent, applied):
    row = SimpleNamespace(deadline_version=held)
    assert newer_deadlines(changed(sent), row) is applied
    columns = deadline_columns(changed(sent), row)
    assert columns == (
        {"accept_due_at": NOW, "due_at": NOW, **({"deadline_version": sent} if sent else {})}
        if applied
        else {}
    )


@pytest.mark.parametrize(
    "deadline, current, stale",
    [
        ("process", NOW + timedelta(days=5), True),  # extended or reopened since the warning was sent
        ("process", NOW, False),
        ("process", NOW - timedelta(hours=1), False),
        ("process", None, False),
        ("accept", NOW + timedelta(hours=8), True),
        ("accept", NOW, False),
    ],
)
def test_an_overdue_warning_about_a_deadline_moved_later_is_stale(deadline, current, stale):
    row = SimpleNamespace(
        due_at=current if deadline == "process" else NOW + timedelta(days=9),
        accept_due_at=current if deadline == "accept" else None,
    )
    event = ReportOverdueV1(
        report_id=uuid.uuid4(), code="HT-1", agency_code="UBND_18073", due_at=NOW, deadline=deadline, level=1
    )
    assert stale_warning(event, row) is stale

"""Feedback against the real broker and database: the rating window opens once on publication."""

from __future__ import annotations

import uuid

import pytest
from nameko.testing.services import entrypoint_waiter

from services.feedback.service import FeedbackService
from services.feedback.tests.builders import changed, publish

pytestmark = pytest.mark.interface


def test_rating_state_is_not_open_for_an_unknown_report(start_service, rpc):
    start_service(FeedbackService)
    state = rpc.feedback.get_rating_state(str(uuid.uuid4()))
    assert state["state"] == "NOT_OPEN" and state["rating"] is None


def test_publication_opens_a_seven_day_window_once(start_service, rpc, stack):
    container = start_service(FeedbackService)
    report_id = uuid.uuid4()
    event = changed(report_id)
    for _ in range(2):  # at-least-once delivery: the second copy changes nothing
        with entrypoint_waiter(container, "handle_report_status_changed", timeout=10):
            publish(stack, event)
    first = rpc.feedback.get_rating_state(str(report_id))
    with entrypoint_waiter(container, "handle_report_status_changed", timeout=10):
        publish(stack, changed(report_id))  # a new publication event (reopened case) keeps the first window
    second = rpc.feedback.get_rating_state(str(report_id))
    assert first["state"] == "OPEN" and first["window_closes_at"]
    assert second["window_closes_at"] == first["window_closes_at"]


def test_other_transitions_do_not_open_the_window(start_service, rpc, stack):
    container = start_service(FeedbackService)
    report_id = uuid.uuid4()
    with entrypoint_waiter(container, "handle_report_status_changed", timeout=10):
        publish(stack, changed(report_id, to_status="DANG_XU_LY", from_status="DA_CHUYEN_XU_LY"))
    assert rpc.feedback.get_rating_state(str(report_id))["state"] == "NOT_OPEN"


def test_a_malformed_report_id_is_a_validation_error(start_service, rpc):
    from nameko.exceptions import RemoteError

    start_service(FeedbackService)
    with pytest.raises(RemoteError) as err:
        rpc.feedback.get_rating_state("not-a-uuid")
    assert "VALIDATION_FAILED" in str(err.value)

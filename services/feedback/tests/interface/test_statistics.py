"""Statistics against the real broker and database: events in (in any order, some twice), figures out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError

from libs.contracts.common import utcnow
from services.feedback.domain.periods import local_today
from services.feedback.repository.models import cases, facts
from services.feedback.service import FeedbackService
from services.feedback.tests.builders import Story, deliver, unique_agency, unique_ward

pytestmark = pytest.mark.interface
T0 = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 in Hà Tĩnh


def unique_category() -> str:
    return f"TEST_{uuid.uuid4().hex[:10].upper()}"


def march_stories(category: str, agency: str, wards: tuple[str, str]) -> dict[str, Story]:
    """Five cases of March 2025: on time (clock stopped 2 h), late with an extension, open and overdue,
    rejected in triage, on time in another ward."""
    w1, w2 = wards
    new = lambda ward=w1: Story(T0, agency, ward, category)  # noqa: E731
    return {
        "on_time": new()
        .submitted(0)
        .step(1, "CHO_TIEP_NHAN", "CHO_BO_SUNG", clock="stop")
        .step(3, "CHO_BO_SUNG", "CHO_TIEP_NHAN", clock="resume")
        .accepted(4)
        .routed(5, due_h=72)
        .worked(6)
        .published(30)
        .rated(31, "HAI_LONG"),
        "late": new()
        .submitted(0)
        .accepted(1)
        .routed(2, due_h=24)
        .worked(3)
        .step(10, "DANG_XU_LY", "DANG_XU_LY", extension_working_days=2)
        .deadline(10, due_h=48)
        .overdue(50, due_h=48)
        .published(60),
        "open_overdue": new().submitted(0).accepted(1).routed(2, due_h=24).worked(3).overdue(30, due_h=24),
        "rejected": new().submitted(0).step(2, "CHO_TIEP_NHAN", "TU_CHOI"),
        "other_ward": new(w2)
        .submitted(0)
        .accepted(1)
        .routed(2, due_h=100)
        .worked(3)
        .published(10)
        .rated(11, "KHONG_HAI_LONG"),
    }


def figures(row: dict) -> dict:
    """The counts of a row: not its key, nor its names (feedback leaves them null; the gateway adds them)."""
    assert row["name_vi"] is None and row["name_en"] is None
    return {k: v for k, v in row.items() if k not in ("key", "name_vi", "name_en")}


def test_march_figures_per_period_ward_agency_and_month(start_service, rpc, stack):
    container = start_service(FeedbackService)
    category, agency, wards = unique_category(), unique_agency(), (unique_ward(), unique_ward())
    stories = march_stories(category, agency, wards)
    for name, story in stories.items():
        events = story.events[::-1] if name == "late" else story.events  # arrival order does not matter
        deliver(container, stack, *events)

    with stack.engine.connect() as conn:  # the read model: one row per case, folded from its facts
        on_time = conn.execute(
            sa.select(cases).where(cases.c.report_id == stories["on_time"].report_id)
        ).one()
        late = conn.execute(sa.select(cases).where(cases.c.report_id == stories["late"].report_id)).one()
    assert (on_time.status, on_time.rating, on_time.agency_code, on_time.ward_code) == (
        "DA_DANH_GIA",
        "HAI_LONG",
        agency,
        wards[0],
    )
    assert (on_time.clock_stopped_seconds, on_time.processing_seconds) == (2 * 3600, 28 * 3600)
    assert (late.due_at, late.extension_days, late.published_at) == (
        T0 + timedelta(hours=48),
        2,
        T0 + timedelta(hours=60),
    )

    report = rpc.feedback.get_stats({"month": "2025-03", "category": category})
    assert (report["date_from"], report["date_to"], report["group_by"]) == (
        "2025-03-01",
        "2025-03-31",
        "total",
    )
    expected_total = dict(
        received=5,
        accepted=4,
        rejected=1,
        routed=4,
        with_extension=1,
        resolved=3,
        on_time=2,
        resolved_late=1,
        open_overdue=1,
        overdue=2,
        median_processing_calendar_hours=28.0,
        processing_measured=3,
        rated=2,
        hai_long=1,
        chap_nhan=0,
        khong_hai_long=1,
        response_base=3,
        response_rate=0.6667,
    )
    assert figures(report["total"]) == expected_total and report["rows"] == [report["total"]]

    by_ward = {
        r["key"]: r
        for r in rpc.feedback.get_stats({"month": "2025-03", "category": category, "group_by": "ward"})[
            "rows"
        ]
    }
    assert set(by_ward) == {*wards, None}  # the rejected case never got a ward
    assert (by_ward[wards[0]]["received"], by_ward[wards[0]]["resolved"], by_ward[wards[0]]["overdue"]) == (
        3,
        2,
        2,
    )
    assert by_ward[wards[0]]["median_processing_calendar_hours"] == 44.0  # (28 + 60) / 2
    assert (by_ward[wards[1]]["khong_hai_long"], by_ward[wards[1]]["response_rate"]) == (1, 1.0)
    assert (by_ward[None]["received"], by_ward[None]["rejected"], by_ward[None]["routed"]) == (1, 1, 0)

    only_agency = rpc.feedback.get_stats(
        {"month": "2025-03", "agency": agency, "ward": wards[0], "group_by": "agency"}
    )
    assert [r["key"] for r in only_agency["rows"]] == [agency] and only_agency["total"]["received"] == 3

    by_month = rpc.feedback.get_stats(
        {"date_from": "2025-02-15", "date_to": "2025-04-10", "category": category, "group_by": "month"}
    )
    assert [r["key"] for r in by_month["rows"]] == ["2025-02", "2025-03", "2025-04"]
    assert figures(by_month["rows"][1]) == expected_total == figures(by_month["total"])
    assert by_month["rows"][0]["received"] == by_month["rows"][2]["received"] == 0


def test_redelivered_events_count_once_and_the_window_settles_the_response_rate(start_service, rpc, stack):
    container = start_service(FeedbackService)
    now = utcnow()
    story = Story(now - timedelta(hours=30), unique_agency(), unique_ward(), unique_category())
    story.submitted(0).accepted(1).routed(2, due_h=80).worked(3).published(29)
    deliver(container, stack, *story.events)
    today = local_today(now)
    query = {"date_from": str(today - timedelta(days=2)), "date_to": str(today), "category": story.category}

    published = rpc.feedback.get_stats(query)["total"]
    assert (published["resolved"], published["on_time"], published["open_overdue"]) == (1, 1, 0)
    assert (published["rated"], published["response_base"], published["response_rate"]) == (0, 0, None)
    assert rpc.feedback.get_rating_state(str(story.report_id))["state"] == "OPEN"

    story.rated(29.5, "CHAP_NHAN")
    deliver(container, stack, *story.events)  # everything again, the rating for the first time
    rated = rpc.feedback.get_stats(query)["total"]
    assert (rated["received"], rated["resolved"], rated["rated"], rated["chap_nhan"]) == (1, 1, 1, 1)
    assert (rated["response_base"], rated["response_rate"]) == (1, 1.0)
    deliver(container, stack, *story.events)
    assert rpc.feedback.get_stats(query)["total"] == rated
    with stack.engine.connect() as conn:
        kept = conn.execute(
            sa.select(sa.func.count()).select_from(facts).where(facts.c.report_id == story.report_id)
        ).scalar_one()
    assert kept == len(story.events)
    state = rpc.feedback.get_rating_state(str(story.report_id))
    assert (state["state"], state["rating"]) == ("RATED", "CHAP_NHAN")


@pytest.mark.parametrize(
    "query, field",
    [
        ({"date_from": "2025-03-10", "date_to": "2025-03-01"}, "date_to"),
        ({"date_from": "2015-01-01"}, "date_from"),
        ({"month": "2025-3"}, "month"),
        ({"group_by": "district"}, "group_by"),
    ],
)
def test_a_bad_query_is_a_validation_error_naming_the_field(start_service, rpc, query, field):
    start_service(FeedbackService)
    with pytest.raises(RemoteError) as err:
        rpc.feedback.get_stats(query)
    assert err.value.exc_type == "ServiceError" and "VALIDATION_FAILED" in str(err.value)
    assert f"'field': '{field}'" in str(err.value)

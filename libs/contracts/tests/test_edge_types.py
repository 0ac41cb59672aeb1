"""Field types that fuzzing the OpenAPI showed wrong (issue 13): instants PostgreSQL could not take, and a
time of day documented as needing an offset it never has."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from libs.contracts.directory import WALL_CLOCK, ChangeMeta, DeadlineSettings, DryRun
from libs.contracts.notify import ListDeliveries
from libs.contracts.open311 import FeedQuery
from libs.contracts.search import SearchReports


@pytest.mark.parametrize("text", ["4324-06-23T17:45:54-19:40", "2026-03-16T08:30:00+23:59"])
def test_an_instant_with_any_iso_offset_becomes_utc(text):
    query = SearchReports(updated_from=text)
    assert query.updated_from == datetime.fromisoformat(text)
    assert query.updated_from.utcoffset().total_seconds() == 0  # PostgreSQL refuses offsets beyond ±15:59


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_an_instant_utc_cannot_hold_is_a_validation_error_naming_the_field(text):
    with pytest.raises(ValidationError) as failed:
        SearchReports(created_to=text)
    assert [e["loc"] for e in failed.value.errors()] == [("created_to",)]


def test_the_feed_window_is_held_in_utc():
    query = FeedQuery(
        updated_from="2026-01-01T00:00:00-19:40",
        updated_to="2026-01-02T00:00:00+19:40",
        recorded_to=datetime(2026, 1, 3, tzinfo=UTC),
    )
    assert {q.utcoffset().total_seconds() for q in (query.updated_from, query.updated_to)} == {0}


def test_working_periods_are_documented_as_the_wall_clock_times_they_are():
    schema = DeadlineSettings.model_json_schema()["properties"]["working_periods"]["items"]["prefixItems"][0]
    assert "format" not in schema and schema["pattern"] == WALL_CLOCK
    for period in DeadlineSettings().model_dump(mode="json")["working_periods"]:
        assert all(re.match(WALL_CLOCK, moment) for moment in period)


@pytest.mark.parametrize(
    "build",
    [
        lambda at: ListDeliveries(before=at),
        lambda at: ChangeMeta(effective_from=at),
        lambda at: DryRun(category="X_Y", location={"lat": 18.3, "lon": 105.9}, at=at),
    ],
)
def test_instants_staff_send_become_utc(build):
    """`GET /v1/notify/deliveries?before=...-19:40` was a 500 (found after the fuzz, by hand)."""
    built = build("2026-06-23T17:45:54-19:40")
    moment = next(v for v in built.__dict__.values() if isinstance(v, datetime))
    assert moment.utcoffset().total_seconds() == 0

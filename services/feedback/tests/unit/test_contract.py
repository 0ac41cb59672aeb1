"""The feedback contracts refuse what the workflow does not know and name the query field at fault."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from libs.contracts.feedback import (
    STATS_COLUMNS,
    STATS_KEY_COLUMNS,
    STATS_NAME_COLUMNS,
    GroupBy,
    RatingState,
    StatsQuery,
    StatsRow,
)


@pytest.mark.parametrize("state", ["NOT_OPEN", "OPEN", "RATED", "CLOSED"])
def test_known_states(state):
    assert RatingState(report_id=uuid.uuid4(), state=state).state == state


@pytest.mark.parametrize("field, value", [("state", "MAYBE"), ("rating", "SO_SO")])
def test_unknown_values_are_refused(field, value):
    with pytest.raises(ValidationError):
        RatingState(report_id=uuid.uuid4(), **{"state": "OPEN", field: value})


@pytest.mark.parametrize(
    "query, field",
    [
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to"),
        ({"month": "2026-03", "date_from": "2026-03-01"}, "month"),
        ({"month": "2026-13"}, "month"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"agency": "ubnd 1"}, "agency"),
        ({"ward": "1807"}, "ward"),
        ({"group_by": "district"}, "group_by"),
        ({"page": 2}, "page"),
    ],
)
def test_stats_query_names_the_field_at_fault(query, field):
    with pytest.raises(ValidationError) as err:
        StatsQuery(**query)
    assert [e["loc"][0] for e in err.value.errors()] == [field]


def test_every_figure_and_grouping_has_vietnamese_and_english_headers():
    figures = [name for name in StatsRow.model_fields if name not in ("key", "name_vi", "name_en")]
    assert list(STATS_COLUMNS) == figures
    assert set(STATS_KEY_COLUMNS) == set(GroupBy.__args__)
    assert set(STATS_NAME_COLUMNS) == {"agency", "ward", "category"}
    assert all(
        vi and en and vi != en
        for vi, en in [*STATS_COLUMNS.values(), *STATS_KEY_COLUMNS.values(), *STATS_NAME_COLUMNS.values()]
    )

"""The rating-state contract refuses states and levels outside the workflow."""
from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from libs.contracts.feedback import RatingState


@pytest.mark.parametrize("state", ["NOT_OPEN", "OPEN", "RATED", "CLOSED"])
def test_known_states(state):
    assert RatingState(report_id=uuid.uuid4(), state=state).state == state


@pytest.mark.parametrize("field, value", [("state", "MAYBE"), ("rating", "SO_SO")])
def test_unknown_values_are_refused(field, value):
    with pytest.raises(ValidationError):
        RatingState(report_id=uuid.uuid4(), **{"state": "OPEN", field: value})

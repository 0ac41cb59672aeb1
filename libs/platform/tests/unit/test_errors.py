"""ServiceError travels as exc_args; parse() names the fields at fault."""

from __future__ import annotations

import pytest

from libs.contracts.errors import ERRORS, ErrorCode
from libs.contracts.reports import SubmitReportCommand
from libs.platform.errors import ServiceError, parse


def test_parse_names_nested_fields():
    with pytest.raises(ServiceError) as err:
        parse(SubmitReportCommand, {"report": {"category": "x", "description": "", "location": {"lat": 91}}})
    fields = {e["field"] for e in err.value.errors}
    assert err.value.code == "VALIDATION_FAILED"
    assert {"report.category", "report.description", "report.location.lat", "report.location.lon"} <= fields


def test_service_error_round_trips_through_args():
    exc = ServiceError(
        ErrorCode.REPORT_NOT_FOUND, "no report", [{"field": "id", "message": "m", "type": "t"}]
    )
    assert exc.args == ("REPORT_NOT_FOUND", "no report", [{"field": "id", "message": "m", "type": "t"}])


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_error_code_has_a_status_and_two_titles(code):
    spec = ERRORS[code]
    assert spec.code is code and 400 <= spec.status <= 599
    assert spec.title_vi and spec.title_en and spec.title_vi != spec.title_en

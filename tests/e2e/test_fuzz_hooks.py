"""The fuzzing harness' own logic: the error-format check (tests/e2e/fuzz_hooks.py) and reading a pass'
summary."""

from __future__ import annotations

import json

import pytest

from tests.e2e.fuzz_hooks import error_problem
from tests.e2e.test_fuzz_openapi import cases_of

PROBLEM = json.dumps({"type": "/problems/validation", "title": "Dữ liệu không hợp lệ", "status": 422})


@pytest.mark.parametrize(
    "path, status, content_type, text",
    [
        ("/v1/reports", 200, "application/json", "[]"),
        ("/v1/reports", 422, "application/problem+json", PROBLEM),
        (
            "/open311/v2/requests.json",
            400,
            "application/json",
            '[{"code": 400, "description": "start_date"}]',
        ),
        (
            "/open311/v2/requests.xml",
            404,
            "text/xml; charset=utf-8",
            "<errors><error><code>404</code><description>not found</description></error></errors>",
        ),
    ],
)
def test_errors_in_the_promised_format_pass(path, status, content_type, text):
    assert error_problem(path, status, content_type, text) is None


@pytest.mark.parametrize(
    "path, status, content_type, text",
    [
        ("/v1/reports", 500, "text/plain", "Internal Server Error"),
        ("/v1/reports", 422, "application/json", PROBLEM),  # right body, wrong media type
        ("/v1/reports", 404, "application/problem+json", PROBLEM),  # status in the body differs
        ("/open311/v2/services.json", 405, "application/problem+json", PROBLEM),  # Open311 wants its own list
        ("/open311/v2/requests.xml", 400, "application/xml", "<error>x</error>"),
    ],
)
def test_errors_out_of_format_are_named(path, status, content_type, text):
    assert error_problem(path, status, content_type, text)


def test_the_number_of_cases_is_read_from_the_summary():
    assert cases_of("Test cases:\n  1,385 generated, 1,385 passed\n") == 1385
    assert cases_of("Error: No such option '--config-file'") == 0

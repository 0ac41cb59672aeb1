"""The gateway's error table: every error code becomes problem+json with its status, in both languages."""
from __future__ import annotations

import pytest
from starlette.requests import Request

from gateway.problems import _field, problem
from libs.contracts.errors import HTTP_STATUS, ErrorCode


def request(lang: str) -> Request:
    return Request({"type": "http", "headers": [(b"accept-language", lang.encode())], "method": "GET",
                    "path": "/", "query_string": b""})


@pytest.mark.parametrize("code", list(ErrorCode))
def test_each_code_maps_to_its_status_with_a_vietnamese_title(code):
    resp = problem(request("vi"), code, "detail", [{"field": "location.lat", "message": "m", "type": "t"}])
    body = resp.body.decode()
    assert resp.status_code == HTTP_STATUS[code]
    assert resp.media_type == "application/problem+json"
    assert '"field":"location.lat"' in body and f'"code":"{code.value}"' in body


def test_english_title_on_request():
    vi = problem(request("vi-VN"), ErrorCode.REPORT_NOT_FOUND).body.decode()
    en = problem(request("en-US,en;q=0.9"), ErrorCode.REPORT_NOT_FOUND).body.decode()
    assert "Không tìm thấy phản ánh" in vi and "Report not found" in en


@pytest.mark.parametrize("loc, field", [(("body", "location", "lat"), "location.lat"),
                                        (("header", "Idempotency-Key"), "header.Idempotency-Key"),
                                        (("body",), "body"), (("query", "token"), "query.token")])
def test_field_paths(loc, field):
    assert _field(loc) == field

"""The gateway's error table: every error code becomes problem+json with its status, in both languages."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from gateway.problems import _field, problem
from libs.contracts.errors import ERRORS, ErrorCode


def request(lang: str) -> Request:
    return Request(
        {
            "type": "http",
            "headers": [(b"accept-language", lang.encode())],
            "method": "GET",
            "path": "/",
            "query_string": b"",
        }
    )


@pytest.mark.parametrize("code", list(ErrorCode))
def test_each_code_maps_to_its_status_with_a_vietnamese_title(code):
    resp = problem(request("vi"), code, "detail", [{"field": "location.lat", "message": "m", "type": "t"}])
    body = resp.body.decode()
    assert resp.status_code == ERRORS[code].status
    assert resp.media_type == "application/problem+json"
    assert '"field":"location.lat"' in body and f'"code":"{code.value}"' in body


def test_english_title_on_request():
    vi = problem(request("vi-VN"), ErrorCode.REPORT_NOT_FOUND).body.decode()
    en = problem(request("en-US,en;q=0.9"), ErrorCode.REPORT_NOT_FOUND).body.decode()
    assert "Không tìm thấy phản ánh" in vi and "Report not found" in en


@pytest.mark.parametrize(
    "loc, field",
    [
        (("body", "location", "lat"), "location.lat"),
        (("header", "Idempotency-Key"), "header.Idempotency-Key"),
        (("body",), "body"),
        (("query", "token"), "query.token"),
    ],
)
def test_field_paths(loc, field):
    assert _field(loc) == field


def test_an_http_error_on_an_open311_path_answers_in_the_spec_error_format():
    """Fuzzing found TRACE /open311/v2/requests.json answering 405 as problem+json; Open311 clients read
    `[{"code", "description"}]` (or `<errors>`), whatever went wrong."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from gateway import problems

    app = FastAPI()
    problems.install(app)

    @app.get("/open311/v2/requests.{fmt}")
    async def requests(fmt: str) -> dict:
        return {}

    @app.get("/v1/things")
    async def things() -> dict:
        return {}

    client = TestClient(app)
    as_json = client.request("TRACE", "/open311/v2/requests.json")
    assert as_json.status_code == 405 and as_json.headers["content-type"].startswith("application/json")
    assert as_json.json() == [
        {"code": 405, "description": "Phương thức không được hỗ trợ / method not allowed"}
    ]
    assert as_json.headers["allow"] == "GET"
    as_xml = client.request("TRACE", "/open311/v2/requests.xml")
    assert as_xml.status_code == 405 and "<errors><error><code>405</code>" in as_xml.text.replace("\n", "")
    native = client.request("TRACE", "/v1/things")
    assert native.status_code == 405 and native.headers["content-type"] == "application/problem+json"


def test_a_service_whose_database_is_restarting_answers_503_with_retry_after_not_500():
    """The fault suite found a PostgreSQL restart answered 500 (`OperationalError: the database system is
    starting up` from a service): clients treat 500 as a bug; it is a moment's unavailability, 503 with
    Retry-After."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from gateway import problems
    from gateway.rpc import RemoteError

    app = FastAPI()
    problems.install(app)

    @app.get("/v1/down")
    async def down() -> dict:
        raise RemoteError("OperationalError", ["FATAL: the database system is starting up"], "starting up")

    @app.get("/v1/broken")
    async def broken() -> dict:
        raise RemoteError("KeyError", ["x"], "x")

    client = TestClient(app)
    down_answer = client.get("/v1/down")
    assert down_answer.status_code == 503 and down_answer.headers["retry-after"] == "5"
    assert down_answer.json()["code"] == "UPSTREAM_UNAVAILABLE"
    assert client.get("/v1/broken").status_code == 500

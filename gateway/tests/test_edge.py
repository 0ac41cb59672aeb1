"""The edge guard's pure parts: which limit a route has, which answers are personal, the headers, NUL checks,
and the CSV export's formula neutraliser."""

from __future__ import annotations

import pytest

from gateway.edge import limit_for, nul_parameter, personal, security_headers
from gateway.routes.stats import neutral
from gateway.settings import GatewaySettings


@pytest.fixture
def settings():
    return GatewaySettings(HT_JWT_SECRET="k" * 40)


def scope(path: str, method: str = "GET", headers=(), scheme: str = "http") -> dict:
    return {"type": "http", "path": path, "method": method, "headers": list(headers), "scheme": scheme}


@pytest.mark.parametrize(
    ("method", "path", "content_type", "name"),
    [
        ("POST", "/v1/reports", "application/json", "json"),
        ("POST", "/v1/reports/3f0c/media", "multipart/form-data; boundary=x", "upload"),
        ("POST", "/v1/agency/reports/3f0c/media", "multipart/form-data; boundary=x", "upload"),
        ("POST", "/open311/v2/requests.json", "multipart/form-data; boundary=x", "open311"),
        ("POST", "/open311/v2/requests.xml", "application/x-www-form-urlencoded", "form"),
        ("PUT", "/v1/admin/routing/wards/geometry", "application/json", "geometry"),
        ("GET", "/v1/reports", "", "json"),
    ],
)
def test_each_route_has_its_body_limit(settings, method, path, content_type, name):
    limit = limit_for(settings, method, path, content_type)
    assert limit.name == name and limit.max_bytes > 0 and limit.total_s > 0
    if name == "json":
        assert limit.max_bytes == 256 * 1024


def test_personal_answers_are_the_credentialed_staff_and_write_ones():
    assert personal(scope("/v1/reports/x", headers=[(b"x-tracking-token", b"t")]))
    assert personal(scope("/v1/operator/queue"))
    assert personal(scope("/v1/reports", "POST"))
    assert personal(scope("/v1/stats.csv", headers=[(b"authorization", b"Bearer x")]))
    assert not personal(scope("/v1/reports/x"))
    assert not personal(
        scope("/assets/app.js", headers=[(b"cookie", b"a=b")])
    )  # the web build keeps its caching


def test_security_headers_keep_a_pages_own_policy_and_add_hsts_over_https():
    page = dict(security_headers(scope("/"), [(b"content-security-policy", b"default-src 'self'")]))
    assert page[b"content-security-policy"] == b"default-src 'self'" and page[b"x-frame-options"] == b"DENY"
    api = dict(
        security_headers(
            scope("/v1/reports/x", headers=[(b"authorization", b"x")], scheme="https"),
            [(b"cache-control", b"max-age=60")],
        )
    )
    assert api[b"cache-control"] == b"no-store" and api[b"strict-transport-security"].startswith(b"max-age=")
    assert api[b"content-security-policy"] == b"default-src 'none'; frame-ancestors 'none'"
    assert b"strict-transport-security" not in dict(security_headers(scope("/health"), []))


def test_a_nul_in_a_query_parameter_is_named():
    assert nul_parameter(b"q=%00&offset=1") == "q"
    assert nul_parameter(b"a=1&service_request_id=HT%00x") == "service_request_id"
    assert nul_parameter(b"q=ok%20text") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Phường Thành Sen", "Phường Thành Sen"),
        ("", ""),
    ],
)
def test_csv_text_cells_that_start_like_a_formula_are_quoted(text, expected):
    assert neutral(text) == expected

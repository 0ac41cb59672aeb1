"""Schemathesis hooks for fuzzing the OpenAPI (tests/e2e/test_fuzz_openapi.py, `make fuzz`): the edge's error
format.

Loaded by the schemathesis CLI through SCHEMATHESIS_HOOKS=tests.e2e.fuzz_hooks. `error_format` fails a case
when an error answer is not in the format the API promises: under /v1 (and every other non-Open311 path) a
4xx/5xx must be `application/problem+json` whose `status` is the HTTP status and which carries a `title`;
under /open311 the GeoReport v2 error list (`[{"code", "description"}]` in JSON, `<errors><error>` in XML).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import schemathesis


def error_problem(path: str, status: int, content_type: str, text: str) -> str | None:
    """What is wrong with an error answer, or None when it is in the promised format (pure, tested)."""
    if status < 400:
        return None
    kind = content_type.split(";")[0].strip().lower()
    if path.startswith("/open311"):
        if kind.endswith("xml"):
            try:
                root = ET.fromstring(text)
            except ET.ParseError as exc:
                return f"Open311 {status}: XML error body does not parse ({exc})"
            errors = root.findall("error")
            if (
                root.tag != "errors"
                or not errors
                or any(e.find("code") is None or e.find("description") is None for e in errors)
            ):
                return f"Open311 {status}: not an <errors><error><code/><description/> list: {text[:200]}"
            return None
        try:
            body = json.loads(text)
        except ValueError:
            what = kind or "no content type"
            return f"Open311 {status}: {what} body is neither the JSON nor the XML error list"
        if not (
            isinstance(body, list)
            and body
            and all(isinstance(e, dict) and {"code", "description"} <= e.keys() for e in body)
        ):
            return f"Open311 {status}: not a [{{code, description}}] list: {text[:200]}"
        return None
    if kind != "application/problem+json":
        return f"{status} answered as {kind or 'no content type'}, not application/problem+json: {text[:200]}"
    try:
        body = json.loads(text)
    except ValueError:
        return f"{status}: problem+json body does not parse: {text[:200]}"
    if not isinstance(body, dict) or body.get("status") != status or not body.get("title"):
        return f"{status}: problem without a matching status or a title: {text[:200]}"
    return None


@schemathesis.check
def error_format(ctx, response, case):
    """Every 4xx/5xx in the edge's error format (problem+json; Open311: the spec's error list)."""
    content_type = ""
    for name, values in response.headers.items():
        if name.lower() == "content-type":
            content_type = values[0] if isinstance(values, list) else values
    wrong = error_problem(case.operation.path, response.status_code, content_type, response.text)
    if wrong:
        raise AssertionError(wrong)

"""Operators racing each other and the system on one case: every answer is a success or a 409, never a 500.

Two operators accept (or ask for information on) the same new report at the same moment; an operator acts on a
case while routing's answer to its acceptance arrives. One change wins, the others are told the case moved on
(409 TRANSITION_NOT_ALLOWED or CONCURRENT_CHANGE), and the case ends in one consistent state.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from devtools.testing import wait_for
from libs.auth.tokens import mint

pytestmark = pytest.mark.e2e

CONFLICTS = {"TRANSITION_NOT_ALLOWED", "CONCURRENT_CHANGE"}
UNITS = [
    (18.3428, 105.9057),
    (18.3559, 105.8877),
    (18.3336, 105.9125),
    (18.3700, 105.8700),
    (18.3200, 105.9300),
    (18.3480, 105.8600),
]


@pytest.fixture
def client(system):
    with httpx.Client(base_url=system.base_url, timeout=30) as c:
        yield c


def operator(system, n: int) -> dict:
    token = mint(f"operator-race-{n}", "operator", system.stack.secrets["HT_JWT_SECRET"])
    return {"Authorization": f"Bearer {token}"}


def new_reports(client, n: int) -> list[str]:
    run, ids = uuid.uuid4().hex[:8], []
    for i, (lat, lon) in enumerate(UNITS[:n]):
        answer = client.post(
            "/v1/reports",
            headers={"Idempotency-Key": f"race-{run}-{i}"},
            json={
                "category": "GIAO_THONG_HA_TANG",
                "location": {"lat": lat, "lon": lon},
                "description": f"Đèn tín hiệu hỏng, phép thử đồng thời {run} số {i}",
            },
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "CHO_TIEP_NHAN"  # the harness never inherits AUTO_ACCEPT_* settings
        ids.append(answer.json()["id"])
    return ids


def at_once(calls) -> list[httpx.Response]:
    """Send every (path, body, headers) at the same moment, each on its own connection."""

    def send(call):
        path, body, headers, base = call
        with httpx.Client(base_url=base, timeout=30) as own:
            return own.post(path, json=body, headers=headers)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, calls))


def assert_success_or_conflict(answers: list[httpx.Response]) -> None:
    for answer in answers:
        assert answer.status_code in (200, 409), (answer.status_code, answer.text)
        if answer.status_code == 409:
            assert answer.json()["code"] in CONFLICTS, answer.text


def test_operators_triaging_one_report_at_the_same_moment_one_wins_the_others_get_409(system, client):
    for report_id in new_reports(client, 4):
        verbs = [
            ("accept", {}),
            ("accept", {}),
            ("accept", {"priority": "PHUC_TAP"}),
            ("request-info", {"note": "Xin thêm ảnh / more photos please"}),
        ]
        answers = at_once(
            [
                (f"/v1/operator/reports/{report_id}/{verb}", body, operator(system, i), system.base_url)
                for i, (verb, body) in enumerate(verbs)
            ]
        )
        assert_success_or_conflict(answers)
        won = [a for a in answers if a.status_code == 200]
        assert len(won) == 1, [(a.status_code, a.text[:200]) for a in answers]
        case = client.get(f"/v1/operator/reports/{report_id}", headers=operator(system, 0)).json()
        after = {"DA_TIEP_NHAN": {"DA_TIEP_NHAN", "DA_CHUYEN_XU_LY"}, "CHO_BO_SUNG": {"CHO_BO_SUNG"}}
        assert case["status"] in after[won[0].json()["status"]]  # accepted (maybe routed by now), or asked
        assert [s["action"] for s in case["timeline"]].count("accept") <= 1


def test_an_operator_acting_while_routing_answers_the_acceptance_gets_success_or_409(system, client):
    ids = new_reports(client, 4)
    for report_id in ids:
        accepted = client.post(
            f"/v1/operator/reports/{report_id}/accept", json={}, headers=operator(system, 0)
        )
        assert accepted.status_code == 200, accepted.text
        # at once, while routing's report.routed for this case is on its way to intake
        answers = at_once(
            [
                (f"/v1/operator/reports/{report_id}/accept", {}, operator(system, 1), system.base_url),
                (
                    f"/v1/operator/reports/{report_id}/public-text",
                    {"description": "Đèn tín hiệu hỏng"},
                    operator(system, 2),
                    system.base_url,
                ),
                (
                    f"/v1/operator/reports/{report_id}/reroute",
                    {"note": "Kiểm tra lại / check"},
                    operator(system, 3),
                    system.base_url,
                ),
            ]
        )
        assert_success_or_conflict(answers)
        assert answers[0].status_code == 409  # accepted already
    for report_id in ids:  # and routing's answer was applied, not lost
        wait_for(
            lambda: client.get(f"/v1/reports/{report_id}").json(),
            lambda v: v.get("agency_code"),
            timeout=60,
            what=f"{report_id} routed",
        )

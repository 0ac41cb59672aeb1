"""Agencies × cases through the HTTP API: a foreign case is a 404, no payload an agency or the public gets carries
personal data, and every operator read of personal data leaves an audit row."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from services.intake.models import audit_log

from .test_lifecycle_support import (  # noqa: F401  (fixtures)
    accepted_and_routed, agency, client, operator, personal_keys, personal_values, person, staff, submit,
)

pytestmark = pytest.mark.e2e
WARDS = ("18073", "18100", "18115")  # three communes: UBND_<ward> handles their roads
OUTSIDER = "UBND_18118"  # an agency that never holds any of these cases


@pytest.fixture(scope="module")
def cases(system):
    """Three cases routed to three agencies (the first returned once and re-routed), one not yet triaged."""
    import httpx

    from .test_lifecycle_support import Staff, routed_to

    people, st = {}, Staff(system)
    with httpx.Client(base_url=system.base_url, timeout=20) as c:
        made = {}
        for ward in WARDS:
            reporter = person()
            ref, _ = accepted_and_routed(c, st, ward=ward, reporter=reporter)
            made[ref["id"]], people[ref["id"]] = {f"UBND_{ward}"}, reporter
        first = next(iter(made))
        agency(c, st, "UBND_18073", first, "return", reason="Không thuộc thẩm quyền", suggested_agency="UBND_18100")
        operator(c, st, first, "reroute", agency_code="UBND_18100")
        routed_to(c, st, first, "UBND_18100")
        made[first] = {"UBND_18073", "UBND_18100"}
        reporter = person()
        waiting = submit(c, reporter=reporter)
        made[waiting["id"]], people[waiting["id"]] = set(), reporter
    return made, people


AGENCIES = tuple(f"UBND_{w}" for w in WARDS) + (OUTSIDER,)


@pytest.mark.parametrize("agency_code", AGENCIES)
@pytest.mark.parametrize("role", ("agency_officer", "agency_leader"))
def test_each_agency_sees_only_its_cases_and_never_personal_data(client, staff, cases, agency_code, role):
    holders, people = cases
    headers = staff.headers(role, agency_code)
    for report_id, readers in holders.items():
        answer = client.get(f"/v1/agency/reports/{report_id}", headers=headers)
        if agency_code in readers:
            assert answer.status_code == 200, answer.text
            view = answer.json()
            assert not personal_keys(view), personal_keys(view)
            assert not any(v in answer.text for v in personal_values(people[report_id]))
        else:
            assert answer.status_code == 404 and answer.json()["code"] == "REPORT_NOT_FOUND"
            acted = client.post(f"/v1/agency/reports/{report_id}/accept", json={}, headers=headers)
            assert acted.status_code == 404 and acted.json()["code"] == "REPORT_NOT_FOUND"
    inbox = client.get("/v1/agency/inbox", headers=headers, params={"limit": 500})
    assert inbox.status_code == 200 and not personal_keys(inbox.json())
    mine = {i["id"] for i in inbox.json()["items"]} & set(holders)
    assert mine == {rid for rid, readers in holders.items() if agency_code in readers and
                    (agency_code != "UBND_18073" or rid != next(iter(holders)))}


def test_public_payloads_carry_no_personal_data(client, cases):
    holders, people = cases
    for report_id in holders:
        view = client.get(f"/v1/reports/{report_id}")
        assert view.status_code == 200 and not personal_keys(view.json())
        assert not any(v in view.text for v in personal_values(people[report_id]))
    listing = client.get("/v1/reports", params={"ward": list(WARDS), "limit": 1000})
    feed = client.get("/v1/reports.geojson", params={"ward": list(WARDS), "limit": 1000})
    for answer in (listing, feed):
        assert answer.status_code == 200 and not personal_keys(answer.json())
        assert not any(v in answer.text for p in people.values() for v in personal_values(p))
    assert set(holders) - {i["id"] for i in listing.json()["items"]} == {list(holders)[-1]}  # untriaged: hidden


def test_every_operator_read_of_personal_data_is_audited(client, staff, cases, system):
    holders, people = cases
    report_id = next(iter(holders))
    case = client.get(f"/v1/operator/reports/{report_id}", headers=staff.headers())
    assert case.status_code == 200 and not personal_keys(case.json())
    purposes = [f"xác minh {uuid.uuid4().hex[:6]}" for _ in range(3)]
    for purpose in purposes:
        seen = client.get(f"/v1/operator/reports/{report_id}/reporter", params={"purpose": purpose},
                          headers=staff.headers())
        assert seen.status_code == 200 and seen.json()["reporter"]["phone"] == people[report_id]["phone"]
    for role, agency_code in (("agency_officer", "UBND_18100"), ("administrator", None)):
        refused = client.get(f"/v1/operator/reports/{report_id}/reporter", params={"purpose": "xem thử"},
                             headers=staff.headers(role, agency_code))
        assert refused.status_code == 403
    with system.stack.engine.connect() as db:
        rows = db.execute(sa.select(audit_log.c.purpose, audit_log.c.actor_role, audit_log.c.fields).where(
            audit_log.c.report_id == uuid.UUID(report_id), audit_log.c.action == "read_reporter")
            .order_by(audit_log.c.id)).all()
    assert [(r.purpose, r.actor_role) for r in rows] == [(p, "operator") for p in purposes]
    assert set(rows[0].fields) == {"name", "phone", "email", "device_id"}
    audit = client.get(f"/v1/operator/reports/{report_id}/audit", headers=staff.headers("administrator"))
    assert [a["purpose"] for a in audit.json() if a["action"] == "read_reporter"] == purposes

"""Agencies × cases through the HTTP API: a foreign case is a 404, no payload an agency or the public gets
carries personal data, and every operator read of personal data leaves an audit row."""

from __future__ import annotations

import uuid

import jwt
import pytest
import sqlalchemy as sa

from services.intake.repository.models import audit_log

from .test_lifecycle_support import (  # noqa: F401  (fixtures)
    accepted_and_routed,
    agency,
    client,
    operator,
    person,
    personal_keys,
    personal_values,
    staff,
    submit,
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
        agency(
            c,
            st,
            "UBND_18073",
            first,
            "return",
            reason="Không thuộc thẩm quyền",
            suggested_agency="UBND_18100",
        )
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
    assert mine == {
        rid
        for rid, readers in holders.items()
        if agency_code in readers and (agency_code != "UBND_18073" or rid != next(iter(holders)))
    }


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
    assert set(holders) - {i["id"] for i in listing.json()["items"]} == {
        list(holders)[-1]
    }  # untriaged: hidden


def test_every_operator_read_of_personal_data_is_audited(client, staff, cases, system):
    holders, people = cases
    report_id = next(iter(holders))
    case = client.get(f"/v1/operator/reports/{report_id}", headers=staff.headers())
    assert case.status_code == 200 and not personal_keys(case.json())
    purposes = [f"xác minh {uuid.uuid4().hex[:6]}" for _ in range(3)]
    for purpose in purposes:
        seen = client.get(
            f"/v1/operator/reports/{report_id}/reporter", params={"purpose": purpose}, headers=staff.headers()
        )
        assert seen.status_code == 200 and seen.json()["reporter"]["phone"] == people[report_id]["phone"]
    for role, agency_code in (("agency_officer", "UBND_18100"), ("administrator", None)):
        refused = client.get(
            f"/v1/operator/reports/{report_id}/reporter",
            params={"purpose": "xem thử"},
            headers=staff.headers(role, agency_code),
        )
        assert refused.status_code == 403
    with system.stack.engine.connect() as db:
        rows = db.execute(
            sa.select(audit_log.c.purpose, audit_log.c.actor_role, audit_log.c.fields)
            .where(audit_log.c.report_id == uuid.UUID(report_id), audit_log.c.action == "read_reporter")
            .order_by(audit_log.c.id)
        ).all()
    assert [(r.purpose, r.actor_role) for r in rows] == [(p, "operator") for p in purposes]
    assert set(rows[0].fields) == {"name", "phone", "email", "device_id"}
    audit = client.get(f"/v1/operator/reports/{report_id}/audit", headers=staff.headers("administrator"))
    assert [a["purpose"] for a in audit.json() if a["action"] == "read_reporter"] == purposes


def test_a_forged_operator_over_the_broker_is_refused_and_the_gateways_reader_is_audited(
    client, staff, cases, system, rpc_e2e
):
    """Broker credentials are not staff credentials: intake answers a read of the sealed identity only with
    the gateway's grant, and audits the subject of the verified token, not the `actor` a caller wrote."""
    from nameko.exceptions import RemoteError

    holders, people = cases
    report_id = list(holders)[1]
    forged = {"sub": f"forged-{uuid.uuid4().hex[:6]}", "role": "operator", "agency": None}
    for extra in ({}, {"grant": None}, {"grant": "not.a.grant"}):
        with pytest.raises(RemoteError) as err:
            rpc_e2e.intake.read_reporter(
                payload={"report_id": report_id, "actor": forged, "purpose": "kiểm tra giả mạo", **extra}
            )
        assert "FORBIDDEN" in str(err.value) and people[report_id]["phone"] not in str(err.value)
    with pytest.raises(RemoteError, match="FORBIDDEN"):  # unblurred photos: the same wall
        rpc_e2e.intake.record_media_access(
            payload={"report_id": report_id, "actor": forged, "media_ids": [str(uuid.uuid4())]}
        )
    headers = staff.headers()
    seen = client.get(
        f"/v1/operator/reports/{report_id}/reporter",
        params={"purpose": "  gọi lại xác minh "},
        headers=headers,
    )
    assert seen.status_code == 200 and seen.json()["reporter"]["phone"] == people[report_id]["phone"]
    with system.stack.engine.connect() as db:
        subs = db.execute(
            sa.select(audit_log.c.actor_sub, audit_log.c.purpose).where(
                audit_log.c.report_id == uuid.UUID(report_id)
            )
        ).all()
    assert forged["sub"] not in {s for s, _ in subs}
    token_sub = jwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})["sub"]
    assert (token_sub, "gọi lại xác minh") in subs


def test_agencies_add_no_evidence_and_nothing_to_a_case_they_no_longer_hold(client, staff, cases, rpc_e2e):
    """Evidence is the reporter's; a past holder reads the case but adds no file to it, through every route
    and over the broker (the media service checks it again with intake)."""
    from nameko.exceptions import RemoteError

    from .test_lifecycle_support import jpeg_bytes

    holders, _ = cases
    handed_on = next(iter(holders))  # UBND_18073 returned it, re-routed to UBND_18100
    past, current = (
        staff.headers("agency_officer", "UBND_18073"),
        staff.headers("agency_leader", "UBND_18100"),
    )

    def photo(headers, role="result", route="agency"):
        path = (
            f"/v1/agency/reports/{handed_on}/media" if route == "agency" else f"/v1/reports/{handed_on}/media"
        )
        return client.post(
            path, headers=headers, files={"file": ("p.jpg", jpeg_bytes(), "image/jpeg")}, data={"role": role}
        )

    for refused in (
        photo(current, "evidence"),
        photo(current, route="citizen"),
        client.post(
            f"/v1/reports/{handed_on}/uploads",
            headers=current,
            json={"content_type": "image/jpeg", "size": 1000, "role": "evidence"},
        ),
    ):
        assert refused.status_code == 403, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["role"]
    for gone in (
        photo(past),
        client.post(
            f"/v1/reports/{handed_on}/uploads",
            headers=past,
            json={"content_type": "image/jpeg", "size": 1000, "role": "result"},
        ),
    ):
        assert gone.status_code == 404, gone.text
    actor = {"sub": "forged-officer", "role": "agency_officer", "agency": "UBND_18100"}
    with pytest.raises(RemoteError, match="FORBIDDEN"):  # the service's own rule, whatever the gateway does
        rpc_e2e.media.create_upload(
            payload={
                "report_id": handed_on,
                "content_type": "image/jpeg",
                "size": 1000,
                "role": "evidence",
                "actor": actor,
            }
        )
    with pytest.raises(RemoteError, match="REPORT_NOT_FOUND"):
        rpc_e2e.media.create_upload(
            payload={
                "report_id": handed_on,
                "content_type": "image/jpeg",
                "size": 1000,
                "role": "result",
                "actor": {**actor, "agency": "UBND_18073"},
            }
        )
    kept = photo(current)
    assert kept.status_code == 201 and kept.json()["role"] == "result", kept.text

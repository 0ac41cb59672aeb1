"""Statistics through the HTTP API with every service running: a case driven to publication and rating shows
in the public figures and in the staff CSV export, with the names of agencies next to their codes; agency
staff export their own agency's figures only; the rating's comment reaches the reporter and staff (agencies
with its phone numbers masked), never the public."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta

import pytest

from gateway.routes.stats import DirectoryNameCache
from gateway.rpc import RpcTimeout
from libs.contracts.common import utcnow
from services.feedback.domain.periods import local_today

from .test_lifecycle import AGENCY, upload_after_photo
from .test_lifecycle_support import (  # noqa: F401  (fixtures)
    accepted_and_routed,
    agency,
    citizen,
    client,
    operator,
    personal_keys,
    staff,
    wait_for,
)

pytestmark = pytest.mark.e2e
CATEGORY = "VAN_HOA_DU_LICH"  # a category no other end-to-end test reports in (handled by the ward's UBND)
AGENCY_NAMES = ("UBND Phường Thành Sen", "People's Committee of Thành Sen Ward")  # routing's seed directory
OTHER_WARD = "18100"
OTHER_AGENCY = f"UBND_{OTHER_WARD}"
COUNTED = (
    "received",
    "accepted",
    "routed",
    "resolved",
    "on_time",
    "processing_measured",
    "rated",
    "hai_long",
    "response_base",
)


def period() -> dict:
    today = local_today(utcnow())
    return {
        "date_from": str(today - timedelta(days=1)),
        "date_to": str(today + timedelta(days=1)),
        "category": CATEGORY,
    }


def agency_row(client) -> dict:
    answer = client.get("/v1/stats", params={**period(), "group_by": "agency"})
    assert answer.status_code == 200, answer.text
    assert not personal_keys(answer.json())
    rows = [r for r in answer.json()["rows"] if r["key"] == AGENCY]
    return rows[0] if rows else {name: 0 for name in COUNTED}


def names_of(client, group_by: str) -> dict:
    report = client.get("/v1/stats", params={**period(), "group_by": group_by}).json()
    return {r["key"]: (r["name_vi"], r["name_en"]) for r in report["rows"]}


def rows_of(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def rated_case(client, staff, **rating) -> dict:
    """A case of CATEGORY at AGENCY driven to publication, then rated by its citizen."""
    ref = accepted_and_routed(client, staff, category=CATEGORY)[0]
    agency(client, staff, AGENCY, ref["id"], "accept", note="Đơn vị đã nhận")
    photo = upload_after_photo(client, staff, ref["id"])
    agency(client, staff, AGENCY, ref["id"], "result", note="Đã vá ổ gà", media_ids=[photo])
    operator(client, staff, ref["id"], "publish", note="Kết quả đạt")
    wait_for(lambda: client.get(f"/v1/reports/{ref['id']}/rating").json(), lambda r: r["state"] == "OPEN")
    citizen(client, ref, "rating", **rating)
    return ref


def test_a_rated_case_shows_in_the_public_figures_and_the_staff_csv(client, staff):
    before = agency_row(client)
    ref = rated_case(client, staff, rating="HAI_LONG")

    rating = wait_for(
        lambda: client.get(f"/v1/reports/{ref['id']}/rating").json(), lambda r: r["state"] == "RATED"
    )
    assert (rating["state"], rating["rating"]) == ("RATED", "HAI_LONG")
    # names come from routing's directory (asked again 15 s after a failed try, e.g. while routing starts)
    after = wait_for(lambda: agency_row(client), lambda r: r["rated"] > before["rated"] and r["name_vi"])
    assert {n: after[n] - before[n] for n in COUNTED} == {n: 1 for n in COUNTED}
    assert after["response_rate"] == round(after["rated"] / after["response_base"], 4)
    assert after["median_processing_calendar_hours"] is not None
    assert (after["name_vi"], after["name_en"]) == AGENCY_NAMES
    assert names_of(client, "ward")["18073"] == ("Phường Thành Sen", "Thành Sen Ward")
    assert names_of(client, "category") == {
        CATEGORY: ("Văn hóa, thể thao, du lịch", "Culture, sports & tourism")
    }
    assert set(names_of(client, "month").values()) == {(None, None)}  # a month has no name

    csv_params = {**period(), "group_by": "agency"}
    assert client.get("/v1/stats.csv", params=csv_params).status_code == 401
    vi = rows_of(client.get("/v1/stats.csv", params=csv_params, headers=staff.headers()))
    assert vi[0][:5] == ["Cơ quan xử lý", "Tên cơ quan xử lý", "Từ ngày", "Đến ngày", "Số phản ánh nhận được"]
    assert "Tỷ lệ phản hồi đánh giá" in vi[0] and vi[-1][:2] == ["Tổng cộng", ""]
    [line] = [r for r in vi if r[0] == AGENCY]
    assert line[1] == AGENCY_NAMES[0] and int(line[vi[0].index("Hài lòng")]) == after["hai_long"]
    en = rows_of(
        client.get(
            "/v1/stats.csv", params={**csv_params, "lang": "en"}, headers=staff.headers("administrator")
        )
    )
    assert en[0][:3] == ["Agency", "Agency name", "From"] and en[-1][0] == "Total" and len(en) == len(vi)
    assert [r[1] for r in en if r[0] == AGENCY] == [AGENCY_NAMES[1]]
    by_header = rows_of(
        client.get("/v1/stats.csv", params=csv_params, headers={**staff.headers(), "Accept-Language": "en"})
    )
    assert by_header[0] == en[0]


def test_agency_staff_export_their_own_agency_only(client, staff):
    accepted_and_routed(client, staff, ward=OTHER_WARD, category=CATEGORY)  # a case at another agency
    by_agency = {**period(), "group_by": "agency"}
    for role in ("operator", "administrator"):  # see every agency
        everyone = wait_for(
            lambda: rows_of(client.get("/v1/stats.csv", params=by_agency, headers=staff.headers(role))),
            lambda rows: OTHER_AGENCY in {r[0] for r in rows},
        )
        assert {AGENCY, OTHER_AGENCY} <= {r[0] for r in everyone}, everyone
    for role in ("agency_officer", "agency_leader"):
        mine = staff.headers(role, AGENCY)
        for params in (by_agency, {**by_agency, "agency": AGENCY}):  # no filter: forced to their own agency
            own = rows_of(client.get("/v1/stats.csv", params=params, headers=mine))
            assert {r[0] for r in own[1:-1]} <= {AGENCY} and own[-1][0] == "Tổng cộng", own
        foreign = client.get("/v1/stats.csv", params={**by_agency, "agency": OTHER_AGENCY}, headers=mine)
        assert foreign.status_code == 403 and foreign.json()["errors"][0]["field"] == "agency"


def test_the_rating_comment_is_for_staff_and_the_reporter_never_public(client, staff):
    comment = "Đường đã phẳng, cảm ơn. Liên hệ tôi: 0912 345 678"
    too_long = client.post(
        "/v1/reports/00000000-0000-4000-8000-000000000000/rating",
        headers={"X-Tracking-Token": "x" * 20},
        json={"rating": "HAI_LONG", "comment": "x" * 1001},
    )
    assert too_long.status_code == 422
    ref = rated_case(client, staff, rating="CHAP_NHAN", comment=comment)
    public = client.get(f"/v1/reports/{ref['id']}")
    assert (
        public.status_code == 200 and public.json()["status"] == "DA_DANH_GIA" and comment not in public.text
    )
    own = client.get(f"/v1/reports/{ref['id']}", headers={"X-Tracking-Token": ref["tracking_token"]}).json()
    assert comment in [step.get("note") for step in own["timeline"]]
    masked = (
        "Đường đã phẳng, cảm ơn. Liên hệ tôi: [đã ẩn]"  # the agency reads the comment, not the phone number
    )
    for path, headers, seen in (
        (f"/v1/operator/reports/{ref['id']}", staff.headers(), comment),
        (f"/v1/agency/reports/{ref['id']}", staff.headers("agency_leader", AGENCY), masked),
    ):
        steps = client.get(path, headers=headers).json()["timeline"]
        assert [(s["note"], s["visibility"]) for s in steps if s["action"] == "rating_comment"] == [
            (seen, "reporter")
        ]
    listed = client.get("/v1/reports", params={"category": CATEGORY, "status": "DA_DANH_GIA", "limit": 1000})
    assert ref["id"] in listed.text and comment not in listed.text


def test_without_routing_the_names_are_codes_and_the_figures_still_come():
    class SilentRouting:
        calls = 0

        async def call(self, service, method, timeout=None, **kwargs):
            SilentRouting.calls += 1
            raise RpcTimeout(f"{service}.{method}")

    cache, rpc = DirectoryNameCache(), SilentRouting()
    assert asyncio.run(cache.names(rpc, "agency")) == {}
    assert (
        asyncio.run(cache.names(rpc, "ward")) == {} and SilentRouting.calls == 1
    )  # not asked on every request
    assert asyncio.run(cache.names(rpc, "month")) == {}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"month": "2026-13"}, "month"),
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to"),
        ({"group_by": "district"}, "group_by"),
        ({"ward": "1853"}, "ward"),
        ({"date_from": "2001-01-01", "date_to": "2026-01-01"}, "date_from"),  # too long: refused by feedback
    ],
)
def test_a_bad_query_is_a_problem_naming_the_field(client, params, field):
    answer = client.get("/v1/stats", params=params)
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "VALIDATION_FAILED" and answer.json()["errors"][0]["field"] == field


def test_the_csv_language_parameter_is_checked(client, staff):
    answer = client.get("/v1/stats.csv", params={"lang": "fr"}, headers=staff.headers())
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "lang"

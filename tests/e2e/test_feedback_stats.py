"""Statistics through the HTTP API with every service running: a case driven to publication and rating shows in
the public figures and in the staff CSV export."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from libs.contracts.common import utcnow
from services.feedback.periods import local_today

from .test_lifecycle import AGENCY, upload_after_photo
from .test_lifecycle_support import (  # noqa: F401  (fixtures)
    accepted_and_routed, agency, citizen, client, operator, personal_keys, staff, wait_for,
)

pytestmark = pytest.mark.e2e
CATEGORY = "VAN_HOA_DU_LICH"  # a category no other end-to-end test reports in (handled by the ward's UBND)
COUNTED = ("received", "accepted", "routed", "resolved", "on_time", "processing_measured", "rated", "hai_long",
           "response_base")


def period() -> dict:
    today = local_today(utcnow())
    return {"date_from": str(today - timedelta(days=1)), "date_to": str(today + timedelta(days=1)),
            "category": CATEGORY}


def agency_row(client) -> dict:
    answer = client.get("/v1/stats", params={**period(), "group_by": "agency"})
    assert answer.status_code == 200, answer.text
    assert not personal_keys(answer.json())
    rows = [r for r in answer.json()["rows"] if r["key"] == AGENCY]
    return rows[0] if rows else {name: 0 for name in COUNTED}


def rows_of(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_a_rated_case_shows_in_the_public_figures_and_the_staff_csv(client, staff):
    before = agency_row(client)
    ref = accepted_and_routed(client, staff, category=CATEGORY)[0]
    agency(client, staff, AGENCY, ref["id"], "accept", note="Đơn vị đã nhận")
    photo = upload_after_photo(client, staff, ref["id"])
    agency(client, staff, AGENCY, ref["id"], "result", note="Đã vá ổ gà", media_ids=[photo])
    operator(client, staff, ref["id"], "publish", note="Kết quả đạt")
    wait_for(lambda: client.get(f"/v1/reports/{ref['id']}/rating").json(), lambda r: r["state"] == "OPEN")
    citizen(client, ref, "rating", rating="HAI_LONG")

    rating = wait_for(lambda: client.get(f"/v1/reports/{ref['id']}/rating").json(), lambda r: r["state"] == "RATED")
    assert (rating["state"], rating["rating"]) == ("RATED", "HAI_LONG")
    after = wait_for(lambda: agency_row(client), lambda r: r["rated"] > before["rated"])
    assert {n: after[n] - before[n] for n in COUNTED} == {n: 1 for n in COUNTED}
    assert after["response_rate"] == round(after["rated"] / after["response_base"], 4)
    assert after["median_processing_calendar_hours"] is not None

    csv_params = {**period(), "group_by": "agency"}
    assert client.get("/v1/stats.csv", params=csv_params).status_code == 401
    assert client.get("/v1/stats.csv", params=csv_params,
                      headers=staff.headers("agency_officer", AGENCY)).status_code == 403
    vi = rows_of(client.get("/v1/stats.csv", params=csv_params, headers=staff.headers()))
    assert vi[0][:4] == ["Cơ quan xử lý", "Từ ngày", "Đến ngày", "Số phản ánh nhận được"]
    assert "Tỷ lệ phản hồi đánh giá" in vi[0] and vi[-1][0] == "Tổng cộng"
    [line] = [r for r in vi if r[0] == AGENCY]
    assert int(line[vi[0].index("Hài lòng")]) == after["hai_long"]
    en = rows_of(client.get("/v1/stats.csv", params={**csv_params, "lang": "en"},
                            headers=staff.headers("administrator")))
    assert en[0][:2] == ["Agency", "From"] and en[-1][0] == "Total" and len(en) == len(vi)
    by_header = rows_of(client.get("/v1/stats.csv", params=csv_params, headers={**staff.headers(),
                                                                                "Accept-Language": "en"}))
    assert by_header[0] == en[0]


@pytest.mark.parametrize("params, field", [
    ({"month": "2026-13"}, "month"),
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to"),
    ({"group_by": "district"}, "group_by"),
    ({"ward": "1853"}, "ward"),
    ({"date_from": "2001-01-01", "date_to": "2026-01-01"}, "date_from"),  # too long: refused by feedback
])
def test_a_bad_query_is_a_problem_naming_the_field(client, params, field):
    answer = client.get("/v1/stats", params=params)
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "VALIDATION_FAILED" and answer.json()["errors"][0]["field"] == field


def test_the_csv_language_parameter_is_checked(client, staff):
    answer = client.get("/v1/stats.csv", params={"lang": "fr"}, headers=staff.headers())
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "lang"

"""Open311 on a busy system (issue 20): a FixMyStreet-style poll of a two-hour window holding more than 1000
updates gets all of them, the newest included; paging is stable while updates keep arriving; GET requests'
default is the most recent 1000. Against the running gateway and services; the crowd is written straight into
intake's tables (public reports with two public steps each) and removed afterwards."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa

from .test_open311_support import (  # noqa: F401
    FORMATS,
    THANH_SEN,
    api_key,
    body,
    near,
    o311,
    published,
    visible,
    wait_for,
    word,
)

pytestmark = pytest.mark.e2e
VN = timezone(timedelta(hours=7))
# Public reports, two public steps each: 2200 updates inside the window (OPEN311_BUSY_CROWD to measure more).
CROWD = int(os.environ.get("OPEN311_BUSY_CROWD", "1100"))


@pytest.fixture(scope="module")
def crowd(system):
    """{code: [update ids]} of CROWD public reports whose two steps lie 100 to 10 minutes ago; deleted
    after."""
    now = datetime.now(UTC)
    rows, steps = [], []
    for n in range(CROWD):
        at = now - timedelta(minutes=100) + timedelta(seconds=n * 5400 / CROWD)
        lat, lon = near(THANH_SEN)
        rid = uuid.uuid4()
        rows.append(
            {
                "id": rid,
                "description": f"Đèn đường hỏng số {n}",
                "lat": lat,
                "lon": lon,
                "at": at,
                "verified": at + timedelta(seconds=1),
            }
        )
        steps += [
            {
                "report_id": rid,
                "at": at,
                "from_status": None,
                "to_status": "CHO_TIEP_NHAN",
                "role": "citizen",
            },
            {
                "report_id": rid,
                "at": at + timedelta(seconds=1),
                "from_status": "CHO_TIEP_NHAN",
                "to_status": "DA_TIEP_NHAN",
                "role": "operator",
            },
        ]
    with system.stack.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO intake.reports (id, code, category, description, lat, lon, priority, status, "
                "channel,"
                " created_at, updated_at, verified_at) VALUES (:id, 'HT-' || extract(year FROM now())::int "
                "|| '-' ||"
                " lpad(nextval('intake.report_code_seq')::text, 6, '0'), 'CHIEU_SANG', :description, :lat, "
                ":lon,"
                " 'BINH_THUONG', 'DA_TIEP_NHAN', 'web', :at, :verified, :verified)"
            ),
            rows,
        )
        conn.execute(
            sa.text(
                "INSERT INTO intake.timeline (report_id, at, actor_role, from_status, to_status, visibility)"
                " VALUES (:report_id, :at, :role, :from_status, :to_status, 'public')"
            ),
            steps,
        )
        codes = (
            conn.execute(
                sa.text("SELECT code FROM intake.reports WHERE id = ANY(:ids)"),
                {"ids": [r["id"] for r in rows]},
            )
            .scalars()
            .all()
        )
    yield {code: [f"{code}.1", f"{code}.2"] for code in codes}
    with system.stack.engine.begin() as conn:
        ids = {"ids": [r["id"] for r in rows]}
        conn.execute(sa.text("DELETE FROM intake.timeline WHERE report_id = ANY(:ids)"), ids)
        conn.execute(sa.text("DELETE FROM intake.reports WHERE id = ANY(:ids)"), ids)


def post_update(o311: httpx.Client, api_key: str, request_id: str, at: datetime, fmt: str = "json") -> str:
    """A partner's update through the API; returns our update id (U<n>)."""
    form = {
        "api_key": api_key,
        "service_request_id": request_id,
        "update_id": word(12),
        "updated_datetime": at.isoformat(),
        "status": "IN_PROGRESS",
        "description": f"Đang xử lý {word(6)}",
    }
    answer = o311.post(f"/servicerequestupdates.{fmt}", data=form)
    assert answer.status_code == 200, answer.text
    return body(answer, fmt)[0]["update_id"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_fixmystreet_poll_of_a_busy_window_gets_every_update_and_the_newest(
    o311, api_key, rpc_e2e, crowd, fmt
):
    request_id = published(o311, rpc_e2e, api_key)
    newest = post_update(o311, api_key, request_id, datetime.now(VN), fmt)
    now = datetime.now(VN) + timedelta(
        seconds=1
    )  # to the second, as FixMyStreet sends it: not before the post
    params = {
        "start_date": (now - timedelta(hours=2)).isoformat(timespec="seconds"),
        "end_date": now.isoformat(timespec="seconds"),
    }
    began = time.perf_counter()
    answer = o311.get(f"/servicerequestupdates.{fmt}", params=params)
    took = time.perf_counter() - began
    assert answer.status_code == 200, answer.text
    feed = body(answer, fmt)
    print(
        f"\nFixMyStreet-style poll ({fmt}): {len(feed)} updates, {len(answer.content)} bytes in {took:.2f} s"
    )
    update_ids = [u["update_id"] for u in feed]
    assert len(feed) > 2 * CROWD and len(update_ids) == len(set(update_ids))
    assert newest in update_ids and f"{request_id}.1" in update_ids
    assert {i for ids in crowd.values() for i in ids} <= set(update_ids)
    window = (datetime.fromisoformat(params["start_date"]), datetime.fromisoformat(params["end_date"]))
    assert all(window[0] <= datetime.fromisoformat(u["updated_datetime"]) <= window[1] for u in feed)
    assert answer.headers.get("transfer-encoding") == "chunked"  # streamed, not built whole


def agency_step(rpc_e2e, request_id: str, kind: str) -> None:
    """The agency holding the case takes a public step on it (a new timeline entry, recorded now)."""
    report = rpc_e2e.intake.search_reports(payload={"ids": [request_id], "limit": 1})["items"][0]
    actor = {"sub": f"officer-{word(6)}", "role": "agency_officer", "agency": report["agency_code"]}
    rpc_e2e.intake.act_on_case(
        payload={
            "report_id": report["id"],
            "actor": actor,
            "action": {"kind": kind, "note": f"Đang làm {word(6)}"},
        }
    )


def test_pages_see_each_update_once_while_updates_arrive(o311, api_key, rpc_e2e, crowd):
    request_id = published(o311, rpc_e2e, api_key)
    visible(o311, request_id, lambda item: item.get("agency_responsible") is not None)  # routed
    start = (datetime.now(VN) - timedelta(hours=2)).isoformat(timespec="seconds")

    def page(n: int) -> list[str]:
        answer = o311.get(
            "/servicerequestupdates.json", params={"start_date": start, "page": n, "page_size": 500}
        )
        assert answer.status_code == 200, answer.text
        return [u["update_id"] for u in answer.json()]

    seen, added, n = [], [], 1
    while True:
        items = page(n)
        seen += items
        if n <= 2:  # between pages: a partner's update dated an hour ago, and a new step of the case
            added.append(post_update(o311, api_key, request_id, datetime.now(VN) - timedelta(hours=1)))
            agency_step(rpc_e2e, request_id, "agency_accept" if n == 1 else "progress_note")
        if len(items) < 500:
            break
        n += 1
    assert len(seen) == len(set(seen)), "an update was served twice"
    assert {i for ids in crowd.values() for i in ids} <= set(seen), "an update was skipped"
    # What arrived meanwhile sorts after every page served: the next pages bring it, once. What arrived
    # meanwhile sorts after every page served: the pages that follow bring what was not yet served.
    later = wait_for(
        lambda: [i for k in range(n, n + 3) for i in page(k)], lambda got: set(added) <= set(seen) | set(got)
    )
    assert later[: len(items)] == items, "a page already served changed"
    everything = seen + later[len(items) :]
    assert len(everything) == len(set(everything)), "an update was served twice"
    assert set(added) <= set(everything), "an update posted meanwhile never came"
    steps = [i for i in everything if i.startswith(f"{request_id}.")]
    assert (
        len(steps) >= 5 and sorted(steps, key=lambda i: int(i.rsplit(".", 1)[1])) == steps
    )  # + the agency's two


def test_a_page_links_to_the_next_with_the_window_pinned(o311, api_key, rpc_e2e, crowd):
    request_id = published(o311, rpc_e2e, api_key)
    start = (datetime.now(VN) - timedelta(hours=2)).isoformat(timespec="seconds")
    url, seen, added = f"/servicerequestupdates.xml?start_date={start}&page_size=700", [], None
    while url:
        answer = o311.get(url)
        assert answer.status_code == 200, answer.text
        seen += [u["update_id"] for u in body(answer, "xml")]
        if added is None:
            added = post_update(o311, api_key, request_id, datetime.now(VN) - timedelta(minutes=30))
        url = answer.links.get("next", {}).get("url")
        assert url is None or "end_date=" in url
    assert len(seen) == len(set(seen)) and {i for ids in crowd.values() for i in ids} <= set(seen)
    assert added not in seen  # after the pinned snapshot: the next poll's


def test_requests_default_is_the_most_recent_thousand_and_id_lists_are_whole(o311, api_key, rpc_e2e, crowd):
    request_id = published(o311, rpc_e2e, api_key)
    answer = o311.get("/requests.json")
    assert answer.status_code == 200, answer.text
    items = answer.json()
    stamps = [datetime.fromisoformat(i["requested_datetime"]) for i in items]
    assert len(items) == 1000 and stamps == sorted(stamps, reverse=True)
    assert items[0]["service_request_id"] == request_id
    oldest_kept = min(stamps)
    codes = sorted(crowd)
    assert all(c not in {i["service_request_id"] for i in items} for c in codes[:50])  # the oldest are cut
    assert oldest_kept > datetime.now(VN) - timedelta(minutes=100)
    listed = o311.get("/requests.json", params={"service_request_id": ",".join(codes[-100:])})
    assert listed.status_code == 200 and {i["service_request_id"] for i in listed.json()} == set(codes[-100:])

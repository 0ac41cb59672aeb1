"""Notify through the HTTP API with every service running and real receivers on loopback: an administrator
configures an agency's channels, a citizen's urgent report reaches the agency (signed webhook, e-mail) and the
citizen (e-mail in their language, in-app inbox with long-poll and server-sent events), an operator sees a
failed delivery and redelivers it, and the citizen unsubscribes."""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid

import httpx
import pytest

from devtools import testing as platform_testing
from libs.auth.tokens import mint
from services.notify.tests.loopback import LoopbackServer

pytestmark = pytest.mark.e2e
AGENCY = "UBND_18073"
CATEGORY = "THOAT_NUOC"  # default agency UBND_<ward>; channels here are for this category only
POINT = {"lat": 18.3419, "lon": 105.903}


def wait_for(fetch, predicate, timeout: float = 30.0, what: str = "condition"):
    return platform_testing.wait_for(
        fetch, predicate, timeout, what
    )  # a longer default: the whole system works


class World:
    """The running system with notify restarted against loopback SMTP and webhook receivers."""

    def __init__(self, system, smtp: LoopbackServer, hook: LoopbackServer, secret: str):
        self.system, self.smtp, self.hook, self.secret = system, smtp, hook, secret
        self.key = system.stack.secrets["HT_JWT_SECRET"]

    def headers(self, role: str = "operator", agency: str | None = None) -> dict:
        return {
            "Authorization": f"Bearer {mint(f'e2e-{role}-{uuid.uuid4().hex[:6]}', role, self.key, agency)}"
        }


@pytest.fixture(scope="module")
def world(system, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notify-e2e")
    secret = secrets.token_urlsafe(32)
    with LoopbackServer("smtp", tmp) as smtp, LoopbackServer("webhook", tmp, [secret]) as hook:
        settings = {
            "NOTIFY_SMTP_HOST": "127.0.0.1",
            "NOTIFY_SMTP_PORT": str(smtp.port),
            "NOTIFY_WEBHOOK_ALLOW_HTTP": "true",
            "NOTIFY_QUIET_HOURS": "off",
            "NOTIFY_AGENCY_RETRY_DELAYS": "1,1,1",
            "NOTIFY_PUBLIC_URL": system.base_url,
        }
        try:
            system.restart_process("notify", **settings)
            system.wait_ready()
            yield World(system, smtp, hook, secret)
        finally:
            system.restart_process("notify")  # back to the system's own settings
            system.wait_ready()


@pytest.fixture
def client(system):
    with httpx.Client(base_url=system.base_url, timeout=40) as c:
        yield c


@pytest.fixture
def channels(client, world):
    """Create channels for AGENCY × CATEGORY; removed after the test."""
    made: list[str] = []

    def create(**body) -> dict:
        answer = client.post(
            "/v1/notify/channels",
            json={"agency_code": AGENCY, "category": CATEGORY, **body},
            headers=world.headers("administrator"),
        )
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
        return answer.json()

    yield create
    for channel_id in made:
        client.delete(f"/v1/notify/channels/{channel_id}", headers=world.headers("administrator"))


def reporter() -> dict:
    tag = uuid.uuid4().hex[:6]
    return {
        "name": f"Người dân {tag}",
        "phone": "09" + str(uuid.uuid4().int)[:8],
        "email": f"dan.{tag}@example.vn",
        "language": "en",
    }


def submit_urgent(client, person: dict) -> dict:
    """KHAN reports are accepted and routed at once."""
    answer = client.post(
        "/v1/reports",
        json={
            "category": CATEGORY,
            "priority": "KHAN",
            "description": f"Cống vỡ, nước tràn {uuid.uuid4().hex[:6]}",
            "location": POINT,
            "reporter": person,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def agency_deliveries(client, world, report_id: str) -> list[dict]:
    answer = client.get(
        "/v1/notify/deliveries",
        params={"report_id": report_id, "audience": "agency"},
        headers=world.headers(),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_case_reaches_the_agency_signed_and_by_email_and_the_citizen_in_english(client, world, channels):
    hook_channel = channels(kind="webhook", url=f"{world.hook.url}/ht", secrets=[world.secret])
    assert hook_channel["secret_hints"] == ["…" + world.secret[-4:]] and "secrets" not in hook_channel
    channels(kind="email", email="ubnd18073@agency.example.vn")
    person = reporter()
    ref = submit_urgent(client, person)
    personal = [person["name"], person["phone"], person["email"]]

    [accepted] = wait_for(
        lambda: [r for r in world.hook.received() if ref["id"] in r["body"]], bool, what="the signed webhook"
    )
    assert accepted["status"] == 200 and accepted["reason"] == "processed"  # the receiver verified it
    body = json.loads(accepted["body"])
    assert body["event"] == "case.routed" and body["priority"] == "KHAN" and body["agency_code"] == AGENCY
    assert not any(p in accepted["body"] for p in personal)
    mails = wait_for(
        world.smtp.received,
        lambda ms: len([m for m in ms if ref["code"] in m["subject"]]) >= 3,
        what="agency and citizen e-mails",
    )
    ours = [m for m in mails if ref["code"] in m["subject"]]
    [to_agency] = [m for m in ours if m["rcpt_tos"] == ["ubnd18073@agency.example.vn"]]
    assert to_agency["subject"].startswith("[KHẨN] ") and "Phản ánh mới" in to_agency["subject"]
    assert to_agency["subject"].endswith(
        "Thoát nước, ngập úng – Phường Thành Sen"
    )  # routing's names, not codes
    assert "Địa bàn: Phường Thành Sen" in to_agency["text"] and "18073" not in to_agency["text"]
    assert not any(p in json.dumps(to_agency, ensure_ascii=False) for p in personal)
    case_page = f"{world.system.base_url}/staff/cases/{ref['id']}"  # the console's case page, which exists
    assert case_page in to_agency["text"] and body["links"]["inbox"] == case_page
    page = client.get(case_page)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    to_citizen = sorted((m for m in ours if m["rcpt_tos"] == [person["email"]]), key=lambda m: m["subject"])
    assert [m["subject"] for m in to_citizen] == [
        f"[{ref['code']}] Report accepted",
        f"[{ref['code']}] Report routed to People's Committee of Thành Sen Ward",
    ]
    assert "(Drainage & flooding (urban))" in to_citizen[0]["text"]
    assert "Ward/commune: Thành Sen Ward." in to_citizen[1]["text"] and AGENCY not in to_citizen[1]["text"]

    # the webhook's reply acknowledges the case: the e-mail, once sent, counts as acknowledged with it
    rows = wait_for(
        lambda: agency_deliveries(client, world, ref["id"]),
        lambda r: (
            {d["channel"]: d["state"] for d in r}.get("webhook") == "acknowledged"
            and {d["channel"]: d["state"] for d in r}.get("email") in ("sent", "acknowledged")
        ),
        what="states",
    )
    assert {d["id"] for d in rows if d["channel"] == "webhook"} == {accepted["delivery_id"]}
    unacked = client.get(
        "/v1/notify/unacknowledged",
        params={"overdue_only": "false", "agency_code": AGENCY},
        headers=world.headers(),
    ).json()
    assert ref["id"] not in {c["report_id"] for c in unacked}  # the webhook's reply acknowledged it

    audit = client.get(f"/v1/operator/reports/{ref['id']}/audit", headers=world.headers()).json()
    assert {(a["action"], a["service"]) for a in audit} >= {("notification_recipients", "notify")}

    # the in-app inbox: the tracking token opens it, anything else is a 404
    token = {"X-Tracking-Token": ref["tracking_token"]}
    inbox = client.get(f"/v1/reports/{ref['id']}/notifications", headers=token)
    assert inbox.status_code == 200 and {m["template"] for m in inbox.json()} == {
        "case_accepted",
        "case_routed",
    }
    assert {m["language"] for m in inbox.json()} == {"en"}
    wrong = client.get(f"/v1/reports/{ref['id']}/notifications", headers={"X-Tracking-Token": "x" * 32})
    assert wrong.status_code == 404 and wrong.json()["code"] == "REPORT_NOT_FOUND"

    # long-poll: a waiting client gets the agency's acceptance as soon as it is told
    cursor, result = max(m["id"] for m in inbox.json()), []
    waiter = threading.Thread(
        target=lambda: result.append(
            client.get(
                f"/v1/reports/{ref['id']}/notifications", params={"after": cursor, "wait": 25}, headers=token
            )
        )
    )
    started = time.monotonic()
    waiter.start()
    time.sleep(1.5)
    accept = client.post(
        f"/v1/agency/reports/{ref['id']}/accept",
        json={"note": "Đội ứng cứu đang đến"},
        headers=world.headers("agency_officer", AGENCY),
    )
    assert accept.status_code == 200, accept.text
    waiter.join(30)
    assert time.monotonic() - started > 1.5 and result and result[0].status_code == 200
    assert [m["template"] for m in result[0].json()] == ["agency_progress"]
    assert "Đội ứng cứu đang đến" in result[0].json()[0]["body"]
    assert (
        result[0]
        .json()[0]["body"]
        .startswith("People's Committee of Thành Sen Ward posted a progress update")
    )

    # server-sent events replay from a cursor (EventSource sends the token as a query parameter)
    with client.stream(
        "GET",
        f"/v1/reports/{ref['id']}/notifications/stream",
        params={"token": ref["tracking_token"], "after": 0},
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = []
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
            if len(events) == 3:
                break
    assert [e["template"] for e in events][-1] == "agency_progress"

    # one click on the e-mail's unsubscribe link: no more e-mail about this case, the inbox still fills
    link = next(m for m in ours if m["rcpt_tos"] == [person["email"]])["headers"]["List-Unsubscribe"]
    link = link.strip().strip("<>")
    assert link.startswith(world.system.base_url)
    page = client.get(link)
    assert page.status_code == 200 and '<form method="post">' in page.text
    done = client.post(link)
    assert done.status_code == 200 and done.json() == {
        "report_id": ref["id"],
        "code": ref["code"],
        "unsubscribed": True,
    }
    before = len([m for m in world.smtp.received() if m["rcpt_tos"] == [person["email"]]])
    progress = client.post(
        f"/v1/agency/reports/{ref['id']}/progress",
        json={"note": "Đã khơi thông cống"},
        headers=world.headers("agency_officer", AGENCY),
    )
    assert progress.status_code == 200, progress.text
    wait_for(
        lambda: client.get(f"/v1/reports/{ref['id']}/notifications", headers=token).json(),
        lambda ms: any("Đã khơi thông cống" in m["body"] for m in ms),
        what="the progress in the inbox",
    )
    time.sleep(2)
    assert len([m for m in world.smtp.received() if m["rcpt_tos"] == [person["email"]]]) == before


def test_an_operator_sees_a_failed_delivery_and_redelivers_it_after_the_fix(client, world, channels):
    broken = channels(kind="webhook", url=f"{world.hook.url}/ht", secrets=[secrets.token_urlsafe(32)])
    ref = submit_urgent(client, reporter())

    def failed() -> list[dict]:
        answer = client.get(
            "/v1/notify/deliveries",
            headers=world.headers(),
            params={"state": "failed", "parked": "true", "agency_code": AGENCY, "report_id": ref["id"]},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    [parked] = wait_for(failed, bool, what="the refused delivery")
    assert parked["last_error"] == "http_401" and parked["channel"] == "webhook"
    officer = client.post(
        f"/v1/notify/deliveries/{parked['id']}/redeliver", headers=world.headers("agency_officer", AGENCY)
    )
    assert officer.status_code == 403
    fixed = client.put(
        f"/v1/notify/channels/{broken['id']}",
        headers=world.headers("administrator"),
        json={
            "agency_code": AGENCY,
            "category": CATEGORY,
            "kind": "webhook",
            "url": f"{world.hook.url}/ht",
            "secrets": [world.secret],
        },
    )
    assert fixed.status_code == 200, fixed.text
    again = client.post(f"/v1/notify/deliveries/{parked['id']}/redeliver", headers=world.headers())
    assert again.status_code == 200 and again.json()["state"] == "pending"
    wait_for(
        lambda: agency_deliveries(client, world, ref["id"]),
        lambda r: [d["state"] for d in r] == ["acknowledged"],
        what="redelivered",
    )
    assert [r["status"] for r in world.hook.received() if r["delivery_id"] == parked["id"]] == [401, 200]
    missing = client.post(f"/v1/notify/deliveries/{uuid.uuid4()}/redeliver", headers=world.headers())
    assert missing.status_code == 404 and missing.json()["code"] == "DELIVERY_NOT_FOUND"

    # agencies acknowledge over HTTP (what AMQP and e-mail receivers do); another agency sees nothing
    foreign = world.headers("agency_officer", "UBND_18070")
    assert client.post(f"/v1/notify/cases/{ref['id']}/acknowledge", headers=foreign).status_code == 404
    assert (
        client.post(f"/v1/notify/deliveries/{parked['id']}/acknowledge", headers=foreign).status_code == 404
    )
    officer = world.headers("agency_officer", AGENCY)
    case = client.post(f"/v1/notify/cases/{ref['id']}/acknowledge", headers=officer)
    assert case.status_code == 200 and case.json()["agency_code"] == AGENCY
    again = client.post(f"/v1/notify/deliveries/{parked['id']}/acknowledge", headers=officer)
    assert again.status_code == 200 and again.json()["state"] == "acknowledged"
    own = client.get("/v1/notify/deliveries", params={"report_id": ref["id"]}, headers=officer).json()
    assert {d["recipient"] for d in own} == {AGENCY}  # agency staff see their agency's deliveries only


def test_an_anonymous_reporter_reads_the_inbox_with_the_tracking_token_only(client):
    ref = client.post(
        "/v1/reports",
        json={
            "category": "CHIEU_SANG",
            "description": "Đèn hỏng, không để lại liên lạc",
            "location": {"lat": 18.3419, "lon": 105.903},
        },
    ).json()
    own = client.get(
        f"/v1/reports/{ref['id']}/notifications", headers={"X-Tracking-Token": ref["tracking_token"]}
    )
    assert own.status_code == 200 and isinstance(own.json(), list)
    wrong = client.get(f"/v1/reports/{ref['id']}/notifications", headers={"X-Tracking-Token": "x" * 32})
    missing = client.get(f"/v1/reports/{ref['id']}/notifications")
    assert wrong.status_code == 404 and missing.status_code == 404


def test_a_me_too_follower_reads_their_own_inbox_with_their_follower_token(client, world):
    ref = client.post(
        "/v1/reports",
        json={
            "category": CATEGORY,
            "description": f"Cống tắc {uuid.uuid4().hex[:6]}",
            "location": POINT,
            "reporter": reporter(),
        },
    ).json()
    assert ref["status"] == "CHO_TIEP_NHAN"  # waits for the operator: the followers join before it is routed
    elsewhere = submit_urgent(client, reporter())
    follow = lambda report_id, **body: client.post(f"/v1/reports/{report_id}/me-too", json=body)  # noqa: E731
    mine, neighbour = follow(ref["id"], contact={"language": "en"}), follow(ref["id"])
    stranger = follow(elsewhere["id"])
    assert {mine.status_code, neighbour.status_code, stranger.status_code} == {201}
    token = mine.json()["follower_token"]
    assert token != mine.json()["recipient_ref"] and token != neighbour.json()["follower_token"]
    read = lambda token, report_id=ref["id"], **params: client.get(  # noqa: E731
        f"/v1/reports/{report_id}/followers/notifications", params=params, headers={"X-Follower-Token": token}
    )

    accept = client.post(f"/v1/operator/reports/{ref['id']}/accept", json={}, headers=world.headers())
    assert accept.status_code == 200, accept.text
    first = read(token, wait=25)  # long-poll: answers with the first message told
    assert first.status_code == 200 and first.json(), first.text
    messages = wait_for(
        lambda: read(token).json(),
        lambda ms: "case_routed" in {m["template"] for m in ms},
        what="the routed case in the follower's inbox",
    )
    assert {m["language"] for m in messages} == {"en"} and {m["report_id"] for m in messages} == {ref["id"]}
    routed_msg = next(m for m in messages if m["template"] == "case_routed")
    assert "Thành Sen" in routed_msg["body"] and ref["code"] in routed_msg["subject"]

    # server-sent events with the token as a query parameter replay the same messages
    with client.stream(
        "GET", f"/v1/reports/{ref['id']}/followers/notifications/stream", params={"token": token, "after": 0}
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = []
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
            if len(events) == len(messages):
                break
    assert [e["id"] for e in events] == [m["id"] for m in messages]

    # every other reader sees other messages, or nothing at all
    theirs = wait_for(
        lambda: read(neighbour.json()["follower_token"]).json(),
        lambda ms: len(ms) >= len(messages),
        what="the other follower's inbox",
    )
    assert {m["language"] for m in theirs} == {"vi"} and {m["id"] for m in theirs}.isdisjoint(
        m["id"] for m in events
    )
    reporters = client.get(
        f"/v1/reports/{ref['id']}/notifications", headers={"X-Tracking-Token": ref["tracking_token"]}
    )
    assert {m["id"] for m in reporters.json()}.isdisjoint(m["id"] for m in messages)
    unknown = str(uuid.uuid4())
    nowhere = read(token, unknown)
    refused = [
        read(stranger.json()["follower_token"]),
        read("x" * 43),
        read(mine.json()["recipient_ref"]),
        read(token, elsewhere["id"]),
        client.get(f"/v1/reports/{ref['id']}/followers/notifications"),
    ]
    refused.append(client.get(f"/v1/reports/{ref['id']}/notifications", headers={"X-Tracking-Token": token}))
    assert {r.status_code for r in refused} == {nowhere.status_code} == {404}
    same = {r.json()["detail"].replace(elsewhere["id"], ref["id"]) for r in refused}
    assert same == {
        nowhere.json()["detail"].replace(unknown, ref["id"])
    }  # a wrong token looks like no report
    assert (
        client.get(
            f"/v1/reports/{ref['id']}/followers/notifications/stream",
            params={"token": stranger.json()["follower_token"]},
        ).status_code
        == 404
    )

    # the follower unsubscribes from e-mail/SMS with the same token (someone else's token: 404)
    assert (
        client.post(
            f"/v1/reports/{ref['id']}/followers/unsubscribe",
            headers={"X-Follower-Token": stranger.json()["follower_token"]},
        ).status_code
        == 404
    )
    done = client.post(f"/v1/reports/{ref['id']}/followers/unsubscribe", headers={"X-Follower-Token": token})
    assert done.status_code == 200 and done.json() == {
        "report_id": ref["id"],
        "code": None,
        "unsubscribed": True,
    }

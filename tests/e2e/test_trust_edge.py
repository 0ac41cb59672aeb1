"""The gateway's edge with every service running: request bodies are bounded per route and checked while they
stream, a partner's key or a staff token is checked before a file is stored, slow bodies are cut off, answers
carry security headers (no-store where personal), CSV exports cannot smuggle formulas, odd input is a 4xx.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import threading
import time
import uuid
from datetime import UTC

import httpx
import pytest

from devtools import devstack

from .test_lifecycle_support import (  # noqa: F401  (fixtures)
    accepted_and_routed,
    client,
    jpeg_bytes,
    report_body,
    staff,
    submit,
    wait_for,
)
from .test_media_support import Raw
from .test_open311_support import API, new_api_key, post_request

pytestmark = pytest.mark.e2e
MIB = 1024 * 1024


@pytest.fixture
def fresh_gateway(system, tmp_path):
    """Start another gateway process on the running system (own settings, empty caches); returns its base
    URL."""
    started: list[subprocess.Popen] = []

    def start(**settings: str) -> str:
        port = devstack.free_port()
        env = {**system.env("gateway"), "GATEWAY_PORT": str(port), **settings}
        log = open(tmp_path / f"gateway-{port}.log", "wb")
        started.append(
            subprocess.Popen(
                devstack.gateway_command(), cwd=devstack.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
        base = f"http://127.0.0.1:{port}"

        def health():
            try:
                return httpx.get(f"{base}/health", timeout=2).status_code
            except httpx.HTTPError:
                return None

        assert wait_for(health, lambda status: status == 200 or started[-1].poll() is not None, 60) == 200, (
            tmp_path / f"gateway-{port}.log"
        ).read_text(errors="replace")[-2000:]
        return base

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(20)


def footprint(system) -> tuple[int, int]:
    """(resident set KiB, bytes of the temporary files it holds open) of the gateway process."""
    pid = system.procs["gateway"].pid
    with open(f"/proc/{pid}/status") as handle:
        rss = next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))
    held = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            info = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and not target.startswith(
            (str(system.log_dir), "/work", "/usr", "/proc")
        ):
            held += info.st_size
    return rss, held


def raw(system, head: str, chunks=(), timeout: float = 30.0) -> Raw:
    """A request sent by hand to the system's gateway (not yet run)."""
    return Raw(system.base_url, head, chunks, timeout)


def chunked(*pieces: bytes, filler: int = 0, block: bytes = b"\x00" * (256 * 1024)):
    """A chunked body: the pieces, then `filler` bytes of zeros (a huge file part that never ends)."""
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    for _ in range(filler // len(block)):
        yield b"%x\r\n%s\r\n" % (len(block), block)


def multipart_field(name: str, value: str, boundary: str = "b0undary") -> bytes:
    return f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()


def file_head(name: str, boundary: str = "b0undary") -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="big.mp4"\r\n'
        f"Content-Type: video/mp4\r\n\r\n"
    ).encode() + b"\x00\x00\x00\x18ftypmp42"


def post_head(
    path: str, extra: str = "", content_type: str = "multipart/form-data; boundary=b0undary"
) -> str:
    return f"POST {path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: {content_type}\r\n{extra}\r\n"


# ---- 1. bounded bodies ----


def test_a_200_mb_open311_post_without_a_key_is_refused_before_it_is_stored_while_a_partner_submits(system):
    api_key = new_api_key(system)["api_key"]
    fields = b"".join(
        multipart_field(k, v)
        for k, v in (
            ("service_code", "GIAO_THONG_HA_TANG"),
            ("lat", "18.342"),
            ("long", "105.903"),
            ("description", "Ổ gà"),
        )
    )
    attack = raw(
        system,
        post_head(f"{API}/requests.json", "Transfer-Encoding: chunked\r\n"),
        chunked(fields, file_head("media"), filler=200 * MIB),
    )
    rss_before, held_before = footprint(system)
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(footprint(system))
            stop.wait(0.05)

    sampler, sender = threading.Thread(target=sample), threading.Thread(target=attack.run)
    sampler.start()
    sender.start()
    with httpx.Client(base_url=system.base_url + API, timeout=30) as o311:
        normal = post_request(o311, api_key, files={"media": ("a.jpg", jpeg_bytes(), "image/jpeg")})
    sender.join(60)
    stop.set()
    sampler.join(5)
    assert normal.status_code == 200 and normal.json()[0]["service_request_id"], normal.text
    assert "refused" not in (normal.json()[0].get("service_notice") or "")
    assert attack.status == 403 and "api_key" in attack.body, (attack.status, attack.body[:300])
    assert attack.headers.get("connection") == "close" and attack.closed
    assert attack.sent < 40 * MIB, attack.sent  # stopped long before 200 MB (socket buffers aside)
    assert max(held for _, held in samples) - held_before < 1 * MIB  # nothing of the file was written
    assert max(rss for rss, _ in samples) - rss_before < 64 * 1024  # KiB: memory stays bounded


def test_a_declared_body_over_the_routes_limit_is_refused_before_it_is_read_naming_the_limit(system, client):
    api_key = new_api_key(system)["api_key"]
    big = raw(system, post_head(f"{API}/requests.json", f"Content-Length: {200 * MIB}\r\n")).run()
    assert big.status == 413 and big.seconds < 2 and "bytes" in big.body, (big.status, big.body)
    assert big.headers["content-type"].startswith(
        "application/json"
    )  # Open311's error body, not problem+json
    json_head = post_head("/v1/reports", f"Content-Length: {120 * MIB}\r\n", "application/json")
    huge = raw(system, json_head).run()
    assert huge.status == 413 and huge.headers["content-type"] == "application/problem+json", huge.reply[:400]
    assert "262144 bytes" in huge.body and '"field":"body"' in huge.body.replace(" ", "")
    chunked_json = raw(
        system,
        post_head("/v1/reports", "Transfer-Encoding: chunked\r\n", "application/json"),
        chunked(b'{"description": "', filler=120 * MIB),
    ).run()
    assert chunked_json.status == 413 and chunked_json.sent < 40 * MIB, (
        chunked_json.status,
        chunked_json.sent,
    )
    assert submit(client)["tracking_token"]  # the gateway and its broker connection are fine
    assert post_request(httpx.Client(base_url=system.base_url + API, timeout=30), api_key).status_code == 200


def test_an_agency_upload_checks_the_token_before_reading_the_body(system, client, staff):
    report = submit(client)
    head = post_head(f"/v1/agency/reports/{report['id']}/media", f"Content-Length: {50 * MIB}\r\n")
    anonymous = raw(system, head, iter([file_head("file")] + [b"\x00" * (256 * 1024)] * 200)).run()
    assert anonymous.status == 401 and anonymous.sent < 40 * MIB, (anonymous.status, anonymous.sent)
    other = staff.headers("agency_officer", "UBND_18075")["Authorization"]
    foreign = raw(
        system,
        head.replace("Host:", f"Authorization: {other}\r\nHost:"),
        iter([file_head("file")] + [b"\x00" * (256 * 1024)] * 200),
    ).run()
    assert foreign.status == 404 and foreign.sent < 40 * MIB, (foreign.status, foreign.sent)


def test_a_slow_body_is_cut_off_and_its_connection_freed(system, client):
    idle = 15  # BODY_IDLE_TIMEOUT_S
    head = post_head("/v1/reports", "Content-Length: 400\r\n", "application/json")
    slow = raw(system, head, iter([b'{"category": "GIA']), timeout=idle + 15).run()  # then nothing more
    assert slow.status == 408 and slow.closed and idle - 1 < slow.seconds < idle + 10, (
        slow.status,
        slow.seconds,
    )
    assert "REQUEST_TIMEOUT" in slow.body and slow.headers.get("connection") == "close"


def test_attributes_are_capped_with_a_422_naming_the_field(client):
    many = client.post("/v1/reports", json=report_body(attributes={f"a{i}": "x" for i in range(31)}))
    assert many.status_code == 422 and many.json()["errors"][0]["field"] == "attributes", many.text
    long_value = client.post("/v1/reports", json=report_body(attributes={"landmark": "x" * 1001}))
    assert long_value.status_code == 422, long_value.text
    assert long_value.json()["errors"][0]["field"].startswith(
        "report.attributes.landmark"
    ) or long_value.json()["errors"][0]["field"].startswith("attributes.landmark"), long_value.text
    long_key = client.post("/v1/reports", json=report_body(attributes={"k" * 65: "x"}))
    assert long_key.status_code == 422 and "attributes" in long_key.json()["errors"][0]["field"], (
        long_key.text
    )
    assert (
        client.post("/v1/reports", json=report_body(attributes={"landmark": "Trước cổng chợ"})).status_code
        == 201
    )


def test_open311_attributes_are_capped_with_a_400_naming_the_parameter(system):
    api_key = new_api_key(system)["api_key"]
    with httpx.Client(base_url=system.base_url + API, timeout=30) as o311:
        long_value = post_request(o311, api_key, **{"attribute[landmark]": "x" * 1001})
        too_many = post_request(o311, api_key, **{f"attribute[x{i}]": "1" for i in range(250)})
    assert long_value.status_code == 400 and "attribute" in long_value.json()[0]["description"], (
        long_value.text
    )
    assert too_many.status_code == 400 and "request" in too_many.json()[0]["description"], too_many.text


# ---- 2. personal answers are not stored; security headers everywhere; tokens not in URLs ----


def test_every_answer_carries_security_headers_and_personal_ones_no_store(client, staff):
    ref = submit(client)
    own = {"X-Tracking-Token": ref["tracking_token"]}
    answers = {
        "submission": client.post("/v1/reports", json=report_body()),
        "own report": client.get(f"/v1/reports/{ref['id']}", headers=own),
        "own inbox": client.get(f"/v1/reports/{ref['id']}/notifications", headers=own),
        "staff read": client.get(f"/v1/operator/reports/{ref['id']}", headers=staff.headers()),
        "reporter identity": client.get(
            f"/v1/operator/reports/{ref['id']}/reporter",
            params={"purpose": "gọi lại xác minh"},
            headers=staff.headers(),
        ),
        "unauthenticated staff route": client.get("/v1/operator/queue"),
    }
    public = {
        "public report": client.get(f"/v1/reports/{ref['id']}"),
        "health": client.get("/health"),
        "not found": client.get("/v1/nothing-here"),
        "open311": client.get(f"{API}/services.json"),
    }
    for name, answer in {**answers, **public}.items():
        assert answer.status_code < 500, (name, answer.status_code, answer.text)
        assert answer.headers["x-content-type-options"] == "nosniff", name
        assert answer.headers["referrer-policy"] == "no-referrer", name
        assert answer.headers["x-frame-options"] == "DENY", name
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], name
        assert "strict-transport-security" not in answer.headers, name  # plain http from a trusted peer
    for name, answer in answers.items():
        assert answer.headers.get("cache-control") == "no-store", (name, answer.headers.get("cache-control"))
    assert answers["reporter identity"].status_code == 200, answers["reporter identity"].text
    assert public["public report"].headers.get("cache-control") != "no-store"
    https = client.get("/health", headers={"X-Forwarded-Proto": "https"})  # from the trusted loopback proxy
    assert https.headers["strict-transport-security"].startswith("max-age=")


def test_the_report_page_takes_the_tracking_token_from_its_header_only(client):
    ref = submit(client)
    in_url = client.get(f"/v1/reports/{ref['id']}", params={"token": ref["tracking_token"]}).json()
    in_header = client.get(
        f"/v1/reports/{ref['id']}", headers={"X-Tracking-Token": ref["tracking_token"]}
    ).json()
    assert in_header.get("own") is True and in_url.get("own") is not True and "reporter" not in in_url


# ---- 3. CSV exports cannot smuggle formulas ----


def test_a_directory_name_starting_like_a_formula_is_quoted_in_the_csv_export(
    system, client, staff, fresh_gateway
):
    ward, formula = "18409", '=HYPERLINK("http://evil.example","Xem")'
    admin = staff.headers("administrator")
    unit = client.get(f"/v1/admin/routing/units/{ward}", headers=admin)
    assert unit.status_code == 200, unit.text
    accepted_and_routed(client, staff, ward)  # figures by ward count routed cases
    counted = wait_for(
        lambda: client.get("/v1/stats", params={"group_by": "ward"}).json(),
        lambda s: any(r["key"] == ward for r in s["rows"]),
        60,
    )
    assert any(r["key"] == ward for r in counted["rows"]), counted
    renamed = client.put(
        f"/v1/admin/routing/units/{ward}",
        headers=admin,
        json={**unit.json(), "name": formula},
        params={"note": "CSV injection test"},
    )
    assert renamed.status_code == 200, renamed.text
    try:
        gateway = fresh_gateway()  # a process whose directory names are not cached yet
        export = httpx.get(
            f"{gateway}/v1/stats.csv", params={"group_by": "ward"}, headers=staff.headers(), timeout=30
        )
    finally:
        client.put(
            f"/v1/admin/routing/units/{ward}", headers=admin, json=unit.json(), params={"note": "undo"}
        )
    assert export.status_code == 200, export.text
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    cells = [row[1] for row in rows if row[0] == ward]
    assert cells == ["'" + formula], rows
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


# ---- 4. odd input is a 4xx naming the field; failed SQL is logged without its parameters ----


def test_odd_query_values_and_token_claims_are_4xx_naming_the_field(system, client, rpc_e2e):
    nul = client.get("/v1/reports", params={"q": "\x00"})
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "query.q", nul.text
    deep = client.get("/v1/reports", params={"offset": str(2**64)})
    assert deep.status_code == 422 and deep.json()["errors"][0]["field"] == "query.offset", deep.text
    assert client.get("/v1/reports", params={"offset": str(10**9 + 1)}).status_code == 422
    ref = submit(client)
    beyond = client.get(
        f"/v1/reports/{ref['id']}/notifications",
        params={"after": str(2**63)},
        headers={"X-Tracking-Token": ref["tracking_token"]},
    )
    assert beyond.status_code == 422 and beyond.json()["errors"][0]["field"] == "query.after", beyond.text
    o311 = client.get(f"{API}/requests.json", params={"service_request_id": "HT\x00"})
    assert o311.status_code == 400 and "service_request_id" in o311.json()[0]["description"], o311.text
    import jwt

    from libs.auth.tokens import ISSUER

    now = int(time.time())
    listed = jwt.encode(
        {"sub": "x", "role": ["operator"], "iss": ISSUER, "iat": now, "exp": now + 600},
        system.stack.secrets["HT_JWT_SECRET"],
        algorithm="HS256",
    )
    staff_read = client.get("/v1/operator/queue", headers={"Authorization": f"Bearer {listed}"})
    assert staff_read.status_code == 401, staff_read.text
    with pytest.raises(
        Exception, match="VALIDATION_FAILED"
    ):  # over RPC too: the contract refuses, no SQL error
        rpc_e2e.intake.search_reports(payload={"ids": ["HT\x00"], "public_only": False, "limit": 1})
    for name in ("intake", "notify", "gateway"):  # (engines hide parameters: libs/platform interface ring)
        assert "[parameters:" not in system.log(name), name


# ---- 5. client addresses from X-Forwarded-For only when the peer is a trusted proxy ----


def test_the_client_address_comes_from_x_forwarded_for_only_from_a_trusted_proxy(fresh_gateway):
    gateway = fresh_gateway(TRUSTED_PROXIES="127.0.0.2")  # the "ingress" connects from 127.0.0.2

    def sign_in(
        source: str, forwarded: str
    ) -> int:  # a failed sign-in: accounts counts it against the address
        with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30) as peer:
            return peer.post(
                f"{gateway}/v1/auth/sign-in",
                headers={"X-Forwarded-For": forwarded},
                json={
                    "username": f"nobody-{uuid.uuid4().hex[:8]}",
                    "password": "wrong password",
                    "mode": "token",
                },
            ).status_code

    stranger = "127.0.0.3"  # not a proxy: whatever it forwards, it is itself
    statuses = [sign_in(stranger, f"198.51.100.{i}") for i in range(1, 32)]  # IP_MAX_FAILURES = 30
    assert statuses[:30] == [401] * 30 and statuses[30] == 429, statuses
    assert sign_in(stranger, "198.51.100.200") == 429  # another forwarded address changes nothing
    assert (
        sign_in("127.0.0.2", "198.51.100.201") == 401
    )  # through the proxy: the forwarded client, not blocked
    assert sign_in("127.0.0.2", stranger) == 429  # the proxy forwarding the blocked client: it is the client


# ---- 6. Open311 partners post updates on their own requests unless granted ----


def test_a_partner_posts_updates_only_on_its_own_requests_unless_granted(system, rpc_e2e):
    from datetime import datetime

    from .test_open311_support import published

    owner, other, granted = (new_api_key(system, may_update_any=grant) for grant in (False, False, True))
    assert granted["key"]["may_update_any"] is True and owner["key"]["may_update_any"] is False
    with httpx.Client(base_url=system.base_url + API, timeout=30) as o311:
        request_id = published(o311, rpc_e2e, owner["api_key"])

        def post(key: dict) -> httpx.Response:
            return o311.post(
                "/servicerequestupdates.json",
                data={
                    "api_key": key["api_key"],
                    "service_request_id": request_id,
                    "update_id": uuid.uuid4().hex[:12],
                    "updated_datetime": datetime.now(UTC).replace(microsecond=0).isoformat(),
                    "status": "OPEN",
                    "description": "Xem thêm tại",
                    "media_url": "https://evil.example/x.jpg",
                },
            )

        foreign = post(other)
        assert foreign.status_code == 404 and "not found" in foreign.json()[0]["description"], foreign.text
        assert post(owner).status_code == 200
        assert post(granted).status_code == 200
        feed = o311.get("/servicerequestupdates.json").json()
    assert (
        len([u for u in feed if u["service_request_id"] == request_id and u["update_id"].startswith("U")])
        == 2
    )

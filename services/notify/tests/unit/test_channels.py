"""Channel adapters against real servers on loopback port 0: aiosmtpd, a webhook receiver, an SMS gateway
stub."""

from __future__ import annotations

import asyncio
import email
import json
import secrets as rnd
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import httpx
import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from services.notify.channels import DeliveryResult
from services.notify.channels.sms import SmsGatewayConfig, send_sms
from services.notify.channels.smtp import SmtpConfig, send_email
from services.notify.channels.webhook import encode_payload, post_webhook
from services.notify.domain import signing, templates

# ---------------------------------------------------------------- SMTP server (aiosmtpd)


class MailRecorder:
    """aiosmtpd handler that keeps every message and refuses chosen recipients."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []
        self.refuse: set[str] = set()
        self.logins: list[bytes | None] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.logins.append(getattr(session.auth_data, "login", None))
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted"


class MailServer:
    """An aiosmtpd SMTP server on 127.0.0.1:<free port>, in its own event-loop thread."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.recorder = MailRecorder()
        self.users = users
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.users is not None
            and (self.users.get(auth_data.login.decode()) == auth_data.password.decode())
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)  # handled=False: it sends the 535

    def _factory(self) -> SMTP:
        if self.users is None:
            return SMTP(self.recorder)
        return SMTP(self.recorder, authenticator=self._authenticate, auth_require_tls=False)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(self.loop.create_server(self._factory, sock=self.sock))
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> MailServer:
        self.thread.start()
        assert self.ready.wait(5), "SMTP server did not start"
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def make_address() -> str:
    """A random citizen address."""
    return f"dan.{rnd.token_hex(4)}@example.vn"


def test_vietnamese_email_arrives_with_diacritics():
    values = {
        "code": f"HT-2026-{rnd.randbelow(10**6):06d}",
        "category_name": "Hạ tầng giao thông",
        "case_url": "https://ht.example.vn/t/x",
        "unsubscribe_url": "https://ht.example.vn/huy/x",
    }
    msg = templates.render("case_accepted", "vi", values)
    to = make_address()
    with MailServer() as server:
        config = SmtpConfig(
            host="127.0.0.1", port=server.port, sender="Hiện Trường Hà Tĩnh <no-reply@ht.example.vn>"
        )
        result = send_email(
            config, to, msg.subject, msg.text, headers={"List-Unsubscribe": f"<{values['unsubscribe_url']}>"}
        )
        assert result == DeliveryResult(ok=True, status=250)
        [got] = server.recorder.messages
    assert got["Subject"] == msg.subject and "Phản ánh đã được tiếp nhận" in got["Subject"]
    assert got["From"].addresses[0].display_name == "Hiện Trường Hà Tĩnh"
    assert got["To"] == to and got["List-Unsubscribe"] == "<https://ht.example.vn/huy/x>"
    assert got["Message-ID"].endswith("@ht.example.vn>") and got["Auto-Submitted"] == "auto-generated"
    body = got.get_content()
    assert got.get_content_charset() == "utf-8"
    assert "đã được xác minh và tiếp nhận" in body and "Hủy đăng ký: https://ht.example.vn/huy/x" in body
    assert server.recorder.envelopes[0].rcpt_tos == [to]


def test_login_then_send_and_bad_password_is_permanent():
    user, password = "notify", rnd.token_hex(8)
    with MailServer(users={user: password}) as server:
        good = SmtpConfig(host="127.0.0.1", port=server.port, username=user, password=password)
        assert send_email(good, make_address(), "Thử", "Nội dung thử").ok
        bad = SmtpConfig(host="127.0.0.1", port=server.port, username=user, password="wrong")
        result = send_email(bad, make_address(), "Thử", "Nội dung thử")
        assert (result.ok, result.status, result.permanent) == (False, 535, True)
        assert server.recorder.logins == [user.encode()]  # one message, sent after a real login
    assert password not in repr(good)


def test_refused_recipient_is_permanent_and_the_address_is_not_in_the_error():
    to = make_address()
    with MailServer() as server:
        server.recorder.refuse.add(to)
        result = send_email(SmtpConfig(host="127.0.0.1", port=server.port), to, "Thử", "Nội dung")
    assert (result.ok, result.status, result.permanent) == (False, 550, True)
    assert to not in (result.error or "")


def test_starttls_unsupported_is_a_retryable_error():
    with MailServer() as server:
        result = send_email(
            SmtpConfig(host="127.0.0.1", port=server.port, starttls=True), make_address(), "a", "b"
        )
    assert result == DeliveryResult(ok=False, error="smtp_starttls_unsupported")


def test_closed_port_is_a_retryable_transport_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        result = send_email(SmtpConfig(host="127.0.0.1", port=port, timeout=2), make_address(), "a", "b")
    assert not result.ok and not result.permanent and result.error.startswith("transport:")


def test_smtp_config_is_validated():
    with pytest.raises(ValueError):
        SmtpConfig(host="h", starttls=True, implicit_tls=True)
    with pytest.raises(ValueError):
        SmtpConfig(host="h", username="u")


# ---------------------------------------------------------------- HTTP servers (webhook receiver, SMS
# gateway)


class Recorded:
    """What a stub HTTP server saw and how it answers."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.reply: bytes = b"{}"
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.delay_s = 0.0
        self.secrets: list[str] | None = None  # when set: verify X-HT-Signature like an agency would
        self.clock = time.time


def make_handler(state: Recorded) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one Recorded state."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
            state.requests.append(seen)
            time.sleep(state.delay_s)
            status, reply = state.status, state.reply
            if state.secrets is not None:
                try:
                    signing.verify(
                        body, self.headers.get(signing.SIGNATURE_HEADER), state.secrets, state.clock()
                    )
                    seen["verified"] = True
                except signing.SignatureError as exc:
                    seen["verified"] = exc.reason
                    status, reply = 401, json.dumps({"error": exc.reason}).encode()
            self.send_response(status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = _handle

        def log_message(self, *args) -> None:  # keep test output clean
            pass

    return Handler


@pytest.fixture
def http_stub():
    """A ThreadingHTTPServer on 127.0.0.1:<free port>; yields (base_url, Recorded)."""
    state = Recorded()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()
    thread.join(5)


def make_secret() -> str:
    """A random webhook secret."""
    return "whsec_" + rnd.token_hex(16)


def make_payload() -> dict:
    """A routed-case payload (no reporter data), with Vietnamese text."""
    return {
        "event_id": str(uuid4()),
        "event_type": "case.routed",
        "code": f"HT-2026-{rnd.randbelow(10**6):06d}",
        "category": "GIAO_THONG_HA_TANG",
        "ward_name": "Phường Thành Sen",
        "due_at": datetime(2026, 3, 20, 10, tzinfo=UTC),
    }


def deliver(url: str, secrets: list[str], **kw) -> DeliveryResult:
    """post_webhook with a fresh delivery id."""
    kw.setdefault("timeout", 5.0)
    return post_webhook(
        url + "/hooks/ht",
        make_payload(),
        secrets=secrets,
        event_type="case.routed",
        delivery_id=str(uuid4()),
        **kw,
    )


def test_webhook_good_signature_is_verified_and_acknowledged(http_stub):
    url, state = http_stub
    secret = make_secret()
    state.secrets, state.reply = [secret], b'{"acknowledged": true}'
    payload, delivery = make_payload(), str(uuid4())
    result = post_webhook(
        url + "/hooks/ht",
        payload,
        secrets=[secret],
        event_type="case.routed",
        delivery_id=delivery,
        timeout=5.0,
    )
    assert result == DeliveryResult(ok=True, status=200, acknowledged=True)
    [seen] = state.requests
    assert seen["verified"] is True and seen["method"] == "POST" and seen["path"] == "/hooks/ht"
    assert seen["headers"][signing.DELIVERY_HEADER] == delivery
    assert seen["headers"][signing.EVENT_HEADER] == "case.routed"
    assert seen["headers"]["Content-Type"].startswith("application/json")
    assert json.loads(seen["body"])["ward_name"] == "Phường Thành Sen"
    assert seen["body"] == encode_payload(payload)


def test_webhook_tampered_body_is_refused(http_stub):
    url, state = http_stub
    secret = make_secret()
    state.secrets = [secret]
    body = encode_payload(make_payload())
    headers = signing.sign(body, [secret], datetime.now(UTC), event_type="case.routed")
    response = httpx.post(url, content=body.replace(b"GIAO_THONG", b"CHIEU_SANG"), headers=headers, timeout=5)
    assert response.status_code == 401 and response.json() == {"error": "mismatch"}
    assert state.requests[0]["verified"] == "mismatch"


def test_webhook_wrong_secret_is_refused_permanently(http_stub):
    url, state = http_stub
    state.secrets = [make_secret()]
    result = deliver(url, [make_secret()])
    assert (result.ok, result.status, result.error, result.acknowledged, result.permanent) == (
        False,
        401,
        "http_401",
        False,
        True,
    )
    assert state.requests[0]["verified"] == "mismatch"


@pytest.mark.parametrize("skew", [timedelta(minutes=-10), timedelta(minutes=10)])
def test_webhook_stale_or_future_timestamp_is_refused(http_stub, skew):
    url, state = http_stub
    secret = make_secret()
    state.secrets = [secret]
    result = deliver(url, [secret], now=datetime.now(UTC) + skew)
    assert not result.ok and result.status == 401
    assert state.requests[0]["verified"] == "stale"


def test_webhook_rotation_receiver_with_either_secret_verifies(http_stub):
    url, state = http_stub
    old, new = make_secret(), make_secret()
    for receiver_secret in (old, new):
        state.secrets = [receiver_secret]
        assert deliver(url, [old, new]).ok
    assert [r["verified"] for r in state.requests] == [True, True]


@pytest.mark.parametrize(
    ("status", "reply", "expected"),
    [
        (200, b'{"acknowledged": true}', DeliveryResult(True, 200, None, True)),
        (202, b'{"acknowledged": true, "ticket": "VP-1"}', DeliveryResult(True, 202, None, True)),
        (200, b'{"acknowledged": "true"}', DeliveryResult(True, 200)),  # only a real JSON true counts
        (200, b"OK", DeliveryResult(True, 200)),
        (204, b"", DeliveryResult(True, 204)),
        (200, b"[true]", DeliveryResult(True, 200)),
        (500, b'{"acknowledged": true}', DeliveryResult(False, 500, "http_500")),  # no ack without a 2xx
        (503, b"", DeliveryResult(False, 503, "http_503")),
        (429, b"", DeliveryResult(False, 429, "http_429")),
        (410, b"", DeliveryResult(False, 410, "http_410", permanent=True)),
        (302, b"", DeliveryResult(False, 302, "http_302")),  # redirects are not followed
    ],
)
def test_webhook_reply_mapping(http_stub, status, reply, expected):
    url, state = http_stub
    state.status, state.reply = status, reply
    state.headers = (
        {"Location": url + "/elsewhere"} if status == 302 else {"Content-Type": "application/json"}
    )
    assert deliver(url, [make_secret()]) == expected
    assert len(state.requests) == 1


def test_webhook_timeout_is_a_retryable_transport_error(http_stub):
    url, state = http_stub
    state.delay_s = 1.0
    result = deliver(url, [make_secret()], timeout=0.2)
    assert (result.ok, result.status, result.permanent) == (False, None, False)
    assert result.error == "transport:ReadTimeout"


def test_webhook_error_does_not_leak_the_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook?token=s3cr3t"
        result = post_webhook(
            url,
            {"a": 1},
            secrets=[make_secret()],
            event_type="case.routed",
            delivery_id=str(uuid4()),
            timeout=2,
        )
    assert not result.ok and "s3cr3t" not in result.error


def make_phone() -> str:
    """A random Vietnamese mobile number."""
    return "+849" + "".join(str(rnd.randbelow(10)) for _ in range(8))


def test_sms_json_body_with_auth_header(http_stub):
    url, state = http_stub
    token, to = rnd.token_hex(8), make_phone()
    config = SmsGatewayConfig(
        url_template=url + "/api/sms",
        auth_value=f"Bearer {token}",
        sender="HATINH",
        extra_fields={"type": "cskh"},
    )
    text = templates.to_gsm7("Phản ánh HT-2026-000001 đã được tiếp nhận")
    assert send_sms(config, to, text) == DeliveryResult(True, 200)
    [seen] = state.requests
    assert seen["path"] == "/api/sms" and seen["headers"]["Authorization"] == f"Bearer {token}"
    assert json.loads(seen["body"]) == {
        "to": to,
        "text": "Phan anh HT-2026-000001 da duoc tiep nhan",
        "from": "HATINH",
        "type": "cskh",
    }
    assert token not in repr(config)


def test_sms_form_body_custom_fields_and_url_template(http_stub):
    url, state = http_stub
    to = make_phone()
    config = SmsGatewayConfig(
        url_template=url + "/send/{to}",
        body_format="form",
        to_field="Phone",
        text_field="Content",
        auth_header="X-Api-Key",
        auth_value="k-1",
    )
    assert send_sms(config, to, "Xin chao").ok
    [seen] = state.requests
    assert seen["path"] == f"/send/{to}" and seen["headers"]["X-Api-Key"] == "k-1"
    assert parse_qs(seen["body"].decode()) == {"Phone": [to], "Content": ["Xin chao"]}


def test_sms_get_puts_fields_in_the_query(http_stub):
    url, state = http_stub
    to = make_phone()
    assert send_sms(SmsGatewayConfig(url_template=url + "/get", method="GET"), to, "a b").ok
    query = parse_qs(urlsplit(state.requests[0]["path"]).query)
    assert query == {"to": [to], "text": ["a b"]} and state.requests[0]["method"] == "GET"


@pytest.mark.parametrize(
    ("status", "reply", "expected"),
    [
        (200, b'{"CodeResult": "100"}', DeliveryResult(True, 200)),
        (200, b'{"CodeResult": "99"}', DeliveryResult(False, 200, "gateway_refused")),
        (200, b"not json", DeliveryResult(False, 200, "gateway_refused")),
        (500, b"", DeliveryResult(False, 500, "http_500")),
        (400, b"", DeliveryResult(False, 400, "http_400", permanent=True)),
    ],
)
def test_sms_gateway_outcomes(http_stub, status, reply, expected):
    url, state = http_stub
    state.status, state.reply = status, reply
    config = SmsGatewayConfig(url_template=url, ok_field="CodeResult", ok_value="100")
    result = send_sms(config, make_phone(), "x")
    assert result == expected


def test_sms_timeout_and_phone_not_in_error(http_stub):
    url, state = http_stub
    state.delay_s = 1.0
    to = make_phone()
    result = send_sms(SmsGatewayConfig(url_template=url + "/{to}", timeout=0.2), to, "x")
    assert not result.ok and not result.permanent and result.error == "transport:ReadTimeout"
    assert to not in result.error

"""E-mail channel: one UTF-8 plain-text message over smtplib (STARTTLS or implicit TLS, optional login)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from . import DeliveryResult, transport_error


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send mail; the password never appears in repr or logs."""

    host: str
    port: int = 25
    sender: str = "no-reply@localhost"  # "Hiện Trường <no-reply@example.vn>" is fine: encoded per RFC 2047
    starttls: bool = False  # upgrade a plain connection (port 587)
    implicit_tls: bool = False  # TLS from the first byte (port 465)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.starttls and self.implicit_tls:
            raise ValueError("choose starttls or implicit_tls, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")


def _address(value: str) -> str:
    """An address header value with a UTF-8 display name encoded per RFC 2047."""
    name, addr = parseaddr(value)
    if not addr or "@" not in addr:
        raise ValueError("not an e-mail address")  # the address itself is not echoed: it is personal data
    return formataddr((name, addr), charset="utf-8")


def _header(value: str) -> Header | str:
    """A header value, RFC 2047-encoded when it is not ASCII."""
    if "\n" in value or "\r" in value:
        raise ValueError("header values must be one line")  # header injection
    return value if value.isascii() else Header(value, "utf-8")


def build_message(
    config: SmtpConfig,
    to: str,
    subject: str,
    text: str,
    *,
    headers: Mapping[str, str] | None = None,
) -> Message:
    """A UTF-8 plain-text message; extra headers such as List-Unsubscribe are added as given.

    Built with the compat32 classes on purpose: the newer EmailMessage folder drops the space between two
    RFC 2047 encoded words, so a long Vietnamese subject would arrive with words glued together.
    """
    msg = MIMEText(text, "plain", "utf-8")
    msg["From"] = _address(config.sender)
    msg["To"] = _address(to)
    msg["Subject"] = _header(subject)  # type: ignore[assignment]  # compat32 takes Header objects
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=parseaddr(config.sender)[1].rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders should not answer
    for name, value in (headers or {}).items():
        msg[name] = _header(value)  # type: ignore[assignment]
    return msg


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    """An open, possibly TLS-upgraded and logged-in connection; may raise OSError or SMTPException."""
    context = ssl.create_default_context()
    if config.implicit_tls:
        conn: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout, context=context
        )
    else:
        conn = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        conn.ehlo()
        if config.starttls:
            conn.starttls(context=context)  # raises SMTPNotSupportedError if the server cannot
            conn.ehlo()
        if config.username is not None:
            conn.login(config.username, config.password or "")
    except BaseException:
        conn.close()
        raise
    return conn


def send_message(config: SmtpConfig, msg: Message) -> DeliveryResult:
    """Send a built message; 5xx replies are permanent, 4xx and network failures are retryable."""
    try:
        conn = _connect(config)
        try:
            conn.send_message(msg)
        finally:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()
    except smtplib.SMTPRecipientsRefused as exc:
        # exc.recipients maps the (personal) address to its reply: keep only the code
        code = next(iter(exc.recipients.values()))[0]
        return DeliveryResult(
            ok=False, status=code, error=f"smtp_{code}_recipient_refused", permanent=code >= 500
        )
    except smtplib.SMTPResponseException as exc:
        return DeliveryResult(
            ok=False, status=exc.smtp_code, error=f"smtp_{exc.smtp_code}", permanent=exc.smtp_code >= 500
        )
    except smtplib.SMTPNotSupportedError:
        return DeliveryResult(ok=False, error="smtp_starttls_unsupported")  # retry after the config is fixed
    except (smtplib.SMTPException, OSError) as exc:
        return transport_error(exc)
    return DeliveryResult(ok=True, status=250)


def send_email(
    config: SmtpConfig,
    to: str,
    subject: str,
    text: str,
    *,
    headers: Mapping[str, str] | None = None,
) -> DeliveryResult:
    """Build and send one e-mail; the outcome is a value (ValueError only for a malformed address/header)."""
    return send_message(config, build_message(config, to, subject, text, headers=headers))

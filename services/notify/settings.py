"""Notify's configuration, parsed once at boot from the service config (pure: no nameko, no I/O)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any
from urllib.parse import urlsplit

from .channels.sms import SmsGatewayConfig
from .channels.smtp import SmtpConfig
from .domain.backoff import RetryPolicy
from .domain.quiet import QuietHours

DEFAULT_CHANNELS = ("amqp", "none")


class SettingsError(ValueError):
    """A configuration value is unusable; the message names the key."""


@dataclass(frozen=True)
class Links:
    """URL templates of what messages link to; `{report_id}`, `{code}` or `{token}` are filled in."""

    case_url: str
    agency_inbox_url: str
    unsubscribe_url: str
    rating_url: str

    def case(self, report_id: str, code: str) -> str:
        return self.case_url.format(report_id=report_id, code=code)

    def agency_inbox(self, report_id: str, code: str) -> str:
        return self.agency_inbox_url.format(report_id=report_id, code=code)

    def unsubscribe(self, token: str) -> str:
        return self.unsubscribe_url.format(token=token)

    def rating(self, report_id: str, code: str) -> str:
        return self.rating_url.format(report_id=report_id, code=code)


@dataclass(frozen=True)
class NotifySettings:
    """Everything the sweep and the handlers need to know about the outside world."""

    links: Links
    smtp: SmtpConfig | None
    sms: SmsGatewayConfig | None
    quiet: QuietHours | None
    agency_policy: RetryPolicy
    citizen_policy: RetryPolicy
    default_agency_channel: str
    agency_amqp_uri: str
    http_timeout_s: float
    rpc_timeout_s: float
    sweep_batch: int
    rating_window: timedelta
    rating_reminder_before: timedelta
    names_ttl_s: float
    webhook_allow_http: bool = False


def _text(cfg: Mapping[str, Any], key: str, default: str = "") -> str:
    """A setting as text; missing or empty gives the default."""
    value = cfg.get(key)
    text = "" if value is None else str(value).strip()
    return text or default


def _number(cfg: Mapping[str, Any], key: str, default: float, minimum: float = 0.0) -> float:
    raw = _text(cfg, key)
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise SettingsError(f"{key} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{key} must be at least {minimum}")
    return value


def _flag(cfg: Mapping[str, Any], key: str) -> bool:
    return _text(cfg, key).lower() in ("1", "true", "yes", "on")


def _clock(value: str, key: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise SettingsError(f"{key} must be HH:MM, got {value!r}") from None


def retry_policy(cfg: Mapping[str, Any], prefix: str) -> RetryPolicy:
    """`<prefix>_RETRY_DELAYS` (seconds, comma-separated), `_RETRY_STEADY_S`, `_MAX_ATTEMPTS`."""
    raw = _text(cfg, f"{prefix}_RETRY_DELAYS", "10,30,120,600")
    try:
        delays = tuple(timedelta(seconds=float(x)) for x in raw.split(",") if x.strip())
        return RetryPolicy(
            delays=delays,
            steady=timedelta(seconds=_number(cfg, f"{prefix}_RETRY_STEADY_S", 1800, 0.001)),
            max_attempts=int(_number(cfg, f"{prefix}_MAX_ATTEMPTS", 10, 1)),
            jitter=0.1,
        )
    except ValueError as exc:
        raise SettingsError(f"{prefix}_RETRY_*: {exc}") from None


def smtp_config(cfg: Mapping[str, Any]) -> SmtpConfig | None:
    """The SMTP relay, or None when NOTIFY_SMTP_HOST is empty (e-mail deliveries then fail visibly)."""
    host = _text(cfg, "NOTIFY_SMTP_HOST")
    if not host:
        return None
    username = _text(cfg, "NOTIFY_SMTP_USERNAME") or None
    try:
        return SmtpConfig(
            host=host,
            port=int(_number(cfg, "NOTIFY_SMTP_PORT", 25, 1)),
            sender=_text(cfg, "NOTIFY_SMTP_SENDER", "Hiện Trường <no-reply@localhost>"),
            starttls=_flag(cfg, "NOTIFY_SMTP_STARTTLS"),
            implicit_tls=_flag(cfg, "NOTIFY_SMTP_IMPLICIT_TLS"),
            username=username,
            password=(_text(cfg, "NOTIFY_SMTP_PASSWORD") if username else None),
            timeout=_number(cfg, "NOTIFY_SMTP_TIMEOUT_S", 10, 0.1),
        )
    except ValueError as exc:
        raise SettingsError(f"NOTIFY_SMTP_*: {exc}") from None


def sms_config(cfg: Mapping[str, Any]) -> SmsGatewayConfig | None:
    """The HTTP SMS gateway, or None when NOTIFY_SMS_URL is empty."""
    url = _text(cfg, "NOTIFY_SMS_URL")
    if not url:
        return None
    method, body_format = (
        _text(cfg, "NOTIFY_SMS_METHOD", "POST").upper(),
        _text(cfg, "NOTIFY_SMS_FORMAT", "json"),
    )
    if method not in ("POST", "GET") or body_format not in ("json", "form"):
        raise SettingsError("NOTIFY_SMS_METHOD must be POST|GET and NOTIFY_SMS_FORMAT json|form")
    return SmsGatewayConfig(
        url_template=url,
        method=method,
        body_format=body_format,  # type: ignore[arg-type]
        auth_header=_text(cfg, "NOTIFY_SMS_AUTH_HEADER", "Authorization"),
        auth_value=_text(cfg, "NOTIFY_SMS_AUTH_VALUE") or None,
        to_field=_text(cfg, "NOTIFY_SMS_TO_FIELD", "to"),
        text_field=_text(cfg, "NOTIFY_SMS_TEXT_FIELD", "text"),
        sender=_text(cfg, "NOTIFY_SMS_SENDER") or None,
        ok_field=_text(cfg, "NOTIFY_SMS_OK_FIELD") or None,
        ok_value=_text(cfg, "NOTIFY_SMS_OK_VALUE") or None,
        timeout=_number(cfg, "NOTIFY_SMS_TIMEOUT_S", 10, 0.1),
    )


def quiet_hours(cfg: Mapping[str, Any]) -> QuietHours | None:
    """NOTIFY_QUIET_HOURS like `21:00-07:00`; `off` (or empty) disables quiet hours."""
    raw = _text(cfg, "NOTIFY_QUIET_HOURS", "21:00-07:00")
    if raw.lower() in ("", "off", "none", "false"):  # YAML reads a bare `off` as false
        return None
    start, sep, end = raw.partition("-")
    if not sep:
        raise SettingsError(f"NOTIFY_QUIET_HOURS must be HH:MM-HH:MM or off, got {raw!r}")
    try:
        return QuietHours(
            _clock(start.strip(), "NOTIFY_QUIET_HOURS"),
            _clock(end.strip(), "NOTIFY_QUIET_HOURS"),
            _text(cfg, "NOTIFY_TIMEZONE", "Asia/Ho_Chi_Minh"),
        )
    except Exception as exc:  # unknown time zone
        raise SettingsError(f"NOTIFY_QUIET_HOURS/NOTIFY_TIMEZONE: {exc}") from None


LOCAL_HOSTS = ("localhost", "localhost.localdomain", "")


def _local(url: str) -> bool:
    """Whether a link would lead nowhere outside this machine: a loopback, unspecified or missing host."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def links(cfg: Mapping[str, Any]) -> Links:
    """Link templates; each is tried once here so a bad placeholder fails at boot, naming its key. In
    production (`HT_ENV=production`) a link to a loopback address (the development default) refuses the boot:
    e-mails would send citizens and agencies to their own machine."""
    base = _text(cfg, "NOTIFY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    templates = {
        "NOTIFY_CASE_URL": f"{base}/v1/reports/{{report_id}}",
        "NOTIFY_AGENCY_INBOX_URL": f"{base}/staff/cases/{{report_id}}",  # the console's case page
        "NOTIFY_UNSUBSCRIBE_URL": f"{base}/v1/notifications/unsubscribe/{{token}}",
        "NOTIFY_RATING_URL": f"{base}/v1/reports/{{report_id}}/rating",
    }
    chosen = {key: _text(cfg, key, default) for key, default in templates.items()}
    for key, text in chosen.items():
        try:
            text.format(report_id="r", code="c", token="t")
        except (KeyError, IndexError, ValueError) as exc:
            raise SettingsError(
                f"{key} has an unknown placeholder ({exc}); use {{report_id}}, {{code}} or {{token}}"
            ) from None
        if _text(cfg, "HT_ENV", "development").lower() == "production" and _local(text):
            raise SettingsError(
                f"{key} ({text}) points at this machine: set NOTIFY_PUBLIC_URL to the public "
                f"address of the gateway (HT_ENV=production)"
            )
    return Links(
        case_url=chosen["NOTIFY_CASE_URL"],
        agency_inbox_url=chosen["NOTIFY_AGENCY_INBOX_URL"],
        unsubscribe_url=chosen["NOTIFY_UNSUBSCRIBE_URL"],
        rating_url=chosen["NOTIFY_RATING_URL"],
    )


def parse(cfg: Mapping[str, Any]) -> NotifySettings:
    """All of notify's settings; may raise SettingsError naming the key at fault."""
    default_channel = _text(cfg, "NOTIFY_DEFAULT_AGENCY_CHANNEL", "amqp")
    if default_channel not in DEFAULT_CHANNELS:
        raise SettingsError(f"NOTIFY_DEFAULT_AGENCY_CHANNEL must be one of {DEFAULT_CHANNELS}")
    return NotifySettings(
        links=links(cfg),
        smtp=smtp_config(cfg),
        sms=sms_config(cfg),
        quiet=quiet_hours(cfg),
        agency_policy=retry_policy(cfg, "NOTIFY_AGENCY"),
        citizen_policy=retry_policy(cfg, "NOTIFY_CITIZEN"),
        default_agency_channel=default_channel,
        agency_amqp_uri=_text(cfg, "NOTIFY_AGENCY_AMQP_URI") or str(cfg["AMQP_URI"]),
        http_timeout_s=_number(cfg, "NOTIFY_HTTP_TIMEOUT_S", 10, 0.1),
        rpc_timeout_s=_number(cfg, "NOTIFY_RPC_TIMEOUT_S", 5, 0.1),
        sweep_batch=int(_number(cfg, "NOTIFY_SWEEP_BATCH", 50, 1)),
        rating_window=timedelta(days=_number(cfg, "NOTIFY_RATING_WINDOW_DAYS", 7, 0)),
        rating_reminder_before=timedelta(days=_number(cfg, "NOTIFY_RATING_REMINDER_BEFORE_DAYS", 2, 0)),
        names_ttl_s=_number(cfg, "NOTIFY_NAMES_TTL_S", 300, 0),
        webhook_allow_http=_flag(cfg, "NOTIFY_WEBHOOK_ALLOW_HTTP"),
    )

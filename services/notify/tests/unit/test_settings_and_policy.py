"""Configuration parsing (refused at boot, naming the key) and the channel/role rules of the operator API."""

from __future__ import annotations

import secrets
from datetime import time, timedelta

import pytest

from libs.contracts.notify import Actor, SetAgencyChannel
from libs.platform.errors import ServiceError
from services.notify import settings
from services.notify.domain import policy
from services.notify.settings import SettingsError

BASE = {"AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/x"}


def test_defaults_are_usable_and_links_point_at_the_gateway():
    s = settings.parse(BASE)
    assert s.smtp is None and s.sms is None and s.default_agency_channel == "amqp"
    assert s.quiet is not None and (s.quiet.start, s.quiet.end) == (time(21), time(7))
    assert s.agency_policy.delays[0] == timedelta(seconds=10) and s.agency_policy.steady == timedelta(
        minutes=30
    )
    assert s.links.case("r1", "c") == "http://127.0.0.1:8000/v1/reports/r1"
    assert s.links.unsubscribe("tok") == "http://127.0.0.1:8000/v1/notifications/unsubscribe/tok"
    assert s.agency_amqp_uri == BASE["AMQP_URI"]


@pytest.mark.parametrize("value", ["off", "OFF", "none", False])
def test_quiet_hours_can_be_switched_off(value):
    assert settings.parse({**BASE, "NOTIFY_QUIET_HOURS": value}).quiet is None


def test_services_are_configured_from_their_keys():
    s = settings.parse(
        {
            **BASE,
            "NOTIFY_SMTP_HOST": "mail.example.vn",
            "NOTIFY_SMTP_PORT": 587,
            "NOTIFY_SMTP_STARTTLS": "true",
            "NOTIFY_SMTP_USERNAME": "u",
            "NOTIFY_SMTP_PASSWORD": "p",
            "NOTIFY_SMS_URL": "https://sms.example.vn/send",
            "NOTIFY_SMS_FORMAT": "form",
            "NOTIFY_QUIET_HOURS": "22:30-06:15",
            "NOTIFY_AGENCY_RETRY_DELAYS": "1, 2",
            "NOTIFY_AGENCY_MAX_ATTEMPTS": "3",
            "NOTIFY_PUBLIC_URL": "https://ht.example.vn/",
            "NOTIFY_AGENCY_INBOX_URL": "https://ht.example.vn/co-quan/{code}",
        }
    )
    assert s.smtp.port == 587 and s.smtp.starttls and s.smtp.username == "u"
    assert s.sms.body_format == "form" and s.sms.url_template == "https://sms.example.vn/send"
    assert (s.quiet.start, s.quiet.end) == (time(22, 30), time(6, 15))
    assert (
        s.agency_policy.delays == (timedelta(seconds=1), timedelta(seconds=2))
        and s.agency_policy.max_attempts == 3
    )
    assert s.links.agency_inbox("r", "HT-1") == "https://ht.example.vn/co-quan/HT-1"
    assert s.links.rating("r9", "c") == "https://ht.example.vn/v1/reports/r9/rating"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("NOTIFY_QUIET_HOURS", "late"),
        ("NOTIFY_QUIET_HOURS", "25:00-07:00"),
        ("NOTIFY_TIMEZONE", "Mars/Base"),
        ("NOTIFY_SMTP_PORT", "smtp"),
        ("NOTIFY_AGENCY_RETRY_DELAYS", "1,-2"),
        ("NOTIFY_CITIZEN_MAX_ATTEMPTS", "0"),
        ("NOTIFY_DEFAULT_AGENCY_CHANNEL", "pigeon"),
        ("NOTIFY_CASE_URL", "https://h/{report}"),
        ("NOTIFY_SMS_METHOD", "PUT"),
    ],
)
def test_unusable_settings_are_refused_naming_the_key(key, value):
    extra = {"NOTIFY_SMTP_HOST": "mail"} if key.startswith("NOTIFY_SMTP") else {}
    extra.update({"NOTIFY_SMS_URL": "https://sms"} if key.startswith("NOTIFY_SMS") else {})
    with pytest.raises(SettingsError) as err:
        settings.parse({**BASE, **extra, key: value})
    assert key in str(err.value) or key.rsplit("_", 1)[0] in str(err.value)


ADMIN = Actor(sub="a", role="administrator")


def channel(**fields) -> SetAgencyChannel:
    return SetAgencyChannel.model_validate({"agency_code": "UBND_18073", "actor": ADMIN, **fields})


def test_a_webhook_gets_a_generated_secret_keeps_it_on_update_and_takes_two_for_rotation():
    made = policy.channel_settings(channel(kind="webhook", url="https://agency.example.vn/hook"), None, False)
    assert made.new_secret and made.values["secrets"] == [made.new_secret] and len(made.new_secret) >= 40
    kept = policy.channel_settings(
        channel(kind="webhook", url="https://agency.example.vn/h2"), ["old" * 10], False
    )
    assert kept.new_secret is None and kept.values["secrets"] == ["old" * 10]
    two = [secrets.token_urlsafe(32), secrets.token_urlsafe(32)]
    rotated = policy.channel_settings(
        channel(kind="webhook", url="https://a.example.vn/h", secrets=two), None, False
    )
    assert rotated.values["secrets"] == two and rotated.values["updated_by"] == "a"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "webhook"}, "url"),
        ({"kind": "webhook", "url": "http://agency.example.vn/hook"}, "url"),  # https only (unless allowed)
        ({"kind": "email"}, "email"),
        ({"kind": "amqp", "url": "https://a.example.vn"}, "url"),
        ({"kind": "email", "email": "a@example.vn", "secrets": ["s" * 30]}, "secrets"),
        ({"kind": "amqp", "email": "a@example.vn"}, "email"),
    ],
)
def test_a_channel_must_match_its_kind(fields, field):
    with pytest.raises(ServiceError) as err:
        policy.channel_settings(channel(**fields), None, False)
    assert err.value.code == "VALIDATION_FAILED" and err.value.errors[0]["field"] == field


def test_plain_http_webhooks_only_when_allowed_and_roles_are_checked():
    allowed = policy.channel_settings(channel(kind="webhook", url="http://127.0.0.1:9/x"), None, True)
    assert allowed.values["url"] == "http://127.0.0.1:9/x"
    with pytest.raises(ServiceError) as missing:
        policy.require(None, policy.OPERATORS)
    assert missing.value.code == "UNAUTHENTICATED"
    with pytest.raises(ServiceError) as wrong:
        policy.require(Actor(sub="o", role="agency_officer", agency="UBND_1"), policy.OPERATORS)
    assert wrong.value.code == "FORBIDDEN"
    officer = Actor(sub="o", role="agency_leader", agency="UBND_1")
    assert (
        policy.agency_scope(officer) == "UBND_1"
        and policy.agency_scope(Actor(sub="x", role="operator")) is None
    )


def test_agency_links_go_to_the_consoles_case_page():
    s = settings.parse({**BASE, "NOTIFY_PUBLIC_URL": "https://phananh.hatinh.gov.vn/"})
    assert s.links.agency_inbox("r1", "HT-1") == "https://phananh.hatinh.gov.vn/staff/cases/r1"


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"NOTIFY_PUBLIC_URL": "http://localhost:8000"},
        {"NOTIFY_PUBLIC_URL": "http://127.0.0.2"},
        {"NOTIFY_PUBLIC_URL": "http://0.0.0.0:8000"},
        {
            "NOTIFY_PUBLIC_URL": "https://ht.example.vn",
            "NOTIFY_RATING_URL": "http://app.localhost/r/{report_id}",
        },
    ],
)
def test_production_refuses_links_to_this_machine(extra):
    with pytest.raises(SettingsError, match="NOTIFY_PUBLIC_URL"):
        settings.parse({**BASE, "HT_ENV": "production", **extra})
    assert settings.parse({**BASE, **extra}).links  # development keeps the local default


def test_production_accepts_a_public_address():
    s = settings.parse({**BASE, "HT_ENV": "Production", "NOTIFY_PUBLIC_URL": "https://203.0.113.7"})
    assert s.links.case("r", "c") == "https://203.0.113.7/v1/reports/r"

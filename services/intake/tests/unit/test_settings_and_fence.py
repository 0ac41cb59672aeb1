"""Unit tests of intake's configuration parsing and the province fence."""

import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from libs.geo.wards import WardGeometryError
from services.intake.domain.geofence import ProvinceFence
from services.intake.domain.tokens import Sealer
from services.intake.settings import ConfigError, from_config, parse_networks, parse_rate_rules

TOKEN_KEY = uuid.uuid4().hex * 2


def settings(**cfg):
    return from_config(cfg, Sealer(Fernet.generate_key().decode()), TOKEN_KEY)


@pytest.fixture(scope="module")
def fence() -> ProvinceFence:
    return ProvinceFence.load("42")


@pytest.mark.parametrize(
    "lat,lon,inside",
    [
        (18.3419, 105.903, True),  # Hà Tĩnh city
        (18.5596, 105.695, True),  # a commune centroid in the north
        (18.40, 105.99, True),  # just off the coast: inside the 5 km buffer
        (21.03, 105.85, False),  # Hà Nội
        (16.46, 107.59, False),  # Huế
        (18.35, 106.60, False),  # out at sea
    ],
)
def test_fence(fence, lat, lon, inside):
    assert fence.contains(lat, lon) is inside


def test_a_smaller_buffer_excludes_the_sea_point_and_unknown_provinces_fail():
    assert not ProvinceFence.load("42", buffer_m=1).contains(18.40, 105.99)
    with pytest.raises(WardGeometryError):
        ProvinceFence.load("99")


def test_rate_rules_parse_and_refuse_garbage():
    rules = parse_rate_rules("device:3/60, ip:60/3600")
    assert [(r.scope, r.limit, r.window_s) for r in rules] == [("device", 3, 60), ("ip", 60, 3600)]
    assert parse_rate_rules("off") == () and parse_rate_rules("") == ()
    for bad in ("device:3", "planet:1/60", "ip:x/60"):
        with pytest.raises(ConfigError):
            parse_rate_rules(bad)


def test_exempt_networks():
    s = settings(RATE_LIMIT_EXEMPT_IPS="127.0.0.0/8,::1/128,10.1.0.0/16")
    assert s.exempt("127.0.0.1") and s.exempt("::1") and s.exempt("10.1.2.3")
    assert not s.exempt("203.0.113.9") and not s.exempt(None) and not s.exempt("not-an-ip")
    with pytest.raises(ConfigError):
        parse_networks("300.1.1.1/8")


def test_defaults_are_manual_triage_with_urgent_fast_track():
    s = settings()
    assert s.auto_triage.categories == frozenset() and s.auto_triage.channels == frozenset()
    assert s.auto_triage.urgent and s.max_media == 6 and s.info_window == timedelta(days=3)
    assert s.base_days["GIAO_THONG_HA_TANG"] == 7 and len(s.base_days) == 25
    assert settings(AUTO_ACCEPT_CATEGORIES="*", AUTO_ACCEPT_URGENT="false").auto_triage.categories == {"*"}
    assert not settings(AUTO_ACCEPT_URGENT="false").auto_triage.urgent
    assert len(s.rate_pepper) == 32 and s.rate_pepper == settings().rate_pepper  # derived from the token key


def test_numbers_are_checked():
    with pytest.raises(ConfigError):
        settings(MAX_MEDIA="many")
    assert settings(DUE_SOON_HOURS="6").due_soon == timedelta(hours=6)

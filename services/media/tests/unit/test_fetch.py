"""The media_url fetcher against a real HTTP server on loopback: public addresses only (after DNS, at every
redirect), allow-listed test hosts, size and time limits."""

from __future__ import annotations

import pytest

from services.media.adapters.fetch import FetchRefused, fetch_to_file, public_address
from services.media.tests.photo_server import PhotoServer
from services.media.tests.unit import hostile


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
    ],
)
def test_only_public_addresses_count_as_public(address, public):
    assert public_address(address) is public


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    photo = tmp_path_factory.mktemp("photos") / "p.jpg"
    photo.write_bytes(hostile.jpeg(64, 48))
    with PhotoServer(photo, redirect="http://localhost:9/secret") as srv:
        srv.photo_bytes = photo.read_bytes()
        yield srv


def test_an_allow_listed_host_is_fetched_and_its_redirects_checked(server, tmp_path):
    allowed = frozenset({f"127.0.0.1:{server.port}"})
    got = fetch_to_file(
        server.url("/hop"), str(tmp_path / "a"), max_bytes=10_000_000, timeout_s=10, allow_hosts=allowed
    )
    assert (tmp_path / "a").read_bytes() == server.photo_bytes and got.url.endswith("/photo.jpg")
    with pytest.raises(FetchRefused, match="private, loopback"):  # the redirect leads to loopback: refused
        fetch_to_file(
            server.url("/redirect"),
            str(tmp_path / "b"),
            max_bytes=10_000_000,
            timeout_s=10,
            allow_hosts=allowed,
        )
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/photo.jpg",
        "http://localhost:{port}/photo.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x.jpg",
        "http://[::1]:{port}/photo.jpg",
        "file:///etc/passwd",
        "ftp://example.com/x.jpg",
        "http://user:pw@example.com/x.jpg",
    ],
)
def test_loopback_private_metadata_and_other_schemes_are_refused(server, tmp_path, url):
    with pytest.raises(FetchRefused):
        fetch_to_file(url.format(port=server.port), str(tmp_path / "x"), max_bytes=10_000_000, timeout_s=5)
    assert not (tmp_path / "x").exists()


def test_size_and_time_limits(server, tmp_path):
    allowed = frozenset({"127.0.0.1"})
    with pytest.raises(FetchRefused, match="larger than"):
        fetch_to_file(
            server.url("/photo.jpg"), str(tmp_path / "a"), max_bytes=100, timeout_s=10, allow_hosts=allowed
        )
    with pytest.raises(FetchRefused, match="larger than|timed out"):
        fetch_to_file(
            server.url("/endless"),
            str(tmp_path / "b"),
            max_bytes=2_000_000,
            timeout_s=10,
            allow_hosts=allowed,
        )
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()

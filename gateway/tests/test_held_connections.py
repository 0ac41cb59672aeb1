"""The cap on held notification connections (streams, waiting long-polls) per reader and per client IP."""

import pytest

from gateway.problems import ApiError
from gateway.routes.notify_citizen import HeldConnections


def test_a_reader_and_an_address_hold_at_most_their_caps_and_get_them_back():
    held = HeldConnections(per_reader=2, per_ip=3)
    held.acquire("reporter:a", "203.0.113.1")
    held.acquire("reporter:a", "203.0.113.1")
    with pytest.raises(ApiError) as err:
        held.acquire("reporter:a", "203.0.113.2")  # the same token from elsewhere: still that reader's
    assert err.value.code.value == "RATE_LIMITED" and err.value.headers["Retry-After"]
    held.acquire("reporter:b", "203.0.113.1")
    with pytest.raises(ApiError):
        held.acquire("follower:c", "203.0.113.1")  # the address is full
    held.release("reporter:a", "203.0.113.1")
    held.acquire("follower:c", "203.0.113.1")
    for reader in ("reporter:a", "reporter:b", "follower:c"):
        held.release(reader, "203.0.113.1")
    assert held.counts == {}

"""The TTL rule of kept answers (libs.platform.expiring) and the one role check (libs.platform.access)."""

from __future__ import annotations

import pytest

from libs.contracts.common import Actor
from libs.platform.access import ADMINISTRATORS, AGENCY_ROLES, OPERATORS, require_role
from libs.platform.errors import ServiceError
from libs.platform.expiring import Expiring


def kept(ttl_s: float, retry_s: float = 0.0):
    clock = [100.0]
    return Expiring(ttl_s, retry_s, clock=lambda: clock[0]), clock


def test_an_answer_is_fresh_for_the_ttl_then_due():
    cached, clock = kept(60)
    assert cached.due() and not cached.loaded
    cached.take({"A": 1})
    clock[0] += 59.9
    assert not cached.due() and cached.value == {"A": 1}
    clock[0] += 0.1
    assert cached.due() and cached.value == {"A": 1}  # stale, still served


def test_a_question_without_an_answer_is_asked_again_after_the_retry_bounded_by_the_ttl():
    cached, clock = kept(60, retry_s=15)
    cached.asking()
    assert not cached.due() and cached.value is None
    clock[0] += 15
    assert cached.due()
    short, clock = kept(5, retry_s=15)
    short.asking()
    clock[0] += 5
    assert short.due()


def test_without_a_retry_the_next_reader_asks_again():
    cached, _ = kept(60)
    cached.asking()
    assert cached.due()


@pytest.mark.parametrize(
    "role, roles, allowed",
    [
        ("operator", OPERATORS, True),
        ("administrator", OPERATORS, True),
        ("agency_officer", OPERATORS, False),
        ("agency_leader", AGENCY_ROLES, True),
        ("operator", AGENCY_ROLES, False),
        ("administrator", ADMINISTRATORS, True),
        ("operator", ADMINISTRATORS, False),
    ],
)
def test_a_role_outside_the_set_is_forbidden(role, roles, allowed):
    actor = Actor(sub="s-1", role=role, agency="UBND_18073" if role in AGENCY_ROLES else None)
    if allowed:
        assert require_role(actor, roles) is actor
    else:
        with pytest.raises(ServiceError) as refused:
            require_role(actor, roles, what="manage keys")
        assert (
            refused.value.code == "FORBIDDEN" and refused.value.detail == f"role {role} may not manage keys"
        )


def test_no_actor_is_unauthenticated_unless_an_internal_call_is_allowed():
    assert require_role(None, OPERATORS, internal_ok=True) is None
    with pytest.raises(ServiceError) as refused:
        require_role(None, OPERATORS)
    assert refused.value.code == "UNAUTHENTICATED" and refused.value.errors[0]["field"] == "actor"

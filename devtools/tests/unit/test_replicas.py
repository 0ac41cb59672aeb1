"""`make run`'s replicas (HT_REPLICAS): how many processes each service gets, and refusals naming the
entry."""

from __future__ import annotations

import pytest

from devtools import devstack


def test_replicas_default_to_one_process_per_service():
    assert devstack.replicas("") == {s: 1 for s in devstack.SERVICES}


def test_replicas_of_named_services():
    counts = devstack.replicas(" intake=2, routing=3 ")
    assert counts["intake"] == 2 and counts["routing"] == 3 and counts["notify"] == 1


@pytest.mark.parametrize("spec", ["intake", "intake=0", "intake=9", "intake=two", "gateway=2", "nobody=2"])
def test_a_wrong_entry_is_refused_by_name(spec):
    with pytest.raises(devstack.StackError, match=spec.split("=")[0]):
        devstack.replicas(spec)

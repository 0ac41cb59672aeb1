"""Fixtures of the cross-service rings."""

import pytest


@pytest.fixture
def rpc_e2e(system):
    """RPC into the running system (its own vhost), with a timeout."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": system.amqp_uri}, timeout=15) as proxy:
        yield proxy

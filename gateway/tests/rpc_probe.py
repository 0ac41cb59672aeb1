"""Run RpcClient failure scenarios in a clean interpreter (no eventlet) and print the outcome as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from gateway.rpc import RpcClient, RpcTimeout, RpcUnavailable


async def outcome(client: RpcClient, service: str, timeout: float) -> dict:
    started = time.monotonic()
    try:
        await client.call(service, "anything", timeout=timeout)
        kind = "answered"
    except RpcTimeout:
        kind = "timeout"
    except RpcUnavailable:
        kind = "unavailable"
    return {"kind": kind, "seconds": time.monotonic() - started}


async def main(amqp_uri: str, silent_service: str) -> None:
    results = {}
    client = RpcClient(amqp_uri, timeout=5)
    results["missing_service"] = await outcome(client, "no_such_service", 5)
    results["silent_service"] = await outcome(client, silent_service, 0.5)
    await client.close()
    dead = RpcClient("amqp://guest:guest@127.0.0.1:1/", timeout=1)
    results["dead_broker"] = await outcome(dead, "intake", 1)
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

"""Give an agency its queue on the agency exchange, and print how to create its broker user.

    python -m services.notify.provision UBND_18073 [--vhost /]

Declares `agency.<AGENCY>` bound with `case.*.<AGENCY>.#` on `agency.cases` (AMQP_URI, as notify uses), then
prints the rabbitmqctl lines for a user that may only read that queue (no configure, no write).
"""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import unquote, urlparse

from kombu import Connection

from .channels.amqp import broker_commands, provision


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("agency")
    parser.add_argument("--user", default=None)
    args = parser.parse_args(argv)
    uri = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    with Connection(uri, connect_timeout=10) as conn:
        queue = provision(conn, args.agency)
    vhost = unquote(urlparse(uri).path.lstrip("/")) or "/"
    print(f"queue {queue.name} bound to {queue.exchange.name} with {queue.routing_key}")
    for line in broker_commands(args.agency, vhost, args.user):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

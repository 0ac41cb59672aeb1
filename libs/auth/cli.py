"""Command line: `python -m libs.auth.cli mint --role agency_officer --agency UBND_18073 [--ttl 8h]`.

The signing key comes from HT_JWT_SECRET (never from an argument, so it stays out of shell history).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from libs.auth.tokens import STAFF_ROLES, AuthSettings, InvalidToken, mint, parse_ttl, verify


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m libs.auth.cli", description="Staff tokens for Hiện Trường"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("mint", help="print a signed staff token")
    m.add_argument("--role", required=True, choices=sorted(STAFF_ROLES))
    m.add_argument("--agency", help="agency code, required for agency roles (e.g. UBND_18073)")
    m.add_argument("--sub", default=None, help="staff subject id (default: cli:<user>)")
    m.add_argument("--ttl", default=None, help="lifetime such as 30m, 8h, 2d (default: HT_JWT_TTL or 8h)")
    v = sub.add_parser("verify", help="check a token and print its claims as JSON")
    v.add_argument("token")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (2 for a usage or configuration error)."""
    args = _parser().parse_args(argv)
    try:
        settings = AuthSettings()
    except ValidationError as exc:  # wraps WeakSigningKey or a bad HT_JWT_TTL
        print(f"configuration refused (HT_JWT_SECRET, HT_JWT_TTL): {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    try:
        if args.command == "verify":
            print(verify(args.token, settings.key).model_dump_json())
            return 0
        ttl = parse_ttl(args.ttl or settings.jwt_ttl)
        print(mint(args.sub or f"cli:{getpass.getuser()}", args.role, settings.key, args.agency, ttl))
        return 0
    except InvalidToken as exc:
        print(json.dumps({"error": exc.code, "reason": exc.reason}), file=sys.stderr)
        return 1
    except ValidationError as exc:  # role/agency combination
        print(f"error: {exc.errors()[0]['msg']}", file=sys.stderr)
    except ValueError as exc:  # bad ttl
        print(f"error: {exc}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

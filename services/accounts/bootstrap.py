"""`make admin`: create an administrator and print a one-time password (changed, and TOTP enrolled, at the
first sign-in). `--reset` gives an existing account a new one-time password instead.

    python -m services.accounts.bootstrap [--username admin] [--display-name "Quản trị hệ thống"] [--reset]

Uses DATABASE_URL (migrating the accounts schema first) and HT_ACCOUNTS_KEY, or the local keys in .run/ that
`make run` uses.
"""

from __future__ import annotations

import argparse
import os
import sys

import sqlalchemy as sa
from sqlalchemy.orm import Session

from libs.contracts.accounts import AccountCommand, CreateAccount
from libs.contracts.common import utcnow
from libs.platform import migrate
from libs.platform.errors import ServiceError

from .domain import passwords
from .settings import AccountsSettings
from .usecases import admin
from .usecases.signin import Ctx

ACTOR = {"sub": "make-admin", "role": "administrator"}


class LocalPasswords:
    """Hashing in this process (a command line has no event loop to protect)."""

    hash = staticmethod(passwords.hash_password)
    verify = staticmethod(passwords.verify_password)


class LocalUnit:
    """The unit of work the use cases expect, over one session."""

    def __init__(self, session: Session):
        self.session = session

    def execute(self, statement, params=None):
        return self.session.execute(statement, params)


def _checkout_key() -> str:
    """The key `make run` generated for this checkout (development only: images set HT_ACCOUNTS_KEY)."""
    from devtools import devstack

    return devstack.dev_secrets(devstack.ROOT / ".run" / "secrets.json")["HT_ACCOUNTS_KEY"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make admin", description="Create an administrator account")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--display-name", default="Quản trị hệ thống")
    parser.add_argument("--reset", action="store_true", help="new one-time password for an existing account")
    args = parser.parse_args(argv)
    url = migrate.database_url()
    migrate.ensure_database(url)
    migrate.upgrade("accounts", url)
    key = os.environ.get("HT_ACCOUNTS_KEY") or _checkout_key()
    engine = sa.create_engine(url, hide_parameters=True)
    try:
        with Session(engine) as session:
            ctx = Ctx(
                LocalUnit(session),
                AccountsSettings.from_config({"HT_ACCOUNTS_KEY": key}),
                LocalPasswords(),
                utcnow(),
            )
            if args.reset:
                done = admin.command(
                    ctx, AccountCommand(actor=ACTOR, username=args.username, action="reset_password")
                )
            else:
                done = admin.create(
                    ctx,
                    CreateAccount(
                        actor=ACTOR,
                        username=args.username,
                        display_name=args.display_name,
                        role="administrator",
                    ),
                )
            session.commit()
    except ServiceError as exc:
        hint = " (use --reset for a new one-time password)" if exc.code == "ACCOUNT_CONFLICT" else ""
        print(f"error: {exc.detail}{hint}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(
        f"administrator: {done.account.username}\none-time password: {done.one_time_password}\n"
        f"(sign in at /staff/: you will choose a new password and enrol an authenticator app)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

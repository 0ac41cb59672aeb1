"""Create the database and each service's schema, then run every service's Alembic migrations.

    python -m libs.platform.migrate            # all services
    python -m libs.platform.migrate intake     # one service
    python -m libs.platform.migrate --wait 600 # wait (≤ 600 s) until another process has migrated every
    service

`--wait` is what a new release's pods run before they start (Kubernetes init container): they need the schema
their code was written for, and the migration Job brings it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "routing", "media", "notify", "feedback", "accounts")
DEFAULT_DATABASE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/hientruong"


def database_url() -> str:
    """The URL every service uses (DATABASE_URL; unset: the local default, or this checkout's private
    cluster)."""
    from . import engines

    return os.environ.get("DATABASE_URL") or engines.tool_database_url(ROOT)


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it does not exist (connects to the server's `postgres` database)."""
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
            ).first()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def alembic_config(service: str, url: str):
    """The Alembic configuration of one service (its own script folder and version table)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "services" / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["schema"] = service
    return cfg


def upgrade(service: str, url: str | None = None) -> None:
    """Migrate one service's schema to head."""
    from alembic import command

    command.upgrade(alembic_config(service, url or database_url()), "heads")


def run_env(metadata: sa.MetaData) -> None:
    """Body of every service's `migrations/env.py`: online migrations inside the service's schema."""
    from alembic import context

    cfg = context.config
    schema = cfg.attributes["schema"]
    url = cfg.get_main_option("sqlalchemy.url")
    assert url, "alembic config without sqlalchemy.url"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, hide_parameters=True)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        conn.commit()
        context.configure(
            connection=conn,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, parent: type_ != "schema" or name == schema,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def missing_revisions(url: str) -> dict[str, set[str]]:
    """Per service, the head revisions of this code that its schema has not reached (empty when migrated)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, hide_parameters=True)
    missing = {}
    try:
        with engine.connect() as conn:
            for service in SERVICES:
                script = ScriptDirectory.from_config(alembic_config(service, url))
                current = MigrationContext.configure(
                    conn, opts={"version_table_schema": service}
                ).get_current_heads()
                reached = {r.revision for c in current for r in script.iterate_revisions(c, "base")}
                if gap := set(script.get_heads()) - reached:
                    missing[service] = gap
    finally:
        engine.dispose()
    return missing


def wait(url: str, timeout_s: float, poll_s: float = 2.0) -> int:
    """0 once every service's schema is at this code's heads; 3 after `timeout_s` (saying what is missing)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            missing = missing_revisions(url)
        except sa.exc.OperationalError as exc:  # the database is not up yet: keep waiting
            missing = {"database": {str(exc).splitlines()[0]}}
        if not missing:
            print("schema is migrated for every service")
            return 0
        if time.monotonic() > deadline:
            print(f"error: schema not migrated after {timeout_s:.0f} s: {missing}", file=sys.stderr)
            return 3
        time.sleep(poll_s)


def main(argv: list[str]) -> int:
    url = database_url()
    if argv[:1] == ["--wait"]:
        return wait(url, float(argv[1]) if len(argv) > 1 else 600.0)
    try:
        ensure_database(url)
    except sa.exc.OperationalError as exc:
        print(
            f"error: PostgreSQL is not reachable at {make_url(url).render_as_string()}: "
            f"start it or set DATABASE_URL ({str(exc).splitlines()[0]})",
            file=sys.stderr,
        )
        return 2
    for service in argv or SERVICES:
        upgrade(service, url)
        print(f"migrated {service}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Create the database and each service's schema, then run every service's Alembic migrations.

    python -m libs.platform.migrate            # all services
    python -m libs.platform.migrate intake     # one service
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "routing", "media", "notify", "feedback")
DEFAULT_DATABASE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/hientruong"


def database_url() -> str:
    """The URL every service uses (DATABASE_URL)."""
    return os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it does not exist (connects to the server's `postgres` database)."""
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": target.database}).first()
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
    engine = sa.create_engine(cfg.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        conn.commit()
        context.configure(connection=conn, target_metadata=metadata, version_table_schema=schema,
                          include_schemas=True,
                          include_name=lambda name, type_, parent: type_ != "schema" or name == schema)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def main(argv: list[str]) -> int:
    url = database_url()
    try:
        ensure_database(url)
    except sa.exc.OperationalError as exc:
        print(f"error: PostgreSQL is not reachable at {make_url(url).render_as_string()}: "
              f"start it or set DATABASE_URL ({str(exc).splitlines()[0]})", file=sys.stderr)
        return 2
    for service in argv or SERVICES:
        upgrade(service, url)
        print(f"migrated {service}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

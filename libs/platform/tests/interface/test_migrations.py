"""Each service's migrations produce exactly the tables its models declare (no drift), in its own schema."""

from __future__ import annotations

import importlib
import importlib.util

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from libs.platform.migrate import SERVICES

pytestmark = pytest.mark.interface
TABLE_MODULES = ("repository.models", "models")  # where a service declares its tables


def metadata_of(service: str) -> sa.MetaData:
    """The metadata of a service's tables."""
    for name in TABLE_MODULES:
        module = f"services.{service}.{name}"
        try:
            return importlib.import_module(module).metadata
        except ModuleNotFoundError as exc:
            if not module.startswith(exc.name or "?"):  # a missing import inside the module is an error
                raise
    raise LookupError(f"no table module of {service} ({', '.join(TABLE_MODULES)})")


def metadata_of(service: str) -> sa.MetaData:
    """A service's tables: `repository/models.py` (the common shape), else `models.py` (not moved yet)."""
    for name in (f"services.{service}.repository.models", f"services.{service}.models"):
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # `repository` is a module there, not a package
            found = False
        if found:
            return importlib.import_module(name).metadata
    raise LookupError(f"no models module in services.{service}")


@pytest.mark.parametrize("service", SERVICES)
def test_migrated_schema_matches_the_models(stack, service):
    metadata = metadata_of(service)
    with stack.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": True,
                "version_table_schema": service,
                "include_name": lambda name, type_, parent: type_ != "schema" or name == service,
            },
        )
        diff = compare_metadata(context, metadata)
    assert diff == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_table_lives_in_the_service_schema(stack, service):
    metadata = metadata_of(service)
    assert {t.schema for t in metadata.tables.values()} == {service}
    with stack.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names(schema=service))
    assert {t.name for t in metadata.tables.values()} | {"alembic_version"} == tables


def test_new_pods_wait_until_every_service_is_migrated(stack):
    """`migrate --wait` (the init container of every Deployment) returns only once the Job has migrated
    all."""
    from sqlalchemy.engine import make_url

    from devtools.testing import TEST_ID, fresh_database
    from libs.platform import migrate

    url = (
        make_url(stack.database_url)
        .set(database=f"hientruong_{TEST_ID}_wait")
        .render_as_string(hide_password=False)
    )
    fresh_database(url)
    migrate.upgrade("routing", url)
    assert set(migrate.missing_revisions(url)) == set(SERVICES) - {"routing"}
    assert migrate.wait(url, timeout_s=0.5, poll_s=0.1) == 3
    for service in SERVICES:
        migrate.upgrade(service, url)
    assert migrate.missing_revisions(url) == {}
    assert migrate.wait(url, timeout_s=0.5, poll_s=0.1) == 0
    assert migrate.wait(stack.database_url, timeout_s=0.5) == 0

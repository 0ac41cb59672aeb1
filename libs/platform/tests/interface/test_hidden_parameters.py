"""A failed statement is reported and logged without its parameters (personal data, secrets), on the engines
every service uses."""

from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa

from libs.platform.db import make_engine

pytestmark = pytest.mark.interface


def test_a_failed_statement_never_shows_its_parameters(stack, caplog):
    engine = make_engine(stack.database_url, pool_size=1)
    secret = f"0912{uuid.uuid4().int % 10**6:06d}"
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(sa.exc.DBAPIError) as failed:
            with engine.connect() as conn:
                conn.execute(
                    sa.text("SELECT CAST(:phone AS integer) + 9223372036854775807::bigint * 2"),
                    {"phone": secret},
                )
    finally:
        engine.dispose()
    logging.getLogger("probe").error(
        "statement failed: %s", failed.value
    )  # what a service's log line would say
    assert "hide_parameters" in str(failed.value) and secret not in str(failed.value)
    assert secret not in caplog.text

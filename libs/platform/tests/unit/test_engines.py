"""Which broker and database `make run` and `make test` use (libs/platform/engines.py), without starting any.

The private engines themselves are started, used, stopped and started again in
tests/e2e/test_bare_machine.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from libs.platform import engines


@pytest.fixture
def machine(monkeypatch, tmp_path):
    """A machine whose default ports answer or not; starting a private engine fails the test."""
    for name in ("AMQP_URI", "DATABASE_URL", "HT_PRIVATE_ENGINES", engines.CTL_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HT_RUN_DIR", str(tmp_path / "run"))

    def refuse(self):
        pytest.fail(f"{type(self).__name__} started")

    monkeypatch.setattr(engines.PrivatePostgres, "start", refuse)
    monkeypatch.setattr(engines.PrivateRabbit, "start", refuse)
    answering: set[int] = set()
    monkeypatch.setattr(engines, "port_open", lambda host, port, timeout=1.0: port in answering)
    return answering


def test_configured_services_are_used_as_given_even_when_they_do_not_answer(machine, monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqp://u:p@broker.example:5673/ht")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://ht@db.example:5433/ht")
    used = engines.resolve(Path("."))
    assert (used.amqp_uri, used.database_url) == (
        "amqp://u:p@broker.example:5673/ht",
        "postgresql+psycopg2://ht@db.example:5433/ht",
    )
    assert used.private == [] and used.broker.startswith("configured RabbitMQ broker.example:5673")
    assert used.database.startswith("configured PostgreSQL db.example:5433")


def test_local_defaults_are_used_when_they_answer(machine):
    machine.update({5672, 5432})
    used = engines.resolve(Path("."))
    assert used.amqp_uri == engines.DEFAULT_AMQP_URI and used.database_url == engines.DEFAULT_DATABASE_URL
    assert used.private == [] and used.broker.startswith("local RabbitMQ 127.0.0.1:5672")
    assert used.database.startswith("local PostgreSQL 127.0.0.1:5432")


def test_private_engines_can_be_switched_off(machine, monkeypatch):
    monkeypatch.setenv("HT_PRIVATE_ENGINES", "0")
    used = engines.resolve(Path("."))  # nothing answers, nothing is started: the launcher says so later
    assert used.private == [] and used.amqp_uri == engines.DEFAULT_AMQP_URI


@pytest.mark.parametrize("forced", [False, True])
def test_private_engines_when_nothing_answers_or_when_forced(machine, monkeypatch, forced):
    if forced:
        machine.update({5672, 5432})
        monkeypatch.setenv("HT_PRIVATE_ENGINES", "1")
        monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:1/")
    with pytest.raises(pytest.fail.Exception, match="PrivateRabbit started"):  # the broker is launched first
        engines.resolve(Path("."))


def test_commands_beside_make_run_find_its_private_database(machine, tmp_path, monkeypatch):
    """`make admin`, `make migrate`, `make backup` (migrate.database_url) reach the private cluster while it
    runs."""
    from libs.platform import migrate

    assert migrate.database_url() == engines.DEFAULT_DATABASE_URL  # nothing runs: the default, as before
    data = tmp_path / "run" / "pg" / "data"
    data.mkdir(parents=True)
    (data / "postmaster.pid").write_text(f"{os.getpid()}\n{data}\n0\n54321\n")  # a live postmaster
    assert migrate.database_url() == "postgresql+psycopg2://postgres@127.0.0.1:54321/hientruong"
    machine.add(5432)
    assert migrate.database_url() == engines.DEFAULT_DATABASE_URL  # the local default wins when it answers
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://ht@db.example/ht")
    assert migrate.database_url() == "postgresql+psycopg2://ht@db.example/ht"

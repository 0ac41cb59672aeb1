"""Request ids, log lines and state gauges: pure logic, no broker or database."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from libs.platform import correlation, logs, probes, relay


@pytest.mark.parametrize(
    "given, kept",
    [
        ("support-ticket-42", True),
        ("a" * 128, True),
        ("2f1d0c8e:req@gw.1", True),
        ("a" * 129, False),
        ("has space", False),
        ("", False),
        (None, False),
        ("newline\ninjected", False),
        ('quote"d', False),
    ],
)
def test_a_sane_request_id_is_kept_anything_else_replaced(given, kept):
    got = correlation.accept(given)
    assert (got == given) is kept
    if not kept:
        assert len(got) == 32 and int(got, 16) >= 0


def test_fresh_ids_differ():
    assert len({correlation.new_request_id() for _ in range(1000)}) == 1000


def record(msg: str = "report %s routed", args: tuple = ("HT-1",), exc=None) -> logging.LogRecord:
    return logging.LogRecord("services.routing.usecases.flow", logging.INFO, __file__, 1, msg, args, exc)


def test_log_lines_carry_the_ids_of_the_work_in_hand():
    correlation.request_id.set("req-1")
    correlation.bind_report("4d4a736c-dcc9-42fe-876e-bfd8c12260dd")
    try:
        doc = json.loads(logs.formatter("routing", "json").format(record()))
        text = logs.formatter("routing", "text").format(record())
    finally:
        correlation.request_id.set(None)
        correlation.bind_report(None)
    assert doc["msg"] == "report HT-1 routed" and doc["service"] == "routing" and doc["level"] == "INFO"
    assert doc["request_id"] == "req-1" and doc["report_id"] == "4d4a736c-dcc9-42fe-876e-bfd8c12260dd"
    assert text.endswith(
        "routing INFO services.routing.usecases.flow: report HT-1 routed "
        "[req=req-1 report=4d4a736c-dcc9-42fe-876e-bfd8c12260dd]"
    )


def test_a_traceback_stays_below_the_tagged_line_and_inside_the_json_object():
    correlation.request_id.set("req-2")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        exc = sys.exc_info()
    try:
        text = logs.formatter("intake", "text").format(record("failed", (), exc))
        doc = json.loads(logs.formatter("intake", "json").format(record("failed", (), exc)))
    finally:
        correlation.request_id.set(None)
    first, *rest = text.splitlines()
    assert first.endswith("failed [req=req-2]") and rest[-1] == "ValueError: boom"
    assert doc["exc"].endswith("ValueError: boom") and doc["request_id"] == "req-2"


def test_without_ids_the_line_is_plain():
    assert not logs.formatter("media", "text").format(record()).endswith("]")
    assert "request_id" not in json.loads(logs.formatter("media", "json").format(record()))


def test_relayed_events_carry_the_request_id_as_nameko_context_data():
    assert relay.headers("report.routed", "req-3") == {
        "event_type": "report.routed",
        "nameko.request_id": "req-3",
    }
    assert relay.headers("report.routed", None) == {"event_type": "report.routed"}


def test_state_gauges_keep_their_last_values_and_say_when_a_read_failed():
    collector = probes.StateCollector(ttl_s=0)
    answers = [[probes.Sample("ht_outbox_backlog", {"service": "intake"}, 7)]]

    def read(now: datetime):
        assert now.tzinfo is UTC
        if not answers:
            raise ConnectionError("database unreachable")
        return answers.pop()

    collector.add("intake", "database", read)
    first = {f.name: f.samples for f in collector.collect()}
    second = {f.name: f.samples for f in collector.collect()}
    assert first["ht_outbox_backlog"][0].value == second["ht_outbox_backlog"][0].value == 7
    assert first["ht_metrics_probe_up"][0].value == 1 and second["ht_metrics_probe_up"][0].value == 0
    collector.remove("intake")
    assert list(collector.collect()) == []

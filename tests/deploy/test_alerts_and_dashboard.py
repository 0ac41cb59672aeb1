"""Alert rules load and behave (promtool from Debian's prometheus package), and name only metrics we
export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from .manifests import DEPLOY, load_yaml

OBSERVABILITY = DEPLOY / "observability"
RULES = OBSERVABILITY / "alerts.yml"
DASHBOARD = OBSERVABILITY / "grafana" / "dashboards" / "hientruong.json"
FROM_PROMETHEUS = {"up"}  # series Prometheus makes itself
METRIC = re.compile(r"\b(ht_[a-z0-9_]+|up)\b(?!\s*\()")  # a metric, not a function such as `up(`


def promtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool", path=str(Path(sys.executable).parent)) or shutil.which("promtool")
    assert tool, (
        "promtool is installed by `make install` (scripts/promtool.sh, from Debian's prometheus package)"
    )
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=120, cwd=OBSERVABILITY)


def exported_names() -> set[str]:
    """Every sample name the code exports: its counters, histograms and scrape-time gauges."""
    import gateway.observability  # noqa: F401  (registers the gateway's families)
    import libs.platform.telemetry  # noqa: F401
    from libs.platform.metrics import STATE_GAUGES

    names = set(STATE_GAUGES)
    for family in REGISTRY.collect():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}.get(
            family.type, ("",)
        )
        names |= {family.name + s for s in suffixes}
    return names


def rule_exprs() -> list[str]:
    return [r["expr"] for g in load_yaml(RULES.read_text())["groups"] for r in g["rules"]]


def dashboard_exprs() -> list[str]:
    doc = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in doc["panels"] for t in p.get("targets", [])]


def test_promtool_loads_the_rules():
    done = promtool("check", "rules", RULES.name)
    assert done.returncode == 0 and "SUCCESS" in done.stdout, done.stdout + done.stderr


def test_each_alert_fires_on_its_situation_and_not_before():
    done = promtool("test", "rules", "alerts.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_rules_cover_what_operators_must_hear_about():
    alerts = {r["alert"] for g in load_yaml(RULES.read_text())["groups"] for r in g["rules"]}
    assert {
        "OutboxBacklogGrowing",
        "OutboxStuck",
        "EventsParked",
        "DeliveriesParked",
        "OverdueCasesRising",
        "ServiceHasNoConsumers",
        "HighErrorRate",
        "HighLatencyP99",
    } <= alerts
    tested = {
        t["alertname"]
        for case in load_yaml((OBSERVABILITY / "alerts.test.yml").read_text())["tests"]
        for t in case["alert_rule_test"]
    }
    assert {
        "OutboxBacklogGrowing",
        "EventsParked",
        "DeliveriesParked",
        "OverdueCasesRising",
        "ServiceHasNoConsumers",
        "HighErrorRate",
        "HighLatencyP99",
    } <= tested


@pytest.mark.parametrize("source", ["alerts", "dashboard"])
def test_every_metric_named_is_exported(source):
    exprs = rule_exprs() if source == "alerts" else dashboard_exprs()
    named = {m for e in exprs for m in METRIC.findall(e)}
    assert named and named - FROM_PROMETHEUS <= exported_names(), named - FROM_PROMETHEUS - exported_names()


def test_the_dashboard_is_a_grafana_dashboard_provisioned_from_its_folder():
    doc = json.loads(DASHBOARD.read_text())
    assert doc["uid"] and doc["schemaVersion"] >= 36 and doc["panels"]
    assert len({p["id"] for p in doc["panels"]}) == len(doc["panels"])
    for panel in doc["panels"]:
        assert panel["type"] == "row" or panel["targets"], panel["title"]
    provider = load_yaml((OBSERVABILITY / "grafana/provisioning/dashboards/hientruong.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"

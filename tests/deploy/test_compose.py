"""The compose file against the Compose specification's JSON schema (vendored by check-jsonschema on PyPI)."""

from __future__ import annotations

import copy
import json
from importlib import resources

import jsonschema
import pytest

from devtools.devstack import SERVICES

from .manifests import DEPLOY, load_yaml

COMPOSE = DEPLOY / "compose" / "docker-compose.yml"


def schema() -> dict:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(vendored.read_text())


def compose() -> dict:
    return load_yaml(COMPOSE.read_text())


def test_compose_file_is_valid_against_the_compose_specification():
    jsonschema.validate(compose(), schema())


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c["services"]["gateway"].update(port=["8000:8000"]),  # a typo of `ports`
        lambda c: c["services"]["intake"].update(depends_on={"migrate": {"condition": "service_finished"}}),
    ],
)
def test_the_schema_refuses_a_broken_compose_file(mutate):
    broken = copy.deepcopy(compose())
    mutate(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema())


@pytest.mark.parametrize("service", SERVICES)
def test_services_scale_without_fixed_host_ports_and_report_health(service):
    spec = compose()["services"][service]
    assert "ports" not in spec and "container_name" not in spec  # `--scale` needs neither
    env = spec["environment"]
    assert env["METRICS_PORT"] == "9100" and env["METRICS_HOST"] == "0.0.0.0" and env["LOG_FORMAT"] == "json"
    assert "9100/health/live" in " ".join(spec["healthcheck"]["test"])


def test_observability_profile_mounts_the_rules_and_dashboards():
    services = compose()["services"]
    assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["observability"]
    mounts = " ".join(services["prometheus"]["volumes"] + services["grafana"]["volumes"])
    for path in (
        "observability/prometheus.yml",
        "observability/alerts.yml",
        "observability/grafana/dashboards",
    ):
        assert f"../{path}" in mounts and (DEPLOY / path).exists()

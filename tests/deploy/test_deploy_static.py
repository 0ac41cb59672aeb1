"""deploy/ is checked statically (no Docker engine here): it must start what the code defines, as `make run`
does."""

from __future__ import annotations

import re

import pytest

from devtools.devstack import ROOT, SERVICES, service_entry

from .manifests import k8s_name, load_yaml, load_yaml_all

DEPLOY = ROOT / "deploy"
ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)(?::[^}]*)?\}")


def compose() -> dict:
    return load_yaml((DEPLOY / "compose" / "docker-compose.yml").read_text())


def k8s_docs() -> list[dict]:
    docs = []
    for name in load_yaml((DEPLOY / "k8s" / "kustomization.yaml").read_text())["resources"]:
        docs += [d for d in load_yaml_all((DEPLOY / "k8s" / name).read_text()) if d]
    return docs


def config_vars(service: str) -> set[str]:
    return set(ENV_REF.findall((ROOT / service_entry(service)[0]).read_text())) - {"LOG_LEVEL", "MAX_WORKERS"}


def expected_command(service: str) -> list[str]:
    return ["nameko", "run", "--config", *service_entry(service)]


@pytest.mark.parametrize("service", SERVICES)
def test_compose_runs_each_service_like_make_run(service):
    spec = compose()["services"][service]
    assert spec["command"] == expected_command(service)
    assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("service", SERVICES)
def test_compose_provides_every_setting_without_a_safe_default(service):
    spec = compose()["services"][service]
    provided = set(spec["environment"]) | {
        k.split("=")[0]
        for k in (DEPLOY / "compose" / ".env.example").read_text().split()
        if "=" in k and not k.startswith("#")
    }
    needed = {"AMQP_URI", "DATABASE_URL"} | (
        config_vars(service)
        & {
            "HT_SEAL_KEY",
            "HT_TOKEN_KEY",
            "HT_ACCOUNTS_KEY",
            "HT_GRANT_KEY",
            "S3_ENDPOINT",
            "S3_ACCESS_KEY",
            "S3_SECRET_KEY",
        }
    )
    assert needed <= provided


def test_compose_has_the_engines_the_gateway_and_the_migration():
    services = compose()["services"]
    assert {"rabbitmq", "postgres", "minio", "migrate", "gateway"} <= services.keys()
    assert services["gateway"]["command"] == ["python", "-m", "gateway.app"]
    assert "libs.platform.migrate" in services["migrate"]["command"][-1]
    assert "services.routing.seed" in services["migrate"]["command"][-1]


@pytest.mark.parametrize("service", SERVICES)
def test_k8s_deploys_each_service_with_config_and_secrets(service):
    [deployment] = [
        d for d in k8s_docs() if d["kind"] == "Deployment" and d["metadata"]["name"] == k8s_name(service)
    ]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"] == expected_command(service)
    refs = {next(iter(r.values()))["name"] for r in container["envFrom"]}
    assert refs == {"hientruong-config", "hientruong-secrets"}
    assert any(
        d["kind"] == "HorizontalPodAutoscaler" and d["metadata"]["name"] == k8s_name(service)
        for d in k8s_docs()
    )


def test_k8s_config_and_secret_carry_every_setting():
    docs = k8s_docs()
    keys = set()
    for d in docs:
        if d["kind"] in ("ConfigMap", "Secret"):
            keys |= set(d.get("data", {})) | set(d.get("stringData", {}))
    needed = {
        "AMQP_URI",
        "DATABASE_URL",
        "HT_SEAL_KEY",
        "HT_TOKEN_KEY",
        "HT_JWT_SECRET",
        "HT_ACCOUNTS_KEY",
        "HT_GRANT_KEY",
        "S3_ENDPOINT",
        "S3_ACCESS_KEY",
        "S3_SECRET_KEY",
        "S3_BUCKET",
    }
    assert needed <= keys
    assert any(d["kind"] == "Job" for d in docs) and any(d["kind"] == "Service" for d in docs)


def test_dockerfile_installs_every_requirements_file():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    included = re.findall(r"^-r (\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    for path in included:
        assert f"COPY {path} " in dockerfile, path
    assert "ffmpeg" in dockerfile
    assert int(re.search(r"setuptools==(\d+)\.", dockerfile).group(1)) < 81  # nameko imports pkg_resources

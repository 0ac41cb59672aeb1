"""Kubernetes manifests: valid against their schemas, and what running this system needs is there."""

from __future__ import annotations

import copy
import re

import pytest

from devtools.devstack import SERVICES
from libs.platform import topology

from .manifests import K8S, all_docs, app_docs, docs_of, k8s_files, k8s_name, load_yaml, validate

DEPLOYMENTS = (*map(k8s_name, SERVICES), "gateway")


@pytest.mark.parametrize("path", k8s_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_document_is_valid_against_its_schema(path):
    for doc in docs_of(path):
        validate(doc)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["spec"]["template"]["spec"]["containers"][0].update(livenesProbe={}),  # a typo
        lambda d: d["spec"].update(replicas="two"),
        lambda d: d["spec"]["template"]["spec"]["containers"][0].update(ports=[{"containerPort": "http"}]),
        lambda d: d["spec"]["template"]["spec"].pop("containers"),
    ],
    ids=["unknown-field", "wrong-type", "port-not-a-number", "no-containers"],
)
def test_the_validation_refuses_a_broken_deployment(mutate):
    doc = copy.deepcopy(next(d for d in app_docs() if d["kind"] == "Deployment"))
    mutate(doc)
    with pytest.raises(Exception):  # noqa: B017 (any schema error: the validators raise their own types)
        validate(doc)


@pytest.mark.parametrize(
    "kind, mutate",
    [
        ("RabbitmqCluster", lambda d: d["spec"].update(replica=3)),
        ("Cluster", lambda d: d["spec"].update(instances="3")),
        ("ScheduledBackup", lambda d: d["spec"].update(schedule="0 2 * * *")),  # five fields: CNPG wants six
        ("ScaledObject", lambda d: d["spec"].update(minReplicaCont=1)),
        ("PodMonitor", lambda d: d["spec"]["podMetricsEndpoints"][0].update(intervall="15s")),
    ],
)
def test_the_validation_refuses_a_broken_operator_resource(kind, mutate):
    doc = copy.deepcopy(next(d for d in all_docs() if d["kind"] == kind))
    mutate(doc)
    with pytest.raises(Exception):  # noqa: B017 (any schema error: the validators raise their own types)
        validate(doc)


def by_kind(kind: str, docs=None) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in (docs or app_docs()) if d["kind"] == kind}


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_each_deployment_has_probes_resources_a_budget_and_an_autoscaler(name):
    deployment = by_kind("Deployment")[name]
    pod = deployment["spec"]["template"]["spec"]
    for container in pod["containers"] + pod.get("initContainers", []):
        assert {"requests", "limits"} <= container["resources"].keys(), container["name"]
        assert {"cpu", "memory"} <= container["resources"]["limits"].keys(), container["name"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
    [main] = pod["containers"]
    assert {"livenessProbe", "readinessProbe", "startupProbe"} <= main.keys()
    port = 8000 if name == "gateway" else 9100
    assert {p["name"]: p["containerPort"] for p in main["ports"]}[
        main["livenessProbe"]["httpGet"]["port"]
    ] == port
    assert pod["securityContext"]["runAsNonRoot"] is True
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    budgets = [
        b
        for b in by_kind("PodDisruptionBudget").values()
        if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]
    assert len(budgets) == 1 and deployment["spec"]["replicas"] >= 2
    assert by_kind("HorizontalPodAutoscaler")[name]["spec"]["scaleTargetRef"]["name"] == name


@pytest.mark.parametrize("name", [k8s_name(s) for s in SERVICES])
def test_services_probe_the_telemetry_port(name):
    [main] = by_kind("Deployment")[name]["spec"]["template"]["spec"]["containers"]
    assert main["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert main["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    config = by_kind("ConfigMap")["hientruong-config"]["data"]
    assert config["METRICS_PORT"] == "9100" and config["METRICS_HOST"] == "0.0.0.0"
    assert config["LOG_FORMAT"] == "json"


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_new_versions_wait_for_the_migration_job(name):
    pod = by_kind("Deployment")[name]["spec"]["template"]["spec"]
    [wait] = pod["initContainers"]
    assert wait["command"] == ["python", "-m", "libs.platform.migrate", "--wait", "600"]
    assert wait["image"] == pod["containers"][0]["image"] == "hientruong"
    job = by_kind("Job")["hientruong-migrate"]
    assert "libs.platform.migrate" in job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert job["spec"]["ttlSecondsAfterFinished"] > 0  # the next release's apply creates it anew


def test_network_policies_let_only_the_gateway_in_and_services_reach_only_the_engines():
    policies = by_kind("NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert (
        deny["podSelector"] == {}
        and set(deny["policyTypes"]) == {"Ingress", "Egress"}
        and "ingress" not in deny
    )
    open_to_all = [
        p for p in policies.values() for rule in p["spec"].get("ingress", []) if "from" not in rule
    ]
    assert [p["metadata"]["name"] for p in open_to_all] == ["gateway-from-outside"]
    assert open_to_all[0]["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "gateway"}
    reached = {}
    for rule in policies["egress-to-engines"]["spec"]["egress"]:
        [peer] = rule["to"]
        reached[peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]] = {
            p["port"] for p in rule["ports"]
        }
    assert reached == {"kube-system": {53}, "rabbitmq": {5672}, "postgres": {5432}, "minio": {9000}}
    outside = policies["notify-to-agencies"]["spec"]
    assert outside["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "notify"}
    assert "10.0.0.0/8" in outside["egress"][0]["to"][0]["ipBlock"]["except"]


def test_keda_scales_each_consumer_on_exactly_its_queues():
    docs = docs_of(K8S / "keda" / "scaled-objects.yaml")
    scaled = by_kind("ScaledObject", docs)
    assert set(scaled) == set(map(k8s_name, SERVICES))
    for service in SERVICES:
        so = scaled[k8s_name(service)]
        queues = {t["metadata"]["queueName"] for t in so["spec"]["triggers"] if t["type"] == "rabbitmq"}
        expected = {f"rpc-{service}"} | {s.queue_name for s in topology.SUBSCRIPTIONS if s.service == service}
        assert queues == expected
        assert any(t["type"] == "cpu" for t in so["spec"]["triggers"])
    overlay = load_yaml((K8S / "keda" / "kustomization.yaml").read_text())
    removed = {load_yaml(p["patch"])["metadata"]["name"] for p in overlay["patches"]}
    assert removed == set(map(k8s_name, SERVICES))  # KEDA owns their HPAs: ours would fight it


def test_engines_are_declared_for_their_operators():
    engines = [
        d for p in (K8S / "engines").glob("*.yaml") if p.name != "kustomization.yaml" for d in docs_of(p)
    ]
    [rabbit] = by_kind("RabbitmqCluster", engines).values()
    assert (
        rabbit["spec"]["replicas"] == 3
        and "default_queue_type = quorum" in rabbit["spec"]["rabbitmq"]["additionalConfig"]
    )
    assert by_kind("Vhost", engines)["hientruong"]["spec"]["defaultQueueType"] == "quorum"
    [pg] = by_kind("Cluster", engines).values()
    [plugin] = pg["spec"]["plugins"]
    store = by_kind("ObjectStore", engines)[plugin["parameters"]["barmanObjectName"]]
    assert plugin["isWALArchiver"] and store["spec"]["configuration"]["destinationPath"].startswith("s3://")
    assert (
        by_kind("ScheduledBackup", engines)["postgres-nightly"]["spec"]["cluster"]["name"]
        == pg["metadata"]["name"]
    )
    minio = by_kind("StatefulSet", engines)["minio"]
    assert (
        minio["spec"]["replicas"] == 4
        and "{0...3}" in minio["spec"]["template"]["spec"]["containers"][0]["args"][1]
    )


def test_every_kustomization_lists_files_that_exist():
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = load_yaml(kustomization.read_text())
        for resource in spec["resources"]:
            assert (kustomization.parent / resource).exists(), (kustomization, resource)
    listed = {K8S / r for r in load_yaml((K8S / "kustomization.yaml").read_text())["resources"]}
    assert {p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml"} == listed


def test_config_points_at_the_engines_declared_here():
    config = by_kind("ConfigMap")["hientruong-config"]["data"]
    secret = by_kind("Secret")["hientruong-secrets"]["stringData"]
    assert re.search(r"@rabbitmq\.rabbitmq\.svc:5672/hientruong$", secret["AMQP_URI"])
    assert "@postgres-rw.postgres.svc:5432/hientruong" in secret["DATABASE_URL"]
    assert config["S3_ENDPOINT"] == "http://minio.minio.svc:9000"

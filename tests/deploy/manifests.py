"""Reading deploy/: Kubernetes documents by file, the compose file, and validators of each kind of document.

Native Kubernetes kinds are validated against the OpenAPI schemas of a pinned Kubernetes version
(`kubernetes-validate`, strict: unknown fields are errors). KEDA and Prometheus Operator resources go through
their models generated from the CRDs (`cloudcoil-models-*`): types checked, and a round trip that loses a
field means the field is unknown. RabbitMQ and CloudNativePG resources have no CRD on any package registry:
they are checked against hand-written subsets (`crd_subsets.yaml`, which says so)."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

from devtools.devstack import ROOT

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
K8S_VERSION = "1.32.0"  # the oldest minor we support; bump with the clusters we run on


def _loader() -> type:
    """PyYAML's safe loader without the `${VAR:default}` resolver nameko adds to it once any test loaded a
    service config (compose files use `${VAR:-default}` for compose, not for us)."""

    class Plain(yaml.SafeLoader):
        pass

    Plain.yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "!env_var"] for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Plain


def load_yaml(text: str):
    """One YAML document, read as a deployment tool reads it."""
    return yaml.load(text, Loader=_loader())  # noqa: S506 (a safe loader)


def load_yaml_all(text: str) -> list:
    return list(yaml.load_all(text, Loader=_loader()))  # noqa: S506


def k8s_name(service: str) -> str:
    """A service's Kubernetes name (DNS labels have no underscore: intake_reads → intake-reads)."""
    return service.replace("_", "-")


SUBSETS = load_yaml((Path(__file__).parent / "crd_subsets.yaml").read_text())


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


def docs_of(path: Path) -> list[dict]:
    return [d for d in load_yaml_all(path.read_text()) if d]


def all_docs() -> list[dict]:
    return [d for p in k8s_files() for d in docs_of(p)]


def app_docs() -> list[dict]:
    """The documents of the application kustomization (deploy/k8s, not its overlays)."""
    kustomization = load_yaml((K8S / "kustomization.yaml").read_text())
    return [d for name in kustomization["resources"] for d in docs_of(K8S / name)]


def _model(kind: str):
    from cloudcoil.models.keda.v1alpha1 import ScaledObject, TriggerAuthentication
    from cloudcoil.models.prometheus_operator.v1 import PodMonitor, PrometheusRule, ServiceMonitor

    return {
        "ScaledObject": ScaledObject,
        "TriggerAuthentication": TriggerAuthentication,
        "PodMonitor": PodMonitor,
        "ServiceMonitor": ServiceMonitor,
        "PrometheusRule": PrometheusRule,
    }.get(kind)


def validate(doc: dict) -> str:
    """Validate one document; returns how ('openapi', 'model', 'subset'); raises on an invalid document."""
    key = f"{doc['apiVersion']}/{doc['kind']}"
    if key in SUBSETS["resources"]:
        schema = {**SUBSETS["resources"][key], "definitions": SUBSETS["definitions"]}
        jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
        return "subset"
    model = _model(doc["kind"])
    if model is not None and doc["apiVersion"] in ("keda.sh/v1alpha1", "monitoring.coreos.com/v1"):
        back = model.model_validate(doc).model_dump(by_alias=True, exclude_unset=True, mode="json")
        if back != doc:
            raise ValueError(
                f"{key} {doc['metadata']['name']}: unknown or mistyped fields (round trip: {back})"
            )
        return "model"
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)  # may raise SchemaNotFoundError
    return "openapi"

"""The Kustomize base in deploy/k8s: valid Kubernetes objects that fit the services.

Built-in kinds are checked against the official OpenAPI-derived JSON schemas bundled in the
kubernetes-validate package (offline, strict: unknown fields fail). KEDA's CRDs have no JSON
schema in a PyPI or npm package (npm's @kubernetes-models/keda ships compiled validators only),
so ScaledObject and TriggerAuthentication are checked against the minimal hand-written schemas
below, written from keda.sh/docs (v2.x) and the redis-streams scaler's metadata.
"""

import copy
import shutil
import subprocess

import jsonschema
import kubernetes_validate
import pytest
import yaml

from newswire_cli.stack import REPO_ROOT
from newswire_common.streams import STAGES

K8S_DIR = REPO_ROOT / "deploy/k8s"
K8S_VERSION = "1.31.0"
SERVICES = ("ingest", "clean", "enrich", "index", "search")
HTTP_SERVICES = ("ingest", "search")
CONTAINER_PORT = 8080
SETTINGS_FILE = REPO_ROOT / "libs/common/newswire_common/settings.py"

_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_NAME_REF = {"type": "object", "required": ["name"],
             "properties": {"name": {"type": "string", "minLength": 1},
                            "kind": {"enum": ["TriggerAuthentication",
                                              "ClusterTriggerAuthentication"]}},
             "additionalProperties": False}
_METADATA = {"type": "object", "required": ["name"],
             "properties": {"name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                            "namespace": {"type": "string"}, "labels": _STRING_MAP,
                            "annotations": _STRING_MAP}}
SCALED_OBJECT_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": _METADATA,
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {
                    "type": "object", "required": ["name"], "additionalProperties": False,
                    "properties": {"name": {"type": "string"}, "kind": {"type": "string"},
                                   "apiVersion": {"type": "string"},
                                   "envSourceContainerName": {"type": "string"}}},
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "initialCooldownPeriod": {"type": "integer", "minimum": 0},
                "idleReplicaCount": {"type": "integer", "minimum": 0},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "fallback": {"type": "object"},
                "advanced": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        "restoreToOriginalReplicaCount": {"type": "boolean"},
                        "scalingModifiers": {"type": "object"},
                        "horizontalPodAutoscalerConfig": {
                            "type": "object", "additionalProperties": False,
                            "properties": {"name": {"type": "string"},
                                           "behavior": {"type": "object"}}}}},
                "triggers": {
                    "type": "array", "minItems": 1,
                    "items": {
                        "type": "object", "required": ["type", "metadata"],
                        "additionalProperties": False,
                        "properties": {"type": {"type": "string"}, "name": {"type": "string"},
                                       "metadata": _STRING_MAP,  # KEDA: map[string]string
                                       "authenticationRef": _NAME_REF,
                                       "metricType": {"enum": ["AverageValue", "Value",
                                                               "Utilization"]},
                                       "useCachedMetrics": {"type": "boolean"}}}},
            },
        },
    },
}
TRIGGER_AUTH_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "TriggerAuthentication"},
        "metadata": _METADATA,
        "spec": {"type": "object", "properties": {"secretTargetRef": {
            "type": "array", "minItems": 1,
            "items": {"type": "object", "required": ["parameter", "name", "key"],
                      "additionalProperties": False,
                      "properties": {"parameter": {"type": "string"}, "name": {"type": "string"},
                                     "key": {"type": "string"}}}}}},
    },
}
#: redis-streams metadata keys (keda.sh/docs/2.x/scalers/redis-streams).
REDIS_STREAMS_KEYS = {"address", "addressFromEnv", "host", "hostFromEnv", "port", "portFromEnv",
                      "usernameFromEnv", "passwordFromEnv", "stream", "consumerGroup",
                      "pendingEntriesCount", "streamLength", "lagCount", "activationLagCount",
                      "databaseIndex", "enableTLS", "unsafeSsl"}


def load_kustomization() -> dict:
    return yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())


def render() -> list[dict]:
    """What `kubectl kustomize` would emit, for the parts this base uses: resources, the
    namespace, common labels and image overrides."""
    kustomization = load_kustomization()
    docs: list[dict] = []
    for resource in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S_DIR / resource).read_text()) if d]
    images = {i["name"]: f"{i['newName']}:{i['newTag']}" for i in kustomization.get("images", [])}
    labels = {k: v for entry in kustomization.get("labels", []) for k, v in entry["pairs"].items()}
    for doc in docs:
        if doc["kind"] != "Namespace":
            doc["metadata"]["namespace"] = kustomization["namespace"]
        doc["metadata"].setdefault("labels", {}).update(labels)
        for container in containers_of(doc):
            container["image"] = images.get(container["image"], container["image"])
    return docs


def containers_of(doc: dict) -> list[dict]:
    if doc["kind"] != "Deployment":
        return []
    return doc["spec"]["template"]["spec"]["containers"]


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    return render()


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.fixture(scope="module")
def secret_template() -> dict:
    return yaml.safe_load((K8S_DIR / "secret.template.yaml").read_text())


def test_every_builtin_object_matches_the_kubernetes_schema(objects, secret_template):
    builtin = [o for o in objects if not o["apiVersion"].startswith("keda.sh/")]
    assert {o["kind"] for o in builtin} == {"Namespace", "ConfigMap", "Deployment", "Service"}
    for obj in [*builtin, secret_template]:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_the_schema_check_rejects_a_broken_deployment(objects):
    broken = copy.deepcopy(by_kind(objects, "Deployment")["newswire-ingest"])
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["pathh"] = "/"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_keda_objects_match_their_schemas(objects):
    scaled = by_kind(objects, "ScaledObject")
    auths = by_kind(objects, "TriggerAuthentication")
    assert scaled and auths
    for obj in scaled.values():
        jsonschema.validate(obj, SCALED_OBJECT_SCHEMA)
    for obj in auths.values():
        jsonschema.validate(obj, TRIGGER_AUTH_SCHEMA)
    bad = copy.deepcopy(next(iter(scaled.values())))
    bad["spec"]["triggers"][0]["metadata"]["lagCount"] = 50  # KEDA wants strings
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCALED_OBJECT_SCHEMA)


def test_one_deployment_per_service_with_probes_and_resources(objects):
    deployments = by_kind(objects, "Deployment")
    assert set(deployments) == {f"newswire-{s}" for s in SERVICES}
    for service in SERVICES:
        pod = deployments[f"newswire-{service}"]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["image"].startswith("registry.example.com/newswire:")
        assert container["args"][:2] == ["serve", service]
        assert container["args"][container["args"].index("--host") + 1] == "0.0.0.0"
        assert container["args"][container["args"].index("--port") + 1] == str(CONTAINER_PORT)
        assert [p["containerPort"] for p in container["ports"]] == [CONTAINER_PORT]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        for probe in ("livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["port"] in ("http", CONTAINER_PORT)
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), (service, kind)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        sources = {next(iter(k for k in s if k.endswith("Ref"))): next(iter(s.values()))["name"]
                   for s in container["envFrom"]}
        assert sources == {"configMapRef": "newswire-settings", "secretRef": "newswire-secrets"}


def test_http_services_expose_ingest_and_search(objects):
    services = by_kind(objects, "Service")
    deployments = by_kind(objects, "Deployment")
    assert set(services) == {f"newswire-{s}" for s in HTTP_SERVICES}
    for name, service in services.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
        assert service["spec"]["ports"][0]["targetPort"] in ("http", CONTAINER_PORT)


def test_workers_scale_with_their_consumer_groups_backlog(objects):
    scaled = by_kind(objects, "ScaledObject")
    deployments = by_kind(objects, "Deployment")
    config = by_kind(objects, "ConfigMap")["newswire-settings"]["data"]
    auth = by_kind(objects, "TriggerAuthentication")
    expected = {f"newswire-{stage}": (str(stream), str(group))
                for stage, (stream, group, _) in STAGES.items()}
    assert set(scaled) == set(expected)
    for name, obj in scaled.items():
        spec = obj["spec"]
        assert spec["scaleTargetRef"]["name"] == name and name in deployments
        # KEDA owns the replica count; a fixed one would fight the HPA on every apply.
        assert "replicas" not in deployments[name]["spec"]
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        (trigger,) = spec["triggers"]
        meta = trigger["metadata"]
        assert trigger["type"] == "redis-streams"
        assert set(meta) <= REDIS_STREAMS_KEYS
        assert (meta["stream"], meta["consumerGroup"]) == expected[name]
        assert int(meta["lagCount"]) > 0 or int(meta.get("pendingEntriesCount", 0)) > 0
        assert meta["addressFromEnv"] in config
        assert trigger["authenticationRef"]["name"] in auth


def test_settings_and_secret_template(objects, secret_template):
    config = by_kind(objects, "ConfigMap")["newswire-settings"]["data"]
    fields = {line.split(":")[0].strip() for line in SETTINGS_FILE.read_text().splitlines()
              if line.startswith("    ") and ": " in line and not line.strip().startswith("#")}
    for key in config:
        if key.startswith("NEWSWIRE_"):
            assert key.removeprefix("NEWSWIRE_").lower() in fields, key
    assert "NEWSWIRE_MEILI_MASTER_KEY" not in config and "NEWSWIRE_REDIS_URL" not in config
    # A template only: no value, and never applied by the kustomization.
    assert secret_template["kind"] == "Secret"
    assert all(value == "" for value in secret_template["stringData"].values())
    assert {"NEWSWIRE_MEILI_MASTER_KEY", "NEWSWIRE_REDIS_URL", "REDIS_PASSWORD"} <= set(
        secret_template["stringData"])
    assert "secret.template.yaml" not in load_kustomization()["resources"]
    assert not any(o["kind"] == "Secret" for o in objects)
    for auth in by_kind(objects, "TriggerAuthentication").values():
        for ref in auth["spec"]["secretTargetRef"]:
            assert ref["name"] == secret_template["metadata"]["name"]
            assert ref["key"] in secret_template["stringData"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kubectl_kustomize_renders_the_same_objects(objects):
    result = subprocess.run(["kubectl", "kustomize", str(K8S_DIR)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    rendered = [d for d in yaml.safe_load_all(result.stdout) if d]
    def key(o):
        return (o["kind"], o["metadata"]["name"], o["metadata"].get("namespace"))

    assert sorted(map(key, rendered)) == sorted(map(key, objects))
    images = {c["image"] for o in rendered for c in containers_of(o)}
    assert images == {c["image"] for o in objects for c in containers_of(o)}

"""docker-compose.yml, Dockerfile and .env.example hold together (structure read with PyYAML).

`docker compose config -q` runs too when the compose plugin is installed (it needs no engine).
"""

import re
import shutil
import subprocess

import pytest
import yaml

from newswire_cli.stack import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
SERVICES = ("ingest", "clean", "enrich", "index", "search")
WORKERS = ("clean", "enrich", "index")
SETTINGS_FILE = REPO_ROOT / "libs/common/newswire_common/settings.py"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def test_all_services_and_backends_are_defined(services):
    assert set(services) == {"redis", "meilisearch", *SERVICES}
    assert services["redis"]["image"].startswith("redis:7")
    assert services["meilisearch"]["image"] == "getmeili/meilisearch:v1.21.0"
    for name in SERVICES:
        assert services[name]["build"]["context"] == "."
        assert services[name]["build"]["dockerfile"] == "Dockerfile"
        assert services[name]["image"]


def test_each_service_is_selected_by_its_command(services):
    for name in SERVICES:
        assert services[name]["command"][:2] == ["serve", name]
        assert "--host" in services[name]["command"]
        command = services[name]["command"]
        assert command[command.index("--host") + 1] == "0.0.0.0"


def test_every_container_has_a_health_check(services):
    for name, service in services.items():
        test = service["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
        if name in SERVICES:
            assert "/healthz" in " ".join(test), name
    assert "/health" in " ".join(services["meilisearch"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-1] == "ping"


def test_restart_policies(services):
    for name, service in services.items():
        assert service["restart"] in ("unless-stopped", "on-failure", "always"), name
    for name in WORKERS:
        assert services[name]["restart"] == "on-failure"


def test_dependencies_wait_for_health(services):
    for name in SERVICES:
        depends = services[name]["depends_on"]
        assert depends, name
        for dependency, condition in depends.items():
            assert dependency in services
            assert condition["condition"] == "service_healthy", (name, dependency)
    assert "meilisearch" in services["index"]["depends_on"]
    assert "meilisearch" in services["search"]["depends_on"]
    for name in ("ingest", "clean", "enrich", "index"):
        assert "redis" in services[name]["depends_on"]


def test_redis_keeps_data_with_aof_on_a_volume(compose, services):
    redis = services["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in redis["volumes"])
    meili = services["meilisearch"]
    assert any(v.endswith(":/meili_data") for v in meili["volumes"])
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])}
    assert named <= set(compose["volumes"])


def test_meilisearch_key_and_indexing_limits_come_from_env(services):
    meili = services["meilisearch"]
    assert meili["environment"]["MEILI_MASTER_KEY"].startswith("${MEILI_MASTER_KEY")
    assert meili["environment"]["MEILI_ENV"] == "production"
    command = meili["command"]
    assert "--max-indexing-threads" in command and "--max-indexing-memory" in command
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["NEWSWIRE_MEILI_MASTER_KEY"].startswith("${MEILI_MASTER_KEY")
        assert env["NEWSWIRE_REDIS_URL"] == "redis://redis:6379/0"
        assert env["NEWSWIRE_MEILI_URL"] == "http://meilisearch:7700"


def test_workers_scale_without_fixed_names_or_host_ports(services):
    for name in WORKERS:
        assert "container_name" not in services[name], name
        assert "ports" not in services[name], name
    for name in ("ingest", "search"):
        assert len(services[name]["ports"]) == 1
        assert services[name]["ports"][0].endswith(":8080")


def test_no_secret_is_written_into_the_files(services):
    secretish = re.compile(r"(KEY|SECRET|PASSWORD|TOKEN)", re.IGNORECASE)
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if secretish.search(key):
                assert str(value).startswith("${"), (name, key)
    for line in ENV_EXAMPLE.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            if secretish.search(key):
                assert value == "", f"{key} must be empty in .env.example"
    dockerfile = DOCKERFILE.read_text()
    assert not re.search(r"^(ENV|ARG)\s+\S*(KEY|SECRET|PASSWORD|TOKEN)", dockerfile, re.MULTILINE | re.IGNORECASE)


def test_env_example_documents_settings_that_exist():
    settings_fields = set(re.findall(r"^    (\w+): ", SETTINGS_FILE.read_text(), re.MULTILINE))
    documented = {line.split("=")[0] for line in ENV_EXAMPLE.read_text().splitlines()
                  if line.startswith("NEWSWIRE_")}
    assert documented, "no NEWSWIRE_ settings documented"
    unknown = {d for d in documented if d.removeprefix("NEWSWIRE_").lower() not in settings_fields}
    assert not unknown, f".env.example names settings that do not exist: {unknown}"


def test_dockerfile_is_multi_stage_locked_and_unprivileged():
    text = DOCKERFILE.read_text()
    makefile_uv = re.search(r"^UV_VERSION\s*:?=\s*(\S+)", (REPO_ROOT / "Makefile").read_text(), re.MULTILINE)
    assert makefile_uv and f"uv=={makefile_uv.group(1)}" in text
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 2
    assert "python:3.11-slim" in text
    assert "uv sync --locked --no-dev" in text
    assert re.search(r"^USER (?!root|0\b)", text, re.MULTILINE)
    assert "HEALTHCHECK" in text and "/healthz" in text
    # Every workspace member's pyproject reaches the dependency layer, or `--locked` fails.
    for member in [*REPO_ROOT.glob("libs/*/pyproject.toml"), *REPO_ROOT.glob("services/*/pyproject.toml")]:
        rel = member.relative_to(REPO_ROOT).as_posix()
        assert f"COPY {rel} " in text, rel
    ignored = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    for path in (".venv", "node_modules", "var", ".env", ".git"):
        assert path in ignored


def compose_plugin() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not compose_plugin(), reason="docker compose plugin not installed")
def test_docker_compose_accepts_the_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text().replace("MEILI_MASTER_KEY=",
                                                        "MEILI_MASTER_KEY=compose-config-test-key"))
    result = subprocess.run(
        ["docker", "compose", "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, check=False)
    assert result.returncode == 0, result.stderr

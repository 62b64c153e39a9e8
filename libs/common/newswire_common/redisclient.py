"""Redis clients that survive a Redis restart: pooled connections are health-checked before
reuse and commands retry with backoff, so a restart costs a pause, not an error."""

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

CONNECTION_OPTIONS = {"health_check_interval": 5, "socket_keepalive": True}


def redis_client(url: str) -> aioredis.Redis:
    return aioredis.from_url(
        url, retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=8),
        retry_on_error=[ConnectionError, TimeoutError], **CONNECTION_OPTIONS)

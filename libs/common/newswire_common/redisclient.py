"""Redis clients that survive a Redis restart: pooled connections are health-checked before
reuse and commands retry with backoff, so a restart costs a pause, not an error. The same
options go to FastStream's broker connection."""

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError


def connection_options() -> dict[str, object]:
    return {
        "health_check_interval": 5,
        "socket_keepalive": True,
        "retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=8),
        "retry_on_error": [ConnectionError, TimeoutError],
    }


CONNECTION_OPTIONS = connection_options()


def redis_client(url: str) -> aioredis.Redis:
    return aioredis.from_url(url, **connection_options())

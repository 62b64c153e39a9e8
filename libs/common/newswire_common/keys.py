"""Publisher API keys, stored hashed in Redis.

A key reads `nw_<key id>_<secret>`. Redis keeps, per key id, the publisher's name, the SHA-256
of the secret and whether it was revoked — never the secret itself. Keys are random 256-bit
values, so a plain hash is enough (no password stretching needed).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import orjson
import redis.asyncio as aioredis

from .contracts import utcnow

KEYS_HASH = "newswire:publisher-keys"


class InvalidKey(Exception):
    """Missing, malformed or unknown key: 401."""


class RevokedKey(Exception):
    """A key that was valid and has been revoked: 403."""


@dataclass(frozen=True)
class Publisher:
    key_id: str
    name: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(token: str) -> tuple[str, str]:
    parts = token.strip().split("_")
    if len(parts) != 3 or parts[0] != "nw" or not parts[1] or not parts[2]:
        raise InvalidKey("malformed API key")
    return parts[1], parts[2]


def new_key(name: str) -> tuple[str, bytes, str]:
    """(key id, record to store, token to hand out) for a new key of publisher `name`."""
    if not name.strip():
        raise ValueError("publisher name must not be empty")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32).replace("_", "-")
    record = {"name": name.strip(), "sha256": _hash(secret), "created_at": utcnow().isoformat(),
              "revoked_at": None}
    return key_id, orjson.dumps(record), f"nw_{key_id}_{secret}"


async def create_key(redis: aioredis.Redis, name: str) -> str:
    """Create a key for publisher `name`; the returned token is shown once and not stored."""
    key_id, record, token = new_key(name)
    await redis.hset(KEYS_HASH, key_id, record)
    return token


def key_id_of(token: str) -> str:
    return _split(token)[0]


async def list_keys(redis: aioredis.Redis) -> list[dict]:
    records = await redis.hgetall(KEYS_HASH)
    out = []
    for key_id, raw in records.items():
        record = orjson.loads(raw)
        record.pop("sha256", None)
        out.append({"key_id": key_id.decode(), **record})
    return sorted(out, key=lambda r: r["created_at"])


async def revoke_key(redis: aioredis.Redis, key_id_or_name: str) -> int:
    """Revoke by key id, or every key of a publisher by name; returns how many were revoked."""
    revoked = 0
    for key_id, raw in (await redis.hgetall(KEYS_HASH)).items():
        record = orjson.loads(raw)
        if key_id.decode() == key_id_or_name or record["name"] == key_id_or_name:
            if record.get("revoked_at") is None:
                record["revoked_at"] = utcnow().isoformat()
                await redis.hset(KEYS_HASH, key_id, orjson.dumps(record))
                revoked += 1
    return revoked


async def verify_key(redis: aioredis.Redis, token: str | None) -> Publisher:
    if not token:
        raise InvalidKey("missing API key")
    key_id, secret = _split(token)
    raw = await redis.hget(KEYS_HASH, key_id)
    if raw is None:
        raise InvalidKey("unknown API key")
    record = orjson.loads(raw)
    if not hmac.compare_digest(record["sha256"], _hash(secret)):
        raise InvalidKey("unknown API key")
    if record.get("revoked_at"):
        raise RevokedKey("API key revoked")
    return Publisher(key_id=key_id, name=record["name"])

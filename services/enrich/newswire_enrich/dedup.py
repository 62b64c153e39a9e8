"""Near-duplicate detection with MinHash LSH kept in Redis (redis.asyncio).

Each article's text (title + body, lower-cased word 5-shingles) gets a MinHash signature of
`num_perm` permutations (numpy universal hashing; datasketch is not imported because it
pulls in scipy, ~70 MB RSS). The signature is cut into `bands` bands of `rows` rows (chosen for the Jaccard
`threshold` as datasketch does); every band is hashed into a Redis set

    {prefix}:b:{band}:{hash}  -> article ids sharing that band
    {prefix}:sig:{id}         -> the signature (uint64 bytes), to check candidates' similarity
    {prefix}:of:{id}          -> the original an article was found to duplicate
    {prefix}:seq:{id}         -> first-seen order (INCR {prefix}:counter), kept on redelivery

A candidate counts only when the estimated Jaccard similarity of the signatures reaches the
threshold. The article's own id is never a candidate, so a re-delivered article (same id)
is not its own duplicate, and on redelivery only articles first seen before it count (the
original never becomes a duplicate of its later copy); a copy of a copy reports the first
original.
"""

import hashlib
import re
import zlib
from functools import lru_cache

import numpy as np
from redis.asyncio import Redis

_WORD = re.compile(r"\w+")
SHINGLE = 5
_PRIME = np.uint64((1 << 61) - 1)
_MAX32 = np.uint64((1 << 32) - 1)


@lru_cache(maxsize=8)
def _bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising equal-weighted false positive and negative probability mass
    of the LSH S-curve around `threshold` (the same choice datasketch's MinHashLSH makes)."""
    def integral(f, lo: float, hi: float, steps: int = 200) -> float:
        width = (hi - lo) / steps
        return sum(f(lo + (i + 0.5) * width) for i in range(steps)) * width

    best, best_err = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = integral(lambda s, r=rows, b=bands: 1 - (1 - s ** r) ** b, 0.0, threshold)
            fn = integral(lambda s, r=rows, b=bands: (1 - s ** r) ** b, threshold, 1.0)
            if 0.5 * fp + 0.5 * fn < best_err:
                best, best_err = (bands, rows), 0.5 * fp + 0.5 * fn
    return best


@lru_cache(maxsize=4)
def _permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    a = rng.randint(1, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    b = rng.randint(0, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    return a, b


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    words = _WORD.findall(text.casefold())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def signature(text: str, num_perm: int = 128) -> np.ndarray:
    """MinHash signature: per permutation the minimum of (a*h + b) mod p over the shingles'
    32-bit hashes h (universal hashing, as in datasketch's classic MinHash)."""
    grams = shingles(text)
    if not grams:
        return np.full(num_perm, _MAX32, dtype=np.uint64)
    hashes = np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint64,
                         count=len(grams))
    a, b = _permutations(num_perm)
    values = (np.outer(hashes, a) + b) % _PRIME & _MAX32
    return values.min(axis=0).astype(np.uint64)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


class NearDuplicateIndex:
    """Find and remember near-duplicate articles in Redis."""

    def __init__(self, redis: Redis, *, threshold: float = 0.8, num_perm: int = 128,
                 prefix: str = "newswire:dedup") -> None:
        self.redis = redis
        self.threshold = threshold
        self.num_perm = num_perm
        self.prefix = prefix
        self.bands, self.rows = _bands(threshold, num_perm)

    def _band_keys(self, sig: np.ndarray) -> list[str]:
        keys = []
        for b in range(self.bands):
            chunk = sig[b * self.rows:(b + 1) * self.rows].tobytes()
            keys.append(f"{self.prefix}:b:{b}:{hashlib.blake2b(chunk, digest_size=8).hexdigest()}")
        return keys

    async def _seq(self, article_id: str) -> int | None:
        value = await self.redis.get(f"{self.prefix}:seq:{article_id}")
        return int(value) if value is not None else None

    async def _register(self, article_id: str) -> int:
        """The article's first-seen sequence number (kept on redelivery)."""
        seq = await self._seq(article_id)
        if seq is None:
            number = await self.redis.incr(f"{self.prefix}:counter")
            await self.redis.set(f"{self.prefix}:seq:{article_id}", number, nx=True)
            seq = await self._seq(article_id)
        return int(seq)

    async def find(self, article_id: str, text: str,
                   sig: np.ndarray | None = None) -> str | None:
        """Id of an article stored before this one whose text is nearly the same, else None.

        For an article already seen (a redelivery) only articles first seen before it count,
        so re-processing the original never reports a later copy.
        """
        sig = signature(text, self.num_perm) if sig is None else sig
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in self._band_keys(sig):
                pipe.smembers(key)
            members = await pipe.execute()
        candidates = sorted({m.decode() if isinstance(m, bytes) else m
                             for group in members for m in group} - {article_id})
        if not candidates:
            return None
        own_seq = await self._seq(article_id)
        if own_seq is not None:
            seqs = await self.redis.mget([f"{self.prefix}:seq:{c}" for c in candidates])
            candidates = [c for c, q in zip(candidates, seqs) if q is not None and int(q) < own_seq]
            if not candidates:
                return None
        stored = await self.redis.mget([f"{self.prefix}:sig:{c}" for c in candidates])
        best, best_sim = None, 0.0
        for cand, raw in zip(candidates, stored):
            if raw is None:
                continue
            sim = similarity(sig, np.frombuffer(raw, dtype=np.uint64))
            if sim >= self.threshold and sim > best_sim:
                best, best_sim = cand, sim
        if best is None:
            return None
        original = await self.redis.get(f"{self.prefix}:of:{best}")
        if original is not None:
            original = original.decode() if isinstance(original, bytes) else original
            if original != article_id:
                return original
        return best

    async def add(self, article_id: str, text: str, sig: np.ndarray | None = None,
                  duplicate_of: str | None = None) -> None:
        sig = signature(text, self.num_perm) if sig is None else sig
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in self._band_keys(sig):
                pipe.sadd(key, article_id)
            pipe.set(f"{self.prefix}:sig:{article_id}", sig.tobytes())
            if duplicate_of:
                pipe.set(f"{self.prefix}:of:{article_id}", duplicate_of)
            await pipe.execute()

    async def check_and_add(self, article_id: str, text: str) -> str | None:
        """Find a near duplicate of the article, then remember the article; idempotent."""
        sig = signature(text, self.num_perm)
        await self._register(article_id)
        found = await self.find(article_id, text, sig)
        await self.add(article_id, text, sig, duplicate_of=found)
        return found


def dedup_text(title: str, body: str) -> str:
    return f"{title}\n\n{body}"

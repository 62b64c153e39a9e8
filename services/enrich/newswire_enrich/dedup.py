"""Near-duplicate detection with MinHash LSH kept in Redis (redis.asyncio).

Each article's text (title + body, lower-cased word 5-shingles) gets a MinHash signature of
`num_perm` permutations (numpy universal hashing; datasketch is not imported because it
pulls in scipy, ~70 MB RSS). The signature is cut into `bands` bands of `rows` rows (chosen for the Jaccard
`threshold` as datasketch does); every band is hashed into a Redis set

    {prefix}:b:{band}:{hash}  -> article ids sharing that band
    {prefix}:sig:{id}         -> the signature (uint64 bytes), to check candidates' similarity
    {prefix}:of:{id}          -> the original an article was found to duplicate
    {prefix}:seq:{id}         -> first-seen order (INCR {prefix}:counter), kept on redelivery

check_and_add registers the article, reads its bands, adds it to them and stores its signature
in one Lua script (one round trip); only when the bands hold other articles does a second round
trip (one MGET) fetch their first-seen numbers, signatures and originals.

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
_SHIFT = np.uint64(61)


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
    # consecutive words; the shifted copies are shorter by design
    return set(map(" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


def signature(text: str, num_perm: int = 128) -> np.ndarray:
    """MinHash signature: per permutation the minimum of (a*h + b) mod p over the shingles'
    32-bit hashes h (universal hashing, as in datasketch's classic MinHash)."""
    grams = shingles(text)
    if not grams:
        return np.full(num_perm, _MAX32, dtype=np.uint64)
    hashes = np.fromiter(map(zlib.crc32, map(str.encode, grams)), dtype=np.uint64,
                         count=len(grams))
    a, b = _permutations(num_perm)
    values = np.multiply.outer(hashes, a)  # wraps modulo 2**64, as datasketch's does
    values += b
    values = _mod_prime(values)
    values &= _MAX32
    return values.min(axis=0)


def _mod_prime(values: np.ndarray) -> np.ndarray:
    """values % (2**61 - 1) in place, without a 64-bit division (which cost most of the
    signature): (x & p) + (x >> 61) is below p + 7 and equals x mod p unless it reaches p."""
    high = values >> _SHIFT
    values &= _PRIME
    values += high
    if (over := values >= _PRIME).any():  # astronomically rare, still exact
        values[over] -= _PRIME
    return values


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


#: check_and_add's one round trip: register the article's first-seen number (kept on
#: redelivery), collect the other ids in its bands, add it to its bands and store its signature.
#: KEYS: seq:{id}, counter, sig:{id}, then the band keys; ARGV: id, signature bytes.
_CHECK_AND_ADD = """
local seq = redis.call('GET', KEYS[1])
if not seq then
  seq = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], seq)
end
local out, seen = {tostring(seq)}, {}
for i = 4, #KEYS do
  for _, member in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    if member ~= ARGV[1] and not seen[member] then
      seen[member] = true
      out[#out + 1] = member
    end
  end
  redis.call('SADD', KEYS[i], ARGV[1])
end
redis.call('SET', KEYS[3], ARGV[2])
return out
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class NearDuplicateIndex:
    """Find and remember near-duplicate articles in Redis.

    check_and_add_many costs one round trip (Lua scripts, pipelined) for a batch with no other
    article in its bands, the usual case, and at most three when there are candidates.
    """

    def __init__(self, redis: Redis, *, threshold: float = 0.8, num_perm: int = 128,
                 prefix: str = "newswire:dedup") -> None:
        self.redis = redis
        self.threshold = threshold
        self.num_perm = num_perm
        self.prefix = prefix
        self.bands, self.rows = _bands(threshold, num_perm)
        self._check_and_add = redis.register_script(_CHECK_AND_ADD)

    def _band_keys(self, sig: np.ndarray) -> list[str]:
        keys = []
        for b in range(self.bands):
            chunk = sig[b * self.rows:(b + 1) * self.rows].tobytes()
            keys.append(f"{self.prefix}:b:{b}:{hashlib.blake2b(chunk, digest_size=8).hexdigest()}")
        return keys

    def _mget_keys(self, candidates: list[str]) -> list[str]:
        p = self.prefix
        return ([f"{p}:seq:{c}" for c in candidates] + [f"{p}:sig:{c}" for c in candidates]
                + [f"{p}:of:{c}" for c in candidates])

    def _pick(self, article_id: str, own_seq: int | None, candidates: list[str],
              values: list[bytes | None], sig: np.ndarray,
              originals_known: dict[str, str] | None = None) -> str | None:
        """The first original among `candidates` (other ids sharing a band, sorted; `values`
        their seq, sig and of keys) that is similar enough and, when `own_seq` is known, was
        first seen before the article. `originals_known`: originals found earlier in the same
        batch, whose `of` keys are not written yet."""
        k = len(candidates)
        seqs, sigs, originals = values[:k], values[k:2 * k], values[2 * k:]
        best, best_sim = None, 0.0
        for i in range(k):
            if own_seq is not None and (seqs[i] is None or int(seqs[i]) >= own_seq):
                continue  # first seen after this article: never its original
            if sigs[i] is None:
                continue
            sim = similarity(sig, np.frombuffer(sigs[i], dtype=np.uint64))
            if sim >= self.threshold and sim > best_sim:
                best, best_sim = i, sim
        if best is None:
            return None
        stored = originals[best]
        original = _text(stored) if stored is not None else (originals_known or {}).get(
            candidates[best])
        if original is not None and original != article_id:
            return original  # a copy of a copy: report the first original
        return candidates[best]

    async def _best(self, article_id: str, own_seq: int | None, candidates: list[str],
                    sig: np.ndarray) -> str | None:
        if not candidates:
            return None
        candidates = sorted(candidates)
        values = await self.redis.mget(self._mget_keys(candidates))
        return self._pick(article_id, own_seq, candidates, values, sig)

    async def find(self, article_id: str, text: str,
                   sig: np.ndarray | None = None) -> str | None:
        """Id of an article stored before this one whose text is nearly the same, else None;
        read-only.

        For an article already seen (a redelivery) only articles first seen before it count,
        so re-processing the original never reports a later copy.
        """
        sig = signature(text, self.num_perm) if sig is None else sig
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(f"{self.prefix}:seq:{article_id}")
            for key in self._band_keys(sig):
                pipe.smembers(key)
            own_seq, *members = await pipe.execute()
        candidates = {_text(m) for group in members for m in group} - {article_id}
        return await self._best(article_id, None if own_seq is None else int(own_seq),
                                list(candidates), sig)

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
        """Find a near duplicate of the article and remember the article; idempotent."""
        [found] = await self.check_and_add_many([(article_id, signature(text, self.num_perm))])
        return found

    async def check_and_add_many(self, articles: list[tuple[str, np.ndarray]]
                                 ) -> list[str | None]:
        """check_and_add for a batch of (article id, signature), as if one after the other in
        batch order (a copy later in the batch finds an original earlier in it), in at most
        three round trips for the whole batch: the scripts, one read of the candidates, one
        write of the originals found."""
        if not articles:
            return []
        p = self.prefix
        async with self.redis.pipeline(transaction=False) as pipe:
            for article_id, sig in articles:
                # Scripts in a pipeline run in order, so seq numbers follow the batch order.
                await self._check_and_add(
                    keys=[f"{p}:seq:{article_id}", f"{p}:counter", f"{p}:sig:{article_id}",
                          *self._band_keys(sig)],
                    args=[article_id, sig.tobytes()], client=pipe)
            registered = await pipe.execute()
        candidates = [sorted(_text(c) for c in rest) for _, *rest in registered]
        async with self.redis.pipeline(transaction=False) as pipe:
            for ids in candidates:
                if ids:
                    pipe.mget(self._mget_keys(ids))
            values = iter(await pipe.execute())
        found: list[str | None] = []
        originals: dict[str, str] = {}
        for (article_id, sig), (own_seq, *_), ids in zip(articles, registered, candidates,
                                                          strict=True):
            original = (self._pick(article_id, int(own_seq), ids, next(values), sig, originals)
                        if ids else None)
            if original:
                originals[article_id] = original
            found.append(original)
        if originals:
            await self.redis.mset({f"{p}:of:{a}": o for a, o in originals.items()})
        return found


def dedup_text(title: str, body: str) -> str:
    return f"{title}\n\n{body}"

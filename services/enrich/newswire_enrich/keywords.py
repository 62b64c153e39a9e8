"""Key phrases with the YAKE algorithm (Campos et al., 2020), re-implemented compactly.

The `yake` package scores the same statistical features but builds a networkx graph and numpy
medians per term, which caps it near 35 articles/s; this version keeps plain dicts and is about
ten times faster. It uses yake's own stop-word lists. Candidates are 1..3-grams inside a
sentence chunk with no stop word and no digits; a candidate
is dropped when its words are a subset or superset of a better one. Lower score = better.
"""

import heapq
import importlib.util
import math
import re
from functools import lru_cache
from pathlib import Path

_SENT = re.compile(r"(?<=[.!?])\s+|\n+")
_TOKEN = re.compile(r"[^\W\d_][\w'’\-]*[^\W_]|[^\W\d_]|\d[\d.,]*|[^\w\s]")
_PUNCT = re.compile(r"^[^\w]+$")
_STOP_FILES = {"cs": "cz"}


@lru_cache(maxsize=16)
def stopwords(language: str | None) -> frozenset[str]:
    code = _STOP_FILES.get(language or "en", language or "en")
    # locate yake's data without importing yake (which pulls in networkx and numpy)
    spec = importlib.util.find_spec("yake")
    base = Path(spec.submodule_search_locations[0]) / "core" / "StopwordsList"
    path = base / f"stopwords_{code}.txt"
    if not path.is_file():
        path = base / "stopwords_noLang.txt"
    words = path.read_text(encoding="utf-8", errors="ignore").split()
    return frozenset(w.lower() for w in words)


#: token -> _word(token); a plain dict (cleared when full) is cheaper per hit than lru_cache
_WORD_CACHE: dict[str, tuple[str, bool] | None] = {}
_WORD_CACHE_MAX = 30_000


def _word(tok: str) -> tuple[str, bool] | None:
    """(lower-cased word without a possessive, starts upper-case) for a token; None for a
    number or punctuation, which ends a chunk."""
    c = tok[0]
    if c.isdigit() or (not c.isalpha() and _PUNCT.match(tok)):
        return None
    if tok[-1] in "'’":
        tok = tok.rstrip("'’")
    low = tok.lower()
    if low.endswith(("'s", "’s")):
        low = low[:-2]
    return low, c.isupper()


def _words(toks: list[str]) -> list[tuple[str, bool] | None]:
    """_word of each token, cached: news vocabulary repeats a lot."""
    cache = _WORD_CACHE
    if len(cache) > _WORD_CACHE_MAX:
        cache.clear()
    out = []
    for tok in toks:
        try:
            out.append(cache[tok])
        except KeyError:
            out.append(cache.setdefault(tok, _word(tok)))
    return out


def extract_keywords(text: str, language: str | None = "en", top: int = 8,
                     max_ngram: int = 3) -> list[str]:
    stop = stopwords(language)
    sentences = [s for s in _SENT.split(text) if s.strip()]
    # statistics of the candidate words only (no stop words, no single letters)
    tf: dict[str, int] = {}
    tf_upper: dict[str, int] = {}
    sent_ids: dict[str, list[int]] = {}
    pairs: dict[tuple[str, str], int] = {}  # neighbouring words in a chunk, stop words too
    chunks: list[list[str]] = []  # lower-cased runs of words between punctuation and numbers
    findall = _TOKEN.findall

    for s_idx, sentence in enumerate(sentences):
        chunk: list[str] = []
        prev: str | None = None
        first = True
        for w in _words(findall(sentence)):
            if w is None:
                if chunk:
                    chunks.append(chunk)
                    chunk = []
                prev, first = None, False
                continue
            low = w[0]
            if low not in stop and len(low) > 1:
                tf[low] = tf.get(low, 0) + 1
                ids = sent_ids.get(low)
                if ids is None:
                    sent_ids[low] = [s_idx]
                else:
                    ids.append(s_idx)
                if w[1] and not first:  # capitalised (or an acronym) inside a sentence
                    tf_upper[low] = tf_upper.get(low, 0) + 1
            if prev is not None:
                key = (prev, low)
                pairs[key] = pairs.get(key, 0) + 1
            prev, first = low, False
            chunk.append(low)
        if chunk:
            chunks.append(chunk)
    if not tf:
        return []
    l_distinct: dict[str, int] = {}
    l_total: dict[str, int] = {}
    r_distinct: dict[str, int] = {}
    r_total: dict[str, int] = {}
    for (a_, b_), n in pairs.items():
        if b_ in tf:
            l_distinct[b_] = l_distinct.get(b_, 0) + 1
            l_total[b_] = l_total.get(b_, 0) + n
        if a_ in tf:
            r_distinct[a_] = r_distinct.get(a_, 0) + 1
            r_total[a_] = r_total.get(a_, 0) + n

    counts = list(tf.values())
    mean = sum(counts) / len(counts)
    std = math.sqrt(sum((c - mean) ** 2 for c in counts) / len(counts))
    max_tf = max(counts)
    n_sent = max(1, len(sentences))
    log = math.log
    score: dict[str, float] = {}
    for t, f in tf.items():
        casing = tf_upper.get(t, 0) / (1.0 + log(f))
        ids = sent_ids[t]
        position = log(log(3.0 + ids[len(ids) // 2]))  # ids are sorted: median
        frequency = f / (mean + std)
        lt, rt = l_total.get(t, 0), r_total.get(t, 0)
        wl = l_distinct[t] / lt if lt else 0.0
        wr = r_distinct[t] / rt if rt else 0.0
        rel = 1.0 + (wl + wr) * (f / max_tf)
        different = len(set(ids)) / n_sent
        score[t] = (rel * position) / (casing + frequency / rel + different / rel)

    # candidates: 1..max_ngram-grams of scored words inside a chunk
    cand_tf: dict[tuple[str, ...], int] = {}
    for words in chunks:
        n = len(words)
        for i, w in enumerate(words):
            if w not in score:
                continue
            key: tuple[str, ...] = (w,)
            cand_tf[key] = cand_tf.get(key, 0) + 1
            for j in range(i + 1, min(i + max_ngram, n)):
                w = words[j]
                if w not in score:
                    break
                key += (w,)
                cand_tf[key] = cand_tf.get(key, 0) + 1

    ranked: list[tuple[float, tuple[str, ...]]] = []
    for cand, f in cand_tf.items():
        if len(cand) == 1 and len(cand[0]) < 3:
            continue
        prod, total = 1.0, 0.0
        for w in cand:
            s = score[w]
            prod *= s
            total += s
        ranked.append((prod / (f * (1.0 + total)), cand))
    heapq.heapify(ranked)  # best (lowest) first; only the first few are ever taken

    chosen: list[tuple[str, ...]] = []
    chosen_sets: list[set[str]] = []
    while ranked and len(chosen) < top:
        cand = heapq.heappop(ranked)[1]
        words = set(cand)
        if any(words <= c or words >= c for c in chosen_sets):
            continue
        chosen.append(cand)
        chosen_sets.append(words)
    return [" ".join(c) for c in chosen]

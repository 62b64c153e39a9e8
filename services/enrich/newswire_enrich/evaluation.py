"""Entity quality on a hand-labelled set of BBC news paragraphs (tests/data/entities_eval.jsonl).

Each line: {"bbc_id", "category", "paragraph", "text", "entities": [{"name", "type",
"aliases"?}]}. A predicted entity is a true positive when its name (case and punctuation folded)
equals a gold name or alias of the same type in the same paragraph; every other prediction is
a false positive and every unmatched gold entity a false negative. Scores are micro-averaged.

    python -m newswire_enrich.evaluation [FILE]
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

from .entities import extract_entities

TYPES = ("person", "organization", "place")
DEFAULT_EVAL_FILE = Path(__file__).resolve().parents[1] / "tests" / "data" / "entities_eval.jsonl"


def _key(name: str) -> str:
    return re.sub(r"[^\w]+", " ", name.casefold()).strip()


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "tp": tp, "fp": fp, "fn": fn}


def eval_entities(path: str | Path | None = None, *, pipeline: str | None = None,
                  errors: list | None = None) -> dict:
    """Precision/recall/F1 per entity type and overall ("overall") on the labelled set."""
    rows = [json.loads(line) for line in Path(path or DEFAULT_EVAL_FILE).read_text("utf-8")
            .splitlines() if line.strip()]
    tp, fp, fn = Counter(), Counter(), Counter()
    for row in rows:
        gold = [(g["type"], {_key(g["name"]), *(_key(a) for a in g.get("aliases", []))})
                for g in row["entities"]]
        matched = [False] * len(gold)
        for ent in extract_entities(row["text"], pipeline=pipeline, language="en"):
            k = _key(ent.name)
            hit = next((i for i, (t, keys) in enumerate(gold)
                        if not matched[i] and t == ent.type and k in keys), None)
            if hit is None:
                fp[ent.type] += 1
                if errors is not None:
                    errors.append(("FP", row["bbc_id"], ent.type, ent.name))
            else:
                matched[hit] = True
                tp[ent.type] += 1
        for (t, keys), ok in zip(gold, matched, strict=True):
            if not ok:
                fn[t] += 1
                if errors is not None:
                    errors.append(("FN", row["bbc_id"], t, min(keys)))
    result = {t: _prf(tp[t], fp[t], fn[t]) for t in TYPES}
    result["overall"] = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    result["paragraphs"] = len(rows)
    result["gold_entities"] = sum(len(r["entities"]) for r in rows)
    return result


def print_eval_entities(path: str | Path | None = None, *, show_errors: bool = False) -> dict:
    errors: list | None = [] if show_errors else None
    result = eval_entities(path, errors=errors)
    print(f"entity evaluation: {result['paragraphs']} paragraphs, "
          f"{result['gold_entities']} gold entities")
    print(f"{'type':<14}{'precision':>10}{'recall':>10}{'f1':>10}{'tp':>6}{'fp':>6}{'fn':>6}")
    for t in (*TYPES, "overall"):
        r = result[t]
        print(f"{t:<14}{r['precision']:>10.3f}{r['recall']:>10.3f}{r['f1']:>10.3f}"
              f"{r['tp']:>6}{r['fp']:>6}{r['fn']:>6}")
    for e in errors or []:
        print(*e, sep="\t")
    return result


if __name__ == "__main__":
    print_eval_entities(sys.argv[1] if len(sys.argv) > 1 else None, show_errors=True)

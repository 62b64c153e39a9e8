"""Score the cleaner on the article-extraction dev set (HTML pages and their naive text).

The metric is the benchmark's (score.py next to the dev set): 4-token shingles, precision and
recall macro-averaged over pages, F1 of the two averages. score.py is imported by path so the
figures are exactly those of `python score.py DEV preds.json`.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

from .core import extract_html, extract_text

REPO_ROOT = Path(__file__).resolve().parents[3]


def default_extraction_dir() -> Path:
    return Path(os.environ.get("NEWSWIRE_EXTRACTION_DIR", REPO_ROOT.parent / "shared" / "extraction"))


def _load_scorer(extraction_dir: Path):
    path = extraction_dir / "score.py"
    spec = importlib.util.spec_from_file_location("newswire_extraction_score", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dev_dir(extraction_dir: Path) -> Path:
    dev = extraction_dir / "dev"
    return dev if (dev / "ground-truth.json").exists() else extraction_dir


def predict(extraction_dir: Path, kind: str) -> dict[str, dict[str, str]]:
    dev = _dev_dir(extraction_dir)
    truth = json.loads((dev / "ground-truth.json").read_text(encoding="utf8"))
    preds = {}
    for key in sorted(truth):
        url = truth[key].get("url")
        try:
            if kind == "html":
                html = gzip.decompress((dev / "html" / f"{key}.html.gz").read_bytes())
                body = extract_html(html.decode("utf8", errors="replace"), url).body
            else:
                text = (dev / "text" / f"{key}.txt").read_text(encoding="utf8", errors="replace")
                body = extract_text(text).body
        except FileNotFoundError:
            continue
        preds[key] = {"articleBody": body}
    return preds


def eval_clean(extraction_dir: Path | None = None) -> dict:
    """F1/precision/recall of the cleaner's body on the dev pages, per input kind."""
    extraction_dir = Path(extraction_dir or default_extraction_dir())
    scorer = _load_scorer(extraction_dir)
    dev = _dev_dir(extraction_dir)
    truth = json.loads((dev / "ground-truth.json").read_text(encoding="utf8"))
    result = {}
    for kind in ("html", "text"):
        started = time.perf_counter()
        preds = predict(extraction_dir, kind)
        metrics, _rows = scorer.score(truth, preds)
        result[kind] = {
            "f1": round(metrics["f1"], 4), "precision": round(metrics["precision"], 4),
            "recall": round(metrics["recall"], 4), "pages": len(preds),
            "missing": metrics["missing"], "seconds": round(time.perf_counter() - started, 2),
        }
    return result


def main_eval(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extraction_dir = Path(argv[0]) if argv else default_extraction_dir()
    result = eval_clean(extraction_dir)
    print(f"dev set: {_dev_dir(extraction_dir)}")
    print(f"{'input':<8} {'pages':>5} {'F1':>6} {'prec':>6} {'recall':>6} {'secs':>6}")
    for kind, m in result.items():
        print(f"{kind:<8} {m['pages']:>5} {m['f1']:>6.3f} {m['precision']:>6.3f} "
              f"{m['recall']:>6.3f} {m['seconds']:>6.1f}")
    return 0

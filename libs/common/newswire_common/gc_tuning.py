"""The garbage collector for long-running services: leave startup's objects alone, and collect
young objects less often.

A service starts with ~100,000 objects that live as long as it does (the modules of FastStream,
pydantic, aiohttp and structlog, enrich's gazetteers and language models), and CPython's full
collections traverse every one of them. A busy stage allocates fast enough to trigger one
every few seconds: in a back-fill the collector took ~0.28 ms of CPU per article across the
stages (index 0.125, the two enrich replicas 0.136, clean 0.023), 5% of the pipeline's CPU.

* `gc.freeze()` once startup is done moves what exists into a generation the collector never
  visits: 0.08 ms per article.
* A young generation of 10,000 objects rather than 700 lets most of a batch's short-lived
  objects be freed by reference counting before a collection looks at them: 0.02 ms.

Reference cycles are still collected, a little later. Peak RSS in `make bench` stayed where it
was (enrich 158-174 MB, index 129-149 MB, in runs before and after).
"""

import gc

YOUNG_GENERATION_THRESHOLD = 10_000


def tune_collector_after_startup() -> None:
    """Collect startup's garbage, exempt everything left from later collections, and raise the
    young generation's threshold (the older generations keep theirs)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, older, oldest)

"""Prometheus metrics shared by the services (each process exposes its own at /metrics)."""

import gc

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter("newswire_messages_total", "Stream messages handled, by stage and outcome",
                   ["stage", "outcome"])  # outcome: processed | retried | dead_lettered
PROCESSING = Histogram("newswire_processing_seconds", "Time to handle one delivery, by stage",
                       ["stage"], buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1,
                                           2.5, 5, 10))
FRESHNESS = Histogram("newswire_freshness_seconds",
                      "Time from receipt at ingest to searchable in Meilisearch",
                      buckets=(.05, .1, .25, .5, .75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300))
STREAM_LENGTH = Gauge("newswire_stream_length", "Entries in a stream", ["stream"])
GROUP_PENDING = Gauge("newswire_group_pending", "Delivered but unacknowledged entries",
                      ["stream", "group"])
GROUP_LAG = Gauge("newswire_group_lag", "Entries not yet delivered to the group",
                  ["stream", "group"])
DEAD_LETTERS = Gauge("newswire_dead_letters", "Entries in the dead-letter stream")
MEILI_TASK_FAILURES = Counter("newswire_meili_task_failures_total",
                              "Meilisearch tasks that failed or timed out")
INGEST_REQUESTS = Counter("newswire_ingest_articles_total", "Articles posted, by outcome",
                          ["outcome"])  # accepted | rejected
SEARCH_LATENCY = Histogram("newswire_search_seconds", "Search API latency",
                           buckets=(.001, .002, .003, .005, .0075, .01, .015, .025, .05, .1,
                                    .25, .5, 1))
GC_FROZEN_OBJECTS = Gauge("newswire_gc_frozen_objects",
                          "Objects the garbage collector no longer visits (frozen after startup)")
GC_FROZEN_OBJECTS.set_function(gc.get_freeze_count)
GC_YOUNG_THRESHOLD = Gauge("newswire_gc_young_threshold",
                           "Allocations between two collections of the youngest generation")
GC_YOUNG_THRESHOLD.set_function(lambda: gc.get_threshold()[0])


def add_metrics_route(api: "FastAPI") -> None:  # noqa: F821 - FastAPI is optional here
    """Serve this process's metrics at GET /metrics on a FastAPI app."""
    from fastapi.responses import Response
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    @api.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

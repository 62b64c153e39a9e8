"""Operators can follow an article: trace ids in every stage's logs, status, metrics."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support import eventually

pytestmark = pytest.mark.integration


def log_records(stack) -> list[dict]:
    records = []
    for line in (stack.cfg.var_dir / "stack.log").read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return records


def metric(url: str, name: str, **labels: str) -> float:
    text = httpx.get(url, timeout=10).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        match = re.match(r"^(\w+)(\{[^}]*\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total


def worker_metrics(stack, stage: str) -> str:
    return f"http://127.0.0.1:{stack.cfg.worker_port(stage, 0)}/metrics"


def test_one_trace_id_runs_through_all_four_stages(ingest, stack):
    trace = "0af7651916cd43dd8448eb211c80319c"
    accepted = ingest.post("/v1/articles", headers={"traceparent": f"00-{trace}-b7ad6b7169203331-01"},
                           json={"text": "Engineers in Belfast finished the new harbour bridge on "
                                         "Friday, two months ahead of schedule and under budget.",
                                 "url": "https://example.org/belfast-bridge"}).json()
    assert accepted["trace_id"] == trace
    eventually(lambda: ingest.get(accepted["status_url"]).json().get("state") == "indexed")
    lines = eventually(lambda: [r for r in log_records(stack) if r.get("trace_id") == trace
                                and r.get("service") == "index"] and
                       [r for r in log_records(stack) if r.get("trace_id") == trace])
    assert {r["service"] for r in lines} >= {"ingest", "clean", "enrich", "index"}
    for record in lines:
        assert record["article_id"] == accepted["id"]
        assert {"event", "level", "timestamp", "stage"} <= record.keys()
    assert all("duration_ms" in r for r in lines if r["service"] in ("clean", "enrich", "index"))


def test_status_tells_each_stage_time_and_freshness(ingest, stack):
    accepted = ingest.post("/v1/articles", json={
        "text": "The museum in Glasgow reopened its galleries to visitors after a long "
                "renovation, curators said on Saturday morning.",
        "url": "https://example.org/glasgow-museum"}).json()
    found = eventually(lambda: (s := ingest.get(accepted["status_url"]).json())
                       .get("state") == "indexed" and s)
    assert found["received_at"] < found["cleaned_at"] < found["enriched_at"] < found["indexed_at"]
    assert 0 < found["freshness_s"] < 30
    assert ingest.get("/v1/articles/unknown-id").status_code == 404

    env = {**os.environ, **stack.cfg.service_env()}
    newswire = str(Path(sys.executable).with_name("newswire"))
    shown = subprocess.run([newswire, "status", accepted["id"]], env=env, capture_output=True,
                           text=True, timeout=60, check=True)
    assert json.loads(shown.stdout)["indexed_at"] == found["indexed_at"]
    overview = subprocess.run([newswire, "status", "--json"], env=env, capture_output=True,
                              text=True, timeout=60, check=True)
    snapshot = json.loads(overview.stdout)
    assert set(snapshot["streams"]["articles.raw"]["groups"]) == {"clean"}
    assert snapshot["meilisearch"]["healthy"] is True
    assert snapshot["meilisearch"]["indexes"]["articles"]["documents"] >= 1
    table = subprocess.run([newswire, "status"], env=env, capture_output=True, text=True,
                           timeout=60, check=True)
    assert "articles.enriched" in table.stdout and "dead letters" in table.stdout


def test_metrics_move_when_articles_flow(ingest, stack):
    before = {stage: metric(worker_metrics(stack, stage), "newswire_messages_total",
                            stage=stage, outcome="processed") for stage in ("clean", "enrich", "index")}
    fresh_before = metric(worker_metrics(stack, "index"), "newswire_freshness_seconds_count")
    accepted_before = metric(f"{stack.cfg.ingest_url}/metrics", "newswire_ingest_articles_total",
                             outcome="accepted")
    accepted = ingest.post("/v1/articles", json={
        "text": "Farmers near Aberdeen reported a record barley harvest this autumn despite a "
                "wet summer, the agriculture board said.", "url": "https://example.org/barley"})
    eventually(lambda: ingest.get(accepted.json()["status_url"]).json().get("state") == "indexed")
    for stage in ("clean", "enrich", "index"):
        assert metric(worker_metrics(stack, stage), "newswire_messages_total", stage=stage,
                      outcome="processed") > before[stage], stage
    assert metric(worker_metrics(stack, "index"), "newswire_freshness_seconds_count") > fresh_before
    assert metric(f"{stack.cfg.ingest_url}/metrics", "newswire_ingest_articles_total",
                  outcome="accepted") > accepted_before
    gauges = httpx.get(worker_metrics(stack, "clean"), timeout=10).text
    assert "newswire_group_pending" in gauges and "newswire_stream_length" in gauges
    assert "newswire_search_seconds" in httpx.get(f"{stack.cfg.search_url}/metrics").text


def test_every_service_has_health_and_readiness(stack):
    urls = [stack.cfg.ingest_url, stack.cfg.search_url] + [
        f"http://127.0.0.1:{stack.cfg.worker_port(s, 0)}" for s in ("clean", "enrich", "index")]
    for url in urls:
        assert httpx.get(f"{url}/healthz").status_code == 200, url
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready", url


def test_library_lines_are_json_too(stack):
    """FastStream's and uvicorn's own lines (start-up, shutdown) come out as JSON like ours:
    FastStream installs a handler of its own when imported, which the services undo."""
    text = (stack.cfg.var_dir / "stack.log").read_text(errors="replace")
    plain = [line for line in text.splitlines()
             if ("FastStream" in line or "Uvicorn" in line) and not line.startswith("{")]
    assert plain == []
    events = {(r.get("logger"), r.get("service")) for r in log_records(stack)
              if "FastStream app started" in str(r.get("event"))}
    assert {service for _, service in events} >= {"clean", "enrich", "index"}


def test_every_service_leaves_its_startup_objects_to_the_collector_no_more(stack):
    """gc_tuning.py: without the freeze a busy stage spent ~5% of its CPU re-scanning them."""
    urls = {stage: worker_metrics(stack, stage) for stage in ("clean", "enrich", "index")}
    urls |= {"ingest": f"{stack.cfg.ingest_url}/metrics",
             "search": f"{stack.cfg.search_url}/metrics"}
    for service, url in urls.items():
        assert metric(url, "newswire_gc_frozen_objects") > 20_000, service
        assert metric(url, "newswire_gc_young_threshold") == 10_000, service

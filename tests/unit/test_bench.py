"""The benchmark's pure parts."""

from newswire_cli.bench import mean_baseline


def run(rate: float, python: float, bulk: float) -> dict:
    return {"articles": 2225, "rejected": 0, "processes": 2, "python_articles_per_s": python,
            "bulk_load_docs_per_s": bulk, "articles_per_s": rate}


def test_the_baseline_is_the_mean_of_the_runs_before_and_after_the_back_fill():
    before, after = run(390.0, 590.0, 1150.0), run(330.0, 500.0, 980.0)
    mean = mean_baseline([before, after])
    assert mean["articles_per_s"] == 360.0
    assert mean["python_articles_per_s"] == 545.0
    assert mean["bulk_load_docs_per_s"] == 1065.0
    assert mean["runs"] == [before, after]
    assert (mean["articles"], mean["processes"]) == (2225, 2)


def test_profile_parts_put_the_shared_functions_first_then_the_innermost_package():
    from newswire_cli.bench import profile_part

    loop = ["serve (newswire_cli/main.py:119)", "Runner.run (asyncio/runners.py:118)"]
    handler = [*loop, "on_clean (newswire_enrich/worker.py:60)",
               "run_stage_batch (newswire_common/stage.py:90)"]
    # Validation inside the stage's own function counts as the function: the baseline pays it.
    assert profile_part([*handler, "_work_all (newswire_common/stage.py:52)",
                         "enrich_article (newswire_enrich/core.py:40)",
                         "BaseModel.model_validate (pydantic/main.py:700)"]) == "stage functions"
    assert profile_part([*handler, "BaseModel.model_validate (pydantic/main.py:700)"]
                        ) == "validation"
    # A log call's JSON rendering is logging, though its leaf is in the json module.
    assert profile_part([*handler, "meth (structlog/_native.py:134)",
                         "dumps (json/__init__.py:231)"]) == "logging"
    assert profile_part([*handler, "Pipeline.execute (redis/asyncio/client.py:1500)"]
                        ) == "Redis client"
    assert profile_part(loop) == "event loop, threads"
    assert profile_part([*handler, "dead_letter_item (newswire_common/stage.py:60)"]
                        ) == "other newswire code"


def test_the_profile_breakdown_weighs_each_stack_by_its_sample_count(tmp_path):
    from newswire_cli.bench import profile_breakdown

    raw = tmp_path / "py-spy-clean.txt"
    raw.write_text(
        "serve (newswire_cli/main.py:1);clean_article (newswire_clean/core.py:9) 6\n"
        "serve (newswire_cli/main.py:1);Redis.execute_command (redis/client.py:5) 3\n"
        "serve (newswire_cli/main.py:1);meth (structlog/_native.py:1) 1\n")
    profile = profile_breakdown(raw)
    assert profile["samples"] == 10
    assert profile["pct"] == {"stage functions": 60.0, "Redis client": 30.0, "logging": 10.0}
    assert list(profile["pct"]) == ["stage functions", "Redis client", "logging"]

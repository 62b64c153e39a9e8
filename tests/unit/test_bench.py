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

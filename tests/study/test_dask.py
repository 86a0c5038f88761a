"""The study on a Dask cluster: the same numbers as a local run, caching as units finish, resuming."""

import time

import pandas as pd
import pytest
from study_doubles import TinyFineTuner, executing, fail_at, fit_calls

from sklearn_causalmix.augment import NoiseAugmenter
from sklearn_causalmix.datasets import make_shifted_classification
from sklearn_causalmix.study import ratio_study

distributed = pytest.importorskip(
    "distributed", reason='dask.distributed is not installed (pip install '
    '"sklearn-causalmix[distributed]")')

SETTINGS = dict(ratios=(0.0, 0.5, 1.0), seeds=[0], n_train=80,
                methods=["zero-shot", "finetune", "causalmix", "logreg"], model=TinyFineTuner(),
                augmenters={"causalmix": NoiseAugmenter()}, max_steps=4, verbose=0)


@pytest.fixture(scope="module")
def tasks():
    return {
        "cov": make_shifted_classification(n_samples=300, n_features=4, shift="covariate",
                                           random_state=0),
        "concept": make_shifted_classification(n_samples=300, n_features=4, shift="concept",
                                               random_state=1),
    }


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each, as ``scheduler="local:2"`` starts them."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        yield client


def _worker_fits(client):
    """Fits made on the workers so far, once the tasks cancelled by an error have run out."""
    deadline = time.monotonic() + 60
    while any(client.run(executing).values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return sum(client.run(fit_calls).values())


def _comparable(frame):
    return frame.drop(columns=["fit_time_s", "cached"]).reset_index(drop=True)


def test_local_cluster_gives_exactly_the_sequential_frame(tasks):
    sequential = ratio_study(tasks, n_jobs=1, **{**SETTINGS, "protocol": "both"})
    on_dask = ratio_study(tasks, scheduler="local:2", **{**SETTINGS, "protocol": "both"})
    pd.testing.assert_frame_equal(_comparable(sequential), _comparable(on_dask), check_exact=True)


def test_a_client_runs_the_units_on_its_workers_and_the_client_writes_the_cache(
        tasks, client, tmp_path):
    before = _worker_fits(client)
    results = ratio_study(tasks, scheduler=client, cache_dir=tmp_path, **SETTINGS)
    # per table: zero-shot, finetune, causalmix r=0.5 and r=1 fit TinyFineTuner on the workers
    assert _worker_fits(client) - before == 2 * 4
    assert not results["cached"].any() and (results["error"] == "").all()
    assert len(list((tmp_path / "units").rglob("*.json"))) == len(results) == 2 * 5
    again = ratio_study(tasks, scheduler=client, cache_dir=tmp_path, **SETTINGS)
    assert again["cached"].all() and _worker_fits(client) - before == 2 * 4
    pd.testing.assert_frame_equal(_comparable(results), _comparable(again), check_exact=True)


def test_an_interrupted_study_resumes_from_its_cache(tasks, client, tmp_path):
    expected = ratio_study(tasks, n_jobs=1, **SETTINGS)
    client.run(fail_at, 1.0)
    try:
        with pytest.raises(RuntimeError, match="simulated crash at synthetic_ratio=1.0"):
            ratio_study(tasks, scheduler=client, cache_dir=tmp_path, **SETTINGS)
    finally:
        client.run(fail_at, None)
    n_cached = len(list((tmp_path / "units").rglob("*.json")))
    assert 1 <= n_cached < 2 * 5  # the units that finished before the crash were kept
    before = _worker_fits(client)
    resumed = ratio_study(tasks, scheduler=client, cache_dir=tmp_path, **SETTINGS)
    assert resumed["cached"].sum() == n_cached
    fitted = resumed[~resumed["cached"] & (resumed["method"] != "logreg")]
    assert _worker_fits(client) - before == len(fitted)  # only the missing units ran
    pd.testing.assert_frame_equal(_comparable(expected), _comparable(resumed), check_exact=True)


def test_a_larger_study_runs_only_the_new_seeds(tasks, client, tmp_path):
    ratio_study(tasks, scheduler=client, cache_dir=tmp_path, **SETTINGS)
    before = _worker_fits(client)
    larger = ratio_study(tasks, scheduler=client, cache_dir=tmp_path,
                         **{**SETTINGS, "seeds": [0, 1]})
    by_seed = larger.groupby("seed")["cached"]
    assert by_seed.all().tolist() == [True, False] and by_seed.any().tolist() == [True, False]
    assert _worker_fits(client) - before == 2 * 4


@pytest.mark.parametrize("scheduler, match", [
    ("local:0", "'local:N' with N >= 1"),
    ("local:two", "'local:N' with N >= 1"),
    ("cluster", "neither 'local:N' nor a scheduler address"),
])
def test_bad_schedulers_are_named(tasks, scheduler, match):
    with pytest.raises(ValueError, match=match):
        ratio_study(tasks, scheduler=scheduler, **SETTINGS)


def test_n_jobs_and_scheduler_are_exclusive(tasks):
    with pytest.raises(ValueError, match="pass one of them"):
        ratio_study(tasks, scheduler="local:2", n_jobs=2, **SETTINGS)


def test_the_command_line_runs_on_a_local_cluster(tmp_path, capsys):
    from sklearn_causalmix._cli import main

    out = tmp_path / "study"
    argv = ["study", "--quick", "--output", str(out), "--datasets", "anes96", "--methods",
            "logreg", "hgb", "--scheduler", "local:1", "--quiet"]
    assert main(argv) == 0
    results = pd.read_csv(out / "results.csv")
    assert results["method"].tolist() == ["logreg", "hgb"] and not results["cached"].any()
    assert len(list((out / "cache" / "units").rglob("*.json"))) == 2

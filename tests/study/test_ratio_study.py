"""Tests of the ratio study runner: the tidy frame, the protocol, caching/resuming, errors, dask."""

import json
import logging
import math

import numpy as np
import pandas as pd
import pytest
from study_doubles import _CALLS, FAIL, TinyFineTuner
from sklearn.linear_model import LogisticRegression

from sklearn_causalmix.augment import GaussianCopulaAugmenter, NoiseAugmenter
from sklearn_causalmix.datasets import make_shifted_classification
from sklearn_causalmix.study import RESULT_COLUMNS, StudyUnit, ratio_study
from sklearn_causalmix.study._data import make_split
from sklearn_causalmix.study._scores import score_proba

# Fast augmenters: the study logic is under test here, not the causal augmenter (see augment/).
AUGMENTERS = {"causalmix": GaussianCopulaAugmenter(), "noise": NoiseAugmenter()}
METHODS = ["zero-shot", "finetune", "causalmix", "causalmix-cv", "noise", "logreg"]
SETTINGS = dict(ratios=(0.0, 0.5, 1.0), seeds=[0], n_train=80, methods=METHODS,
                model=TinyFineTuner(), augmenters=AUGMENTERS, max_steps=4, verbose=0)


@pytest.fixture
def crash_at():
    """Make TinyFineTuner.fit raise at a given ratio; reset afterwards."""
    def set_ratio(ratio):
        FAIL["ratio"] = ratio
    yield set_ratio
    FAIL["ratio"] = None


@pytest.fixture
def fit_counter():
    """Number of TinyFineTuner.fit calls made since the fixture was created (sequential runs)."""
    start = _CALLS["n"]
    return lambda: _CALLS["n"] - start


@pytest.fixture(scope="module")
def shifted_tasks():
    return {
        "cov": make_shifted_classification(n_samples=400, n_features=5, shift="covariate",
                                           random_state=0),
        "concept": make_shifted_classification(n_samples=400, n_features=5, shift="concept",
                                               random_state=1),
    }


def _comparable(frame):
    return frame.drop(columns=["fit_time_s", "cached"]).reset_index(drop=True)


def test_tiny_grid_gives_the_tidy_frame(shifted_tasks):
    results = ratio_study(shifted_tasks, **SETTINGS)
    assert list(results.columns) == RESULT_COLUMNS
    # Per dataset: zero-shot, finetune, causalmix r=.5, 1, causalmix-cv, noise r=.5, 1, logreg.
    assert len(results) == 2 * 8
    assert (results["error"] == "").all()
    runs = results[results["dataset"] == "cov"][["method", "ratio"]]
    assert runs.fillna(-1).values.tolist() == [
        ["zero-shot", -1], ["finetune", 0.0], ["causalmix", 0.5], ["causalmix", 1.0],
        ["causalmix-cv", -1], ["noise", 0.5], ["noise", 1.0], ["logreg", -1]]
    for column in ("auc_in_domain", "auc_shifted", "ece_shifted", "brier_shifted"):
        assert results[column].between(0, 1).all(), column
    assert (results["n_train"] == 80).all()
    # Normalised improvement: zero-shot is its own baseline; the rest is measured against it.
    zero = results[results["method"] == "zero-shot"].set_index("dataset")["auc_shifted"]
    expected = (results["auc_shifted"] / results["dataset"].map(zero) - 1) * 100
    np.testing.assert_allclose(results["normalized_improvement"], expected)
    assert (results.loc[results["method"] == "zero-shot", "normalized_improvement"] == 0).all()
    # The validation-test gap needs a history: fine-tuned runs have one, references do not.
    tuned = results["method"].isin(["finetune", "causalmix", "noise"])
    assert results.loc[tuned, "n_evaluations"].eq(4).all()
    assert results.loc[tuned, "val_test_gap"].between(0, 2).all()
    assert results.loc[~tuned & (results["method"] != "causalmix-cv"), "val_test_gap"].isna().all()
    assert results.loc[tuned, "n_steps"].eq(4).all()
    assert results.loc[tuned, "best_step"].between(1, 4).all()
    assert results.loc[results["method"] == "logreg", ["best_step", "n_steps"]].isna().all().all()
    chosen = results.loc[results["method"] == "causalmix-cv", "chosen_ratio"]
    assert chosen.isin([0.0, 0.5, 1.0]).all()
    assert results["chosen_ratio"].notna().sum() == 2


def test_cv_refit_equals_the_fixed_ratio_run(shifted_tasks):
    results = ratio_study(shifted_tasks["cov"], **SETTINGS)
    cv_row = results[results["method"] == "causalmix-cv"].iloc[0]
    chosen = cv_row["chosen_ratio"]
    same = results[(results["method"] == ("finetune" if chosen == 0 else "causalmix"))
                   & (results["ratio"] == chosen)].iloc[0]
    assert cv_row["auc_shifted"] == pytest.approx(same["auc_shifted"])


def test_same_settings_same_results(shifted_tasks):
    settings = {**SETTINGS, "methods": ["zero-shot", "finetune", "causalmix", "logreg"]}
    first = ratio_study(shifted_tasks, **settings)
    second = ratio_study(shifted_tasks, **settings)
    pd.testing.assert_frame_equal(_comparable(first), _comparable(second))


def test_make_split_protocol():
    data = make_shifted_classification(n_samples=600, n_features=4, random_state=3)
    split = make_split(data, 7, n_train=100, max_test=120)
    X = data.X.assign(_y=data.y, _d=data.domain)
    key = lambda frame: set(map(tuple, frame.round(10).astype(str).to_numpy()))  # noqa: E731
    train, test, shift = key(split.X_train), key(split.X_test), key(split.X_shift)
    assert not (train & test) and not (train & shift) and not (test & shift)
    source = key(X[X["_d"] == 0].drop(columns=["_y", "_d"]))
    target = key(X[X["_d"] == 1].drop(columns=["_y", "_d"]))
    assert train <= source and test <= source and shift <= target
    assert len(split.X_train) == 100 and len(split.X_shift) == 120
    assert len(split.X_test) == 75  # 25% of the 300 source rows
    # Stratified: class shares of the training rows follow the source domain's.
    share = data.y[data.domain == 0].mean()
    assert abs(split.y_train.mean() - share) <= 0.011
    again = make_split(data, 7, n_train=100, max_test=120)
    pd.testing.assert_frame_equal(split.X_train, again.X_train)
    other = make_split(data, 8, n_train=100, max_test=120)
    assert not split.X_train.equals(other.X_train)


def test_make_split_drops_test_rows_of_unseen_classes():
    from sklearn.utils import Bunch

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=60)})
    y = np.array([0, 1] * 20 + [2] * 20)
    domain = np.array([0] * 40 + [1] * 20)
    y[40:45] = 0
    split = make_split(Bunch(X=X, y=y, domain=domain), 0, n_train=20)
    assert set(split.y_shift) == {0} and split.n_dropped_unseen == 15


def test_score_proba_hand_computed():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.3, 0.5]])
    y = np.array(["a", "b", "a", "b"])  # class "c" absent: AUC averages classes a and b only
    scores = score_proba(y, proba, np.array(["a", "b", "c"]), "t")
    # class a: 1.0; class b: (1 + 1 + 1 + 0.5) / 4 = 0.875 (a tie at 0.3)
    assert scores["auc_t"] == pytest.approx((1.0 + 0.875) / 2)
    # Top-label ECE, 15 bins: confidences .7,.8,.6,.5 each alone in a bin; correct: 1, 1, 1, 0.
    assert scores["ece_t"] == pytest.approx((0.3 + 0.2 + 0.4 + 0.5) / 4)
    one_class = score_proba(np.array(["a"]), proba[:1], np.array(["a", "b", "c"]), "t")
    assert math.isnan(one_class["auc_t"])


def test_resume_reads_the_cache(shifted_tasks, tmp_path, fit_counter):
    task = {"cov": shifted_tasks["cov"]}
    first = ratio_study(task, cache_dir=tmp_path, **SETTINGS)
    n_first = fit_counter()
    # zero-shot + finetune + 2 causalmix + 2 noise + cv (3 ratios x 3 folds + refit)
    assert n_first == 1 + 1 + 2 + 2 + 10
    assert not first["cached"].any()
    files = sorted((tmp_path / "units").rglob("*.json"))
    assert len(files) == 8 and json.loads(files[0].read_text())["row"]["error"] == ""
    second = ratio_study(task, cache_dir=tmp_path, **SETTINGS)
    assert fit_counter() == n_first  # nothing fitted again
    assert second["cached"].all()
    pd.testing.assert_frame_equal(_comparable(first), _comparable(second))
    # A larger study runs only the new units.
    third = ratio_study(task, cache_dir=tmp_path, **{**SETTINGS, "seeds": [0, 1]})
    assert fit_counter() == 2 * n_first
    assert third["cached"].sum() == 8 and len(third) == 16


def test_changed_settings_are_not_read_from_the_cache(shifted_tasks, tmp_path, fit_counter):
    ratio_study(shifted_tasks["cov"], cache_dir=tmp_path, **{**SETTINGS, "methods": ["finetune"]})
    assert fit_counter() == 1
    ratio_study(shifted_tasks["cov"], cache_dir=tmp_path,
                **{**SETTINGS, "methods": ["finetune"], "max_steps": 5})
    assert fit_counter() == 2
    ratio_study(shifted_tasks["cov"], cache_dir=tmp_path,
                **{**SETTINGS, "methods": ["finetune"], "n_train": 60})
    assert fit_counter() == 3


def test_interrupted_study_continues(shifted_tasks, tmp_path, crash_at, fit_counter):
    settings = {**SETTINGS, "methods": ["zero-shot", "finetune", "causalmix"]}
    crash_at(1.0)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ratio_study(shifted_tasks["cov"], cache_dir=tmp_path, n_jobs=1, **settings)
    assert fit_counter() == 3  # zero-shot, finetune, causalmix r=0.5 finished and were cached
    crash_at(None)
    results = ratio_study(shifted_tasks["cov"], cache_dir=tmp_path, **settings)
    assert fit_counter() == 4  # only causalmix r=1 ran
    assert results["cached"].tolist() == [True, True, True, False]


def test_errors_record_keeps_going_and_does_not_cache(shifted_tasks, tmp_path, crash_at,
                                                      caplog):
    crash_at(0.5)
    settings = {**SETTINGS, "methods": ["finetune", "causalmix"], "errors": "record"}
    with caplog.at_level(logging.WARNING, logger="sklearn_causalmix.study"):
        results = ratio_study(shifted_tasks["cov"], cache_dir=tmp_path, **settings)
    failed = results[results["error"] != ""]
    assert failed[["method", "ratio"]].values.tolist() == [["causalmix", 0.5]]
    assert "simulated crash" in failed["error"].iloc[0]
    assert failed["auc_shifted"].isna().all() and results["auc_shifted"].notna().sum() == 2
    assert "1 of 3 units failed" in caplog.text
    crash_at(None)
    again = ratio_study(shifted_tasks["cov"], cache_dir=tmp_path, **settings)
    assert again["cached"].tolist() == [True, False, True] and (again["error"] == "").all()


@pytest.mark.parametrize("kwargs, match", [
    ({"datasets": ["no_such_table"]}, "Unknown dataset 'no_such_table'.*credit_data"),
    ({"methods": ["magic"]}, r"Unknown method\(s\) \['magic'\]"),
    ({"ratios": [0.5, 1.5]}, r"every ratio must lie in \[0, 1\]"),
    ({"ratios": []}, "non-empty"),
    ({"seeds": [-1]}, "non-negative integers"),
    # Checked by the parameter constraints of ratio_study (scikit-learn's wording):
    ({"n_train": 1}, r"'n_train' parameter of ratio_study must be an int in the range \[2, inf\)"),
    ({"max_steps": -3},
     r"'max_steps' parameter of ratio_study must be an int in the range \[0, inf\) or None"),
    ({"errors": "ignore"}, r"'errors' parameter of ratio_study must be a str among .*'record'"),
    ({"cv": 1}, r"'cv' parameter of ratio_study must be an int in the range \[2, inf\)"),
    ({"in_domain_fraction": 1.0}, r"'in_domain_fraction' parameter .* range \(0.0, 1.0\)"),
    ({"max_test": 1.5}, r"'max_test' parameter of ratio_study must be an int"),
    ({"ratios": "half"}, r"'ratios' parameter of ratio_study must be a float .* or an array-like"),
    ({"monitor": "yes"}, r"'monitor' parameter of ratio_study must be an instance of 'bool'"),
    ({"model": "CausalMixFTClassifier"}, r"'model' parameter .* object implementing 'fit'"),
])
def test_bad_arguments_are_named(shifted_tasks, kwargs, match):
    settings = {**SETTINGS, **kwargs}
    datasets = settings.pop("datasets", shifted_tasks["cov"])
    with pytest.raises(ValueError, match=match):
        ratio_study(datasets, **settings)


def test_model_without_study_parameters_is_refused(shifted_tasks):
    with pytest.raises(ValueError, match=r"needs a model with the parameter\(s\) \['max_steps'\]"):
        ratio_study(shifted_tasks["cov"], **{**SETTINGS, "methods": ["zero-shot"],
                                             "model": LogisticRegression()})


def test_bunch_without_domain_is_refused():
    from sklearn.utils import Bunch

    with pytest.raises(ValueError, match=r"lacks \['domain'\]"):
        ratio_study(Bunch(X=pd.DataFrame({"a": [1.0]}), y=[0], name="t"), methods=["logreg"],
                    verbose=0)


def test_ctgan_is_skipped_with_a_note_when_not_installed(shifted_tasks, monkeypatch, caplog):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ctgan" else real(name, *a))
    with caplog.at_level(logging.WARNING, logger="sklearn_causalmix.study"):
        results = ratio_study(shifted_tasks["cov"], **{**SETTINGS, "methods": ["logreg", "ctgan"]})
    assert results["method"].tolist() == ["logreg"]
    assert "Skipping method 'ctgan'" in caplog.text


def test_custom_augmenter_adds_a_method(shifted_tasks):
    results = ratio_study(shifted_tasks["cov"], **{
        **SETTINGS, "methods": ["finetune", "jitter"],
        "augmenters": {"jitter": NoiseAugmenter(noise_scale=0.5)}})
    assert results[["method", "ratio"]].values.tolist() == [
        ["finetune", 0.0], ["jitter", 0.5], ["jitter", 1.0]]


def test_predictions_are_returned_and_cached(shifted_tasks, tmp_path):
    settings = {**SETTINGS, "methods": ["finetune", "causalmix"]}
    task = {"cov": shifted_tasks["cov"]}
    _, predictions = ratio_study(task, cache_dir=tmp_path, return_predictions=True, **settings)
    unit = StudyUnit("cov", 0, "causalmix", 0.5)
    assert set(predictions) == {StudyUnit("cov", 0, "finetune", 0.0), unit,
                                StudyUnit("cov", 0, "causalmix", 1.0)}
    assert predictions[unit]["proba"].shape == (200, 2)
    _, cached = ratio_study(task, cache_dir=tmp_path, return_predictions=True, **settings)
    np.testing.assert_allclose(cached[unit]["proba"], predictions[unit]["proba"], rtol=1e-6)
    assert cached[unit]["y_true"].tolist() == [str(v) for v in predictions[unit]["y_true"]]


def test_parallel_loky_matches_sequential(shifted_tasks):
    settings = {**SETTINGS, "methods": ["zero-shot", "noise", "logreg"]}
    sequential = ratio_study(shifted_tasks, n_jobs=1, **settings)
    parallel = ratio_study(shifted_tasks, n_jobs=2, **settings)
    pd.testing.assert_frame_equal(_comparable(sequential), _comparable(parallel))


def test_dask_local_cluster_matches_local_run(shifted_tasks):
    distributed = pytest.importorskip(
        "distributed", reason='dask.distributed is not installed (pip install '
        '"sklearn-causalmix[distributed]")')
    import joblib

    settings = {**SETTINGS, "methods": ["zero-shot", "finetune", "causalmix", "logreg"]}
    local = ratio_study(shifted_tasks, **settings)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as stream, \
                joblib.parallel_config(backend="dask"):
            remote = ratio_study(shifted_tasks, **settings)
        assert len(stream.data) > 0  # the units ran as dask tasks
    pd.testing.assert_frame_equal(_comparable(local), _comparable(remote))


def test_make_split_counts_levels_unseen_in_training_and_models_predict_them_as_missing():
    import warnings

    from sklearn.utils import Bunch

    from sklearn_causalmix import InContextClassifier

    X = pd.DataFrame({"a": np.arange(40.0),
                      "c": pd.Categorical(["u", "v"] * 15 + ["w"] * 10)})
    y = np.array([0, 1] * 20)
    domain = np.array([0] * 30 + [1] * 10)
    split = make_split(Bunch(X=X, y=y, domain=domain), 0, n_train=20)
    # The level is counted, not removed: the tables reach the models as they are ...
    assert (split.X_shift["c"] == "w").all() and split.n_masked_levels == 10
    assert split.X_test["c"].notna().all()
    assert split.X_shift["a"].notna().all()
    # ... and the models encode it as missing (one warning), exactly as a NaN cell.
    clf = InContextClassifier(n_estimators=1, device="cpu", random_state=0)
    clf.fit(split.X_train, split.y_train)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proba = clf.predict_proba(split.X_shift)
    assert sum("not seen at fit time" in str(w.message) for w in caught) == 1
    as_missing = split.X_shift.assign(c=pd.Categorical([np.nan] * len(split.X_shift),
                                                       categories=X["c"].cat.categories))
    np.testing.assert_allclose(proba, clf.predict_proba(as_missing))


def test_method_ratios_override_the_grid(shifted_tasks):
    results = ratio_study(shifted_tasks["cov"], **{
        **SETTINGS, "methods": ["finetune", "causalmix", "noise", "causalmix-cv"],
        "method_ratios": {"noise": [0.5], "causalmix-cv": [0.0, 1.0]}})
    assert results[["method", "ratio"]].fillna(-1).values.tolist() == [
        ["finetune", 0.0], ["causalmix", 0.5], ["causalmix", 1.0], ["noise", 0.5],
        ["causalmix-cv", -1]]
    assert results["chosen_ratio"].dropna().isin([0.0, 1.0]).all()
    with pytest.raises(ValueError, match="not among the methods"):
        ratio_study(shifted_tasks["cov"], **{**SETTINGS, "methods": ["finetune"],
                                             "method_ratios": {"noise": [0.5]}})


def test_cv_copes_with_levels_missing_from_an_inner_training_fold():
    """A rare level lands in one inner validation fold only; the model predicts it as missing."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.utils import Bunch

    rng = np.random.RandomState(0)
    n = 160
    a = rng.normal(size=n)
    level = np.where(np.arange(n) == 3, "z", np.where(a > 0, "p", "q"))
    X = pd.DataFrame({"a": a, "c": pd.Categorical(level)})
    y = (a + rng.normal(size=n) > 0).astype(int)
    data = Bunch(X=X, y=y, domain=(np.arange(n) >= 120).astype(int), name="rare")
    split = make_split(data, 0, n_train=200)
    assert (split.X_train["c"] == "z").sum() == 1
    # With handle_unknown="error" the stand-in (like CausalMixFTClassifier) refuses the level in a
    # fold that never saw it ...
    search = GridSearchCV(TinyFineTuner(augmenter=NoiseAugmenter(), max_steps=2,
                                        handle_unknown="error"),
                          {"synthetic_ratio": [0.0, 0.5]}, cv=StratifiedKFold(2),
                          error_score="raise",
                          scoring="roc_auc")
    with pytest.raises(ValueError, match="levels not seen at fit time"):
        search.fit(split.X_train, split.y_train)
    # ... while the study's inner CV (default handle_unknown="missing") predicts through it.
    results = ratio_study(data, **{**SETTINGS, "methods": ["causalmix-cv"], "n_train": 200,
                                   "errors": "raise"})
    assert results["chosen_ratio"].isin([0.0, 0.5, 1.0]).all()


def test_causalmix_method_runs_end_to_end_with_the_real_augmenter_and_model():
    """The ``causalmix`` method once with the real pieces: CausalSCMAugmenter (fast preset) and
    CausalMixFTClassifier; the shifted domain holds a categorical level the source never had."""
    pytest.importorskip("torch")
    from sklearn.utils import Bunch

    from sklearn_causalmix import CausalMixFTClassifier, CausalSCMAugmenter

    data = make_shifted_classification(n_samples=300, n_features=4, shift="covariate",
                                       random_state=0)
    X = data.X.copy()
    X["site"] = np.where(data.domain == 1, "new-site",
                         np.where(X.iloc[:, 0] > 0, "north", "south"))
    task = Bunch(X=X, y=data.y, domain=data.domain, name="with_site")
    model = CausalMixFTClassifier(max_steps=2, eval_every=1, episode_size=32, n_synthetic=64,
                                  n_estimators=1, device="cpu")
    augmenter = CausalSCMAugmenter(discovery="pc", n_bootstrap=3, n_graphs=2)
    results = ratio_study(task, ratios=(0.5,), seeds=[0], n_train=48, max_test=60,
                          methods=["causalmix"], model=model,
                          augmenters={"causalmix": augmenter}, verbose=0, errors="raise")
    (row,) = results.to_dict("records")
    assert row["error"] == "" and row["method"] == "causalmix" and row["ratio"] == 0.5
    assert row["n_synthetic"] == 64 and row["n_steps"] == 2 and row["n_evaluations"] == 3
    assert row["n_masked_levels"] == row["n_test_shifted"] == 60  # every shifted row: new site
    for column in ("auc_in_domain", "auc_shifted", "ece_shifted", "brier_shifted"):
        assert 0 <= row[column] <= 1, column


def test_cache_key_follows_the_content_of_a_spec_backbones_weights_file(tmp_path):
    import os

    from sklearn.base import BaseEstimator

    from sklearn_causalmix import CausalMixFTClassifier
    from sklearn_causalmix.study._weights import weights_fingerprint as _weights_fingerprint

    class FileSpec(BaseEstimator):  # stands in for TabICLBackbone(weights=path)
        def __init__(self, weights=None):
            self.weights = weights

        def __call__(self):
            raise AssertionError("not built here")

    path = tmp_path / "model.ckpt"
    path.write_bytes(b"first weights")
    model = CausalMixFTClassifier(backbone=FileSpec(weights=str(path)))
    first = _weights_fingerprint(model)
    path.write_bytes(b"other weights, same path")
    os.utime(path, ns=(1, 1))  # even with an unchanged-looking timestamp, the size differs
    assert first is not None and _weights_fingerprint(model) not in (None, first)
    assert _weights_fingerprint(CausalMixFTClassifier(backbone=FileSpec())) is None
    assert _weights_fingerprint(CausalMixFTClassifier()) is not None  # the embedded weights


def test_a_parameter_added_later_keys_only_away_from_its_neutral_value():
    # context= came after cached results: at "subsample" (the earlier behaviour) the keys are those of before
    from sklearn_causalmix import CausalMixFTClassifier
    from sklearn_causalmix.study._cache import _canonical

    assert "context" not in _canonical(CausalMixFTClassifier())["params"]
    assert _canonical(CausalMixFTClassifier(context="local"))["params"]["context"] == "local"
    assert "synthetic_ratio" in _canonical(CausalMixFTClassifier())["params"]  # the others always key

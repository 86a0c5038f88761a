"""Tests of synthetic_fidelity (sklearn_causalmix.evaluation._fidelity)."""

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from sklearn_causalmix.evaluation._fidelity import FidelityReport, synthetic_fidelity


@pytest.fixture(autouse=True)
def _single_thread():
    # HistGradientBoosting's OpenMP threads spin badly on a busy 2-core machine.
    with threadpool_limits(limits=1):
        yield


def _table(n, rng, *, dependent=True):
    a = rng.normal(size=n)
    b = a + 0.5 * rng.normal(size=n) if dependent else rng.normal(size=n)
    colour = np.where(a + 0.3 * rng.normal(size=n) > 0, "red", "blue")
    y = (b + 0.3 * rng.normal(size=n) > 0).astype(int)
    return pd.DataFrame({"a": a, "b": b, "colour": colour}), y


def test_identical_distribution_scores_well():
    rng = np.random.RandomState(0)
    X1, y1 = _table(250, rng)
    X2, y2 = _table(250, rng)
    report = synthetic_fidelity(X1, X2, y1, y2, random_state=0)
    assert isinstance(report, FidelityReport)
    assert report.marginals.loc["a", "kind"] == "numeric"
    assert report.marginals.loc["colour", "kind"] == "categorical"
    assert (report.marginals["distance"] < 0.15).all()
    assert report.dependence_difference < 0.1
    assert 0.35 < report.detection_auc < 0.65
    tstr = report.utility.loc["train_synthetic_test_real", "roc_auc"]
    trtr = report.utility.loc["train_real_cv", "roc_auc"]
    assert tstr > 0.85 and trtr > 0.85
    summary = report.summary()
    assert set(summary.index) == {
        "mean_marginal_distance",
        "dependence_difference",
        "detection_auc",
        "missingness_distance",
        "impossible_share",
        "tstr_auc",
        "trtr_auc",
    }


def test_broken_dependence_is_detected():
    rng = np.random.RandomState(1)
    X1, y1 = _table(300, rng)
    X2, y2 = _table(300, rng, dependent=False)  # same marginals, no a-b dependence
    good = synthetic_fidelity(X1, _table(300, rng)[0], random_state=0)
    bad = synthetic_fidelity(X1, X2, y1, y2, random_state=0)
    assert bad.dependence_difference > good.dependence_difference + 0.2
    assert bad.detection_auc > good.detection_auc


def test_shuffled_labels_destroy_utility():
    rng = np.random.RandomState(5)
    X1, y1 = _table(250, rng)
    X2, y2 = _table(250, rng)
    report = synthetic_fidelity(X1, X2, y1, rng.permutation(y2), random_state=0)
    assert report.utility.loc["train_synthetic_test_real", "roc_auc"] < 0.65
    assert report.utility.loc["train_synthetic_test_real", "difference_to_real"] < -0.2


def test_marginal_distances_known_values():
    real = pd.DataFrame({"x": np.arange(100, dtype=float), "c": ["a"] * 50 + ["b"] * 50})
    syn = pd.DataFrame({"x": np.arange(100, dtype=float) + real["x"].std(ddof=0), "c": ["a"] * 100})
    m = synthetic_fidelity(real, syn, random_state=0).marginals
    assert m.loc["x", "distance"] == pytest.approx(1.0)  # shifted by one real standard deviation
    assert m.loc["c", "distance"] == pytest.approx(0.5)  # total variation


def test_missing_values_and_arrays():
    rng = np.random.RandomState(2)
    X = rng.normal(size=(200, 3))
    X[rng.rand(200) < 0.1, 0] = np.nan
    report = synthetic_fidelity(X, X[::-1].copy(), random_state=0)
    assert list(report.marginals.index) == ["x0", "x1", "x2"]
    assert report.marginals.loc["x0", "missing_real"] == pytest.approx(
        report.marginals.loc["x0", "missing_synthetic"]
    )
    assert report.utility is None
    assert np.isfinite(report.detection_auc)


def test_deterministic():
    rng = np.random.RandomState(3)
    X1, y1 = _table(120, rng)
    X2, y2 = _table(120, rng)
    r1 = synthetic_fidelity(X1, X2, y1, y2, random_state=5)
    r2 = synthetic_fidelity(X1, X2, y1, y2, random_state=5)
    pd.testing.assert_series_equal(r1.summary(), r2.summary())


def test_multiclass_utility():
    rng = np.random.RandomState(4)
    X = rng.normal(size=(300, 2))
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    report = synthetic_fidelity(X, X + 0.05 * rng.normal(size=X.shape), y, y, random_state=0)
    assert report.utility.loc["train_synthetic_test_real", "roc_auc"] > 0.9


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"X_syn": pd.DataFrame({"b": [1.0, 2.0]})}, "same columns"),
        ({"y_real": [0, 1]}, "both y_real and y_syn"),
        ({"X_real": np.zeros(3)}, "2D table"),
        ({"X_real": pd.DataFrame({"a": [1.0]})}, "at least 2 rows"),
        ({"y_real": [0, 1, 0], "y_syn": [0, 1]}, "one label per row"),
    ],
)
def test_errors(kwargs, match):
    args = {
        "X_real": pd.DataFrame({"a": [1.0, 2.0]}),
        "X_syn": pd.DataFrame({"a": [1.5, 2.5]}),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        synthetic_fidelity(**args)


def test_reexported_from_evaluation():
    from sklearn_causalmix import evaluation

    assert evaluation.synthetic_fidelity is synthetic_fidelity


def test_impossible_values_and_missingness_distance():
    real = pd.DataFrame(
        {
            "term": [36, 60, 36, 60] * 5,
            "age": [14.0, 15.0, np.nan, 17.0] * 5,
            "colour": ["red", "blue", None, "red"] * 5,
        }
    )
    syn = pd.DataFrame(
        {
            "term": [36, 48, 60, 61] * 5,  # 48 never seen, 61 out of range
            "age": [14.5, 15.0, 16.0, np.nan] * 5,  # 14.5 not whole
            "colour": ["red", "blue", "red", None] * 5,
        }
    )
    report = synthetic_fidelity(real, syn, random_state=0)
    impossible = report.marginals["impossible_synthetic"]
    assert impossible.to_dict() == {"term": 0.5, "age": 2 / 3, "colour": 0.0}  # 16 unseen too
    # real: age and colour missing together in a quarter of rows; synthetic: same, other rows
    assert report.missingness_distance == 0.0
    syn.loc[0, "age"] = np.nan
    assert synthetic_fidelity(real, syn, random_state=0).missingness_distance == pytest.approx(0.05)
    summary = report.summary()
    assert 0 < summary["impossible_share"] < 0.5
    same = synthetic_fidelity(real, real, random_state=0).summary()
    assert same["impossible_share"] == 0.0 and same["missingness_distance"] == 0.0

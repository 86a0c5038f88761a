"""Tests of the comparison augmenters (noise, SMOTE-style, Gaussian copula, CTGAN adapter)."""

import sys
import types

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sklearn_causalmix.augment import (
    CTGANAugmenter,
    GaussianCopulaAugmenter,
    NoiseAugmenter,
    SMOTEAugmenter,
)

AUGMENTERS = [
    NoiseAugmenter(random_state=0),
    SMOTEAugmenter(backend="own", random_state=0),
    SMOTEAugmenter(backend="imblearn", random_state=0),
    GaussianCopulaAugmenter(random_state=0),
]
IDS = ["noise", "smote-own", "smote-imblearn", "copula"]


def _mixed_table(n=120, seed=0, missing=True):
    rng = np.random.RandomState(seed)
    a = rng.normal(size=n)
    X = pd.DataFrame({
        "a": a,
        "b": a + 0.5 * rng.normal(size=n),
        "k": rng.randint(0, 5, size=n),
        "colour": pd.Series(rng.choice(["red", "green", "blue"], size=n), dtype=object),
        "flag": rng.uniform(size=n) < 0.3,
        "grade": pd.Categorical(rng.choice(["lo", "hi"], size=n)),
    })
    if missing:
        X.loc[rng.choice(n, 6, replace=False), "b"] = np.nan
    y = pd.Series(np.where(a + 0.3 * rng.normal(size=n) > 0.3, "yes", "no"), name="label")
    return X, y


def _needs_imblearn(aug):
    if isinstance(aug, SMOTEAugmenter) and aug.backend == "imblearn":
        pytest.importorskip("imblearn")


@pytest.mark.parametrize("aug", AUGMENTERS, ids=IDS)
def test_sample_keeps_schema_and_class_balance(aug):
    _needs_imblearn(aug)
    X, y = _mixed_table()
    aug = clone(aug).fit(X, y)
    X_syn, y_syn = aug.sample(200)
    assert list(X_syn.columns) == list(X.columns)
    assert list(X_syn.dtypes) == list(X.dtypes)
    assert set(X_syn["colour"].dropna()) <= {"red", "green", "blue"}
    assert X_syn["k"].between(X["k"].min(), X["k"].max()).all()
    assert isinstance(y_syn, pd.Series) and y_syn.name == "label"
    expected = (y.value_counts(normalize=True) * 200).round().astype(int).to_dict()
    assert y_syn.value_counts().to_dict() == expected
    # Missingness re-applied at the observed rate, nowhere else.
    assert X_syn["b"].isna().sum() == round(6 / 120 * 200)
    assert X_syn.drop(columns="b").isna().sum().sum() == 0
    assert aug.n_features_in_ == 6 and list(aug.feature_names_in_) == list(X.columns)


@pytest.mark.parametrize("aug", AUGMENTERS, ids=IDS)
def test_sample_is_deterministic(aug):
    _needs_imblearn(aug)
    X, y = _mixed_table()
    first = clone(aug).fit(X, y)
    X1, y1 = first.sample(50)
    X2, y2 = first.sample(50)
    X3, y3 = clone(aug).fit(X, y).sample(50)
    pd.testing.assert_frame_equal(X1, X2)
    pd.testing.assert_frame_equal(X1, X3)
    pd.testing.assert_series_equal(y1, y3)
    X4, _ = first.sample(50, random_state=123)
    assert not X4.equals(X1)


@pytest.mark.parametrize("aug", AUGMENTERS, ids=IDS)
@pytest.mark.parametrize("ratio, n_out", [(0.0, 120), (0.25, 160), (0.5, 240), (1.0, 120)])
def test_fit_resample_ratio(aug, ratio, n_out):
    _needs_imblearn(aug)
    X, y = _mixed_table()
    X_res, y_res = clone(aug).set_params(synthetic_ratio=ratio).fit_resample(X, y)
    assert len(X_res) == len(y_res) == n_out
    if ratio < 1.0:
        pd.testing.assert_frame_equal(X_res.iloc[:120].reset_index(drop=True), X, check_dtype=True)
        assert (y_res.iloc[:120].to_numpy() == y.to_numpy()).all()


@pytest.mark.parametrize("aug", AUGMENTERS, ids=IDS)
def test_numpy_input_gives_numpy_output(aug):
    _needs_imblearn(aug)
    rng = np.random.RandomState(1)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    X_syn, y_syn = clone(aug).fit(X, y).sample(30)
    assert isinstance(X_syn, np.ndarray) and X_syn.shape == (30, 3) and X_syn.dtype == float
    assert isinstance(y_syn, np.ndarray) and set(np.unique(y_syn)) <= {0, 1}
    X_res, y_res = clone(aug).set_params(synthetic_ratio=0.5).fit_resample(X, y)
    assert X_res.shape == (120, 3) and y_res.shape == (120,)


def test_smote_interpolates_within_class_segments():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.uniform(0, 1, 50), rng.uniform(0, 1, 50)])
    X[25:] += 10.0
    y = np.repeat([0, 1], 25)
    X_syn, y_syn = SMOTEAugmenter(backend="own", random_state=0).fit(X, y).sample(100)
    assert (X_syn[y_syn == 0] <= 1).all() and (X_syn[y_syn == 1] >= 10).all()
    # Within each class the points stay in the convex hull's bounding box.
    assert X_syn[y_syn == 1].max() <= X[25:].max() + 1e-12


def test_smote_single_row_class_falls_back_to_own_and_copies():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [50.0]])
    y = np.array([0, 0, 0, 0, 1])
    aug = SMOTEAugmenter(random_state=0).fit(X, y)
    assert aug.backend_ == "own"
    X_syn, y_syn = aug.sample(10)
    assert (X_syn[y_syn == 1] == 50.0).all()


def test_smote_only_categorical_uses_own_backend():
    X = pd.DataFrame({"c": pd.Series(list("abcabcabca"), dtype=object),
                      "d": pd.Series(list("xxyyxxyyxy"), dtype=object)})
    y = np.array([0, 1] * 5)
    aug = SMOTEAugmenter(random_state=0).fit(X, y)
    assert aug.backend_ == "own"
    X_syn, _ = aug.sample(8)
    assert set(X_syn["c"]) <= set("abc")


def test_smote_imblearn_missing_raises_clear_error(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "imblearn" else real(name, *a))
    X, y = _mixed_table()
    with pytest.raises(ImportError, match="backend='own'"):
        SMOTEAugmenter(backend="imblearn").fit(X, y)
    assert SMOTEAugmenter(backend="auto").fit(X, y).backend_ == "own"


def test_noise_scale_zero_copies_real_rows():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    aug = NoiseAugmenter(noise_scale=0.0, random_state=0).fit(X, y)
    X_syn, y_syn = aug.sample(20)
    for row, label in zip(X_syn, y_syn):
        match = np.flatnonzero((X == row).all(axis=1))
        assert len(match) == 1 and y[match[0]] == label


def test_noise_jitter_has_requested_scale():
    rng = np.random.RandomState(0)
    X = rng.normal(scale=3.0, size=(400, 1))
    y = (rng.uniform(size=400) < 0.5).astype(int)
    aug = NoiseAugmenter(noise_scale=0.5, random_state=0).fit(X, y)
    X_syn, _ = aug.sample(4000)
    # Variance of a jittered copy = var(X) * (1 + 0.5**2).
    assert np.var(X_syn) == pytest.approx(np.var(X) * 1.25, rel=0.1)


def test_copula_keeps_dependence_on_the_label():
    rng = np.random.RandomState(0)
    n = 800
    a = rng.normal(size=n)
    X = pd.DataFrame({"a": a, "noise": rng.exponential(size=n)})
    y = (a + 0.5 * rng.normal(size=n) > 0.5).astype(int)
    X_syn, y_syn = GaussianCopulaAugmenter(random_state=0).fit(X, y).sample(2000)
    real_gap = a[y == 1].mean() - a[y == 0].mean()
    syn_gap = X_syn["a"][y_syn == 1].mean() - X_syn["a"][y_syn == 0].mean()
    assert syn_gap == pytest.approx(real_gap, rel=0.2)
    # Marginals come from the inverse empirical CDF: values within the observed range.
    assert X_syn["noise"].min() >= X["noise"].min() and X_syn["noise"].max() <= X["noise"].max()
    assert (X_syn["noise"] >= 0).all()


def test_copula_multiclass_counts():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 2))
    y = np.repeat(["a", "b", "c"], [50, 30, 10])
    _, y_syn = GaussianCopulaAugmenter(random_state=0).fit(X, y).sample(9)
    assert sorted(y_syn.tolist()) == ["a"] * 5 + ["b"] * 3 + ["c"]


@pytest.mark.parametrize("aug", AUGMENTERS[:1] + AUGMENTERS[3:], ids=["noise", "copula"])
def test_bad_input_errors(aug):
    X, y = _mixed_table()
    with pytest.raises(ValueError, match="one class"):
        clone(aug).fit(X, pd.Series(["yes"] * len(X)))
    with pytest.raises(ValueError, match="missing values"):
        clone(aug).fit(X, y.where(y.index > 0))
    with pytest.raises(ValueError, match="continuous|Unknown label type"):
        clone(aug).fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clone(aug).fit(X, y[:10])
    with pytest.raises(ValueError, match="infinite"):
        clone(aug).fit(X.assign(a=np.inf), y)
    with pytest.raises(ValueError, match="synthetic_ratio"):
        clone(aug).set_params(synthetic_ratio=1.5).fit(X, y)
    fitted = clone(aug).fit(X, y)
    with pytest.raises(ValueError, match="non-negative integer"):
        fitted.sample(-1)


def test_sample_before_fit_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        NoiseAugmenter().sample(3)


def test_ctgan_adapter_without_ctgan_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ctgan", None)
    X, y = _mixed_table(missing=False)
    with pytest.raises(ImportError, match="pip install ctgan"):
        CTGANAugmenter(epochs=1).fit(X, y)


def test_ctgan_adapter_glue_with_a_stand_in_gan(monkeypatch):
    """The adapter's data handling, with a stand-in for ctgan.CTGAN that resamples rows."""

    class StandIn:
        def __init__(self, epochs):
            self.epochs = epochs

        def fit(self, frame, discrete_columns):
            self.frame, self.discrete = frame, discrete_columns

        def sample(self, n, condition_column, condition_value):
            rows = self.frame[self.frame[condition_column] == condition_value]
            return rows.sample(n, replace=True, random_state=0).reset_index(drop=True)

    monkeypatch.setitem(sys.modules, "ctgan", types.SimpleNamespace(CTGAN=StandIn))
    X, y = _mixed_table(missing=False)
    aug = CTGANAugmenter(epochs=3, random_state=0).fit(X, y)
    assert aug.model_.epochs == 3 and aug.model_.discrete[-1] == "label"
    assert set(aug.model_.discrete) == {"c3", "c4", "c5", "label"}
    X_syn, y_syn = aug.sample(40)
    assert list(X_syn.dtypes) == list(X.dtypes)
    # Stand-in rows are real rows of the requested class: the label must match them.
    merged = X_syn.assign(label=y_syn.to_numpy()).merge(
        X.assign(label=y.to_numpy()), how="left", indicator=True)
    assert (merged["_merge"] == "both").all()


@pytest.mark.parametrize("aug", AUGMENTERS, ids=IDS)
def test_sample_without_any_seed_draws_new_rows_each_call(aug):
    _needs_imblearn(aug)
    X, y = _mixed_table()
    unseeded = clone(aug).set_params(random_state=None).fit(X, y)
    assert not unseeded.sample(50)[0].equals(unseeded.sample(50)[0])
    pd.testing.assert_frame_equal(
        unseeded.sample(50, random_state=4)[0], unseeded.sample(50, random_state=4)[0]
    )


@pytest.mark.parametrize("aug", AUGMENTERS[:1] + AUGMENTERS[3:], ids=["noise", "copula"])
def test_failed_fit_leaves_no_half_fitted_state(aug):
    from sklearn.exceptions import NotFittedError

    X, y = _mixed_table()
    fresh = clone(aug)
    with pytest.raises(ValueError, match="one class"):
        fresh.fit(X, pd.Series(["yes"] * len(X)))
    assert not hasattr(fresh, "n_features_in_") and not hasattr(fresh, "schema_")
    with pytest.raises(NotFittedError):
        fresh.sample(3)
    fitted = clone(aug).fit(X, y)
    with pytest.raises(ValueError, match="infinite"):
        fitted.fit(X.assign(a=np.inf).iloc[:, :2], y)
    assert fitted.n_features_in_ == 6  # the previous fit is kept whole
    assert len(fitted.sample(5)[0].columns) == 6


def test_smote_own_backend_memory_grows_with_n_not_n_squared():
    import tracemalloc

    rng = np.random.RandomState(0)
    X = rng.normal(size=(5000, 20))
    y = (rng.normal(size=5000) > 0).astype(int)
    tracemalloc.start()
    try:
        X_syn, _ = SMOTEAugmenter(backend="own", random_state=0).fit(X, y).sample(5000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert X_syn.shape == (5000, 20)
    # A (n_class, n_class, 20) float array alone would take 2500 * 2500 * 20 * 8 B = 1 GB.
    assert peak < 100 * 2**20

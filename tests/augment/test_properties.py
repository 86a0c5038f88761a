"""Property tests of CausalSCMAugmenter over random mixed-type tables (hypothesis)."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix._core import largest_remainder

_FAST = dict(discovery="pc", n_bootstrap=1, n_graphs=2, random_state=0)


@st.composite
def labelled_tables(draw):
    n = draw(st.integers(min_value=12, max_value=60))
    kinds = draw(
        st.lists(st.sampled_from(["float", "int", "bool", "str", "cat"]), min_size=1, max_size=4)
    )
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    latent = rng.normal(size=n)
    data = {}
    for j, kind in enumerate(kinds):
        signal = latent + rng.normal(size=n)
        if kind == "float":
            col = signal.copy()
            if draw(st.booleans()):
                col[rng.rand(n) < 0.15] = np.nan
                col[0] = 0.0
            data[f"f{j}"] = col
        elif kind == "int":
            data[f"f{j}"] = np.clip(np.round(signal * 2), -4, 4).astype(np.int64)
        elif kind == "bool":
            data[f"f{j}"] = signal > 0
        elif kind == "str":
            level = np.where(signal > 0.5, "hi", np.where(signal < -0.5, "lo", "mid"))
            data[f"f{j}"] = pd.Series(level, dtype=object)
        else:
            data[f"f{j}"] = pd.Categorical(np.where(signal > 0, "u", "v"))
    X = pd.DataFrame(data)
    n_classes = draw(st.integers(2, 3))
    edges = np.quantile(latent, np.linspace(0, 1, n_classes + 1)[1:-1])
    y = pd.Series(np.digitize(latent, edges), name="y")
    return X, y


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labelled_tables(), st.integers(0, 50))
def test_samples_follow_the_schema(table, n_samples):
    X, y = table
    aug = CausalSCMAugmenter(**_FAST).fit(X, y)
    X_syn, y_syn = aug.sample(n_samples)
    assert list(X_syn.columns) == list(X.columns) and len(X_syn) == len(y_syn) == n_samples
    assert (X_syn.dtypes == X.dtypes).all()
    for col in X.columns:
        observed = X[col].dropna()
        values = X_syn[col].dropna()
        if X[col].dtype.kind in "iu":
            assert values.between(observed.min(), observed.max()).all()
        elif X[col].dtype.kind in "fc":
            continue
        else:
            assert set(values) <= set(observed)
    assert set(y_syn) <= set(y)
    counts = y_syn.value_counts().reindex(aug.classes_, fill_value=0).to_numpy()
    np.testing.assert_array_equal(counts, largest_remainder(n_samples, aug.class_prior_))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labelled_tables(), st.sampled_from([0.0, 0.2, 0.5, 1.0]))
def test_fit_resample_counts_and_determinism(table, ratio):
    X, y = table
    n = len(X)
    X1, y1 = CausalSCMAugmenter(synthetic_ratio=ratio, **_FAST).fit_resample(X, y)
    X2, y2 = CausalSCMAugmenter(synthetic_ratio=ratio, **_FAST).fit_resample(X, y)
    expected = n if ratio == 1.0 else n + int(round(ratio / (1 - ratio) * n))
    assert len(X1) == len(y1) == expected
    pd.testing.assert_frame_equal(X1, X2)
    pd.testing.assert_series_equal(y1, y2)
    if ratio < 1.0:
        pd.testing.assert_frame_equal(X1.iloc[:n].reset_index(drop=True), X)


@st.composite
def tables_with_bounded_numbers(draw):
    """Whole-number floats with NaN, skewed positive amounts, few-valued numbers, percentages."""
    n = draw(st.integers(min_value=15, max_value=80))
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    latent = rng.normal(size=n)
    data = {}
    for j, kind in enumerate(
        draw(st.lists(st.sampled_from(["whole", "amount", "few", "share"]), min_size=1, max_size=4))
    ):
        signal = latent + rng.normal(size=n)
        if kind == "whole":
            col = np.round(np.exp(signal) * 10).astype(float)
            col[rng.rand(n) < 0.3] = np.nan
            col[0] = 3.0
        elif kind == "amount":
            col = np.exp(2 * signal) * 1000.0
        elif kind == "few":
            col = np.array([36.0, 60.0, 84.0])[np.digitize(signal, [-0.5, 0.8])]
        else:
            col = np.clip(90 + 10 * signal, 0, 100)
        data[f"f{j}"] = col
    y = pd.Series((latent > 0).astype(int), name="y")
    y[:2] = [0, 1]
    return pd.DataFrame(data), y


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables_with_bounded_numbers())
def test_no_impossible_values(table):
    X, y = table
    X_syn, _ = CausalSCMAugmenter(**_FAST).fit(X, y).sample(200)
    for col in X.columns:
        observed, values = X[col].dropna(), X_syn[col].dropna()
        assert values.between(observed.min(), observed.max()).all(), col
        if (observed % 1 == 0).all():
            assert (values % 1 == 0).all(), col
        if observed.nunique() <= 10:
            assert set(values) <= set(observed), col

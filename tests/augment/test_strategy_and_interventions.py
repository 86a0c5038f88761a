"""imbalanced-learn's sampling_strategy, and sampling under interventions (issue 13, items 5-6)."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix.augment._strategy import synthetic_counts

CHEAP = dict(n_bootstrap=2, n_graphs=2, random_state=0)


def _imbalanced(n=(120, 50, 20), seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat(["a", "b", "c"], n)
    shift = {"a": 0.0, "b": 1.0, "c": 2.0}
    x0 = np.array([shift[v] for v in y]) + rng.normal(size=len(y))
    X = pd.DataFrame({"x0": x0, "x1": x0 + rng.normal(size=len(y))})
    return X, pd.Series(y, name="label")


STRATEGIES = [
    "auto",
    "minority",
    "not majority",
    "not minority",
    "all",
    {"b": 80, "c": 60},
    {"a": 120, "c": 21},
    lambda y: {"c": 40},
]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_counts_match_imbalanced_learn(strategy):
    validation = pytest.importorskip("imblearn.utils")
    _, y = _imbalanced()
    expected = validation.check_sampling_strategy(strategy, y.to_numpy(), "over-sampling")
    assert synthetic_counts(strategy, y.to_numpy()) == expected


@pytest.mark.parametrize("strategy", [0.5, 0.8, 1.0])
def test_float_strategy_matches_imbalanced_learn(strategy):
    validation = pytest.importorskip("imblearn.utils")
    y = np.r_[np.zeros(90, int), np.ones(30, int)]
    expected = validation.check_sampling_strategy(strategy, y, "over-sampling")
    assert synthetic_counts(strategy, y) == expected


@pytest.mark.parametrize("strategy", ["not majority", {"b": 80, "c": 60}])
def test_fit_resample_counts_match_random_over_sampler(strategy):
    over_sampling = pytest.importorskip("imblearn.over_sampling")
    X, y = _imbalanced()
    X_ref, y_ref = over_sampling.RandomOverSampler(
        sampling_strategy=strategy, random_state=0
    ).fit_resample(X, y)
    aug = CausalSCMAugmenter(sampling_strategy=strategy, **CHEAP)
    X_res, y_res = aug.fit_resample(X, y)
    assert y_res.value_counts().to_dict() == y_ref.value_counts().to_dict()
    assert len(X_res) == len(X_ref)
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)
    assert dict(aug.sampling_strategy_) == dict(
        over_sampling.RandomOverSampler(sampling_strategy=strategy).fit(X, y).sampling_strategy_
    )


@pytest.mark.parametrize(
    "strategy, match",
    [
        ({"a": 10}, "an over-sampler can only add rows"),
        ({"z": 10}, r"classes \['z'\] that are not in y"),
        (0.5, "float only for binary labels"),
    ],
)
def test_strategy_errors(strategy, match):
    X, y = _imbalanced()
    with pytest.raises(ValueError, match=match):
        CausalSCMAugmenter(sampling_strategy=strategy, **CHEAP).fit(X, y)


def test_float_strategy_that_removes_rows_is_an_error():
    y = np.r_[np.zeros(60, int), np.ones(40, int)]
    with pytest.raises(ValueError, match="would remove rows from the minority"):
        synthetic_counts(0.5, y)


def _known_scm(n=800, seed=0):
    """a -> b -> d -> y, c -> y (c categorical); a and c are not descendants of b."""
    rng = np.random.RandomState(seed)
    a = rng.normal(size=n)
    b = a + 0.5 * rng.normal(size=n)
    c = rng.choice(["u", "v"], n)
    d = -b + 0.5 * rng.normal(size=n)
    y = (d + (c == "v") + 0.3 * rng.normal(size=n) > 0.5).astype(int)
    X = pd.DataFrame({"a": a, "b": b, "c": c, "d": d})
    graph = nx.DiGraph([("a", "b"), ("b", "d"), ("d", "y"), ("c", "y")])
    return X, pd.Series(y, name="y"), graph


def test_intervention_changes_exactly_the_descendants():
    X, y, graph = _known_scm()
    aug = CausalSCMAugmenter(discovery=graph, n_graphs=2, random_state=0).fit(X, y)
    low, y_low = aug.sample(500, random_state=1, interventions={"b": -2.0})
    high, y_high = aug.sample(500, random_state=1, interventions={"b": 2.0})
    assert (low["b"] == -2.0).all() and (high["b"] == 2.0).all()
    # non-descendants of b: the same rows under both interventions
    pd.testing.assert_series_equal(low["a"], high["a"])
    pd.testing.assert_series_equal(low["c"], high["c"])
    # descendants d and y move the way the mechanisms say (d = -b + noise, y rises with d)
    assert low["d"].mean() > 1.0 and high["d"].mean() < -1.0
    assert y_low.mean() > 0.8 and y_high.mean() < 0.2


def test_intervention_on_categorical_and_target_and_errors():
    X, y, graph = _known_scm()
    X = X.assign(c_code=(X["c"] == "v").astype(int))
    aug = CausalSCMAugmenter(discovery=graph, n_graphs=1, random_state=0).fit(X, y)
    X_do, y_do = aug.sample(300, interventions={"c": "v"})
    assert (X_do["c"] == "v").all() and (X_do["c_code"] == 1).all()  # recoding follows
    X_t, y_t = aug.sample(100, interventions={"y": 1})
    assert (y_t == 1).all()
    with pytest.raises(ValueError, match="it is a duplicate of 'c'; intervene on 'c'"):
        aug.sample(10, interventions={"c_code": 1})
    with pytest.raises(ValueError, match="'w' is not a level of column 'c'"):
        aug.sample(10, interventions={"c": "w"})
    with pytest.raises(ValueError, match="not a column of the model"):
        aug.sample(10, interventions={"nope": 1})
    with pytest.raises(TypeError, match="interventions must be a dict"):
        aug.sample(10, interventions=[("c", "v")])

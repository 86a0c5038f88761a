"""CausalSCMAugmenter against known structural causal models."""

import numpy as np
import pandas as pd

from sklearn_causalmix import CausalSCMAugmenter
from sklearn_causalmix.evaluation._fidelity import synthetic_fidelity


def _draw(n, seed):
    """a -> b -> d, a -> c (categorical), (c, d) -> y: linear-Gaussian / logistic."""
    rng = np.random.RandomState(seed)
    a = rng.normal(size=n)
    b = 0.9 * a + 0.5 * rng.normal(size=n)
    c = np.where(a + 0.5 * rng.normal(size=n) > 0, "up", "down")
    d = -0.8 * b + 0.5 * rng.normal(size=n)
    logit = 2.0 * d + 1.5 * (c == "up")
    y = (rng.rand(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": d}), pd.Series(y, name="y")


def test_skeleton_recovered_through_the_estimator():
    X, y = _draw(2000, 0)
    aug = CausalSCMAugmenter(n_bootstrap=5, n_graphs=2, random_state=0).fit(X, y)
    P = aug.edge_probabilities_
    S = P + P.T
    truth = {("a", "b"), ("b", "d"), ("a", "c"), ("c", "y"), ("d", "y")}
    names = list(P.index)
    found = {
        (names[i], names[j])
        for i in range(len(names))
        for j in range(i + 1, len(names))
        if S.iloc[i, j] > 0.5
    }
    assert found == truth


def test_samples_closer_to_fresh_draws_than_independent_marginals():
    X, y = _draw(600, 1)
    fresh_X, fresh_y = _draw(600, 2)
    aug = CausalSCMAugmenter(n_bootstrap=3, n_graphs=3, random_state=0).fit(X, y)
    X_syn, y_syn = aug.sample(600)
    rng = np.random.RandomState(3)
    table = X.assign(y=y)
    independent = pd.DataFrame({col: rng.permutation(table[col].to_numpy()) for col in table})
    real = fresh_X.assign(y=fresh_y)
    causal = synthetic_fidelity(real, X_syn.assign(y=y_syn), random_state=0)
    marginal = synthetic_fidelity(real, independent, random_state=0)
    assert causal.detection_auc < marginal.detection_auc - 0.1
    assert causal.dependence_difference < marginal.dependence_difference / 3
    # and the labels stay predictable from synthetic rows (train on synthetic, test on real)
    utility = synthetic_fidelity(fresh_X, X_syn, fresh_y, y_syn, random_state=0).utility
    tstr = utility.loc["train_synthetic_test_real", "roc_auc"]
    trtr = utility.loc["train_real_cv", "roc_auc"]
    assert tstr > trtr - 0.08

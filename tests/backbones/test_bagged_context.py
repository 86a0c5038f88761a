"""Bagged contexts (``context="bagged"``): every ensemble member its own stratified subsample of a large table."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sklearn_causalmix import CausalMixFTClassifier
from sklearn_causalmix.backbones import InContextClassifier, get_backbone
from sklearn_causalmix.backbones._inference import InContextEnsemble
from sklearn_causalmix.backbones._members import member_subsamples


def _data(n, seed=0):
    X, y = make_classification(n, 6, n_informative=4, weights=[0.8, 0.2], random_state=seed)
    return X, y


def _fit(X, y, **params):
    params = {"n_estimators": 4, "device": "cpu", "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the subsample's "larger than the context" warning
        return InContextClassifier(**params).fit(X, y)


def test_members_draw_their_own_stratified_subsamples():
    y = np.array([0] * 700 + [1] * 300)
    rows = member_subsamples(y, 5, 100, random_state=3)
    assert rows.shape == (5, 100)
    assert all((y[r] == 1).sum() == 30 for r in rows)  # every member the class shares of the table
    assert all(len(np.unique(r)) == 100 for r in rows)  # no row twice within a member
    assert len({tuple(r) for r in rows}) == 5  # different rows between members
    np.testing.assert_array_equal(rows, member_subsamples(y, 5, 100, random_state=3))
    assert member_subsamples(y, 5, 1000) is None and member_subsamples(y, 5, None) is None


def test_each_member_is_given_its_rows_in_its_permutation():
    X, y = _data(300)
    ens = InContextEnsemble(get_backbone(), X, y, n_classes=2, n_estimators=3, random_state=1, max_member_rows=64)
    Xm, ym, _ = ens._members(np.arange(3))
    assert Xm.shape == (3, 64, 6) and ens.n_member_rows == 64
    for b in range(3):
        rows = ens.member_rows[b]
        np.testing.assert_array_equal(Xm[b].numpy(), X[rows][:, ens.feature_perms[b]].astype(np.float32))
        np.testing.assert_array_equal(ym[b].numpy(), ens.class_perms[b][y[rows]])


def test_bagged_is_the_subsample_when_the_table_fits_the_context():
    X, y = _data(400)
    a, b = _fit(X, y), _fit(X, y, context="bagged")
    assert b._ensemble.member_rows is None
    np.testing.assert_array_equal(a.predict_proba(X[:50]), b.predict_proba(X[:50]))


def test_a_large_table_is_seen_by_the_members_together():
    X, y = _data(1500)
    clf = _fit(X, y, context="bagged", max_context_rows=256)
    rows = clf._ensemble.member_rows
    assert len(clf.context_y_) == 1500 and rows.shape == (4, 256)
    assert len(np.unique(rows)) > 2 * 256  # the members together see more than one subsample
    subsample = _fit(X, y, max_context_rows=256)
    assert len(subsample.context_y_) == 256
    assert not np.allclose(clf.predict_proba(X[:20]), subsample.predict_proba(X[:20]))


@pytest.mark.parametrize("fit_mode", ["fit_with_cache", "low_memory"])
def test_bagged_contexts_are_seeded_picklable_and_the_same_in_both_fit_modes(fit_mode):
    X, y = _data(900)
    clf = _fit(X, y, context="bagged", max_context_rows=200, fit_mode=fit_mode)
    proba = clf.predict_proba(X[:30])
    reference = _fit(X, y, context="bagged", max_context_rows=200)
    np.testing.assert_allclose(proba, reference.predict_proba(X[:30]), atol=1e-6)
    np.testing.assert_array_equal(proba, pickle.loads(pickle.dumps(clf)).predict_proba(X[:30]))
    np.testing.assert_array_equal(proba[4:5], clf.predict_proba(X[4:5]))  # a row alone: same numbers


def test_bagged_contexts_with_a_temperature_and_after_fine_tuning():
    X, y = _data(700)
    clf = _fit(X, y, context="bagged", max_context_rows=128, calibration="temperature")
    assert clf.temperature_ > 0 and np.allclose(clf.predict_proba(X[:10]).sum(axis=1), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ft = CausalMixFTClassifier(max_steps=2, n_estimators=2, max_context_rows=128, context="bagged",
                                   device="cpu", random_state=0).fit(X, y)
    assert ft._ensemble.member_rows.shape == (2, 128) and len(ft.context_y_) == len(y)
    assert np.allclose(ft.predict_proba(X[:10]).sum(axis=1), 1)


def test_bagged_contexts_predict_through_unseen_levels_new_missingness_and_out_of_range_values():
    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=600), "level": rng.choice(["a", "b", "c"], 600)})
    y = (X["x"] + (X["level"] == "a") > 0.5).astype(int)
    clf = _fit(X, y, context="bagged", max_context_rows=128)
    shifted = pd.DataFrame({"x": [np.nan, 50.0, -50.0, 0.1], "level": ["z", None, "a", "b"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the unseen-level warning
        proba = clf.predict_proba(shifted)
    assert proba.shape == (4, 2) and np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1)

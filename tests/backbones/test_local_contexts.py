"""Local contexts (``context="local"``): k-means neighbourhoods as contexts for tables larger than the context."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from sklearn_causalmix.backbones import InContextClassifier, LocalContexts, nearest_rows
from sklearn_causalmix.backbones._local import n_local_contexts


def checkerboard(n, seed, cells=8):
    """A label that flips from cell to cell of a ``cells`` x ``cells`` board: only local rows tell it."""
    X = np.random.default_rng(seed).uniform(0, cells, size=(n, 2))
    return X, ((np.floor(X[:, 0]) + np.floor(X[:, 1])) % 2).astype(int)


def _fit(X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the subsample's "larger than the context" warning
        return InContextClassifier(n_estimators=1, device="cpu", random_state=0, **params).fit(X, y)


def test_number_of_contexts():
    assert [n_local_contexts(n, 100) for n in (50, 100, 101, 250, 10_000)] == [1, 1, 3, 5, 32]


def test_contexts_are_the_rows_nearest_each_centre_and_queries_go_to_the_nearest_centre():
    Z = np.random.default_rng(0).normal(size=(400, 3))
    contexts = LocalContexts(max_rows=100, random_state=0).fit(Z, np.zeros(3, bool))
    assert len(contexts.groups_) == 8 and all(len(g) == 100 for g in contexts.groups_)
    points = contexts.space_.transform(Z)
    for centre, group in zip(contexts.kmeans_.cluster_centers_, contexts.groups_):
        np.testing.assert_array_equal(group, np.sort(nearest_rows(points, centre, 100)))
    assigned = contexts.assign(Z)
    distance = ((points[:, None, :] - contexts.kmeans_.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(assigned, distance.argmin(axis=1))


def test_categorical_codes_and_missing_values_have_a_distance():
    Z = np.array([[0.0, 0.0], [0.1, 1.0], [np.nan, 0.0], [5.0, np.nan]] * 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # four distinct rows: four contexts, not k-means' warning
        contexts = LocalContexts(max_rows=40, random_state=0).fit(Z, np.array([False, True]))
    assert len(contexts.groups_) == 4
    assert np.isfinite(contexts.space_.transform(Z)).all()
    assert contexts.assign(np.array([[np.nan, 7.0]])).shape == (1,)  # an unseen level is all zeros


def test_local_is_the_subsample_when_the_table_fits_the_context():
    X, y = checkerboard(200, 0)
    a, b = _fit(X, y, context="subsample"), _fit(X, y, context="local")
    assert b.local_contexts_ is None
    np.testing.assert_array_equal(a.predict_proba(X[:50]), b.predict_proba(X[:50]))


def test_local_contexts_predict_a_pattern_that_one_subsample_cannot():
    X, y = checkerboard(3000, 0)
    X_test, y_test = checkerboard(800, 1)
    subsample = _fit(X, y, max_context_rows=256, context="subsample")
    local = _fit(X, y, max_context_rows=256, context="local")
    auc_subsample = roc_auc_score(y_test, subsample.predict_proba(X_test)[:, 1])
    auc_local = roc_auc_score(y_test, local.predict_proba(X_test)[:, 1])
    assert auc_subsample < 0.6 < 0.9 < auc_local, (auc_subsample, auc_local)
    assert len(local.local_contexts_.groups_) == 24 and len(local.context_y_) == 3000


def test_local_contexts_are_seeded_picklable_and_row_by_row():
    X, y = checkerboard(600, 0)
    frame = pd.DataFrame(X, columns=["a", "b"])
    a = _fit(frame, y, max_context_rows=100, context="local")
    b = _fit(frame, y, max_context_rows=100, context="local")
    proba = a.predict_proba(frame[:60])
    np.testing.assert_array_equal(proba, b.predict_proba(frame[:60]))
    np.testing.assert_array_equal(proba, pickle.loads(pickle.dumps(a)).predict_proba(frame[:60]))
    np.testing.assert_array_equal(proba[7:8], a.predict_proba(frame[7:8]))  # a row alone: same numbers


@pytest.mark.parametrize("fit_mode", ["fit_with_cache", "low_memory"])
def test_local_contexts_in_both_fit_modes_and_with_a_temperature(fit_mode):
    X, y = checkerboard(500, 0)
    clf = _fit(X, y, max_context_rows=100, context="local", fit_mode=fit_mode, calibration="temperature")
    assert clf.fit_mode_ == fit_mode and (clf.cache_nbytes_ > 0) == (fit_mode == "fit_with_cache")
    assert clf.temperature_ > 0 and np.allclose(clf.predict_proba(X[:10]).sum(axis=1), 1)
    reference = _fit(X, y, max_context_rows=100, context="local", calibration="temperature")
    np.testing.assert_allclose(clf.predict_proba(X[:10]), reference.predict_proba(X[:10]), atol=1e-6)


def test_the_contexts_do_not_depend_on_the_thread_count():
    from threadpoolctl import threadpool_limits

    Z = np.random.default_rng(1).normal(size=(3000, 4))
    groups = []
    for threads in (1, 2):
        with threadpool_limits(threads):
            contexts = LocalContexts(max_rows=200, random_state=0).fit(Z, np.zeros(4, bool))
            groups.append((contexts.groups_, contexts.assign(Z)))
    for a, b in zip(groups[0][0], groups[1][0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(groups[0][1], groups[1][1])

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_causalmix.backbones import InContextClassifier

EXPECTED_FAILED_CHECKS = {
    "check_dtype_object": "object columns of arbitrary Python objects are refused with a TypeError that names "
    "the column and the fix, not sklearn's 'argument must be a string or a number' wording",
}


@parametrize_with_checks(
    [InContextClassifier(n_estimators=1, device="cpu", random_state=0),
     # local contexts on the checks' small tables: more rows than the context
     InContextClassifier(n_estimators=1, max_context_rows=20, context="local", device="cpu", random_state=0),
     # bagged contexts: two members, each its own 20-row subsample of the checks' tables
     InContextClassifier(n_estimators=2, max_context_rows=20, context="bagged", device="cpu", random_state=0)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _data(n=120, seed=0):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    idx = np.random.default_rng(seed).permutation(len(X))[:n]
    X = X.iloc[idx, :5].reset_index(drop=True).set_axis([f"f{i}" for i in range(5)], axis=1)
    X["color"] = np.where(X["f0"] > X["f0"].median(), "red", "blue")
    return X, pd.Series(np.where(y[idx] == 1, "yes", "no"), name="label")


def test_learns_with_string_labels_and_categoricals():
    X, y = _data()
    clf = InContextClassifier(n_estimators=2, device="cpu", random_state=0).fit(X[:80], y[:80])
    assert list(clf.classes_) == ["no", "yes"]
    proba = clf.predict_proba(X[80:])
    assert proba.shape == (40, 2) and np.allclose(proba.sum(1), 1)
    assert roc_auc_score(y[80:] == "yes", proba[:, 1]) > 0.85
    assert list(clf.feature_names_in_) == list(X.columns)


def test_deterministic_and_picklable():
    X, y = _data()
    a = InContextClassifier(n_estimators=3, device="cpu", random_state=1).fit(X[:80], y[:80])
    b = InContextClassifier(n_estimators=3, device="cpu", random_state=1).fit(X[:80], y[:80])
    np.testing.assert_allclose(a.predict_proba(X[80:]), b.predict_proba(X[80:]))
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_allclose(a.predict_proba(X[80:]), c.predict_proba(X[80:]))


def test_bad_inputs_have_clear_errors():
    X, y = _data()
    clf = InContextClassifier(n_estimators=1, device="cpu", handle_unknown="error").fit(X, y)
    with pytest.raises(ValueError, match="not seen at fit time"):
        clf.predict(X.assign(color="green"))
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X.drop(columns="f1"))
    with pytest.raises(ValueError, match="only one class"):
        InContextClassifier(device="cpu").fit(X, ["a"] * len(X))
    with pytest.raises(ValueError, match="at most 10"):
        InContextClassifier(device="cpu").fit(X, np.arange(len(X)) % 12)
    with pytest.raises(ValueError, match="infinite"):
        InContextClassifier(device="cpu").fit(X.assign(f1=np.inf), y)
    with pytest.raises(ValueError, match="same length"):
        InContextClassifier(device="cpu").fit(X, y[:-1])


def test_context_is_subsampled_stratified():
    X, y = _data(n=200)
    clf = InContextClassifier(n_estimators=1, max_context_rows=50, device="cpu", random_state=0).fit(X, y)
    assert len(clf.context_y_) == 50 and set(clf.context_y_) == {0, 1}


def test_missing_values_are_accepted():
    X, y = _data()
    X.iloc[::7, 1] = np.nan
    X.iloc[::5, 5] = None
    clf = InContextClassifier(n_estimators=1, device="cpu").fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "xla"])
def test_unknown_devices_are_refused_with_the_valid_values(device):
    from sklearn_causalmix.backbones import resolve_device

    with pytest.raises(ValueError, match="use 'auto', 'cpu', 'cuda', 'cuda:<index>' or 'mps'"):
        resolve_device(device)
    X, y = _data()
    with pytest.raises(ValueError, match="not a device this package runs on"):
        InContextClassifier(device=device).fit(X, y)

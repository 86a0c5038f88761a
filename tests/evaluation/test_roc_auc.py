"""The one ROC-AUC of the package: binary, multiclass one-vs-rest macro over present classes."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from sklearn_causalmix.evaluation import get_scoring, multiclass_roc_auc, roc_auc_scorer


def _proba(n, k, seed):
    rng = np.random.default_rng(seed)
    p = rng.random((n, k))
    return p / p.sum(axis=1, keepdims=True)


def test_binary_is_the_usual_auc():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50)
    p = _proba(50, 2, 1)
    expected = roc_auc_score(y, p[:, 1])
    assert multiclass_roc_auc(y, p) == pytest.approx(expected)
    assert multiclass_roc_auc(y, p[:, 1]) == pytest.approx(expected)
    # string labels: the second label is the positive class
    labels = np.array(["no", "yes"])
    assert multiclass_roc_auc(labels[y], p, labels=labels) == pytest.approx(expected)


def test_multiclass_equals_sklearn_ovr_when_every_class_occurs():
    y = np.random.default_rng(2).integers(0, 4, 80)
    p = _proba(80, 4, 3)
    assert multiclass_roc_auc(y, p) == pytest.approx(roc_auc_score(y, p, multi_class="ovr"))


def test_absent_classes_are_left_out_of_the_average():
    y = np.array([0, 2, 2, 0, 2, 0, 2])
    p = _proba(7, 4, 4)
    expected = np.mean([roc_auc_score(y == 0, p[:, 0]), roc_auc_score(y == 2, p[:, 2])])
    assert multiclass_roc_auc(y, p, labels=[0, 1, 2, 3]) == pytest.approx(expected)


def test_one_class_gives_nan_with_a_warning():
    with pytest.warns(UndefinedMetricWarning, match="Only 1 class"):
        assert np.isnan(multiclass_roc_auc([1, 1, 1], _proba(3, 3, 0), labels=[0, 1, 2]))
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(multiclass_roc_auc([], np.zeros((0, 2)), labels=[0, 1]))


def test_bad_inputs_are_named():
    p = _proba(4, 3, 0)
    with pytest.raises(ValueError, match="not among labels"):
        multiclass_roc_auc([0, 1, 5, 0], p, labels=[0, 1, 2])
    with pytest.raises(ValueError, match="pass labels="):
        multiclass_roc_auc([0, 1, 1, 0], p)
    with pytest.raises(ValueError, match="3 columns but 2 labels"):
        multiclass_roc_auc([0, 1, 1, 0], p, labels=[0, 1])
    with pytest.raises(ValueError, match="NaN or infinite"):
        multiclass_roc_auc([0, 1, 2, 0], np.where(p > 0.5, np.nan, p), labels=[0, 1, 2])
    with pytest.raises(ValueError, match="one row per label"):
        multiclass_roc_auc([0, 1, 2], p, labels=[0, 1, 2])
    with pytest.raises(ValueError, match="1D y_score"):
        multiclass_roc_auc([0, 1, 2, 0], p[:, 0], labels=[0, 1, 2])


def test_scorer_in_cross_validation_and_grid_search():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500)
    # Unshuffled 3-fold CV on iris: every test fold holds a single class -> NaN (sklearn raises).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        assert np.isnan(cross_val_score(model, X, y, cv=KFold(3), scoring=roc_auc_scorer)).all()
    # Folds lacking one class are scored over the two present classes.
    order = np.r_[np.arange(0, 100), np.arange(100, 150)]
    Xo, yo = X[order], y[order]
    cv = [(np.r_[0:40, 60:90, 100:150], np.r_[40:60, 90:100])]
    (score,) = cross_val_score(model, Xo, yo, cv=cv, scoring=roc_auc_scorer)
    est = model.fit(Xo[cv[0][0]], yo[cv[0][0]])
    test = cv[0][1]
    p = est.predict_proba(Xo[test])
    expected = np.mean([roc_auc_score(yo[test] == c, p[:, c]) for c in (0, 1)])
    assert score == pytest.approx(expected)
    Xb, yb = make_classification(n_samples=120, random_state=0)
    search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]}, scoring=roc_auc_scorer, cv=3)
    search.fit(Xb, yb)
    assert 0.5 < search.best_score_ <= 1
    assert get_scoring()["roc_auc"] is roc_auc_scorer

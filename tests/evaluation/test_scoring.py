import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from threadpoolctl import threadpool_limits

from sklearn_causalmix.evaluation import (
    SCORING,
    ece_scorer,
    expected_calibration_error,
    get_scoring,
    multiclass_brier_score,
)


@pytest.fixture(autouse=True)
def _one_thread():
    # Fits here are tiny; native thread pools only oversubscribe the 2 cores under pytest -n 2.
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    return X, np.array(["neg", "pos"])[y]


def test_ece_scorer_is_negated_ece_on_positive_class(binary_data):
    X, y = binary_data
    model = LogisticRegression().fit(X, y)
    expected = expected_calibration_error(y, model.predict_proba(X)[:, 1])
    assert ece_scorer(model, X, y) == pytest.approx(-expected)
    assert ece_scorer(model, X, y) < 0


def test_scoring_values_match_metrics_binary(binary_data):
    X, y = binary_data
    model = LogisticRegression().fit(X, y)
    proba = model.predict_proba(X)
    scoring = get_scoring()
    assert set(scoring) == {"roc_auc", "neg_ece", "neg_brier_score", "neg_log_loss"}
    assert scoring["roc_auc"](model, X, y) == pytest.approx(roc_auc_score(y, proba[:, 1]))
    assert scoring["neg_brier_score"](model, X, y) == pytest.approx(
        -brier_score_loss(y, proba[:, 1], pos_label="pos")
    )
    assert scoring["neg_log_loss"](model, X, y) == pytest.approx(-log_loss(y, proba))


def test_scoring_values_match_metrics_multiclass():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    proba = model.predict_proba(X)
    assert SCORING["roc_auc"](model, X, y) == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr")
    )
    assert SCORING["neg_ece"](model, X, y) == pytest.approx(-expected_calibration_error(y, proba))
    assert SCORING["neg_brier_score"](model, X, y) == pytest.approx(
        -multiclass_brier_score(y, proba)
    )


def test_cross_validate_and_grid_search_accept_the_scorers():
    X, y = load_iris(return_X_y=True)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    result = cross_validate(LogisticRegression(max_iter=1000), X, y, cv=cv, scoring=SCORING)
    for name in SCORING:
        scores = result[f"test_{name}"]
        assert scores.shape == (3,) and np.all(np.isfinite(scores))
    search = GridSearchCV(
        LogisticRegression(max_iter=1000), {"C": [0.01, 1.0]}, scoring=ece_scorer, cv=cv
    ).fit(X, y)
    assert search.best_score_ <= 0


def test_get_scoring_returns_a_fresh_dict():
    first = get_scoring()
    first.pop("roc_auc")
    assert "roc_auc" in get_scoring()

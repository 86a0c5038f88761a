"""What users' tables bring to the in-context classifiers: many levels, empty columns, long tables, warnings."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_causalmix import CausalMixFTClassifier, InContextClassifier
from sklearn_causalmix._core import UnseenLevelWarning

CHEAP = dict(n_estimators=1, device="cpu", random_state=0)
STATES = [f"S{i:02d}" for i in range(51)]


def _with_states(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    state = rng.choice(STATES, size=n, p=np.r_[np.full(40, 0.8 / 40), np.full(11, 0.2 / 11)])
    x = rng.normal(size=n)
    effect = np.array([int(s[1:]) % 3 for s in state]) - 1.0
    y = (x + effect + 0.3 * rng.normal(size=n) > 0).astype(int)
    return pd.DataFrame({"x": x, "state": state}), y


@pytest.mark.parametrize("make", [lambda: InContextClassifier(**CHEAP),
                                  lambda: CausalMixFTClassifier(synthetic_ratio=0.0, max_steps=2, **CHEAP)])
def test_a_51_level_column_is_accepted_and_coded_by_frequency(make):
    X, y = _with_states()
    clf = make().fit(X, y)
    (j,) = clf.level_codes_.maps  # the state column is recoded for the model
    assert j == 1 and len(clf.schema_.columns[1].categories) == 51
    assert np.nanmax(clf.context_X_[:, 1]) == 49  # 49 most frequent levels, then one code for the rest
    proba = clf.predict_proba(X)
    assert proba.shape == (1000, 2) and np.isfinite(proba).all()


@pytest.mark.parametrize("make", [lambda: InContextClassifier(**CHEAP),
                                  lambda: CausalMixFTClassifier(synthetic_ratio=0.0, max_steps=2, **CHEAP)])
def test_a_column_empty_in_the_training_rows_is_missing_not_refused(make):
    X, y = _with_states()
    X["income"] = np.nan  # e.g. a column observed in one domain only
    X["note"] = pd.Series([None] * len(X), dtype=object)
    clf = make().fit(X, y)
    assert np.isnan(clf.context_X_[:, 2:]).all()
    later = X.copy()
    later["income"] = 1000.0
    later["note"] = "seen later"
    with pytest.warns(UnseenLevelWarning, match="'note'"):
        proba = clf.predict_proba(later)
    assert np.isfinite(proba).all()


def test_long_training_sets_say_that_the_context_is_a_subsample():
    X, y = _with_states(n=300)
    with pytest.warns(UserWarning, match="larger than the prediction context \\(100 rows\\)"):
        InContextClassifier(max_context_rows=100, **CHEAP).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        InContextClassifier(**CHEAP).fit(X, y)  # within the context: nothing to say


def test_unseen_level_warning_points_at_the_users_call():
    X, y = _with_states()
    clf = InContextClassifier(**CHEAP).fit(X, y)
    X_new = X.assign(state="S99")
    with pytest.warns(UnseenLevelWarning) as caught:
        clf.predict_proba(X_new)
    assert caught[0].filename == __file__

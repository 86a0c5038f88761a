"""Fit on a source domain, predict on a shifted one: correct output or a clear error, never silent.

Both classifiers and the causal augmenter meet a target domain with categorical levels the source
never had (object, ``category`` and boolean columns), new missingness, numbers far outside the
training range, changed dtypes and reordered columns. The behaviours checked here are the ones
listed in ``docs/user_guide/reliability.rst``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_causalmix import CausalMixFTClassifier, CausalSCMAugmenter, InContextClassifier
from sklearn_causalmix._core import UnseenLevelWarning
from sklearn_causalmix.augment import NoiseAugmenter


def _source(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "f0": rng.normal(size=n),
        "f1": rng.normal(size=n),
        "age": rng.integers(20, 60, n),
        "site": rng.choice(["north", "south"], n),
        "grade": pd.Categorical(rng.choice(["x", "y"], n), categories=["x", "y"]),
        "flag": np.zeros(n, dtype=bool),  # never True in the source domain
    })
    y = np.where(X["f0"] + 0.3 * rng.normal(size=n) > 0, "pos", "neg")
    return X, y


def _shifted(n=40, seed=1):
    X, y = _source(n, seed)
    X["f0"] += 1.5  # covariate shift
    return X, y


CLASSIFIERS = {
    "in-context": lambda: InContextClassifier(n_estimators=2, device="cpu", random_state=0),
    "fine-tuned": lambda: CausalMixFTClassifier(
        augmenter=NoiseAugmenter(), synthetic_ratio=0.5, n_synthetic=64, max_steps=2,
        eval_every=1, episode_size=32, n_estimators=2, device="cpu", random_state=0),
}


@pytest.fixture(scope="module", params=sorted(CLASSIFIERS))
def fitted(request):
    X, y = _source()
    return CLASSIFIERS[request.param]().fit(X, y)


def _proba_quietly(clf, X):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proba = clf.predict_proba(X)
    return proba, [w for w in caught if issubclass(w.category, UnseenLevelWarning)], caught


def _valid(proba, n):
    assert proba.shape == (n, 2)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_unseen_levels_are_predicted_as_missing_with_one_warning(fitted):
    X, _ = _shifted()
    X.loc[:9, "site"] = "harbour"
    X["grade"] = X["grade"].cat.add_categories("z")
    X.loc[5:14, "grade"] = "z"
    X.loc[:3, "flag"] = True
    proba, unseen, _ = _proba_quietly(fitted, X)
    _valid(proba, len(X))
    assert len(unseen) == 1
    message = str(unseen[0].message)
    for text in ("column 'site': 10 cell(s), 1 level(s) ['harbour']",
                 "column 'grade': 10 cell(s), 1 level(s) ['z']",
                 "column 'flag': 4 cell(s), 1 level(s) [True]"):
        assert text in message
    # exactly what the same rows give with those cells missing
    as_missing = X.astype({"flag": object, "site": object})
    as_missing.loc[:9, "site"] = None
    as_missing["grade"] = as_missing["grade"].where(as_missing["grade"] != "z")
    as_missing.loc[:3, "flag"] = None
    np.testing.assert_allclose(proba, _proba_quietly(fitted, as_missing)[0], atol=1e-6)


def test_unseen_levels_with_handle_unknown_error_raise(fitted):
    X, _ = _shifted()
    X.loc[:9, "site"] = "harbour"
    strict = fitted.set_params(handle_unknown="error")
    try:
        with pytest.raises(ValueError, match=r"'site' has levels not seen at fit time: \['harb"):
            strict.predict(X)
    finally:
        fitted.set_params(handle_unknown="missing")


def test_new_missingness_is_predicted_without_a_warning(fitted):
    X, _ = _shifted()
    X.loc[:9, "f1"] = np.nan
    X["age"] = X["age"].astype("Int64")
    X.loc[5:9, "age"] = pd.NA
    X.loc[10:14, "site"] = None
    X.loc[15:19, "grade"] = np.nan
    X["flag"] = X["flag"].astype("boolean")
    X.loc[20:24, "flag"] = pd.NA
    proba, _, caught = _proba_quietly(fitted, X)
    _valid(proba, len(X))
    assert not [w for w in caught if issubclass(w.category, UserWarning)]
    # a column missing altogether in the target domain
    proba, _, _ = _proba_quietly(fitted, X.assign(f1=np.nan))
    _valid(proba, len(X))


@pytest.mark.parametrize("scale", [10.0, 1e6, -1e6])
def test_numbers_far_outside_the_training_range_give_valid_probabilities(fitted, scale):
    X, _ = _shifted()
    X["f0"] = X["f0"] * scale
    X["age"] = X["age"] + 500  # integers beyond the observed range
    proba, _, _ = _proba_quietly(fitted, X)
    _valid(proba, len(X))


def test_infinite_values_are_refused_with_the_fix(fitted):
    X, _ = _shifted()
    X.loc[3, "f1"] = np.inf
    with pytest.raises(ValueError, match="'f1' contains infinite values; replace them with NaN"):
        fitted.predict_proba(X)


def test_reordered_columns_are_refused_with_the_fix_and_the_fix_works(fitted):
    X, _ = _shifted()
    reordered = X[list(reversed(X.columns))]
    with pytest.raises(ValueError, match="same order|order"):
        fitted.predict_proba(reordered)
    np.testing.assert_allclose(fitted.predict_proba(reordered[list(X.columns)]),
                               fitted.predict_proba(X))


def test_missing_or_extra_columns_are_refused(fitted):
    X, _ = _shifted()
    with pytest.raises(ValueError, match="feature names|columns"):
        fitted.predict_proba(X.drop(columns="f1"))
    with pytest.raises(ValueError, match="feature names|columns"):
        fitted.predict_proba(X.assign(extra=1.0))


def test_changed_dtypes_with_the_same_values_give_the_same_output(fitted):
    X, _ = _shifted()
    expected = fitted.predict_proba(X)
    drifted = X.assign(grade=X["grade"].astype(str), site=X["site"].astype("category"),
                       age=X["age"].astype(float), f0=X["f0"].astype(str))
    np.testing.assert_allclose(fitted.predict_proba(drifted), expected, atol=1e-6)
    with pytest.raises(TypeError, match="'f1' was numeric at fit time but holds values"):
        fitted.predict_proba(X.assign(f1="high"))


def test_fine_tuned_monitor_on_the_shifted_domain_with_unseen_levels():
    X, y = _source()
    X_shift, y_shift = _shifted()
    X_shift.loc[:9, "site"] = "harbour"
    clf = CLASSIFIERS["fine-tuned"]()
    with pytest.warns(UnseenLevelWarning, match="'site'"):
        clf.fit(X, y, monitor=(X_shift, y_shift))
    assert all(np.isfinite(h["monitor_score"]) for h in clf.history_)


def test_augmenter_fitted_on_the_source_never_emits_target_levels():
    X, y = _source()
    X.loc[:9, "f1"] = np.nan
    aug = CausalSCMAugmenter(discovery="pc", n_bootstrap=3, n_graphs=2, random_state=0).fit(X, y)
    X_syn, y_syn = aug.sample(200)
    assert list(X_syn.columns) == list(X.columns)
    assert X_syn.dtypes.astype(str).tolist()[:2] == ["float64", "float64"]
    assert set(y_syn) <= {"neg", "pos"}
    # its schema meets the synthetic rows (nothing unseen) and the shifted domain (unseen = warned)
    assert aug.schema_.count_unseen(X_syn) == {}
    X_shift, _ = _shifted()
    X_shift.loc[:9, "site"] = "harbour"
    with pytest.warns(UnseenLevelWarning, match="'site': 10 cell"):
        Z = aug.schema_.encode(X_shift)
    assert np.isnan(Z[:10, 3]).all()
    # synthetic numbers stay finite; missingness is re-applied at the source rate
    assert np.isfinite(X_syn[["f0", "age"]].to_numpy(dtype=float)).all()
    assert 0 < X_syn["f1"].isna().mean() < 0.25


def test_augmenter_refit_on_the_shifted_domain_forgets_the_source():
    X, y = _source()
    X_shift, y_shift = _shifted()
    X_shift.loc[:19, "site"] = "harbour"
    aug = NoiseAugmenter(random_state=0).fit(X, y)
    aug.fit(X_shift[list(reversed(X_shift.columns))], y_shift)
    assert aug.feature_names_in_.tolist() == list(reversed(X_shift.columns))
    X_syn, _ = aug.sample(50)
    assert list(X_syn.columns) == list(reversed(X_shift.columns))
    assert "harbour" in aug.schema_.columns[list(X_syn.columns).index("site")].categories

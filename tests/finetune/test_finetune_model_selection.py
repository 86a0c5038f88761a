"""CausalMixFTClassifier inside scikit-learn's model-selection, pipeline and calibration tools."""

import joblib
import matplotlib
import numpy as np
import pytest
from finetune_doubles import JitterAugmenter, make_table
from sklearn.calibration import CalibratedClassifierCV, CalibrationDisplay
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_causalmix import CausalMixFTClassifier

matplotlib.use("Agg")

CHEAP = dict(max_steps=2, eval_every=1, episode_size=32, n_estimators=1, device="cpu", random_state=0)
RATIOS = [0.25, 0.5, 1.0]


def _grid(memory):
    clf = CausalMixFTClassifier(augmenter=JitterAugmenter(), n_synthetic=64, memory=memory, **CHEAP)
    return GridSearchCV(
        clf, {"synthetic_ratio": RATIOS}, cv=StratifiedKFold(2, shuffle=True, random_state=0), scoring="roc_auc"
    )


def test_grid_search_over_ratio_fits_the_augmenter_once_per_fold(tmp_path):
    X, y = make_table(n=120)
    search = _grid(memory=str(tmp_path / "cache")).fit(X, y)
    # 2 folds + the final refit on all rows; not 2 folds x 3 ratios + 1
    assert JitterAugmenter.n_fits == 2 + 1
    assert search.best_params_["synthetic_ratio"] in RATIOS
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # a second search with the same cache fits nothing
    JitterAugmenter.n_fits = 0
    again = _grid(memory=joblib.Memory(str(tmp_path / "cache"), verbose=0)).fit(X, y)
    assert JitterAugmenter.n_fits == 0
    np.testing.assert_allclose(again.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"])


def test_grid_search_without_memory_refits_every_candidate():
    X, y = make_table(n=120)
    _grid(memory=None).fit(X, y)
    assert JitterAugmenter.n_fits == 2 * len(RATIOS) + 1


def test_cache_key_changes_with_augmenter_params_and_n_synthetic(tmp_path):
    X, y = make_table(n=100)
    kw = dict(memory=str(tmp_path), synthetic_ratio=0.5, **CHEAP)
    CausalMixFTClassifier(augmenter=JitterAugmenter(scale=0.1), n_synthetic=64, **kw).fit(X, y)
    CausalMixFTClassifier(augmenter=JitterAugmenter(scale=0.1), n_synthetic=64, **kw).fit(X, y)
    assert JitterAugmenter.n_fits == 1
    CausalMixFTClassifier(augmenter=JitterAugmenter(scale=0.3), n_synthetic=64, **kw).fit(X, y)
    CausalMixFTClassifier(augmenter=JitterAugmenter(scale=0.1), n_synthetic=80, **kw).fit(X, y)
    CausalMixFTClassifier(augmenter=JitterAugmenter(scale=0.1), n_synthetic=64, **{**kw, "random_state": 1}).fit(X, y)
    CausalMixFTClassifier(augmenter=JitterAugmenter(scale=0.1), n_synthetic=64, **kw).fit(X[:90], y[:90])
    assert JitterAugmenter.n_fits == 5


def test_cached_pool_gives_the_same_model(tmp_path):
    X, y = make_table(n=120)
    kw = dict(augmenter=JitterAugmenter(), n_synthetic=64, synthetic_ratio=0.5, **CHEAP)
    plain = CausalMixFTClassifier(**kw).fit(X[:90], y[:90]).predict_proba(X[90:])
    cold = CausalMixFTClassifier(memory=str(tmp_path), **kw).fit(X[:90], y[:90]).predict_proba(X[90:])
    warm = CausalMixFTClassifier(memory=str(tmp_path), **kw).fit(X[:90], y[:90]).predict_proba(X[90:])
    np.testing.assert_array_equal(plain, cold)
    np.testing.assert_array_equal(cold, warm)


def test_cross_val_score():
    X, y = make_table(n=120)
    clf = CausalMixFTClassifier(augmenter=JitterAugmenter(), n_synthetic=64, **CHEAP)
    scores = cross_val_score(clf, X, y, cv=3, scoring="roc_auc")
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert JitterAugmenter.n_fits == 3


def test_pipeline_with_column_transformer():
    X, y = make_table(n=120)
    pre = ColumnTransformer(
        [("num", StandardScaler(), [f"f{i}" for i in range(5)]), ("cat", OneHotEncoder(sparse_output=False), ["colour"])],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipe = Pipeline(
        [("pre", pre), ("clf", CausalMixFTClassifier(augmenter=JitterAugmenter(), n_synthetic=64, **CHEAP))]
    )
    pipe.fit(X[:90], y[:90])
    assert list(pipe.classes_) == ["no", "yes"]
    assert pipe.predict_proba(X[90:]).shape == (30, 2)
    assert 0 <= pipe.score(X[90:], y[90:]) <= 1
    assert list(pipe[-1].feature_names_in_) == [f"f{i}" for i in range(5)] + ["colour_blue", "colour_red"]


def test_calibrated_classifier_cv_and_calibration_display():
    X, y = make_table(n=150)
    base = CausalMixFTClassifier(synthetic_ratio=0.0, **CHEAP)
    calibrated = CalibratedClassifierCV(base, cv=3, method="sigmoid").fit(X[:110], y[:110])
    proba = calibrated.predict_proba(X[110:])
    assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1)
    fitted = CausalMixFTClassifier(augmenter=JitterAugmenter(), n_synthetic=64, **CHEAP).fit(X[:110], y[:110])
    display = CalibrationDisplay.from_estimator(fitted, X[110:], y[110:], n_bins=5, pos_label="yes")
    assert display.prob_pred.shape == display.prob_true.shape
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize("ratio", [0.0, 1.0])
def test_grid_search_with_default_augmenter_is_cached(tmp_path, ratio):
    """The default CausalSCMAugmenter (cheap settings) through the same cached path."""
    from sklearn_causalmix import CausalSCMAugmenter

    X, y = make_table(n=100)
    clf = CausalMixFTClassifier(
        augmenter=CausalSCMAugmenter(n_bootstrap=2, n_graphs=1), n_synthetic=64, synthetic_ratio=ratio,
        memory=str(tmp_path), **CHEAP,
    ).fit(X, y)
    assert clf.n_synthetic_ == (0 if ratio == 0 else 64)
    assert np.isfinite(clf.predict_proba(X[:5])).all()


def test_monitor_is_routed_as_metadata_in_pipeline_and_grid_search():
    import sklearn
    from sklearn.exceptions import UnsetMetadataPassedError
    from sklearn.preprocessing import FunctionTransformer

    X, y = make_table(n=160)
    monitor = (X[120:], y[120:])
    kw = dict(synthetic_ratio=0.0, **CHEAP)
    direct = CausalMixFTClassifier(**kw).fit(X[:120], y[:120], monitor=monitor)
    expected = [h["monitor_score"] for h in direct.history_]
    with sklearn.config_context(enable_metadata_routing=True):
        keep = FunctionTransformer(feature_names_out="one-to-one").set_output(transform="pandas")
        pipe = Pipeline([("keep", keep), ("clf", CausalMixFTClassifier(**kw).set_fit_request(monitor=True))])
        pipe.fit(X[:120], y[:120], monitor=monitor)
        assert [h["monitor_score"] for h in pipe[-1].history_] == expected
        # not requested: scikit-learn refuses to drop it silently
        unrequested = Pipeline([("keep", keep), ("clf", CausalMixFTClassifier(**kw))])
        with pytest.raises(UnsetMetadataPassedError, match="monitor"):
            unrequested.fit(X[:120], y[:120], monitor=monitor)
        search = GridSearchCV(
            CausalMixFTClassifier(**kw).set_fit_request(monitor=True),
            {"learning_rate": [1e-4]},
            cv=StratifiedKFold(2, shuffle=True, random_state=0),
            scoring="roc_auc",
        )
        search.fit(X[:120], y[:120], monitor=monitor)
        # the refit on all rows got the same monitor set as the direct fit (same settings)
        assert [h["monitor_score"] for h in search.best_estimator_.history_] == expected

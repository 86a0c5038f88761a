import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from finetune_doubles import (
    JitterAugmenter,
    MarkedAugmenter,
    make_table,
    spy_default,
    spy_oom_default,
    tiny_backbone,
)
from sklearn.base import clone
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_causalmix import CausalMixFTClassifier, InContextClassifier
from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig
from sklearn_causalmix.evaluation import validation_test_gap
from sklearn_causalmix.finetune import _classifier as classifier_module
from sklearn_causalmix.finetune._evaluate import validation_score
from sklearn_causalmix.finetune._episodes import EpisodeSampler

CHEAP = dict(max_steps=2, eval_every=1, episode_size=32, n_estimators=1, device="cpu", random_state=0)

_SHARED_FAILURES = {
    "check_dtype_object": "an object column holding a dict is refused by the shared TableSchema with a TypeError "
    "that names the column and the supported value types, not numpy's 'argument must be a string or a number'",
}
# The early-stopping instance refuses classes with a single row (no room for a validation row, by design); the
# checks below build such targets (e.g. y = X[:, 0].astype(int) on 20 rows).
_SINGLE_ROW_CLASS = "the check's target has a class with one row; early stopping refuses it with a ValueError " \
    "naming the class and the fix (early_stopping=False), which the other instance passes"
_EARLY_STOPPING_FAILURES = {
    name: _SINGLE_ROW_CLASS
    for name in (
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_f_contiguous_array_estimator",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_fit2d_predict1d",
    )
}


def _expected_failed_checks(estimator):
    if estimator.early_stopping:
        return {**_SHARED_FAILURES, **_EARLY_STOPPING_FAILURES}
    return _SHARED_FAILURES


CHECKS = {**CHEAP, "max_steps": 1, "episode_size": 16}


@parametrize_with_checks(
    [
        CausalMixFTClassifier(synthetic_ratio=0.0, early_stopping=False, **CHECKS),
        CausalMixFTClassifier(synthetic_ratio=0.5, augmenter=JitterAugmenter(), n_synthetic=32, **CHECKS),
        CausalMixFTClassifier(synthetic_ratio=0.5, augmenter=JitterAugmenter(), n_synthetic=32, context="local",
                              max_context_rows=20, early_stopping=False, **CHECKS),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fit_predict_string_labels_history_and_attributes():
    X, y = make_table(n=160)
    clf = CausalMixFTClassifier(augmenter=JitterAugmenter(), n_synthetic=100, patience=10, scoring="roc_auc",
                                **{**CHEAP, "max_steps": 4})
    clf.fit(X[:120], y[:120], monitor=(X[120:], y[120:]))
    assert list(clf.classes_) == ["no", "yes"] and clf.n_features_in_ == 6
    assert list(clf.feature_names_in_) == list(X.columns)
    assert [h["step"] for h in clf.history_] == [0, 1, 2, 3, 4]
    for entry in clf.history_:
        assert {"step", "train_loss", "val_score", "monitor_score"} <= set(entry)
        assert 0 <= entry["val_score"] <= 1 and 0 <= entry["monitor_score"] <= 1
    assert np.isnan(clf.history_[0]["train_loss"]) and np.isfinite(clf.history_[-1]["train_loss"])
    assert clf.best_step_ in {h["step"] for h in clf.history_} and clf.n_steps_ == 4
    best = max(h["val_score"] for h in clf.history_)
    assert clf.best_score_ == best == next(h["val_score"] for h in clf.history_ if h["step"] == clf.best_step_)
    assert clf.n_synthetic_ == 100 and JitterAugmenter.n_fits == 1
    proba = clf.predict_proba(X[120:])
    assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(X[120:])) <= {"no", "yes"}
    assert 0 <= clf.score(X[120:], y[120:]) <= 1
    gap = validation_test_gap(clf.history_, nan_policy="omit")
    assert np.isnan(gap) or 0 <= gap <= 2


def test_monitor_never_changes_training():
    X, y = make_table(n=160)
    kw = dict(augmenter=JitterAugmenter(), n_synthetic=100, **{**CHEAP, "max_steps": 3})
    a = CausalMixFTClassifier(**kw).fit(X[:120], y[:120])
    b = CausalMixFTClassifier(**kw).fit(X[:120], y[:120], monitor=(X[120:], y[120:]))
    np.testing.assert_array_equal(a.predict_proba(X[120:]), b.predict_proba(X[120:]))
    assert [h["val_score"] for h in a.history_] == [h["val_score"] for h in b.history_]
    assert "monitor_score" not in a.history_[0] and "monitor_score" in b.history_[0]


def test_best_state_is_restored_and_step_zero_can_win():
    X, y = make_table(n=160)
    # A huge learning rate wrecks the model: early stopping must keep the pretrained weights (step 0).
    clf = CausalMixFTClassifier(synthetic_ratio=0.0, learning_rate=0.5, patience=2, **{**CHEAP, "max_steps": 6})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        clf.fit(X[:120], y[:120])
    assert clf.best_step_ == 0 and clf.n_steps_ <= 6
    zero_shot = CausalMixFTClassifier(max_steps=0, n_estimators=1, device="cpu", random_state=0).fit(X[:120], y[:120])
    np.testing.assert_allclose(clf.predict_proba(X[120:]), zero_shot.predict_proba(X[120:]), atol=1e-6)
    # early stopping stopped after `patience` evaluations without improvement
    assert len(clf.history_) <= 1 + 6


def test_max_steps_zero_equals_in_context_classifier():
    X, y = make_table(n=150)
    for backbone in ("default", tiny_backbone):
        ft = CausalMixFTClassifier(backbone, max_steps=0, n_estimators=3, device="cpu", random_state=7)
        ic = InContextClassifier(backbone, n_estimators=3, device="cpu", random_state=7)
        np.testing.assert_array_equal(
            ft.fit(X[:100], y[:100]).predict_proba(X[100:]), ic.fit(X[:100], y[:100]).predict_proba(X[100:])
        )
        assert ft.n_steps_ == 0 and ft.best_step_ == 0 and len(ft.history_) == 1
    # zero-shot fits no augmenter
    CausalMixFTClassifier(max_steps=0, augmenter=JitterAugmenter(), device="cpu").fit(X, y)
    assert JitterAugmenter.n_fits == 0


def test_ratio_zero_fits_no_augmenter_and_ratio_one_uses_synthetic_rows_only(monkeypatch):
    X, y = make_table(n=120)
    CausalMixFTClassifier(synthetic_ratio=0.0, augmenter=JitterAugmenter(), **CHEAP).fit(X, y)
    assert JitterAugmenter.n_fits == 0
    batches = _record_batches(monkeypatch)
    CausalMixFTClassifier(synthetic_ratio=1.0, augmenter=JitterAugmenter(), n_synthetic=50, **CHEAP).fit(X, y)
    assert JitterAugmenter.n_fits == 1 and batches
    assert all(b.context_synthetic.all() and b.query_synthetic.all() for b in batches)


def _record_batches(monkeypatch):
    batches = []
    original = EpisodeSampler.sample

    def recording(self, batch_size=1):
        batch = original(self, batch_size)
        batches.append(batch)
        return batch

    monkeypatch.setattr(EpisodeSampler, "sample", recording)
    return batches


@pytest.mark.parametrize("episodes, placement, shares", [
    ("whole_table", "both", (0.5, 0.5)), ("whole_table", "query", (0.0, 0.5)), ("whole_table", "context", (0.5, 0.0)),
    ("sampled", "both", (0.5, 0.5)),
])
def test_synthetic_rows_never_reach_validation_context_or_test(monkeypatch, episodes, placement, shares):
    """Leakage: synthetic rows (marker >= 10_000 in column 0) and validation rows (ids) stay where they belong."""
    X, y = make_table(n=150)
    X = X.drop(columns="colour")
    n = len(X)
    X.insert(1, "row_id", 500.0 + np.arange(n))  # every real row carries a unique id in [500, 650)
    X_train, y_train, X_test, y_test = X[:110], y[:110], X[110:], y[110:]
    batches = _record_batches(monkeypatch)
    clf = CausalMixFTClassifier(
        spy_default, augmenter=MarkedAugmenter(), synthetic_ratio=0.5, n_synthetic=200, episodes=episodes,
        synthetic_placement=placement, **{**CHEAP, "max_steps": 4, "eval_every": 2},
    )
    clf.fit(X_train, y_train, monitor=(X_test, y_test))
    calls = clf.backbone_.calls

    def marker(a):
        return a >= 10_000

    def ids(a):
        return set((a[(a >= 500) & (a < 500 + n)] - 500).astype(int).tolist())

    train_calls = [c for c in calls if c["training"]]
    eval_calls = [c for c in calls if not c["training"]]
    assert len(train_calls) == 4 and len(eval_calls) >= 3 * 2
    # 1. the sampler's provenance: the synthetic share of every context and query as placed; flags match markers
    assert len(batches) == 4
    for batch, call in zip(batches, train_calls):
        for share, flags, values in zip(shares, (batch.context_synthetic, batch.query_synthetic),
                                        (call["context"], call["query"])):
            assert flags.mean() == pytest.approx(share, abs=0.05)
            np.testing.assert_array_equal(marker(values).any(axis=2), flags)
    # 2. evaluation and inference never see a synthetic row, neither as context nor as query
    for call in eval_calls:
        assert not marker(call["context"]).any() and not marker(call["query"]).any()
    # the only columns that can hold ids are row ids: features are in [-10, 10]
    assert max(abs(X_train.drop(columns="row_id").to_numpy()).max(), 0) < 500
    # 3. validation rows (the queries of the validation calls) never appear in a training episode
    train_ids_seen = set().union(*(ids(c["context"]) | ids(c["query"]) for c in train_calls))
    test_ids = set(range(110, n))
    val_calls = [c for c in eval_calls if not ids(c["query"]) & test_ids]
    val_ids = set().union(*(ids(c["query"]) for c in val_calls))
    assert val_ids and not val_ids & train_ids_seen and not val_ids & test_ids
    # ... nor in the validation context, which holds real training rows only
    assert all(not ids(c["context"]) & (val_ids | test_ids) for c in eval_calls)
    # 4. test rows never reach training; at prediction the context is the real rows only
    assert not train_ids_seen & test_ids
    clf.backbone_.calls.clear()
    clf.predict_proba(X_test)
    (pred_call,) = clf.backbone_.calls
    assert not marker(pred_call["context"]).any()
    assert ids(pred_call["context"]) == set(range(110)) and ids(pred_call["query"]) == test_ids


def test_determinism_and_global_torch_rng_untouched():
    X, y = make_table(n=140)
    kw = dict(augmenter=JitterAugmenter(), n_synthetic=80, **{**CHEAP, "max_steps": 3, "n_estimators": 2})
    state = torch.random.get_rng_state()
    a = CausalMixFTClassifier(tiny_backbone, **kw).fit(X[:100], y[:100])
    assert torch.equal(torch.random.get_rng_state(), state)
    b = CausalMixFTClassifier(tiny_backbone, **kw).fit(X[:100], y[:100])
    np.testing.assert_array_equal(a.predict_proba(X[100:]), b.predict_proba(X[100:]))
    assert [h["train_loss"] for h in a.history_][1:] == [h["train_loss"] for h in b.history_][1:]
    c = CausalMixFTClassifier(tiny_backbone, **{**kw, "random_state": 1}).fit(X[:100], y[:100])
    assert not np.array_equal(a.predict_proba(X[100:]), c.predict_proba(X[100:]))


def test_clone_and_pickle():
    X, y = make_table(n=120)
    clf = CausalMixFTClassifier(augmenter=JitterAugmenter(scale=0.2), **CHEAP)
    cloned = clone(clf)
    assert cloned.get_params()["augmenter"].scale == 0.2 and cloned.augmenter is not clf.augmenter
    clf.fit(X[:90], y[:90])
    assert not hasattr(cloned, "classes_")
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X[90:]), clf.predict_proba(X[90:]))
    assert pd.DataFrame(restored.history_).equals(pd.DataFrame(clf.history_))
    # the user's augmenter object is never fitted
    assert not hasattr(clf.augmenter, "X_")


def test_fit_resample_augmenter():
    """Augmenters with only fit_resample (imbalanced-learn style) give their new rows as the pool."""

    class AppendNoisy:
        def fit_resample(self, X, y):
            X = np.asarray(X, dtype=float)
            noisy = X + np.random.default_rng(0).normal(scale=0.05, size=X.shape)
            return np.vstack([X, noisy]), np.concatenate([y, y])

    class Duplicate:
        def fit_resample(self, X, y):
            return np.vstack([X, X]), np.concatenate([y, y])

    X, y = make_table(n=120)
    X = X.drop(columns="colour").to_numpy()
    y = y.to_numpy()
    clf = CausalMixFTClassifier(augmenter=AppendNoisy(), n_synthetic=50, **CHEAP).fit(X, y)
    assert clf.n_synthetic_ == 50
    with pytest.raises(ValueError, match="no row that is not already in the training data"):
        CausalMixFTClassifier(augmenter=Duplicate(), **CHEAP).fit(X, y)


def test_early_stopping_off_uses_all_rows_and_final_weights():
    X, y = make_table(n=100)
    clf = CausalMixFTClassifier(synthetic_ratio=0.0, early_stopping=False, **{**CHEAP, "max_steps": 3}).fit(X, y)
    assert clf.best_step_ == clf.n_steps_ == 3
    assert all(np.isnan(h["val_score"]) for h in clf.history_)
    # a class of one row is fine without a validation split
    y2 = y.copy()
    y2.iloc[0] = "rare"
    CausalMixFTClassifier(synthetic_ratio=0.0, early_stopping=False, **CHEAP).fit(X, y2)


def test_out_of_memory_halves_the_episode_and_warns():
    X, y = make_table(n=200)
    clf = CausalMixFTClassifier(spy_oom_default, synthetic_ratio=0.0, episodes="sampled",
                                **{**CHEAP, "episode_size": 100})
    with pytest.warns(RuntimeWarning, match="Out of memory.*retrying with 50 rows"):
        clf.fit(X, y)
    assert clf.episode_size_ <= 24 and clf.n_steps_ == 2
    assert clf.history_[-1]["episode_size"] == clf.episode_size_


def test_bad_inputs_have_clear_errors():
    X, y = make_table(n=120)
    clf = CausalMixFTClassifier(synthetic_ratio=0.0, handle_unknown="error", **CHEAP).fit(X, y)
    with pytest.raises(ValueError, match="not seen at fit time"):
        clf.predict(X.assign(colour="green"))
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X.drop(columns="f1"))
    with pytest.raises(ValueError, match="same order"):
        clf.predict(X[list(reversed(X.columns))])
    with pytest.raises(ValueError, match="features"):
        clf.predict(X.to_numpy()[:, :3])
    # a class too small for the validation split: the message names the class and the fix
    y_rare = y.copy()
    y_rare.iloc[0] = "rare"
    with pytest.raises(ValueError, match="Class 'rare' has 1 row.*early_stopping=False"):
        CausalMixFTClassifier(synthetic_ratio=0.0, **CHEAP).fit(X, y_rare)
    with pytest.raises(ValueError, match="at most 10"):
        CausalMixFTClassifier(**CHEAP).fit(X, np.arange(len(X)) % 12)
    with pytest.raises(ValueError, match="only one class"):
        CausalMixFTClassifier(**CHEAP).fit(X, ["a"] * len(X))
    with pytest.raises(ValueError, match="infinite"):
        CausalMixFTClassifier(**CHEAP).fit(X.assign(f1=np.inf), y)
    with pytest.raises(ValueError, match="same length"):
        CausalMixFTClassifier(**CHEAP).fit(X, y[:-1])
    with pytest.raises(ValueError, match="missing labels"):
        CausalMixFTClassifier(**CHEAP).fit(X, y.where(y.index > 0, None))
    with pytest.raises(TypeError, match="not a live nn.Module"):
        CausalMixFTClassifier(backbone=tiny_backbone(), **CHEAP).fit(X, y)
    with pytest.raises(ValueError, match="synthetic_ratio"):
        CausalMixFTClassifier(synthetic_ratio=1.5).fit(X, y)
    with pytest.raises(ValueError, match="augmenter"):
        CausalMixFTClassifier(augmenter="smote").fit(X, y)
    # monitor set problems
    with pytest.raises(TypeError, match="monitor must be a tuple"):
        CausalMixFTClassifier(synthetic_ratio=0.0, **CHEAP).fit(X, y, monitor=X)
    with pytest.raises(ValueError, match="not among the training classes"):
        CausalMixFTClassifier(synthetic_ratio=0.0, **CHEAP).fit(X, y, monitor=(X[:5], ["maybe"] * 5))
    with pytest.raises(ValueError, match="not seen at fit time"):
        CausalMixFTClassifier(synthetic_ratio=0.0, handle_unknown="error", **CHEAP).fit(
            X, y, monitor=(X.assign(colour="green"), y)
        )


def test_bad_augmenter_output_is_reported():
    class WrongLabels(JitterAugmenter):
        def sample(self, n, random_state=None):
            X, y = super().sample(n, random_state)
            return X, np.full(n, "maybe", dtype=object)

    class WrongColumns(JitterAugmenter):
        def sample(self, n, random_state=None):
            X, y = super().sample(n, random_state)
            return X.drop(columns="f0"), y

    X, y = make_table(n=100)
    with pytest.raises(ValueError, match="WrongLabels returned labels \\['maybe'\\]"):
        CausalMixFTClassifier(augmenter=WrongLabels(), **CHEAP).fit(X, y)
    with pytest.raises(ValueError, match="WrongColumns returned synthetic rows that do not match"):
        CausalMixFTClassifier(augmenter=WrongColumns(), **CHEAP).fit(X, y)


def test_progress_bar_only_when_verbose(capsys):
    X, y = make_table(n=100)
    CausalMixFTClassifier(synthetic_ratio=0.0, **CHEAP).fit(X, y)
    assert "fine-tuning" not in capsys.readouterr().err
    CausalMixFTClassifier(synthetic_ratio=0.0, verbose=1, **CHEAP).fit(X, y)
    assert "val=" in capsys.readouterr().err


def test_validation_score_multiclass_and_log_loss():
    y = np.array([0, 1, 2, 2])
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]])
    assert validation_score(y, proba, "roc_auc") == 1.0
    assert validation_score(y[2:], proba[2:], "roc_auc") != validation_score(
        y[2:], proba[2:], "roc_auc"
    )  # NaN: one class present
    assert validation_score(y, proba, "neg_log_loss") < 0


def _learnable_backbone():
    torch.manual_seed(0)
    return CausalMixPFN(PFNConfig(d_model=32, n_layers=1, n_heads=2))


def test_finetuning_a_learnable_task_moves_the_weights_and_improves_validation():
    # A randomly initialised one-layer PFN and a task it can learn in context (the sign of x0): 30 steps
    # must change the weights and pick a step after 0 with a clearly better validation ROC-AUC.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = CausalMixFTClassifier(
        _learnable_backbone, synthetic_ratio=0.0, max_steps=30, eval_every=5, patience=20, learning_rate=1e-3,
        episode_size=64, n_estimators=1, device="cpu", random_state=0, episodes="sampled", query_fraction=0.25,
        warmup=0.0, scoring="roc_auc",
    ).fit(X, y)
    start = _learnable_backbone().state_dict()
    moved = [name for name, value in clf.backbone_.state_dict().items() if not torch.equal(value, start[name])]
    assert moved, "fine-tuning did not change any weight"
    assert clf.best_step_ > 0
    assert clf.best_score_ >= clf.history_[0]["val_score"] + 0.05
    assert clf.best_score_ == max(h["val_score"] for h in clf.history_)


def test_unseen_levels_are_predicted_as_missing_with_one_warning():
    from sklearn_causalmix._core import UnseenLevelWarning

    X, y = make_table(n=160)
    clf = CausalMixFTClassifier(synthetic_ratio=0.0, **CHEAP).fit(X[:120], y[:120])
    shifted = X[120:].copy()
    shifted.loc[shifted.index[:7], "colour"] = "green"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proba = clf.predict_proba(shifted)
    unseen = [w for w in caught if issubclass(w.category, UnseenLevelWarning)]
    assert len(unseen) == 1 and "column 'colour': 7 cell(s), 1 level(s) ['green']" in str(unseen[0].message)
    as_missing = shifted.assign(colour=shifted["colour"].where(shifted["colour"] != "green"))
    np.testing.assert_allclose(proba, clf.predict_proba(as_missing))
    # the monitor set may hold them too
    with pytest.warns(UnseenLevelWarning):
        fitted = CausalMixFTClassifier(synthetic_ratio=0.0, **CHEAP).fit(X[:120], y[:120], monitor=(shifted, y[120:]))
    assert np.isfinite(fitted.history_[0]["monitor_score"])


class _BrokenAugmenter(JitterAugmenter):
    def sample(self, n, random_state=None):
        raise RuntimeError("the augmenter broke")


def test_failed_fit_keeps_the_previous_fitted_state_or_none():
    from sklearn.exceptions import NotFittedError

    X, y = make_table(n=160)
    clf = CausalMixFTClassifier(synthetic_ratio=0.0, **CHEAP).fit(X[:120], y[:120])
    before = clf.predict_proba(X[120:])
    state = dict(vars(clf))
    # fails midway: after the split and the schema, in the augmenter, on other data with other columns
    other = X[:100].drop(columns="f4").assign(extra=1.0)
    clf.set_params(synthetic_ratio=0.5, augmenter=_BrokenAugmenter())
    with pytest.raises(RuntimeError, match="the augmenter broke"):
        clf.fit(other, y[:100])
    assert {k: v for k, v in vars(clf).items() if k.endswith("_")} == {
        k: v for k, v in state.items() if k.endswith("_")
    }
    np.testing.assert_array_equal(clf.predict_proba(X[120:]), before)
    assert clf.n_features_in_ == 6 and "f4" in clf.feature_names_in_
    # an unfitted estimator whose first fit fails stays unfitted
    fresh = CausalMixFTClassifier(synthetic_ratio=0.5, augmenter=_BrokenAugmenter(), **CHEAP)
    with pytest.raises(RuntimeError):
        fresh.fit(X, y)
    assert not [k for k in vars(fresh) if k.endswith("_")]
    with pytest.raises(NotFittedError):
        fresh.predict(X)


class _InventingAugmenter(JitterAugmenter):
    def sample(self, n, random_state=None):
        X, y = super().sample(n, random_state)
        return X.assign(colour="purple"), y


def test_an_augmenter_inventing_levels_is_refused_not_masked():
    X, y = make_table(n=100)
    clf = CausalMixFTClassifier(augmenter=_InventingAugmenter(), n_synthetic=32, **CHEAP)
    with pytest.raises(ValueError, match="do not match the training columns.*'colour' has levels not seen"):
        clf.fit(X, y)


def test_predictor_is_deprecated_and_returns_the_estimator():
    X, y = make_table(n=60)
    clf = CausalMixFTClassifier(max_steps=0, n_estimators=1, device="cpu", random_state=0).fit(X, y)
    with pytest.warns(FutureWarning, match="predictor_ is deprecated in 0.2"):
        assert clf.predictor_ is clf
    assert isinstance(clf, InContextClassifier) and clf.context_X_.shape[0] == len(y)


def _damaged_backbone():
    """The shipped weights with noise on every weight matrix: zero-shot becomes poor (ROC-AUC ~0.79 below)."""
    from sklearn_causalmix.backbones import load_default_backbone

    model = load_default_backbone()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim == 2:
                p.add_(1.5 * p.std() * torch.randn(p.shape, generator=gen))
    return model


def _linear_task(seed=0, n=600):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X[:300], y[:300], X[300:], y[300:]


def test_whole_table_finetuning_repairs_a_poor_zero_shot_model():
    """The recipe must do something: where zero-shot is poor, 40 steps raise held-out ROC-AUC and lower log-loss."""
    from sklearn.metrics import log_loss, roc_auc_score

    X, y, X_test, y_test = _linear_task()
    common = dict(synthetic_ratio=0.0, device="cpu", random_state=0, n_estimators=1)
    zero_shot = CausalMixFTClassifier(_damaged_backbone, max_steps=0, **common).fit(X, y).predict_proba(X_test)
    tuned = CausalMixFTClassifier(_damaged_backbone, max_steps=40, learning_rate=3e-4, early_stopping=False,
                                  **common).fit(X, y).predict_proba(X_test)
    assert roc_auc_score(y_test, zero_shot[:, 1]) < 0.82
    assert roc_auc_score(y_test, tuned[:, 1]) >= roc_auc_score(y_test, zero_shot[:, 1]) + 0.03
    assert log_loss(y_test, tuned) <= log_loss(y_test, zero_shot) - 0.03


def test_zero_shot_is_kept_when_finetuning_only_hurts():
    X, y, X_test, _ = _linear_task()
    common = dict(synthetic_ratio=0.0, device="cpu", random_state=0, n_estimators=1)
    zero_shot = CausalMixFTClassifier(max_steps=0, **common).fit(X, y)
    wrecked = CausalMixFTClassifier(max_steps=20, eval_every=5, learning_rate=0.3, warmup=0.0, **common).fit(X, y)
    assert wrecked.best_step_ == 0 and wrecked.n_steps_ > 0
    assert all(h["val_score"] <= wrecked.history_[0]["val_score"] for h in wrecked.history_)
    np.testing.assert_allclose(wrecked.predict_proba(X_test), zero_shot.predict_proba(X_test), rtol=0, atol=1e-12)


def test_cv_chooses_the_step_on_the_mean_fold_curve_and_refits_on_all_rows():
    X, y, X_test, _ = _linear_task()
    clf = CausalMixFTClassifier(synthetic_ratio=0.0, cv=3, max_steps=6, eval_every=3, learning_rate=1e-4,
                                device="cpu", random_state=0, n_estimators=1).fit(X, y)
    assert [h["step"] for h in clf.history_] == [0, 3, 6]
    for entry in clf.history_:
        assert len(entry["fold_scores"]) == 3
        assert entry["val_score"] == pytest.approx(np.mean(entry["fold_scores"]))
    best = max(clf.history_, key=lambda h: h["val_score"])
    assert clf.best_step_ == best["step"] and clf.best_score_ == best["val_score"]
    assert clf.n_steps_ == clf.best_step_
    again = clone(clf).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X_test), clf.predict_proba(X_test))


def test_cv_needs_two_rows_of_every_class():
    X, y, _, _ = _linear_task()
    y = y.copy()
    y[0] = 2  # a class with one row
    with pytest.raises(ValueError, match="cv=3 needs at least 2 rows of every class"):
        CausalMixFTClassifier(synthetic_ratio=0.0, cv=3, max_steps=2, device="cpu", n_estimators=1).fit(X, y)


@pytest.mark.parametrize("finetune_kw", [dict(max_steps=0), dict(max_steps=4, eval_every=2), dict(max_steps=4, cv=2)])
def test_temperature_is_fitted_out_of_fold_and_keeps_the_ranking(finetune_kw):
    from sklearn.metrics import roc_auc_score

    X, y, X_test, y_test = _linear_task()
    common = dict(synthetic_ratio=0.0, device="cpu", random_state=0, n_estimators=1, **finetune_kw)
    raw = CausalMixFTClassifier(**common).fit(X, y)
    calibrated = CausalMixFTClassifier(calibration="temperature", **common).fit(X, y)
    assert raw.temperature_ == 1.0 and calibrated.temperature_ != 1.0
    p_raw, p_cal = raw.predict_proba(X_test), calibrated.predict_proba(X_test)
    assert not np.allclose(p_raw, p_cal)
    np.testing.assert_allclose(p_cal.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert roc_auc_score(y_test, p_cal[:, 1]) == pytest.approx(roc_auc_score(y_test, p_raw[:, 1]), abs=1e-12)
    if finetune_kw["max_steps"] == 0:  # zero-shot: the same temperature as the zero-shot estimator's
        icl = InContextClassifier(calibration="temperature", device="cpu", random_state=0, n_estimators=1).fit(X, y)
        assert icl.temperature_ == calibrated.temperature_


def test_local_views_fine_tune_a_pattern_that_only_local_contexts_show():
    # an 8 x 8 checkerboard: a 256-row context of the whole board predicts it at chance, the rows near a query
    # tell its cell; fine-tuning on local views (the rows nearest a training row) sharpens that further
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 8, size=(2600, 2))
    y = ((np.floor(X[:, 0]) + np.floor(X[:, 1])) % 2).astype(int)
    train, test = slice(0, 2000), slice(2000, None)
    params = dict(synthetic_ratio=0.0, max_context_rows=256, max_query_rows=128, context="local", eval_every=10,
                  n_estimators=1, device="cpu", random_state=0)
    zero_shot = CausalMixFTClassifier(max_steps=0, **params).fit(X[train], y[train])
    tuned = CausalMixFTClassifier(max_steps=30, **params).fit(X[train], y[train])
    assert tuned.best_step_ > 0
    assert tuned.best_score_ > tuned.history_[0]["val_score"] + 0.05  # validation log-loss, higher is better
    loss = [log_loss(y[test], m.predict_proba(X[test])) for m in (zero_shot, tuned)]
    assert loss[1] < loss[0] - 0.03, loss
    assert roc_auc_score(y[test], zero_shot.predict_proba(X[test])[:, 1]) > 0.9


def test_local_context_is_the_subsample_when_the_table_fits():
    X, y = make_table(n=160)
    fits = [CausalMixFTClassifier(augmenter=JitterAugmenter(), n_synthetic=64, context=context,
                                  **{**CHEAP, "max_steps": 3}).fit(X[:120], y[:120])
            for context in ("subsample", "local")]
    np.testing.assert_array_equal(fits[0].predict_proba(X[120:]), fits[1].predict_proba(X[120:]))
    assert [h["val_score"] for h in fits[0].history_] == [h["val_score"] for h in fits[1].history_]


def test_fixed_feature_ids_train_with_the_vectors_that_predict(monkeypatch):
    """feature_ids="fixed": every training forward pass uses eval mode's identity vectors; "random" never does."""
    from sklearn_causalmix.backbones.embedded._pfn_base import PFNBase

    original, seen = PFNBase._feature_vectors, []

    def spy(self, n_features, device, dtype):
        vectors = original(self, n_features, device, dtype)
        if self.training:
            was, self.training = self.training, False
            seen.append(torch.equal(vectors, original(self, n_features, device, dtype)))
            self.training = was
        return vectors

    monkeypatch.setattr(PFNBase, "_feature_vectors", spy)
    X, y, X_test, _ = _linear_task()
    common = dict(synthetic_ratio=0.0, max_steps=4, early_stopping=False, n_estimators=1, device="cpu",
                  random_state=0)
    fixed = CausalMixFTClassifier(feature_ids="fixed", **common).fit(X, y)
    assert seen and all(seen)
    assert fixed.backbone_.fixed_feature_ids is False  # restored after fine-tuning
    seen.clear()
    random = CausalMixFTClassifier(**common).fit(X, y)
    assert seen and not any(seen)
    assert not np.allclose(fixed.predict_proba(X_test), random.predict_proba(X_test))
    again = CausalMixFTClassifier(feature_ids="fixed", **common).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X_test), fixed.predict_proba(X_test))


def test_fixed_feature_ids_need_a_backbone_with_identity_vectors():
    X, y = make_table(n=80)
    clf = CausalMixFTClassifier(spy_default, feature_ids="fixed", synthetic_ratio=0.0, **CHEAP)
    with pytest.raises(ValueError, match="feature_ids='fixed' needs a backbone with feature-identity vectors"):
        clf.fit(X, y)

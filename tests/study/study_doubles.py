"""A small stand-in for CausalMixFTClassifier, so that study tests run in seconds.

A module of its own (not ``conftest``): joblib workers unpickle ``TinyFineTuner`` by module name,
and
``conftest`` names several modules in this repository.

``TinyFineTuner`` has the study-facing parameters of CausalMixFTClassifier (``augmenter``,
``synthetic_ratio``, ``max_steps`` with 0 = zero-shot, ``memory``, ``random_state``,
``synthetic_placement``, recorded only), mixes real and
synthetic rows by the augmenter's ``fit_resample`` (cached with ``memory``), trains an SGD logistic
model for ``max_steps`` epochs and records ``history_`` with ``val_score`` (a real validation split)
and ``monitor_score`` (the ``monitor=`` set, only scored).
"""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_memory

_CALLS = {"n": 0}
#: Set "ratio" to make TinyFineTuner.fit raise at that synthetic ratio (simulates a crash).
FAIL = {"ratio": None}


def _encode(X):
    X = pd.DataFrame(X)
    cols = []
    for column in X.columns:
        values = X[column]
        if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == object:
            cols.append(pd.get_dummies(values.astype(str), prefix=str(column)).reindex(
                columns=[f"{column}_{level}" for level in ("a", "b", "c")], fill_value=0))
        else:
            cols.append(values.to_frame())
    return pd.concat(cols, axis=1).to_numpy(dtype=float)


def _resample(augmenter, ratio, X, y):
    return clone(augmenter).set_params(synthetic_ratio=ratio).fit_resample(X, y)


class TinyFineTuner(ClassifierMixin, BaseEstimator):
    def __init__(self, augmenter=None, synthetic_ratio=0.0, max_steps=5, memory=None,
                 random_state=None, handle_unknown="missing", synthetic_placement="both"):
        self.augmenter = augmenter
        self.synthetic_ratio = synthetic_ratio
        self.max_steps = max_steps
        self.memory = memory
        self.random_state = random_state
        self.handle_unknown = handle_unknown
        self.synthetic_placement = synthetic_placement  # recorded only: the double has no context

    def fit(self, X, y, monitor=None):
        if FAIL["ratio"] is not None and self.synthetic_ratio == FAIL["ratio"]:
            raise RuntimeError(f"simulated crash at synthetic_ratio={self.synthetic_ratio}")
        _CALLS["n"] += 1
        y = np.asarray(y)
        X_fit, X_val, y_fit, y_val = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=self.random_state)
        if self.synthetic_ratio > 0:
            resample = check_memory(self.memory).cache(_resample)
            X_fit, y_fit = resample(self.augmenter, self.synthetic_ratio, X_fit, y_fit)
        self.classes_ = np.unique(y)
        # Like CausalMixFTClassifier: categorical levels unseen in fit are encoded as missing (all
        # one-hot columns 0) with handle_unknown="missing" and refused with "error".
        frame = pd.DataFrame(X)
        self.levels_ = {c: set(frame[c].dropna()) for c in frame.columns
                        if not pd.api.types.is_numeric_dtype(frame[c])}
        self.model_ = SGDClassifier(loss="log_loss", alpha=1e-2, random_state=self.random_state)
        Z, z_val = _encode(X_fit), _encode(X_val)
        self.history_ = []
        if self.max_steps == 0:  # "zero-shot": a single pass over a few rows
            self.model_.partial_fit(Z[:10], np.asarray(y_fit)[:10], classes=self.classes_)
            return self
        for step in range(1, self.max_steps + 1):
            self.model_.partial_fit(Z, np.asarray(y_fit), classes=self.classes_)
            entry = {"step": step, "train_loss": 0.0,
                     "val_score": roc_auc_score(y_val, self.model_.predict_proba(z_val)[:, 1])}
            if monitor is not None:
                entry["monitor_score"] = roc_auc_score(
                    monitor[1], self.model_.predict_proba(_encode(monitor[0]))[:, 1])
            self.history_.append(entry)
        self.n_steps_ = self.max_steps
        self.best_step_ = max(self.history_, key=lambda e: e["val_score"])["step"]
        return self

    def predict_proba(self, X):
        for column, seen in self.levels_.items():
            unseen = set(pd.DataFrame(X)[column].dropna()) - seen
            if unseen and self.handle_unknown == "error":
                raise ValueError(f"Column {column!r} has levels not seen at fit time: {unseen}")
        return self.model_.predict_proba(_encode(X))


def fit_calls():
    """Fits made in this process (run on Dask workers with ``client.run(fit_calls)``)."""
    return _CALLS["n"]


def fail_at(ratio):
    """Make fits in this process raise at ``ratio`` (None: stop); ``client.run(fail_at, r)``."""
    FAIL["ratio"] = ratio


def executing(dask_worker):
    """Tasks a Dask worker is running (cancelled ones run on until they finish)."""
    return len(dask_worker.state.executing)

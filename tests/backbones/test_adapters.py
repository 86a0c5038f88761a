"""What every third-party adapter (TabICL, TabPFN v2) must do: parity, fine-tuning, specs and weights.

Each test runs once per adapter, on a random-weight checkpoint (``conftest.py``); an adapter whose optional
package is missing is skipped. What only one adapter does is tested in ``test_adapter_<name>.py``.
"""

import pickle
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_causalmix import CausalMixFTClassifier
from sklearn_causalmix.backbones import InContextClassifier, TabICLBackbone, TabPFNV2Backbone, get_backbone
from sklearn_causalmix.backbones.adapters._tabpfn import parity_inference_config

FAST = dict(n_estimators=1, device="cpu", random_state=0)


class CheapJitter:
    """A cheap augmenter: real rows resampled with a little Gaussian noise on the numeric columns."""

    def __init__(self, scale=0.1, random_state=None):
        self.scale = scale
        self.random_state = random_state

    def fit(self, X, y):
        self.X_, self.y_ = pd.DataFrame(X).reset_index(drop=True), pd.Series(np.asarray(y))
        return self

    def sample(self, n):
        rng = np.random.default_rng(self.random_state)
        idx = rng.integers(0, len(self.X_), size=n)
        X = self.X_.iloc[idx].reset_index(drop=True).copy()
        for col in X.columns:
            if pd.api.types.is_float_dtype(X[col]):
                X[col] = X[col] + self.scale * rng.normal(size=n)
        return X, self.y_.iloc[idx].to_numpy()

    def get_params(self, deep=True):
        return {"scale": self.scale, "random_state": self.random_state}

    def set_params(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        return self


def mixed_table(n=150, seed=0):
    """Numbers with NaN, an outlier, a constant column, a low-cardinality integer column and a string one."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.exponential(size=n) * 10,
            "c": np.r_[rng.normal(size=n - 1), 500.0],
            "k": 1.0,
            "i": rng.integers(0, 3, size=n).astype(float),
            "s": rng.choice(["x", "y", "z"], size=n),
        }
    )
    X.loc[3, "a"] = np.nan
    X.loc[5, "s"] = np.nan
    y = (X["a"].fillna(0) + (X["s"] == "x") > 0.3).astype(int).to_numpy() + (X["b"] > 15)
    return X, y


def learnable_table(n=160, seed=1):
    """About 21% positives, set by two of the four columns (random-weight models first learn the prior)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0.85).astype(int)
    return X, y


@dataclass(frozen=True)
class Adapter:
    """One adapter under test: its registered name, optional package, spec and official estimator."""

    name: str
    extra: str
    spec: type
    checkpoint_fixture: str
    official: Callable  # official(path): the official estimator, one member, preprocessing as ours


def _official_tabicl(path):
    from tabicl import TabICLClassifier

    return TabICLClassifier(n_estimators=1, model_path=path, allow_auto_download=False, device="cpu")


def _official_tabpfn(path):
    from tabpfn import TabPFNClassifier

    return TabPFNClassifier(
        n_estimators=1, model_path=path, device="cpu", inference_config=parity_inference_config(),
        random_state=0, inference_precision=torch.float32,  # "auto" autocasts to bfloat16 on CPU
    )


ADAPTERS = [
    Adapter("tabicl", "tabicl", TabICLBackbone, "tabicl_checkpoint", _official_tabicl),
    Adapter("tabpfn-v2", "tabpfn", TabPFNV2Backbone, "tabpfn_checkpoint", _official_tabpfn),
]


@pytest.fixture(scope="module", params=ADAPTERS, ids=lambda adapter: adapter.name)
def adapter(request):
    """Each adapter in turn (skipped without its optional package)."""
    extra = request.param.extra
    pytest.importorskip(extra, reason=f"needs the {extra} extra: pip install 'sklearn-causalmix[{extra}]'")
    return request.param


@pytest.fixture(scope="module")
def checkpoint(adapter, request):
    """The adapter's random-weight checkpoint (skips without its optional package)."""
    return request.getfixturevalue(adapter.checkpoint_fixture)


# 120 > 100 rows: tabpfn infers low-cardinality categoricals
@pytest.mark.parametrize("n_train", [60, 120])
def test_zero_shot_parity_with_the_official_estimator(adapter, checkpoint, n_train):
    """Our zero-shot InContextClassifier equals the official estimator (one member) to 1e-4."""
    spec = adapter.spec(weights=checkpoint)
    X, y = mixed_table()
    X_test = X.iloc[120:].copy()
    X_test.iloc[0, 1] = 1e4  # a query far outside the context range: exercises the outlier clipping
    Xtr, ytr = X.iloc[:n_train], y[:n_train]
    ours = InContextClassifier(backbone=spec, **FAST).fit(Xtr, ytr).predict_proba(X_test)
    theirs = adapter.official(checkpoint).fit(Xtr, ytr).predict_proba(X_test)
    assert ours.shape == theirs.shape == (30, 3)
    assert np.ptp(ours[:, 0]) > 1e-3  # random weights that still depend on the row
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    # plain numpy input (no categorical column)
    Xn = X.drop(columns="s").to_numpy().copy()
    ours = InContextClassifier(backbone=spec, **FAST).fit(Xn[:n_train], ytr).predict_proba(Xn[120:])
    theirs = adapter.official(checkpoint).fit(Xn[:n_train], ytr).predict_proba(Xn[120:])
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_registered_name_reads_the_environment_variable(adapter, checkpoint, monkeypatch):
    X, y = learnable_table(60)
    monkeypatch.setenv(adapter.spec.env_var, str(checkpoint))
    by_name = InContextClassifier(backbone=adapter.name, **FAST).fit(X, y).predict_proba(X[:10])
    by_spec = InContextClassifier(backbone=adapter.spec(checkpoint), **FAST).fit(X, y).predict_proba(X[:10])
    np.testing.assert_allclose(by_name, by_spec, atol=1e-6)


def test_no_weights_no_download_explains_how_to_get_them(adapter, monkeypatch, tmp_path):
    name, env_var = adapter.name, adapter.spec.env_var
    monkeypatch.delenv(env_var, raising=False)
    with pytest.raises(FileNotFoundError, match=env_var) as info:
        get_backbone(name)
    assert "allow_download=True" in str(info.value) and "huggingface.co" in str(info.value)
    with pytest.raises(FileNotFoundError, match="No .* checkpoint at"):
        adapter.spec(weights=tmp_path / "missing.ckpt")()
    monkeypatch.setenv(env_var, str(tmp_path / "also-missing.ckpt"))
    with pytest.raises(FileNotFoundError, match=env_var):
        get_backbone(name)
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable"):
        adapter.spec(weights=bad)()


def test_spec_is_a_clonable_searchable_parameter(adapter, checkpoint):
    spec = adapter.spec(weights=checkpoint)
    clf = CausalMixFTClassifier(backbone=spec, max_steps=0)
    params = clone(clf).get_params()
    assert params["backbone__weights"] == checkpoint
    assert clone(clf).backbone is not spec and clone(clf).backbone.get_params() == spec.get_params()
    assert pickle.loads(pickle.dumps(spec)).get_params() == spec.get_params()
    other = clone(clf).set_params(backbone__max_context_rows=77)
    assert get_backbone(other.backbone).limits.max_context_rows == 77
    assert spec.max_context_rows != 77  # set_params on a clone's spec leaves this one alone


def test_finetuning_learns_and_writes_an_official_checkpoint(adapter, checkpoint, tmp_path):
    X, y = learnable_table()
    clf = CausalMixFTClassifier(
        backbone=adapter.spec(weights=checkpoint), synthetic_ratio=0.0, max_steps=40, eval_every=20,
        early_stopping=False, learning_rate=3e-3, episode_size=48, batch_size=4, **FAST,
    ).fit(X, y)
    losses = [entry["train_loss"] for entry in clf.history_[1:]]  # mean of steps 1-20, 21-40
    assert len(losses) == 2 and np.isfinite(losses).all()
    assert losses[-1] < losses[0] - 0.05, losses
    # fine-tuned weights written in the official format give the official estimator our probabilities
    path = tmp_path / "finetuned.ckpt"
    clf.backbone_.save_checkpoint(path)
    ours = clf.predict_proba(X[:20])
    theirs = adapter.official(path).fit(X, y).predict_proba(X[:20])
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_grid_search_over_synthetic_ratio_and_pickle(adapter, checkpoint):
    X, y = learnable_table(80)
    clf = CausalMixFTClassifier(
        backbone=adapter.spec(weights=checkpoint), augmenter=CheapJitter(random_state=0), n_synthetic=40,
        max_steps=2, eval_every=1, episode_size=32, **FAST,
    )
    search = GridSearchCV(
        clf, {"synthetic_ratio": [0.0, 0.5]}, cv=StratifiedKFold(2, shuffle=True, random_state=0),
        scoring="roc_auc",
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    again = pickle.loads(pickle.dumps(best))
    np.testing.assert_allclose(again.predict_proba(X[:15]), best.predict_proba(X[:15]), atol=1e-6)

"""Test doubles for the fine-tuning tests: cheap augmenters and backbones that record what they see."""

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification

from sklearn_causalmix.backbones import CausalMixPFN, PFNConfig, TabularBackbone, get_backbone


class JitterAugmenter(BaseEstimator):
    """Synthetic rows = resampled training rows plus Gaussian noise on the numeric columns (cheap).

    ``n_fits`` (a class attribute) counts calls of ``fit`` across all instances, for the cache tests.
    """

    n_fits = 0

    def __init__(self, scale=0.1, random_state=None):
        self.scale = scale
        self.random_state = random_state

    def fit(self, X, y):
        type(self).n_fits += 1
        self.X_ = X.reset_index(drop=True) if isinstance(X, pd.DataFrame) else np.asarray(X)
        self.y_ = np.asarray(y)
        return self

    def sample(self, n, random_state=None):
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        idx = rng.integers(0, len(self.y_), n)
        if isinstance(self.X_, pd.DataFrame):
            X = self.X_.iloc[idx].reset_index(drop=True).copy()
            for col in X.columns:
                if pd.api.types.is_float_dtype(X[col]):
                    X[col] = X[col] + rng.normal(scale=self.scale, size=n)
            return X, self.y_[idx]
        X = self.X_[idx].copy()
        if X.dtype.kind == "f":
            X = X + rng.normal(scale=self.scale, size=X.shape)
        return X, self.y_[idx]


class MarkedAugmenter(BaseEstimator):
    """Synthetic rows whose first column holds a marker >= 10_000 (a real row never does)."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        self.X_, self.y_ = np.asarray(X, dtype=float), np.asarray(y)
        return self

    def sample(self, n, random_state=None):
        rng = np.random.default_rng(random_state)
        idx = rng.integers(0, len(self.y_), n)
        X = self.X_[idx].copy()
        X[:, 0] = 10_000 + np.arange(n)
        return X, self.y_[idx]


class SpyBackbone(TabularBackbone):
    """Wraps a backbone and records, for every forward pass, the mode and the context/query values."""

    def __init__(self, inner, oom_above=None):
        super().__init__()
        self.inner = inner
        self.limits = inner.limits
        self.oom_above = oom_above
        self.calls = []

    def forward(self, X_context, y_context, X_query, *, n_classes, categorical_mask=None):
        n_rows = X_context.shape[1] + X_query.shape[1]
        if self.training and self.oom_above is not None and n_rows > self.oom_above:
            raise torch.OutOfMemoryError(f"fake out of memory: {n_rows} rows")
        self.calls.append(
            {
                "training": self.training,
                "autocast": X_context.is_cuda and torch.is_autocast_enabled("cuda"),
                "context": X_context.detach().cpu().numpy().copy(),
                "query": X_query.detach().cpu().numpy().copy(),
            }
        )
        return self.inner(X_context, y_context, X_query, n_classes=n_classes, categorical_mask=categorical_mask)


def tiny_backbone():
    """A small randomly initialised PFN, seeded, for tests that do not need a trained model."""
    torch.manual_seed(0)
    return CausalMixPFN(PFNConfig(d_model=32, n_layers=2, n_heads=2))


def spy_default():
    """The default backbone wrapped in a :class:`SpyBackbone`."""
    return SpyBackbone(get_backbone("default"))


def spy_oom_default():
    """The default backbone raising a (fake) CUDA out-of-memory error for training episodes over 24 rows."""
    return SpyBackbone(get_backbone("default"), oom_above=24)


def make_table(n=200, seed=0, n_features=5):
    """A DataFrame with numeric and one categorical column, string labels."""
    X, y = make_classification(
        n_samples=n, n_features=n_features, n_informative=3, n_redundant=0, random_state=seed
    )
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(n_features)])
    X["colour"] = np.where(X["f0"] + np.random.default_rng(seed).normal(size=n) > 0, "red", "blue")
    return X, pd.Series(np.where(y == 1, "yes", "no"), name="label")

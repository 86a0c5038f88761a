"""NoiseAugmenter: Gaussian jitter of numeric columns around real rows of the same class."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from sklearn_causalmix.augment._base import BaseAugmenter

__all__ = ["NoiseAugmenter"]


class NoiseAugmenter(BaseAugmenter):
    """Gaussian jitter around real rows: the simplest augmentation baseline.

    Each synthetic row copies a real row of the same class (drawn uniformly), adds Gaussian noise
    of standard deviation ``noise_scale`` times the column's standard deviation to every numeric
    and integer column, and redraws each categorical or boolean value with probability
    ``categorical_resample`` from the column's level frequencies within the class. The label is
    the copied row's label.

    Parameters
    ----------
    noise_scale : float, default=0.1
        Noise standard deviation in units of each numeric column's standard deviation.
    categorical_resample : float in [0, 1], default=0.1
        Probability of redrawing a categorical value.
    synthetic_ratio : float in [0, 1], default=0.5
        Share of synthetic rows in the output of :meth:`fit_resample` (as for
        :class:`~sklearn_causalmix.CausalSCMAugmenter`).
    random_state : int, RandomState instance or None, default=None
        Seed of :meth:`sample` (through a seed drawn at fit time).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_prior_ : ndarray of shape (n_classes,)
        Share of each class in the training labels (the class shares of samples).
    missing_rate_ : ndarray of shape (n_features,)
        Share of missing values per column, re-applied in samples.
    schema_ : TableSchema
        Column kinds, levels and dtypes of the training table.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`; only when ``X`` has string column names.

    See Also
    --------
    SMOTEAugmenter : Interpolation between neighbours.
    GaussianCopulaAugmenter : A joint model of all columns and the label.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.augment import NoiseAugmenter
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=40), "c": rng.choice(["u", "v"], 40)})
    >>> y = (X["a"] > 0).astype(int)
    >>> aug = NoiseAugmenter(random_state=0).fit(X, y)
    >>> X_syn, y_syn = aug.sample(10)
    >>> X_syn.shape, sorted(set(X_syn["c"]) - {"u", "v"})
    ((10, 2), [])
    >>> len(aug.set_params(synthetic_ratio=0.2).fit_resample(X, y)[0])
    50
    """

    _parameter_constraints: dict = {
        **BaseAugmenter._parameter_constraints,
        "noise_scale": [Interval(Real, 0, None, closed="left")],
        "categorical_resample": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, *, noise_scale=0.1, categorical_resample=0.1, synthetic_ratio=0.5,
                 random_state=None):
        self.noise_scale = noise_scale
        self.categorical_resample = categorical_resample
        self.synthetic_ratio = synthetic_ratio
        self.random_state = random_state

    def _fit(self, table, rng):
        self._codes, self._target = table.codes, table.target
        self._scale = table.codes.std(axis=0)

    def _sample(self, counts, rng):
        rows = np.concatenate([
            rng.choice(np.flatnonzero(self._target == c), size=k, replace=True)
            for c, k in enumerate(counts) if k > 0
        ])
        Z, t = self._codes[rows].copy(), self._target[rows].copy()
        numeric = self._numeric_columns()
        Z[:, numeric] += rng.normal(size=(len(rows), len(numeric))) * (
            self.noise_scale * self._scale[numeric])
        for j in self._categorical_columns():
            redraw = rng.uniform(size=len(rows)) < self.categorical_resample
            for c in np.unique(t[redraw]):
                where = np.flatnonzero(redraw & (t == c))
                pool = self._codes[self._target == c, j]
                Z[where, j] = pool[rng.randint(len(pool), size=len(where))]
        return Z, t

"""SMOTEAugmenter: interpolation between a row and one of its nearest neighbours in its class."""

from __future__ import annotations

import importlib
from numbers import Integral

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import Interval, StrOptions

from sklearn_causalmix.augment._base import BaseAugmenter
from sklearn_causalmix._core import spawn_seeds

__all__ = ["SMOTEAugmenter"]


class SMOTEAugmenter(BaseAugmenter):
    """SMOTE-style interpolation within each class.

    A synthetic row of class ``c`` lies on the segment between a random real row of class ``c``
    and one of its ``k_neighbors`` nearest neighbours of the same class: numeric columns are
    interpolated, categorical ones are taken from one of the two rows. Distances use
    standardised numeric columns plus, for each categorical mismatch, the median standard
    deviation of the numeric columns (the SMOTE-NC rule of Chawla et al., 2002).

    Parameters
    ----------
    k_neighbors : int, default=5
        Neighbours per row (fewer for a class with at most ``k_neighbors`` rows).
    backend : {"auto", "imblearn", "own"}, default="auto"
        ``"imblearn"`` uses imbalanced-learn's ``SMOTENC`` (``SMOTE`` when every column is
        numeric), which takes a categorical value from the most frequent level among the
        neighbours; ``"own"`` uses this module's implementation, which takes it from the
        nearer end of the segment; ``"auto"`` picks imbalanced-learn when it is installed.
        Tables imbalanced-learn cannot handle (only categorical columns, a class with a single
        row) fall back to ``"own"``; :attr:`backend_` tells which ran.
    synthetic_ratio : float in [0, 1], default=0.5
        Share of synthetic rows in the output of :meth:`fit_resample`.
    random_state : int, RandomState instance or None, default=None
        Seed of :meth:`sample` (through a seed drawn at fit time).

    Attributes
    ----------
    backend_ : {"imblearn", "own"}
        The implementation that :meth:`sample` uses.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_prior_ : ndarray of shape (n_classes,)
        Share of each class in the training labels.
    missing_rate_ : ndarray of shape (n_features,)
        Share of missing values per column, re-applied in samples.
    schema_ : TableSchema
        Column kinds, levels and dtypes of the training table.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`; only when ``X`` has string column names.

    References
    ----------
    .. [1] Chawla, Bowyer, Hall & Kegelmeyer (2002). "SMOTE: Synthetic Minority Over-sampling
       Technique". JAIR 16, 321-357.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_causalmix.augment import SMOTEAugmenter
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    >>> y = (X["a"] > 0).astype(int)
    >>> aug = SMOTEAugmenter(backend="own", random_state=0).fit(X, y)
    >>> X_syn, y_syn = aug.sample(20)
    >>> bool(((X_syn["a"] > 0) == (y_syn == 1)).all())   # interpolation stays within the class
    True
    """

    _parameter_constraints: dict = {
        **BaseAugmenter._parameter_constraints,
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
        "backend": [StrOptions({"auto", "imblearn", "own"})],
    }

    def __init__(self, *, k_neighbors=5, backend="auto", synthetic_ratio=0.5, random_state=None):
        self.k_neighbors = k_neighbors
        self.backend = backend
        self.synthetic_ratio = synthetic_ratio
        self.random_state = random_state

    def _fit(self, table, rng):
        have_imblearn = importlib.util.find_spec("imblearn") is not None
        if self.backend == "imblearn" and not have_imblearn:
            raise ImportError(
                "SMOTEAugmenter(backend='imblearn') needs imbalanced-learn; install it with "
                "`pip install \"sklearn-causalmix[compare]\"` or use backend='own'."
            )
        numeric = self._numeric_columns()
        usable = len(numeric) > 0 and np.bincount(table.target).min() >= 2
        self.backend_ = "imblearn" if self.backend != "own" and have_imblearn and usable else "own"
        self._codes, self._target = table.codes, table.target
        scale = table.codes[:, numeric].std(axis=0) if len(numeric) else np.ones(0)
        scale[scale == 0] = 1.0
        self._numeric_scale = scale
        if self.backend_ == "own":
            self._neighbours = {
                c: self._class_neighbours(np.flatnonzero(table.target == c))
                for c in range(len(self.classes_))
            }

    def _distance_space(self, rows):
        """Coordinates whose squared Euclidean distances are the SMOTE-NC distances of ``rows``.

        Numeric columns are standardised (unit std), so the SMOTE-NC penalty of a categorical
        mismatch, the median numeric std, is 1: each categorical column becomes a one-hot block
        scaled by ``1 / sqrt(2)`` (two different levels are then at squared distance 1).
        """
        codes = self._codes[rows]
        blocks = [codes[:, self._numeric_columns()] / self._numeric_scale]
        for j in self._categorical_columns():
            _, level = np.unique(codes[:, j], return_inverse=True)
            blocks.append(np.eye(level.max() + 1)[level] / np.sqrt(2.0))
        return np.hstack(blocks)

    def _class_neighbours(self, rows):
        """Indices (into ``rows``) of each row's nearest neighbours within its class.

        A k-nearest-neighbour search (no ``(n, n)`` distance matrix), so memory grows with
        ``n * k`` rather than ``n ** 2``.
        """
        if len(rows) < 2:
            return np.zeros((len(rows), 0), dtype=np.intp)
        k = min(self.k_neighbors, len(rows) - 1)
        points = self._distance_space(rows)
        found = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(
            points, return_distance=False
        )
        # Drop each row itself; among duplicate rows it need not come first, or at all.
        keep = found != np.arange(len(rows))[:, None]
        keep[keep.all(axis=1), -1] = False
        return found[keep].reshape(len(rows), k)

    def _sample(self, counts, rng):
        if self.backend_ == "imblearn":
            return self._sample_imblearn(counts, rng)
        parts_Z, parts_t = [], []
        categorical = self._categorical_columns()
        for c, k in enumerate(counts):
            if k == 0:
                continue
            rows = np.flatnonzero(self._target == c)
            neighbours = self._neighbours[c]
            start_row = rng.randint(len(rows), size=k)
            if neighbours.shape[1] == 0:  # a single row: nothing to interpolate with
                parts_Z.append(self._codes[rows[start_row]].copy())
            else:
                end_row = neighbours[start_row, rng.randint(neighbours.shape[1], size=k)]
                gap = rng.uniform(size=(k, 1))
                start, end = self._codes[rows[start_row]], self._codes[rows[end_row]]
                Z = start + gap * (end - start)
                if len(categorical):
                    take_end = gap[:, 0] >= 0.5
                    Z[:, categorical] = np.where(
                        take_end[:, None], end[:, categorical], start[:, categorical]
                    )
                parts_Z.append(Z)
            parts_t.append(np.full(k, c, dtype=np.int64))
        return np.concatenate(parts_Z), np.concatenate(parts_t)

    def _sample_imblearn(self, counts, rng):
        from imblearn.over_sampling import SMOTE, SMOTENC

        categorical = self._categorical_columns()
        current = np.bincount(self._target, minlength=len(self.classes_))
        strategy = {c: int(current[c] + counts[c]) for c in range(len(counts)) if counts[c] > 0}
        k = int(min(self.k_neighbors, current.min() - 1))
        seed = spawn_seeds(rng, 1)[0]
        if len(categorical):
            sampler = SMOTENC(categorical_features=list(categorical), sampling_strategy=strategy,
                              k_neighbors=k, random_state=seed)
        else:
            sampler = SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
        Z_res, t_res = sampler.fit_resample(self._codes, self._target)
        n_real = len(self._target)
        Z_new = np.asarray(Z_res[n_real:], dtype=np.float64)
        return Z_new, np.asarray(t_res[n_real:], dtype=np.int64)

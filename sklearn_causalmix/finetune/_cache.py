"""The synthetic pool: fit an augmenter on the real training rows and draw rows, optionally cached on disk.

The pool depends on the augmenter's parameters, the real training rows, ``n_synthetic`` and the seed — not on
``synthetic_ratio`` or any fine-tuning setting. :func:`synthetic_pool` therefore caches it with a
:class:`joblib.Memory` (the ``memory=`` parameter, as in :class:`sklearn.pipeline.Pipeline`), whose key is the
hash of exactly those arguments: a ``GridSearchCV`` over ``synthetic_ratio`` fits the augmenter once per fold.
"""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_memory

__all__ = ["prepare_augmenter", "synthetic_pool", "draw_synthetic_pool"]


def prepare_augmenter(augmenter, seed):
    """A fresh clone of ``augmenter`` (a default :class:`CausalSCMAugmenter` when None), seeded with ``seed``.

    A user augmenter keeps its own ``random_state`` unless that is None; then it gets ``seed`` so that the
    pool is reproducible (and cacheable) under the classifier's ``random_state``, as scikit-learn's ensembles
    seed their sub-estimators.

    Parameters
    ----------
    augmenter : object or None
        Anything with ``fit`` + ``sample`` or with ``fit_resample``.
    seed : int

    Returns
    -------
    augmenter : object
        Not fitted.

    Examples
    --------
    >>> from sklearn_causalmix.finetune._cache import prepare_augmenter
    >>> prepare_augmenter(None, 3).random_state
    3
    """
    if augmenter is None:
        from sklearn_causalmix.augment import CausalSCMAugmenter

        return CausalSCMAugmenter(random_state=seed)
    try:
        augmenter = clone(augmenter)
    except TypeError:  # not a scikit-learn estimator: copy it so fitting never touches the user's object
        import copy

        augmenter = copy.deepcopy(augmenter)
    if hasattr(augmenter, "get_params") and "random_state" in augmenter.get_params(deep=False):
        if augmenter.get_params(deep=False)["random_state"] is None:
            augmenter.set_params(random_state=seed)
    return augmenter


def _accepts_random_state(method):
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return "random_state" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _row_keys(X, y, encode):
    """One hashable key per row (encoded features and label), for telling new rows from given ones."""
    Z = np.ascontiguousarray(np.column_stack([encode(X), np.asarray(y, dtype=np.float64)]))
    Z = np.where(np.isnan(Z), np.inf, Z)  # one canonical bit pattern for every missing value
    return Z.view(np.dtype((np.void, Z.dtype.itemsize * Z.shape[1]))).ravel()


def draw_synthetic_pool(augmenter, X, y, n_synthetic, seed, encode=None):
    """Fit ``augmenter`` on ``(X, y)`` and return ``n_synthetic`` synthetic labelled rows.

    Augmenters with ``sample`` give ``sample(n_synthetic)`` (with ``random_state=seed`` when ``sample`` takes
    it). Augmenters with only ``fit_resample`` (e.g. imbalanced-learn's SMOTE) give the rows of their output
    that are not rows of the input (compared on the encoded features and the label), subsampled to
    ``n_synthetic`` when there are more.

    Parameters
    ----------
    augmenter : object
        Not fitted (see :func:`prepare_augmenter`).
    X : DataFrame or ndarray
        Real training rows.
    y : array-like
        Their labels.
    n_synthetic : int
    seed : int
    encode : callable, default=None
        Encodes a table to floats (``TableSchema.encode``); needed for ``fit_resample``-only augmenters.

    Returns
    -------
    X_syn : DataFrame or ndarray
    y_syn : ndarray

    Raises
    ------
    ValueError
        If a ``fit_resample`` augmenter returns no new row.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.finetune._cache import draw_synthetic_pool
    >>> class Jitter:
    ...     def fit(self, X, y):
    ...         self.X_, self.y_ = np.asarray(X), np.asarray(y); return self
    ...     def sample(self, n, random_state=None):
    ...         rng = np.random.default_rng(random_state); i = rng.integers(0, len(self.y_), n)
    ...         return self.X_[i] + rng.normal(scale=0.1, size=(n, self.X_.shape[1])), self.y_[i]
    >>> X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    >>> X_syn, y_syn = draw_synthetic_pool(Jitter(), X, y, 7, seed=0)
    >>> X_syn.shape, y_syn.shape
    ((7, 2), (7,))
    """
    if hasattr(augmenter, "sample"):
        augmenter.fit(X, y)
        if _accepts_random_state(augmenter.sample):
            X_syn, y_syn = augmenter.sample(n_synthetic, random_state=seed)
        else:
            X_syn, y_syn = augmenter.sample(n_synthetic)
        return X_syn, np.asarray(y_syn)
    X_res, y_res = augmenter.fit_resample(X, y)
    y_res = np.asarray(y_res)
    y_given = np.asarray(y)
    _, codes = np.unique(np.concatenate([y_given.astype(object), y_res.astype(object)]), return_inverse=True)
    seen = set(_row_keys(X, codes[: len(y_given)], encode).tolist())
    new = np.array(
        [key not in seen for key in _row_keys(X_res, codes[len(y_given) :], encode).tolist()], dtype=bool
    )
    if not new.any():
        raise ValueError(
            f"The augmenter {type(augmenter).__name__}.fit_resample returned no row that is not already in the "
            "training data, so it gives no synthetic rows (random over-samplers only duplicate rows). Use a "
            "generator (e.g. SMOTE or CausalSCMAugmenter), or synthetic_ratio=0."
        )
    idx = np.flatnonzero(new)
    if len(idx) > n_synthetic:
        idx = np.sort(np.random.default_rng(seed).choice(idx, size=n_synthetic, replace=False))
    X_syn = X_res.iloc[idx] if hasattr(X_res, "iloc") else np.asarray(X_res)[idx]
    return X_syn, y_res[idx]


def synthetic_pool(memory, augmenter, X, y, n_synthetic, seed, encode=None):
    """:func:`draw_synthetic_pool` through ``memory`` (a joblib.Memory, a cache folder, or None).

    The cache key is the hash of the (unfitted, seeded) augmenter's parameters, the training rows and labels,
    ``n_synthetic`` and ``seed``.

    Parameters
    ----------
    memory : None, str or joblib.Memory
    augmenter, X, y, n_synthetic, seed, encode
        As for :func:`draw_synthetic_pool`.

    Returns
    -------
    X_syn, y_syn

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.finetune._cache import synthetic_pool
    >>> class Copy:
    ...     def fit(self, X, y):
    ...         self.X_, self.y_ = X, y; return self
    ...     def sample(self, n):
    ...         return self.X_[:n], self.y_[:n]
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    >>> X_syn, _ = synthetic_pool(None, Copy(), X, y, 3, seed=0)  # memory=None: no caching
    >>> X_syn.shape
    (3, 2)
    """
    memory = check_memory(memory)
    return memory.cache(draw_synthetic_pool, ignore=["encode"])(augmenter, X, y, n_synthetic, seed, encode)

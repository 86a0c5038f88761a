"""The synthetic pool: fit an augmenter on the real training rows and draw rows, optionally cached on disk.

:func:`encoded_pool` is what the fine-tuner calls: the pool, checked against the augmenter contract (the
training columns, no invented level, one label per row, labels among the training classes) and encoded.

The pool depends on the augmenter's parameters, the real training rows, ``n_synthetic`` and the seed — not on
``synthetic_ratio`` or any fine-tuning setting. :func:`synthetic_pool` therefore caches it with a
:class:`joblib.Memory` (the ``memory=`` parameter, as in :class:`sklearn.pipeline.Pipeline`), whose key is the
hash of exactly those arguments: a ``GridSearchCV`` over ``synthetic_ratio`` fits the augmenter once per fold.
"""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_memory, column_or_1d

from sklearn_causalmix._core import codes_of_known_labels

__all__ = ["draw_synthetic_pool", "encoded_pool", "prepare_augmenter", "synthetic_pool"]


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
    >>> from sklearn_causalmix.finetune._pool import prepare_augmenter
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
    >>> from sklearn_causalmix.finetune._pool import draw_synthetic_pool
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
    >>> from sklearn_causalmix.finetune._pool import synthetic_pool
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


def encoded_pool(augmenter, memory, X_train, y_train, n_synthetic, seeds, schema, classes):
    """The synthetic pool of the fine-tuner, encoded: ``(Z_syn, codes_syn)``.

    Parameters
    ----------
    augmenter : object or None
        The fine-tuner's ``augmenter`` parameter (see :func:`prepare_augmenter`).
    memory : None, str or joblib.Memory
    X_train, y_train : table and labels
        The real training rows the augmenter is fitted on.
    n_synthetic : int
    seeds : dict
        The fit's seed streams (``"augmenter"`` and ``"pool"`` are read).
    schema : TableSchema
        The training table's schema; synthetic rows are encoded with it.
    classes : ndarray
        The training classes (sorted).

    Returns
    -------
    Z_syn : ndarray of shape (n_synthetic, n_features)
    codes_syn : ndarray of int

    Raises
    ------
    ValueError
        When the augmenter returns rows that do not match the training columns, a level the real training rows
        lack, a different number of labels than rows, no row, or a label that is not a training class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix._core import TableSchema
    >>> from sklearn_causalmix.finetune._pool import encoded_pool
    >>> class Copy:
    ...     def fit(self, X, y):
    ...         self.X_, self.y_ = X, y; return self
    ...     def sample(self, n):
    ...         return self.X_[:n], self.y_[:n]
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    >>> Z, codes = encoded_pool(Copy(), None, X, y, 4, {"augmenter": 0, "pool": 1},
    ...                         TableSchema.from_data(X), np.array([0, 1]))
    >>> Z.shape, codes.tolist()
    ((4, 2), [0, 1, 0, 1])
    """
    augmenter = prepare_augmenter(augmenter, seeds["augmenter"])
    X_syn, y_syn = synthetic_pool(memory, augmenter, X_train, y_train, n_synthetic, seeds["pool"],
                                  encode=schema.encode)
    name = type(augmenter).__name__
    try:
        # levels the real training rows lack mean the augmenter invented them: refuse, never mask
        Z_syn = schema.encode(X_syn, handle_unknown="error")
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"The augmenter {name} returned synthetic rows that do not match the training columns: {exc}"
        ) from exc
    y_syn = column_or_1d(np.asarray(y_syn), warn=False)
    if len(y_syn) != len(Z_syn) or len(Z_syn) == 0:
        raise ValueError(
            f"The augmenter {name} returned {len(Z_syn)} synthetic rows and {len(y_syn)} labels; it must return as "
            "many labels as rows, and at least one row."
        )
    return Z_syn, codes_of_known_labels(y_syn, classes, f"The augmenter {name} returned labels",
                                        "it must sample labels among the classes of y")

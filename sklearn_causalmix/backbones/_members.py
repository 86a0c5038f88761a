"""The members of an in-context ensemble: stratified context subsamples and class/feature permutations."""

from __future__ import annotations

import numpy as np

from sklearn_causalmix._core import largest_remainder

__all__ = ["ensemble_permutations", "member_subsamples", "subsample_context"]


def subsample_context(y_codes: np.ndarray, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of at most ``max_rows`` rows, stratified by class (every class keeps at least one row).

    Class counts follow the largest-remainder method (at least one row per class,
    so ``max(max_rows, n_classes)`` rows when there are more classes than ``max_rows``).

    Parameters
    ----------
    y_codes : ndarray of shape (n_samples,)
        Integer class codes.
    max_rows : int
    rng : numpy.random.Generator

    Returns
    -------
    idx : ndarray of int, sorted

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones._members import subsample_context
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> idx = subsample_context(y, 20, np.random.default_rng(0))
    >>> len(idx), int((y[idx] == 1).sum())
    (20, 2)
    """
    n = len(y_codes)
    if n <= max_rows:
        return np.arange(n)
    classes, counts = np.unique(y_codes, return_counts=True)
    quota = largest_remainder(max(max_rows, len(classes)), counts, minimum=1, maximum=counts)
    picked = [rng.choice(np.flatnonzero(y_codes == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picked))


def ensemble_permutations(n_estimators: int, n_classes: int, n_features: int, random_state: int = 0):
    """The class-code and feature permutations of the ensemble members (member 0: the identity).

    Parameters
    ----------
    n_estimators, n_classes, n_features : int
    random_state : int, default=0

    Returns
    -------
    class_perms : ndarray of shape (n_estimators, n_classes)
        Member ``b`` relabels class ``c`` as ``class_perms[b, c]``.
    feature_perms : ndarray of shape (n_estimators, n_features)
        Column ``j`` of member ``b`` is column ``feature_perms[b, j]`` of the table.

    Examples
    --------
    >>> from sklearn_causalmix.backbones._members import ensemble_permutations
    >>> cls, feat = ensemble_permutations(3, 2, 4, random_state=0)
    >>> cls.shape, feat.shape, cls[0].tolist(), feat[0].tolist()
    ((3, 2), (3, 4), [0, 1], [0, 1, 2, 3])
    """
    rng = np.random.default_rng(random_state)
    class_perms = [np.arange(n_classes)]
    feature_perms = [np.arange(n_features)]
    for _ in range(1, n_estimators):
        class_perms.append(rng.permutation(n_classes))
        feature_perms.append(rng.permutation(n_features))
    return np.stack(class_perms), np.stack(feature_perms)


def member_subsamples(y_codes: np.ndarray, n_estimators: int, max_rows: int | None, random_state: int = 0):
    """Each member's own stratified context subsample (bagging the context), or None when every row fits.

    Parameters
    ----------
    y_codes : ndarray of shape (n_samples,)
        Integer class codes of the context rows.
    n_estimators : int
    max_rows : int or None
        Rows per member; None (or at least ``n_samples``): no subsamples.
    random_state : int, default=0
        Seeds the draws (a stream of its own: not that of :func:`ensemble_permutations`).

    Returns
    -------
    rows : ndarray of shape (n_estimators, n_member_rows) or None
        Row ``i`` holds the sorted context rows of member ``i`` (:func:`subsample_context`; every member the
        same class counts).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.backbones._members import member_subsamples
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> rows = member_subsamples(y, 3, 20, random_state=0)
    >>> rows.shape, (y[rows] == 1).sum(axis=1).tolist(), len(np.unique(rows)) > 20
    ((3, 20), [2, 2, 2], True)
    >>> member_subsamples(y, 3, 100) is None
    True
    """
    if max_rows is None or len(y_codes) <= max_rows:
        return None
    rng = np.random.default_rng([int(random_state), 1])
    return np.stack([subsample_context(y_codes, max_rows, rng) for _ in range(n_estimators)])

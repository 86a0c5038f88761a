"""The members of an in-context ensemble: a stratified context subsample and class/feature permutations."""

from __future__ import annotations

import numpy as np

from sklearn_causalmix._core import largest_remainder

__all__ = ["ensemble_permutations", "subsample_context"]


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


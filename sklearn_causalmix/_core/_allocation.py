"""Allocations: a whole number of rows across groups in given proportions, values over a range.

:func:`largest_remainder` for every place that turns proportions into row counts (stratified context
subsamples, synthetic rows per class, stratified hold-outs, low-data subsamples); :func:`spread_values`
for the values interventions set a column to. Like :mod:`sklearn_causalmix._core` it is a
private base module that any stage may import.
"""

from __future__ import annotations

import numpy as np

__all__ = ["largest_remainder", "spread_values"]


def largest_remainder(total, weights, *, minimum=0, maximum=None) -> np.ndarray:
    """Integer counts summing to ``total``, as close as possible to ``total * weights / sum(weights)``.

    Each group first gets the floor of its exact share (clipped to ``[minimum, maximum]``); the rows still to
    hand out go to the groups with the largest fractional parts, and rows taken back (when the minimum
    over-allocated) come from the groups furthest above their exact share. Ties go to the earlier group.

    Parameters
    ----------
    total : int
        Number of rows to allocate.
    weights : array-like of shape (n_groups,)
        Non-negative proportions (e.g. class counts or class priors); they need not sum to one.
    minimum : int, default=0
        Smallest count of every group.
    maximum : array-like of shape (n_groups,) or None, default=None
        Largest count of each group (e.g. the rows a class has); unbounded if None.

    Returns
    -------
    counts : ndarray of int of shape (n_groups,)
        Sums to ``total``.

    Raises
    ------
    ValueError
        When no allocation satisfies the bounds (``minimum * n_groups > total`` or
        ``sum(maximum) < total``), or the weights are negative or all zero.

    Examples
    --------
    >>> from sklearn_causalmix._core import largest_remainder
    >>> largest_remainder(10, [0.5, 0.3, 0.2]).tolist()
    [5, 3, 2]
    >>> largest_remainder(7, [1, 1, 1]).tolist()
    [3, 2, 2]
    >>> largest_remainder(20, [90, 10], minimum=1).tolist()
    [18, 2]
    >>> largest_remainder(5, [1, 1], maximum=[1, 10]).tolist()
    [1, 4]
    """
    total = int(total)
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 1 or (weights < 0).any() or not weights.sum() > 0:
        raise ValueError(f"weights must be non-negative with a positive sum, got {weights.tolist()}.")
    upper = np.full(len(weights), total) if maximum is None else np.asarray(maximum, dtype=np.int64)
    if minimum * len(weights) > total or upper.sum() < total or (upper < minimum).any():
        raise ValueError(
            f"Cannot split {total} rows into {len(weights)} groups with at least {minimum} and at most "
            f"{upper.tolist() if maximum is not None else 'any number of'} rows each."
        )
    exact = total * weights / weights.sum()
    counts = np.clip(np.floor(exact).astype(np.int64), minimum, upper)
    while counts.sum() < total:
        gain = np.where(counts < upper, exact - counts, -np.inf)
        counts[int(np.argmax(gain))] += 1
    while counts.sum() > total:
        excess = np.where(counts > minimum, counts - exact, -np.inf)
        counts[int(np.argmax(excess))] -= 1
    return counts.astype(int)


def spread_values(observed, n_values):
    """The observed numbers nearest to an even grid of ``n_values`` over their range, once each.

    Examples
    --------
    >>> from sklearn_causalmix._core import spread_values
    >>> spread_values([1997, 1998, 1999, 2001, 2002], 3)
    [1997.0, 1999.0, 2002.0]
    """
    observed = np.unique(np.asarray(observed, dtype=float))
    observed = observed[np.isfinite(observed)]
    if not len(observed):
        raise ValueError("No finite value to spread interventions over.")
    grid = np.linspace(observed.min(), observed.max(), n_values)
    nearest = observed[np.abs(observed[None, :] - grid[:, None]).argmin(axis=1)]
    return [float(value) for value in dict.fromkeys(nearest.tolist())]

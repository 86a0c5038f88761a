"""Paired statistics over tables: per-table differences, bootstrap intervals, tests, detectable effect.

The unit of inference is the *table* (dataset): each contributes one number, the mean over its
seeds of the paired difference ``metric(method) - metric(baseline)`` (same split, same seed).
Tables are the population one wants to generalise to; seeds only reduce the noise within a
table. Pure functions of arrays and frames; the benchmarks use them too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["bootstrap_interval", "detectable_effect", "holm_adjust", "summarize_deltas",
           "table_deltas", "wilcoxon_p", "win_tie_loss"]


def table_deltas(frame, metric, method, baseline, *, by="dataset", pair="seed", arm="method"):
    """Per table, the mean over seeds of ``metric(method) - metric(baseline)``, paired by seed.

    Only seeds where both have a finite value count.

    Parameters
    ----------
    frame : DataFrame
        Long results: one row per table, seed and arm.
    metric : str
        Numeric column.
    method, baseline : object
        Values of the ``arm`` column compared.
    by : str, default="dataset"
        Column naming the table.
    pair : str, default="seed"
        Column that pairs the two arms within a table.
    arm : str, default="method"
        Column naming the arm.

    Returns
    -------
    deltas : DataFrame
        Indexed by ``by``: ``delta`` (the mean difference), ``sd`` (over the seeds; NaN for
        one) and ``n`` (the seeds).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import table_deltas
    >>> frame = pd.DataFrame({"dataset": ["a"] * 4 + ["b"] * 2, "seed": [0, 0, 1, 1, 0, 0],
    ...                       "method": ["zs", "ft"] * 3, "auc": [0.7, 0.8, 0.6, 0.6, 0.9, 0.85]})
    >>> table_deltas(frame, "auc", "ft", "zs").round(3)  # doctest: +NORMALIZE_WHITESPACE
             delta     sd  n
    dataset
    a         0.05  0.071  2
    b        -0.05    NaN  1
    """
    wide = frame.pivot_table(index=[by, pair], columns=arm, values=metric, aggfunc="mean")
    if method not in wide or baseline not in wide:
        return pd.DataFrame(columns=["delta", "sd", "n"], index=pd.Index([], name=by))
    diff = (wide[method] - wide[baseline]).dropna()
    grouped = diff.groupby(level=by)
    return pd.DataFrame({"delta": grouped.mean(), "sd": grouped.std(ddof=1),
                         "n": grouped.size()})


def bootstrap_interval(values, statistic=np.mean, *, n_resamples=10_000, level=0.95, seed=0):
    """Percentile bootstrap interval of ``statistic`` over ``values`` (resampled with replacement).

    Parameters
    ----------
    values : array-like
        Observations (e.g. one per table); NaN values are dropped first.
    statistic : callable, default=numpy.mean
        Takes ``axis=`` (``np.mean``, ``np.median``).
    n_resamples : int, default=10_000
        Bootstrap resamples.
    level : float, default=0.95
        Coverage.
    seed : int, default=0
        Seed of the resampling (``numpy.random.default_rng``).

    Returns
    -------
    low, high : float
        NaN for fewer than two values.

    Examples
    --------
    >>> from sklearn_causalmix.study import bootstrap_interval
    >>> low, high = bootstrap_interval([0.01, 0.02, 0.03, 0.02, 0.04, 0.00, 0.01, 0.03])
    >>> bool(low < 0.02 < high), bool(0.0 <= low), bool(high <= 0.04)
    (True, True, True)
    >>> bootstrap_interval([0.5])
    (nan, nan)
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    resampled = statistic(values[rng.integers(0, len(values), size=(n_resamples, len(values)))],
                          axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(resampled, [tail, 100 - tail])
    return float(low), float(high)


def win_tie_loss(deltas, *, higher_is_better=True, tie=1e-3):
    """Counts of tables where the method is better, within ``tie`` of the baseline, or worse.

    Examples
    --------
    >>> from sklearn_causalmix.study._stats import win_tie_loss
    >>> win_tie_loss([0.02, 0.0005, -0.01, 0.003])
    (2, 1, 1)
    >>> win_tie_loss([0.02, 0.0005, -0.01, 0.003], higher_is_better=False)   # e.g. log-loss
    (1, 1, 2)
    """
    deltas = np.asarray(deltas, dtype=float)
    deltas = deltas[np.isfinite(deltas)]
    signed = deltas if higher_is_better else -deltas
    wins = int(np.sum(signed > tie))
    losses = int(np.sum(signed < -tie))
    return wins, len(deltas) - wins - losses, losses


def wilcoxon_p(deltas):
    """Two-sided Wilcoxon signed-rank p-value of ``deltas`` against 0 (zeros dropped); NaN if undefined.

    Examples
    --------
    >>> from sklearn_causalmix.study._stats import wilcoxon_p
    >>> round(wilcoxon_p([0.01, 0.02, 0.015, 0.03, 0.005, 0.012, 0.008, 0.02]), 4)  # 2 / 2**8
    0.0078
    >>> wilcoxon_p([0.0, 0.0])
    nan
    """
    deltas = np.asarray(deltas, dtype=float)
    deltas = deltas[np.isfinite(deltas) & (deltas != 0)]
    if len(deltas) == 0:
        return float("nan")
    return float(stats.wilcoxon(deltas).pvalue)


def detectable_effect(deltas, *, alpha=0.05, power=0.8):
    """Smallest mean difference a paired design over these tables detects with ``power``.

    ``(z[1 - alpha/2] + z[power]) * sd(deltas) / sqrt(n)`` (normal approximation of a two-sided
    paired test at level ``alpha``; 2.80 * sd / sqrt(n) at the defaults), with ``sd`` the sample
    standard deviation of the per-table differences. With about 10 tables the t-based factor
    (``t[n-1]`` quantiles: 3.15 for n = 10) is some 12% larger.

    Examples
    --------
    >>> from sklearn_causalmix.study._stats import detectable_effect
    >>> round(detectable_effect([0.01, -0.01] * 8), 4)   # sd 0.0103, n 16: 2.80 * 0.0103 / 4
    0.0072
    """
    deltas = np.asarray(deltas, dtype=float)
    deltas = deltas[np.isfinite(deltas)]
    if len(deltas) < 2:
        return float("nan")
    factor = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(factor * np.std(deltas, ddof=1) / np.sqrt(len(deltas)))


def holm_adjust(pvalues):
    """Holm's step-down adjusted p-values of a family of tests (NaN entries left out of it).

    With ``m`` tests sorted by p-value, the ``k``-th smallest is multiplied by ``m - k + 1``,
    running maxima keep the order, and values are capped at 1. Rejecting where the adjusted
    p-value is below ``alpha`` controls the family-wise error rate at ``alpha``.

    Parameters
    ----------
    pvalues : array-like of shape (n_tests,)
        Raw p-values; NaN for a test that could not be run.

    Returns
    -------
    adjusted : ndarray of shape (n_tests,)
        In the order given; NaN where the input is NaN.

    Examples
    --------
    >>> from sklearn_causalmix.study import holm_adjust
    >>> holm_adjust([0.01, 0.04, 0.03, float("nan")]).round(3).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m = len(order)
    steps = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    adjusted[order] = np.minimum(steps, 1.0)
    return adjusted


def summarize_deltas(deltas, *, higher_is_better=True, tie=1e-3, n_resamples=10_000, seed=0):
    """Everything a report says about one set of per-table differences, as a dict.

    Parameters
    ----------
    deltas : array-like
        One paired difference per table (NaN dropped).
    higher_is_better : bool, default=True
        Direction of the metric (for wins and losses).
    tie : float, default=1e-3
        Differences within ``±tie`` are ties.
    n_resamples : int, default=10_000
        Bootstrap resamples of the intervals.
    seed : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    summary : dict
        ``tables``; ``mean`` with ``mean_low`` / ``mean_high`` and ``median`` with
        ``median_low`` / ``median_high`` (bootstrap 95% intervals over tables); ``wins`` /
        ``ties`` / ``losses``; ``wilcoxon_p`` (two-sided signed-rank test against 0);
        ``detectable`` (the smallest mean difference detected with 80% power at the 5% level).

    Examples
    --------
    >>> from sklearn_causalmix.study import summarize_deltas
    >>> s = summarize_deltas([0.01, 0.02, -0.005, 0.03])
    >>> s["tables"], (s["wins"], s["ties"], s["losses"]), round(s["median"], 4)
    (4, (3, 0, 1), 0.015)
    """
    deltas = np.asarray(deltas, dtype=float)
    deltas = deltas[np.isfinite(deltas)]
    mean_low, mean_high = bootstrap_interval(deltas, np.mean, n_resamples=n_resamples, seed=seed)
    median_low, median_high = bootstrap_interval(deltas, np.median, n_resamples=n_resamples,
                                                 seed=seed)
    wins, ties, losses = win_tie_loss(deltas, higher_is_better=higher_is_better, tie=tie)
    empty = len(deltas) == 0
    return {
        "tables": len(deltas),
        "mean": float("nan") if empty else float(np.mean(deltas)),
        "mean_low": mean_low, "mean_high": mean_high,
        "median": float("nan") if empty else float(np.median(deltas)),
        "median_low": median_low, "median_high": median_high,
        "wins": wins, "ties": ties, "losses": losses,
        "wilcoxon_p": wilcoxon_p(deltas), "detectable": detectable_effect(deltas),
    }

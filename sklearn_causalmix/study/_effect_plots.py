"""Figures of the paired effects: ratio curves per protocol, forest plots per table, val-test."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sklearn_causalmix.study._effects import scored_runs
from sklearn_causalmix.study._plots import _colors, _pyplot
from sklearn_causalmix.study._stats import bootstrap_interval, table_deltas

__all__ = ["plot_forest", "plot_ratio_curves", "plot_validation_test"]


def _paired(ok, metric, baseline):
    """``ok`` with ``_delta``: ``metric`` minus the baseline's on the same protocol, dataset, seed."""
    keys = ["protocol", "dataset", "seed"]
    base = ok[ok["method"] == baseline].groupby(keys)[metric].first()
    ref = base.reindex(pd.MultiIndex.from_frame(ok[keys])).to_numpy(dtype=float)
    return ok.assign(_delta=ok[metric].to_numpy(dtype=float) - ref)


def plot_ratio_curves(results, metric="auc_shifted", *, baseline="finetune", n_resamples=2000):
    """Paired difference from ``baseline`` against the synthetic ratio, one panel per protocol.

    Each augmented method's curve is the mean over tables of the per-table difference (seeds
    averaged within a table) at every ratio; its band is the bootstrap 95% interval with tables
    resampled. With ``baseline="finetune"`` every curve starts at 0 for r = 0 (its r = 0 point
    is plain fine-tuning). A missing ``protocol`` column is one protocol.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    metric : str, default="auc_shifted"
        Numeric column.
    baseline : str, default="finetune"
        Method the differences are taken from.
    n_resamples : int, default=2000
        Bootstrap resamples.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import plot_ratio_curves
    >>> results = pd.DataFrame({
    ...     "dataset": list("aaabbb"), "seed": 0, "error": "", "ratio": [0.0, 0.5, 1.0] * 2,
    ...     "method": ["finetune", "causalmix", "causalmix"] * 2,
    ...     "auc_shifted": [0.7, 0.72, 0.71, 0.8, 0.81, 0.78]})
    >>> fig = plot_ratio_curves(results)
    >>> fig.axes[0].get_lines()[0].get_xdata().tolist()
    [0.0, 0.5, 1.0]
    """
    plt = _pyplot()
    ok = _paired(scored_runs(results), metric, baseline)
    curves = ok[ok["ratio"].notna() & (ok["method"] != "finetune")]
    zero = ok[ok["method"] == "finetune"]
    protocols = list(dict.fromkeys(ok["protocol"])) or [""]
    colors = _colors(list(curves["method"].unique()))
    fig, axes = plt.subplots(1, len(protocols), figsize=(5.2 * len(protocols), 4), squeeze=False)
    for ax, protocol in zip(axes.ravel(), protocols):
        part = curves[curves["protocol"] == protocol]
        for method, rows in part.groupby("method", sort=False):
            rows = pd.concat([zero[zero["protocol"] == protocol].assign(method=method), rows])
            points = [(ratio, *_mean_and_interval(group, n_resamples))
                      for ratio, group in rows.groupby("ratio")]
            x, mean, low, high = np.array(points).T
            ax.plot(x, mean, marker="o", ms=3, label=method, color=colors[method])
            ax.fill_between(x, low, high, alpha=0.15, color=colors[method])
        ax.axhline(0.0, color="black", lw=0.6)
        ax.set_xlabel("synthetic ratio", fontsize=10)
        ax.set_ylabel(f"Δ {metric} vs {baseline} (mean over tables)", fontsize=10)
        ax.set_title(protocol or "all tables", fontsize=11)
        ax.legend(fontsize=8)
    fig.suptitle("Paired difference against the ratio (bootstrap 95% CI over tables)",
                 fontsize=11)
    fig.tight_layout()
    return fig


def _mean_and_interval(rows, n_resamples):
    """Mean over tables of the per-table (seed-averaged) ``_delta``, and its bootstrap interval."""
    per_table = rows.groupby("dataset")["_delta"].mean().dropna()
    if per_table.empty:
        return np.nan, np.nan, np.nan
    low, high = bootstrap_interval(per_table, n_resamples=n_resamples)
    mean = float(per_table.mean())
    return mean, mean if np.isnan(low) else low, mean if np.isnan(high) else high


def plot_forest(results, runs=None, metric="auc_shifted", *, baseline="finetune"):
    """Forest plot: per table, the difference from ``baseline`` with a 95% interval over seeds.

    One row per table (and protocol), one marker per run: the mean over seeds of the paired
    difference, with the t-based 95% interval over the seeds (none for a single seed); the last
    row is the mean over tables with its bootstrap 95% interval. Tables without a difference (the
    metric is NaN there, or a run is missing) have no marker.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    runs : list of str, default=None
        Run labels (``"causalmix r=0.5"``, ``"causalmix-cv"``); None: every ``causalmix`` ratio.
    metric : str, default="auc_shifted"
        Numeric column.
    baseline : str, default="finetune"
        Method the differences are taken from.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import plot_forest
    >>> results = pd.DataFrame({
    ...     "dataset": list("aaaabbbb"), "seed": [0, 0, 1, 1] * 2, "error": "",
    ...     "ratio": [0.0, 0.5] * 4, "method": ["finetune", "causalmix"] * 4,
    ...     "auc_shifted": [0.7, 0.72, 0.71, 0.74, 0.8, 0.79, 0.8, 0.8]})
    >>> fig = plot_forest(results)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['a', 'b', 'mean over tables']
    """
    plt = _pyplot()
    ok = scored_runs(results)
    ok = ok.assign(dataset=np.where(ok["protocol"] == "", ok["dataset"].astype(str),
                                    ok["protocol"].astype(str) + " / " + ok["dataset"].astype(str)))
    base = ok.loc[ok["method"] == baseline, "run"]
    base_label = base.iloc[0] if len(base) else baseline
    runs = runs or list(dict.fromkeys(ok.loc[ok["method"] == "causalmix", "run"]))
    tables = list(dict.fromkeys(ok["dataset"]))
    colors = _colors(runs)
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(tables) + 1.6))
    offsets = np.linspace(-0.25, 0.25, len(runs)) if len(runs) > 1 else [0.0]
    for run, offset in zip(runs, offsets):
        deltas = table_deltas(ok, metric, run, base_label, by="dataset", pair="seed", arm="run")
        # float, also when there is no delta (a metric that is NaN for every run, a missing run):
        # the empty frame's columns are of object dtype, which scipy's t quantile refuses
        deltas = deltas.reindex(tables).astype(float)
        half = stats.t.ppf(0.975, np.maximum(deltas["n"] - 1, 1)) * deltas["sd"] / np.sqrt(
            deltas["n"])
        y = np.arange(len(tables)) + offset
        ax.errorbar(deltas["delta"], y, xerr=half.fillna(0), fmt="o", ms=4, capsize=2,
                    color=colors[run], label=run)
        low, high = bootstrap_interval(deltas["delta"])
        mean = deltas["delta"].mean()
        ax.errorbar([mean], [len(tables) + offset], fmt="D", ms=5, color=colors[run],
                    xerr=[[mean - low], [high - mean]] if np.isfinite(low) else None)
    ax.set_yticks(range(len(tables) + 1), tables + ["mean over tables"], fontsize=9)
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", lw=0.6)
    ax.set_xlabel(f"Δ {metric} vs {baseline} (mean over seeds, 95% interval)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_validation_test(results, *, baseline="finetune"):
    """How well what a run can see predicts what it gets under shift.

    It needs both tests of the shift protocol (under the i.i.d. protocol the ``*_shifted`` columns
    are NaN and the left panel is empty; :func:`~sklearn_causalmix.study.write_outputs` leaves
    the figure out of an i.i.d. report).

    Left: per run (dataset, seed, method, ratio), the paired difference from ``baseline`` of the
    in-domain ROC-AUC against that of the shifted ROC-AUC, with their Spearman correlation.
    Right: per method, the validation-test correlation over checkpoints of every fine-tuned run
    (Spearman ρ between the validation and the shifted-test score over the evaluations of
    ``history_``, i.e. ``1 - val_test_gap``), one dot per run, the median marked.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    baseline : str, default="finetune"
        Method the differences of the left panel are taken from.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import plot_validation_test
    >>> results = pd.DataFrame({
    ...     "dataset": list("aabb"), "seed": 0, "error": "", "ratio": [0.0, 0.5] * 2,
    ...     "method": ["finetune", "causalmix"] * 2, "auc_in_domain": [0.8, 0.82, 0.9, 0.88],
    ...     "auc_shifted": [0.7, 0.72, 0.8, 0.79], "val_test_gap": [0.2, 0.5, 1.0, 0.4]})
    >>> fig = plot_validation_test(results)
    >>> len(fig.axes)
    2
    """
    plt = _pyplot()
    ok = scored_runs(results)
    paired = _paired(_paired(ok, "auc_in_domain", baseline).rename(
        columns={"_delta": "_in"}), "auc_shifted", baseline)
    paired = paired[paired["method"] != baseline].dropna(subset=["_in", "_delta"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    methods = list(dict.fromkeys(ok["method"]))
    colors = _colors(methods)
    for method, rows in paired.groupby("method", sort=False):
        left.scatter(rows["_in"], rows["_delta"], s=12, color=colors[method], label=method)
    rho = stats.spearmanr(paired["_in"], paired["_delta"]).statistic if len(paired) > 2 else np.nan
    left.axhline(0, color="black", lw=0.5)
    left.axvline(0, color="black", lw=0.5)
    left.set_xlabel(f"Δ in-domain ROC-AUC vs {baseline}", fontsize=10)
    left.set_ylabel(f"Δ shifted ROC-AUC vs {baseline}", fontsize=10)
    left.set_title(f"per run (Spearman ρ = {rho:.2f})", fontsize=10)
    left.legend(fontsize=7)
    gap = ok["val_test_gap"] if "val_test_gap" in ok else pd.Series(np.nan, index=ok.index)
    rho_runs = ok.assign(_rho=1 - pd.to_numeric(gap, errors="coerce"))
    tuned = [m for m in methods if rho_runs.loc[rho_runs["method"] == m, "_rho"].notna().any()]
    for k, method in enumerate(tuned):
        values = rho_runs.loc[rho_runs["method"] == method, "_rho"].dropna()
        right.scatter(np.full(len(values), k), values, s=10, alpha=0.6, color=colors[method])
        right.hlines(values.median(), k - 0.3, k + 0.3, color="black", lw=1.5)
    right.set_xticks(range(len(tuned)), tuned, rotation=30, ha="right", fontsize=8)
    right.axhline(0, color="black", lw=0.5)
    right.set_ylabel("validation-test Spearman ρ over checkpoints", fontsize=10)
    right.set_title("per fine-tuned run (bar: median)", fontsize=10)
    fig.tight_layout()
    return fig

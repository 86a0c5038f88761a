"""Figures of the ratio study: metrics against the synthetic ratio, improvements, reliability."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sklearn_causalmix.study._methods import METHODS
from sklearn_causalmix.study._stats import bootstrap_interval
from sklearn_causalmix.study._tables import _main_test_of, _ok

__all__ = [
    "bootstrap_ci",
    "plot_aggregate",
    "plot_improvement",
    "plot_metric_by_dataset",
    "plot_reliability",
]

_LABELS = {
    "auc_shifted": "ROC-AUC (shifted test)",
    "auc_in_domain": "ROC-AUC (in-domain test)",
    "ece_shifted": "ECE (shifted test)",
    "ece_in_domain": "ECE (in-domain test)",
    "brier_shifted": "Brier score (shifted test)",
    "brier_in_domain": "Brier score (in-domain test)",
    "log_loss_shifted": "log-loss (shifted test)",
    "log_loss_in_domain": "log-loss (in-domain test)",
    "normalized_improvement": "gain of shifted ROC-AUC over zero-shot (%)",
    "normalized_improvement_in_domain": "gain of in-domain ROC-AUC over zero-shot (%)",
    "val_test_gap": "validation-test gap (1 - Spearman)",
}
#: Methods without a synthetic ratio, drawn as horizontal lines across the ratio axis.
_FLAT = tuple(name for name, spec in METHODS.items()
              if not spec.uses_ratio and spec.fixed_ratio is None)


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def bootstrap_ci(values, *, n_boot=2000, level=0.95, random_state=0):
    """Mean of ``values`` and a percentile bootstrap confidence interval of the mean.

    Parameters
    ----------
    values : array-like
        Observations (NaN are dropped).
    n_boot : int, default=2000
        Bootstrap resamples.
    level : float, default=0.95
        Coverage of the interval.
    random_state : int, default=0
        Seed of the resampling.

    Returns
    -------
    mean, low, high : float
        NaN for no observation; the interval collapses to the mean for one.

    Examples
    --------
    >>> from sklearn_causalmix.study import bootstrap_ci
    >>> mean, low, high = bootstrap_ci([0.70, 0.72, 0.74, 0.80])
    >>> round(mean, 3), bool(low < mean < high)
    (0.74, True)
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(values.mean())
    if len(values) == 1:
        return mean, mean, mean
    return (mean, *bootstrap_interval(values, np.mean, n_resamples=n_boot, level=level,
                                      seed=random_state))


def ratio_curves(results):
    """Rows of the augmented methods per ratio, their r = 0 point taken from ``finetune``.

    Every augmented method's curve starts at plain fine-tuning: its ``finetune`` row is copied
    under the method's name at ratio 0 (unless the method has its own ratio-0 row).

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.

    Returns
    -------
    curves : DataFrame
        Rows of the augmented methods at every ratio, including 0.
    """
    ok = _ok(results)
    augmented = ok[ok["ratio"].notna() & (ok["method"] != "finetune")]
    base = ok[ok["method"] == "finetune"]
    parts = [augmented]
    for method in augmented["method"].unique():
        own_zero = augmented[(augmented["method"] == method) & (augmented["ratio"] == 0)]
        if len(own_zero) == 0 and len(base):
            parts.append(base.assign(method=method, ratio=0.0))
    if not parts or sum(len(p) for p in parts) == 0:
        return augmented.iloc[:0]
    return pd.concat(parts, ignore_index=True).sort_values(["method", "dataset", "seed", "ratio"])


def _flat_methods(results):
    ok = _ok(results)
    return [m for m in _FLAT if m in set(ok["method"])]


def plot_metric_by_dataset(results, metric="auc_shifted", *, n_cols=4):
    """Small multiples: ``metric`` against the synthetic ratio, one panel per dataset.

    Lines are the augmented methods (mean over seeds; r = 0 is plain fine-tuning); dashed
    horizontal lines mark zero-shot, ``causalmix-cv`` and the references.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    metric : str, default="auc_shifted"
        A numeric column of ``results``.
    n_cols : int, default=4
        Panels per row.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import plot_metric_by_dataset
    >>> results = pd.DataFrame({
    ...     "dataset": ["d"] * 4, "seed": 0, "error": "",
    ...     "method": ["zero-shot", "finetune", "causalmix", "causalmix"],
    ...     "ratio": [float("nan"), 0.0, 0.5, 1.0], "auc_shifted": [0.7, 0.75, 0.78, 0.74]})
    >>> fig = plot_metric_by_dataset(results)
    >>> len(fig.axes[0].lines)
    2
    """
    plt = _pyplot()
    datasets = list(dict.fromkeys(results["dataset"]))
    n_cols = max(1, min(n_cols, len(datasets)))
    n_rows = max(1, math.ceil(len(datasets) / n_cols))  # one (hidden) panel for no dataset
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.4 * n_cols, 2.7 * n_rows + 0.9),
                             squeeze=False)
    curves = ratio_curves(results)
    flat = _flat_methods(results)
    ok = _ok(results)
    colors = _colors(list(curves["method"].unique()) + flat)
    for ax, dataset in zip(axes.ravel(), datasets):
        part = curves[curves["dataset"] == dataset]
        for method, rows in part.groupby("method", sort=False):
            mean = rows.groupby("ratio")[metric].mean()
            ax.plot(mean.index, mean.to_numpy(), marker="o", ms=3, label=method,
                    color=colors[method])
        for method in flat:
            value = ok[(ok["dataset"] == dataset) & (ok["method"] == method)][metric].mean()
            if np.isfinite(value):
                ax.axhline(value, ls="--", lw=1, color=colors[method], label=method)
        ax.set_title(dataset, fontsize=11)
        ax.tick_params(labelsize=9)
        ax.set_xlabel("synthetic ratio", fontsize=10)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(_LABELS.get(metric, metric), fontsize=10)
    for ax in axes.ravel()[len(datasets):]:
        ax.set_visible(False)
    _finish(fig, axes, f"{_LABELS.get(metric, metric)} against the synthetic ratio")
    return fig


def _colors(methods):
    plt = _pyplot()
    cycle = plt.get_cmap("tab10")
    return {m: cycle(i % 10) for i, m in enumerate(dict.fromkeys(methods))}


def _finish(fig, axes, title):
    """Title, one legend for all panels under it, and a tight layout below both."""
    handles, labels = {}, []
    for ax in axes.ravel():
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in handles:
                handles[label] = handle
                labels.append(label)
    height = fig.get_figheight()
    fig.suptitle(title, fontsize=12, y=1 - 0.12 / height, va="top")
    n_rows = 0
    if handles:
        ncol = min(len(labels), 8)
        n_rows = -(-len(labels) // ncol)
        fig.legend([handles[k] for k in labels], labels, loc="upper center", fontsize=9,
                   ncol=ncol, frameon=False, bbox_to_anchor=(0.5, 1 - 0.38 / height))
    fig.tight_layout(rect=(0, 0, 1, 1 - (0.45 + 0.2 * n_rows) / height))


def plot_aggregate(results, metrics=("auc_shifted", "ece_shifted"), *, n_boot=2000, min_pairs_for_ci=5):
    """Metrics against the ratio aggregated over datasets x seeds, with bootstrap 95% CIs.

    Two rows of panels per metric: the mean of the metric, and the mean paired difference from
    plain fine-tuning on the same dataset and seed (which removes the spread between datasets).
    Shaded bands are percentile-bootstrap 95% intervals over the (dataset, seed) pairs, drawn only
    when there are at least ``min_pairs_for_ci`` pairs (fewer cannot support an interval).

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    metrics : sequence of str, default=("auc_shifted", "ece_shifted")
        Numeric columns.
    n_boot : int, default=2000
        Bootstrap resamples.
    min_pairs_for_ci : int, default=5
        Fewest (dataset, seed) pairs for which the intervals are drawn.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import plot_aggregate
    >>> results = pd.DataFrame({
    ...     "dataset": ["a", "a", "b", "b"], "seed": 0, "error": "",
    ...     "method": ["finetune", "causalmix"] * 2, "ratio": [0.0, 0.5] * 2,
    ...     "auc_shifted": [0.7, 0.72, 0.8, 0.79], "ece_shifted": [0.1, 0.08, 0.05, 0.06]})
    >>> fig = plot_aggregate(results)
    >>> len(fig.axes)
    4
    """
    plt = _pyplot()
    curves = ratio_curves(results)
    ok = _ok(results)
    base = ok[ok["method"] == "finetune"].set_index(["dataset", "seed"])
    flat = _flat_methods(results)
    colors = _colors(list(curves["method"].unique()) + flat)
    n_pairs = ok.groupby(["dataset", "seed"]).ngroups
    draw_ci = n_pairs >= min_pairs_for_ci
    fig, axes = plt.subplots(2, len(metrics), figsize=(5 * len(metrics), 7.5), squeeze=False)
    for col, metric in enumerate(metrics):
        for row, paired in enumerate((False, True)):
            ax = axes[row, col]
            for method, rows in curves.groupby("method", sort=False):
                stats = []
                for ratio, group in rows.groupby("ratio"):
                    values = group[metric].to_numpy(dtype=float)
                    if paired:
                        ref = base[metric].reindex(pd.MultiIndex.from_frame(
                            group[["dataset", "seed"]])).to_numpy(dtype=float)
                        values = values - ref
                    stats.append((ratio, *bootstrap_ci(values, n_boot=n_boot)))
                stats = np.array(stats)
                ax.plot(stats[:, 0], stats[:, 1], marker="o", ms=3, label=method,
                        color=colors[method])
                if draw_ci:
                    ax.fill_between(stats[:, 0], stats[:, 2], stats[:, 3], alpha=0.15,
                                    color=colors[method])
            for method in flat:
                values = ok[ok["method"] == method].set_index(["dataset", "seed"])[metric]
                if paired:
                    values = values - base[metric].reindex(values.index)
                mean = bootstrap_ci(values.to_numpy(dtype=float), n_boot=n_boot)[0]
                if np.isfinite(mean):
                    ax.axhline(mean, ls="--", lw=1, color=colors[method], label=method)
            if paired:
                ax.axhline(0.0, color="black", lw=0.6)
            label = _LABELS.get(metric, metric)
            ax.set_ylabel(f"difference from plain fine-tuning\n{label}" if paired else
                          f"mean {label}", fontsize=10)
            ax.set_xlabel("synthetic ratio", fontsize=10)
    title = f"Mean over {n_pairs} (dataset, seed) pairs" + (
        " with bootstrap 95% CIs" if draw_ci else f" (too few for intervals: fewer than {min_pairs_for_ci})")
    _finish(fig, axes, title)
    return fig


def plot_improvement(results, metric="normalized_improvement"):
    """Gain over zero-shot per method and ratio (box plots over datasets x seeds).

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    metric : str, default="normalized_improvement"
        ``normalized_improvement`` (% gain of shifted ROC-AUC over zero-shot),
        ``normalized_improvement_in_domain`` (the same of the in-domain ROC-AUC: the held-out
        fold's under the i.i.d. protocol) or another column.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import plot_improvement
    >>> results = pd.DataFrame({
    ...     "dataset": ["a", "a", "b", "b"], "seed": 0, "error": "",
    ...     "method": ["finetune", "causalmix"] * 2, "ratio": [0.0, 0.5] * 2,
    ...     "normalized_improvement": [2.0, 3.5, -1.0, 0.5]})
    >>> fig = plot_improvement(results)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['finetune', 'causalmix r=0.5']
    """
    plt = _pyplot()
    ok = _ok(results)
    ok = ok[ok["method"] != "zero-shot"]
    labels, data = [], []
    for (method, ratio), group in ok.groupby(["method", "ratio"], dropna=False, sort=False):
        values = group[metric].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(values) == 0:
            continue
        show_ratio = pd.notna(ratio) and method != "finetune"
        labels.append(f"{method} r={ratio:g}" if show_ratio else method)
        data.append(values)
    fig, ax = plt.subplots(figsize=(7, 0.32 * max(len(labels), 3) + 1.2))
    if data:
        import matplotlib

        major, minor = (int(v) for v in matplotlib.__version__.split(".")[:2])
        horizontal = ({"orientation": "horizontal"} if (major, minor) >= (3, 10)
                      else {"vert": False})
        ax.boxplot(data, showmeans=True, widths=0.6, **horizontal)
        ax.set_yticks(range(1, len(labels) + 1), labels, fontsize=9)
    ax.axvline(0.0, color="black", lw=0.6)
    ax.invert_yaxis()
    ax.set_xlabel(_LABELS.get(metric, metric), fontsize=10)
    ax.set_title("Gain over the zero-shot model (boxes over datasets x seeds; triangle: mean)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def plot_reliability(predictions, dataset, *, method="causalmix", seed=None, n_bins=10):
    """Reliability diagrams on a dataset's shifted test, one curve per ratio of ``method``.

    The predictions are on the test each unit watches: the shifted test, or the held-out fold for
    units of the i.i.d. protocol (the title says which).

    Uses :class:`sklearn.calibration.CalibrationDisplay` on the top-label confidence and whether
    the top label is right (for a binary task that is the usual diagram folded at 0.5, and it
    matches the top-label ECE of the study). Zero-shot and plain fine-tuning are drawn too.

    Parameters
    ----------
    predictions : dict
        Second output of ``ratio_study(..., return_predictions=True)``.
    dataset : str
        Dataset to draw.
    method : str, default="causalmix"
        Augmented method whose ratios are drawn.
    seed : int, default=None
        Seed to draw; None takes the smallest available.
    n_bins : int, default=10
        Bins of each curve.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.study import StudyUnit, plot_reliability
    >>> rng = np.random.RandomState(0)
    >>> p = rng.uniform(size=200)
    >>> y = (rng.uniform(size=200) < p).astype(int)
    >>> pred = {"y_true": y, "proba": np.column_stack([1 - p, p]), "classes": np.array([0, 1])}
    >>> predictions = {StudyUnit("d", 0, "finetune", 0.0): pred,
    ...                StudyUnit("d", 0, "causalmix", 0.5): pred}
    >>> fig = plot_reliability(predictions, "d")
    >>> len(fig.axes[0].get_legend().get_texts())
    3
    """
    plt = _pyplot()
    from sklearn.calibration import CalibrationDisplay

    units = [u for u in predictions if u.dataset == dataset]
    if not units:
        raise ValueError(f"No predictions for dataset {dataset!r}.")
    if seed is None:
        seed = min(u.seed for u in units)
    chosen = [u for u in units if u.seed == seed and (
        u.method in ("zero-shot", "finetune") or u.method == method)]
    chosen.sort(key=lambda u: (u.method != "zero-shot", u.method != "finetune",
                               0.0 if u.ratio is None else u.ratio))
    fig, ax = plt.subplots(figsize=(5.2, 5))
    for unit in chosen:
        pred = predictions[unit]
        proba = np.asarray(pred["proba"], dtype=float)
        classes = np.asarray(pred["classes"]).astype(str)
        y_true = np.asarray(pred["y_true"]).astype(str)
        correct = (classes[proba.argmax(axis=1)] == y_true).astype(int)
        confidence = proba.max(axis=1)
        name = unit.method if unit.method in ("zero-shot", "finetune") else (
            f"{unit.method} r={unit.ratio:g}")
        CalibrationDisplay.from_predictions(correct, confidence, n_bins=n_bins, name=name, ax=ax,
                                            strategy="uniform", pos_label=1)
    ax.set_xlabel("top-label confidence", fontsize=10)
    ax.set_ylabel("fraction of correct top labels", fontsize=10)
    test = _main_test_of(getattr(u, "protocol", "shift") for u in chosen)
    ax.set_title(f"Reliability on the {test.noun} of {dataset} (seed {seed})", fontsize=11)
    ax.legend(fontsize=9, loc="upper left")
    fig.tight_layout()
    return fig

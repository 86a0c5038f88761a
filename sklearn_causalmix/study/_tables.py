"""Tables of the ratio study: medians per method and ratio, per-dataset means, wins and losses.

Also the helpers they share with the figures: successful runs, run labels, method order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sklearn_causalmix.study._methods import METHODS

__all__ = ["summary_table", "per_dataset_table", "win_loss_table", "minmax_normalized_auc"]

#: Order of the methods in tables: that of the catalogue (methods it lacks come last).
_ORDER = tuple(METHODS)


def _ok(results):
    return results[results["error"].fillna("") == ""]


def _run_label(method, ratio):
    if method == "finetune" or pd.isna(ratio):
        return method
    return f"{method} r={ratio:g}"


def _method_rank(method):
    return _ORDER.index(method) if method in _ORDER else len(_ORDER)


def _paired_delta(ok, metric, baseline="finetune"):
    """``metric`` minus the ``baseline`` method's value on the same (dataset, seed)."""
    base = ok[ok["method"] == baseline].groupby(["dataset", "seed"])[metric].first()
    ref = base.reindex(pd.MultiIndex.from_frame(ok[["dataset", "seed"]])).to_numpy(dtype=float)
    return ok[metric].to_numpy(dtype=float) - ref


#: The methods that do not fine-tune the model (left out of the normalised gain of the TFMs).
_REFERENCES = tuple(name for name, spec in METHODS.items() if not spec.needs_model)


def minmax_normalized_auc(results, metric="auc_shifted", exclude=()):
    """``metric`` min-max normalised over the methods of each (dataset, seed) (the paper's scale).

    1 is the best method of that dataset and seed, 0 the worst (0.5 everywhere when all tie).

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    metric : str, default="auc_shifted"
        Column to normalise.
    exclude : sequence of str, default=()
        Methods left out of the normalisation (their rows get NaN).

    Returns
    -------
    normalized : Series
        Aligned with ``results`` (NaN for failed and excluded rows).
    """
    keep = (results["error"].fillna("") == "") & ~results["method"].isin(list(exclude))
    values = results[metric].where(keep)
    groups = values.groupby([results["dataset"], results["seed"]])
    low, high = groups.transform("min"), groups.transform("max")
    span = (high - low).replace(0, np.nan)
    return ((values - low) / span).where(span.notna(), 0.5).where(values.notna())


def summary_table(results):
    """Medians over datasets x seeds per method and ratio.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.

    Returns
    -------
    table : DataFrame
        One row per method (and ratio) with the number of runs and the medians of shifted and
        in-domain ROC-AUC, the paired difference of shifted ROC-AUC from plain fine-tuning, the
        normalised improvement over zero-shot (%), the min-max normalised shifted AUC gain over
        zero-shot (normalised over all methods, and over the TFM runs only, i.e. without the
        logreg / rf / hgb references), shifted ECE and Brier score, the validation-test gap and
        the fit time.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import summary_table
    >>> results = pd.DataFrame({
    ...     "dataset": ["a"] * 3, "seed": 0, "error": "", "ratio": [None, 0.0, 0.5],
    ...     "method": ["zero-shot", "finetune", "causalmix"], "auc_shifted": [0.7, 0.75, 0.8],
    ...     "auc_in_domain": 0.8, "ece_shifted": 0.1, "brier_shifted": 0.2,
    ...     "normalized_improvement": [0.0, 7.14, 14.29], "val_test_gap": 0.5, "fit_time_s": 1.0})
    >>> summary_table(results)["median auc_shifted"].tolist()
    [0.7, 0.75, 0.8]
    """
    ok = _ok(results).copy()
    ok["_delta_auc"] = _paired_delta(ok, "auc_shifted")
    ok["_delta_ece"] = _paired_delta(ok, "ece_shifted")
    index = pd.MultiIndex.from_frame(ok[["dataset", "seed"]])
    for column, exclude in (("_norm_gain", ()), ("_norm_gain_tfm", _REFERENCES)):
        normalized = minmax_normalized_auc(results, exclude=exclude).loc[ok.index]
        zero = ok.assign(_n=normalized)[ok["method"] == "zero-shot"].groupby(
            ["dataset", "seed"])["_n"].first()
        ok[column] = normalized.to_numpy() - zero.reindex(index).to_numpy(dtype=float)
    rows = []
    for (method, ratio), group in ok.groupby(["method", "ratio"], dropna=False, sort=False):
        def med(column):
            values = group[column].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            return float(np.median(values)) if len(values) else float("nan")

        rows.append({
            "method": method, "ratio": ratio, "runs": len(group),
            "median auc_shifted": med("auc_shifted"),
            "median Δauc_shifted vs finetune": med("_delta_auc"),
            "median gain over zero-shot (%)": med("normalized_improvement"),
            "median normalized-AUC gain over zero-shot": med("_norm_gain"),
            "same, TFM runs only": med("_norm_gain_tfm"),
            "median ece_shifted": med("ece_shifted"),
            "median Δece_shifted vs finetune": med("_delta_ece"),
            "median brier_shifted": med("brier_shifted"),
            "median auc_in_domain": med("auc_in_domain"),
            "median val_test_gap": med("val_test_gap"),
            "median fit_time_s": med("fit_time_s"),
        })
    table = pd.DataFrame(rows)
    if len(table):
        table = table.assign(_rank=table["method"].map(_method_rank)).sort_values(
            ["_rank", "ratio"], na_position="first").drop(columns="_rank").reset_index(drop=True)
    return table


def per_dataset_table(results, metric="auc_shifted"):
    """``metric`` per dataset (rows) and method / ratio (columns), averaged over seeds.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    metric : str, default="auc_shifted"
        Numeric column.

    Returns
    -------
    table : DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import per_dataset_table
    >>> results = pd.DataFrame({
    ...     "dataset": ["a", "a", "b", "b"], "seed": 0, "error": "",
    ...     "method": ["finetune", "causalmix"] * 2, "ratio": [0.0, 0.5] * 2,
    ...     "auc_shifted": [0.7, 0.72, 0.8, 0.79]})
    >>> per_dataset_table(results).columns.tolist()
    ['finetune', 'causalmix r=0.5']
    """
    ok = _ok(results)
    labels = [_run_label(m, r) for m, r in zip(ok["method"], ok["ratio"])]
    frame = ok.assign(run=labels)
    table = frame.pivot_table(index="dataset", columns="run", values=metric, aggfunc="mean",
                              sort=False)
    order = sorted(dict.fromkeys(labels), key=lambda lab: (
        _method_rank(lab.split(" ")[0]), lab))
    table = table.reindex(columns=[c for c in order if c in table.columns])
    table.columns.name = None
    return table


def win_loss_table(results, metric="auc_shifted", tolerance=0.005, greater_is_better=True):
    """Datasets where each augmented run beats, ties or loses to plain fine-tuning (seed means).

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    metric : str, default="auc_shifted"
        Numeric column.
    tolerance : float, default=0.005
        Differences within ``±tolerance`` count as ties.
    greater_is_better : bool, default=True
        Direction of ``metric``.

    Returns
    -------
    table : DataFrame
        Columns ``run``, ``better``, ``tie``, ``worse`` and the datasets where it is better
        and worse.
    """
    table = per_dataset_table(results, metric)
    if "finetune" not in table.columns:
        return pd.DataFrame(columns=["run", "better", "tie", "worse", "better on", "worse on"])
    rows = []
    for column in table.columns:
        if column == "finetune" or " r=" not in column:
            continue
        diff = (table[column] - table["finetune"]) * (1 if greater_is_better else -1)
        diff = diff.dropna()
        better, worse = diff[diff > tolerance], diff[diff < -tolerance]
        rows.append({"run": column, "better": len(better),
                     "tie": len(diff) - len(better) - len(worse), "worse": len(worse),
                     "better on": ", ".join(better.index), "worse on": ", ".join(worse.index)})
    return pd.DataFrame(rows)


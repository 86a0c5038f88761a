"""Tables of the ratio study: medians per method and ratio, per-dataset means, wins and losses.

Also the helpers they share with the figures: successful runs, run labels, method order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from sklearn_causalmix.evaluation import normalized_score
from sklearn_causalmix.study._methods import METHODS

__all__ = ["MainTest", "main_test", "summary_table", "per_dataset_table", "win_loss_table",
           "minmax_normalized_auc"]

#: Order of the methods in tables: that of the catalogue (methods it lacks come last).
_ORDER = tuple(METHODS)


class MainTest(NamedTuple):
    """The test a report is about: its columns' suffix and the words that name it.

    ``column`` maps a shifted-test column name (``auc_shifted``, ``ece_shifted_ts``,
    ``normalized_improvement``) to this test's; the other fields are the report's words.
    """

    #: suffix of the test's columns: "shifted" / "in_domain"
    suffix: str
    #: before a metric, as in "shifted ROC-AUC" / "held-out-fold ROC-AUC"
    adjective: str
    #: before "score", as in "the shifted-test score"; capitalised in per-dataset captions
    compound: str
    #: what the predictions are on: "shifted test" / "held-out fold"
    noun: str
    #: the rows the temperature of the ``_ts`` columns is fitted on
    temperature: str
    #: the real rows the fidelity of the synthetic rows is measured against
    fidelity_rows: str
    #: a settings line of the report naming the test ("" for the shifted test: none)
    description: str = ""

    def column(self, name):
        """The column of this test that corresponds to the shifted-test column ``name``."""
        if self.suffix == "shifted":
            return name
        if name == "normalized_improvement":
            return f"{name}_{self.suffix}"
        return name.replace("_shifted", f"_{self.suffix}")


#: The two tests of a report, by column suffix: the shifted test (shift protocol) and the
#: in-domain test, which is the held-out fold under the i.i.d. protocol.
_MAIN_TESTS = {
    "shifted": MainTest("shifted", "shifted", "shifted-test", "shifted test",
                        "fitted on the in-domain test rows", "the in-domain test rows"),
    "in_domain": MainTest("in_domain", "held-out-fold", "held-out-fold", "held-out fold",
                          "cross-fitted: fitted on one half of the held-out fold, scored on the "
                          "other, both ways", "the held-out fold",
                          "the held-out fold of each seed's stratified K-fold split (i.i.d. "
                          "protocol; seed s is fold s % K), scored in the `*_in_domain` columns; "
                          "every table and figure below is about it"),
}


def _main_test_of(protocols):
    """The held-out fold when every protocol is ``"iid"`` (at least one), else the shifted test."""
    protocols = set(protocols)
    return _MAIN_TESTS["in_domain" if protocols == {"iid"} else "shifted"]


def main_test(results):
    """The test set a report of ``results`` is about.

    The i.i.d. protocol's test is the held-out fold, scored in the ``*_in_domain`` columns (its
    ``*_shifted`` columns are NaN): results whose runs are all of the i.i.d. protocol are reported
    on it. Any other results (the shift protocol, no ``protocol`` column, a mix) are reported on
    the shifted test, as before.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.

    Returns
    -------
    test : MainTest
        ``suffix`` (``"shifted"`` or ``"in_domain"``), ``column(name)`` and the words.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study._tables import main_test
    >>> test = main_test(pd.DataFrame({"protocol": ["iid", "iid"]}))
    >>> test.suffix, test.column("ece_shifted_ts"), test.noun
    ('in_domain', 'ece_in_domain_ts', 'held-out fold')
    >>> main_test(pd.DataFrame({"dataset": ["a"]})).column("auc_shifted")
    'auc_shifted'
    """
    if "protocol" not in results:
        return _MAIN_TESTS["shifted"]
    return _main_test_of(results["protocol"].astype(object).fillna("").astype(str))


def _check_test(test):
    if test not in _MAIN_TESTS:
        raise ValueError(f"test must be one of {sorted(_MAIN_TESTS)}; got {test!r}.")
    return _MAIN_TESTS[test]


def _blank(column):
    """True where a text column (``error``, ``note``) is empty: NaN or "" (any dtype, e.g. all-NaN
    floats when read back from a CSV file)."""
    return column.isna() | (column.astype(str) == "")


def _ok(results):
    return results[_blank(results["error"])]


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
    """``metric`` min-max normalised over the runs of each (dataset, seed) (the paper's scale).

    :func:`~sklearn_causalmix.evaluation.normalized_score` with each run (each method and ratio)
    as its own method and each (dataset, seed) as a dataset: 1 is the best run of that dataset
    and seed, 0 the worst; when all runs tie, all are the best (1).

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
    keep = _blank(results["error"]) & ~results["method"].isin(list(exclude))
    keep &= results[metric].notna()
    normalized = pd.Series(np.nan, index=results.index)
    if not keep.any():
        return normalized
    runs = results.loc[keep, ["dataset", "seed", metric]].assign(_run=np.flatnonzero(keep))
    scores = normalized_score(runs, dataset_col=["dataset", "seed"], method_col="_run",
                              score_col=metric)
    normalized.iloc[scores["_run"].to_numpy()] = scores["normalized_score"].to_numpy()
    return normalized


def summary_table(results, *, test="shifted"):
    """Medians over datasets x seeds per method and ratio.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    test : {"shifted", "in_domain"}, default="shifted"
        The test set summarised: the shifted test (``*_shifted`` columns and
        ``normalized_improvement``) or the in-domain test (``*_in_domain`` columns and
        ``normalized_improvement_in_domain``), which is the held-out fold under the i.i.d.
        protocol (:func:`~sklearn_causalmix.study.write_report` picks it for i.i.d. results).

    Returns
    -------
    table : DataFrame
        One row per method (and ratio) with the number of runs and the medians of the test's
        and the in-domain ROC-AUC, the paired difference of the test's ROC-AUC from plain
        fine-tuning, the normalised improvement over zero-shot (%), the min-max normalised AUC
        gain over zero-shot (normalised over all methods, and over the TFM runs only, i.e.
        without the logreg / rf / hgb references), the test's ECE and Brier score, the
        validation-test gap and the fit time. Columns are named after the test's columns
        (``median auc_shifted``, ...); with ``test="in_domain"`` the in-domain ROC-AUC is
        listed once.

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
    main = _check_test(test)
    auc, ece, brier = (main.column(f"{name}_shifted") for name in ("auc", "ece", "brier"))
    ok = _ok(results).copy()
    ok["_delta_auc"] = _paired_delta(ok, auc)
    ok["_delta_ece"] = _paired_delta(ok, ece)
    index = pd.MultiIndex.from_frame(ok[["dataset", "seed"]])
    for column, exclude in (("_norm_gain", ()), ("_norm_gain_tfm", _REFERENCES)):
        normalized = minmax_normalized_auc(results, auc, exclude=exclude).loc[ok.index]
        zero = ok.assign(_n=normalized)[ok["method"] == "zero-shot"].groupby(
            ["dataset", "seed"])["_n"].first()
        ok[column] = normalized.to_numpy() - zero.reindex(index).to_numpy(dtype=float)
    rows = []
    for (method, ratio), group in ok.groupby(["method", "ratio"], dropna=False, sort=False):
        def med(column):
            values = group[column].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            return float(np.median(values)) if len(values) else float("nan")

        row = {
            "method": method, "ratio": ratio, "runs": len(group),
            f"median {auc}": med(auc),
            f"median Δ{auc} vs finetune": med("_delta_auc"),
            "median gain over zero-shot (%)": med(main.column("normalized_improvement")),
            "median normalized-AUC gain over zero-shot": med("_norm_gain"),
            "same, TFM runs only": med("_norm_gain_tfm"),
            f"median {ece}": med(ece),
            f"median Δ{ece} vs finetune": med("_delta_ece"),
            f"median {brier}": med(brier),
        }
        row["median auc_in_domain"] = med("auc_in_domain")  # listed once for the in-domain test
        rows.append({**row, "median val_test_gap": med("val_test_gap"),
                     "median fit_time_s": med("fit_time_s")})
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


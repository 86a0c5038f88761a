"""This study's summary beside the CausalMixFT paper's (Bühler, Purucker & Hutter, 2026).

The paper summarises its benchmark by two medians over datasets: the improvement of normalised
ROC-AUC over the model before fine-tuning, and the validation-test correlation gap.
:func:`paper_comparison_table` computes both from a study's runs, with a bootstrap interval of the
median over tables, and puts the paper's value beside each arm that has one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sklearn_causalmix.evaluation import normalized_score
from sklearn_causalmix.study._effects import scored_runs
from sklearn_causalmix.study._stats import bootstrap_interval
from sklearn_causalmix.study._tables import _REFERENCES, _check_test

__all__ = ["PAPER_MEDIANS", "paper_comparison_table"]

#: The paper's medians over its 33 datasets (arXiv:2601.04110, abstract): improvement of
#: normalised ROC-AUC over the model before fine-tuning, and the validation-test correlation gap,
#: by the method they belong to in this package (``causalmix`` at every ratio and with the ratio
#: chosen by inner cross-validation).
PAPER_MEDIANS = {
    "finetune": {"improvement": 0.10, "gap": 0.67},
    "causalmix": {"improvement": 0.12, "gap": 0.30},
    "causalmix-cv": {"improvement": 0.12, "gap": 0.30},
    "ctgan": {"improvement": -0.01, "gap": np.nan},
}


def _arm_row(run, improvements, gaps, n_resamples, seed):
    paper = PAPER_MEDIANS.get(run["method"], {})
    low, high = bootstrap_interval(improvements, np.median, n_resamples=n_resamples, seed=seed)
    value = paper.get("improvement", np.nan)
    inside = "" if np.isnan(value) or np.isnan(low) else ("yes" if low <= value <= high else "no")
    return {
        "run": run["run"], "method": run["method"], "tables": len(improvements),
        "improvement median": float(np.median(improvements)) if len(improvements) else np.nan,
        "CI low": low, "CI high": high, "paper": value, "paper inside CI": inside,
        "val-test gap median": float(gaps.median()) if len(gaps) else np.nan,
        "paper gap": paper.get("gap", np.nan),
    }


def paper_comparison_table(results, *, test="shifted", n_resamples=10_000, seed=0):
    """The paper's two summary medians for every arm of a study, beside the paper's values.

    For each protocol, the runs of the foundation model (zero-shot, fine-tuning and every
    augmented arm; no logreg / rf / hgb reference) form the pool of
    :func:`~sklearn_causalmix.evaluation.normalized_score`: per table, each arm's ROC-AUC is
    averaged over seeds (as the paper averages folds), min-max normalised over the arms of that
    table, and the zero-shot arm's normalised score is subtracted. The median of that improvement
    over tables comes with a percentile bootstrap 95% interval (tables resampled); ``paper inside
    CI`` says whether the paper's median lies in it. The validation-test gap
    (``val_test_gap``, ``1 - Spearman`` of the validation and test curves over the checkpoints of
    one run) is a median over runs.

    The normalised scores depend on the pool: adding an arm (another ratio, another augmenter)
    changes every other arm's value, so compare numbers only between reports with the same arms.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    test : {"shifted", "in_domain"}, default="shifted"
        The ROC-AUC normalised: of the shifted test, or of the in-domain test (the held-out fold
        under the i.i.d. protocol, as in the paper).
    n_resamples : int, default=10_000
        Bootstrap resamples.
    seed : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    table : DataFrame
        One row per protocol and arm but zero-shot: ``protocol``, ``run``, ``method``,
        ``tables``, ``improvement median``, ``CI low``, ``CI high``, ``paper``, ``paper inside
        CI`` ("yes", "no", or "" without a paper value), ``val-test gap median``, ``paper gap``.
        Empty when no run of zero-shot has a score.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import paper_comparison_table
    >>> results = pd.DataFrame({
    ...     "dataset": list("aaabbbccc"), "seed": 0, "error": "",
    ...     "method": ["zero-shot", "finetune", "causalmix"] * 3, "ratio": [None, 0.0, 0.5] * 3,
    ...     "auc_shifted": [.70, .80, .90, .60, .62, .61, .50, .55, .52],
    ...     "val_test_gap": [None, 0.6, 0.2] * 3})
    >>> table = paper_comparison_table(results, n_resamples=200)
    >>> table[["run", "improvement median", "paper", "val-test gap median"]]
                   run  improvement median  paper  val-test gap median
    0         finetune                 1.0   0.10                  0.6
    1  causalmix r=0.5                 0.5   0.12                  0.2
    """
    main = _check_test(test)
    score = main.column("auc_shifted")
    ok = scored_runs(results)
    ok = ok[~ok["method"].isin(_REFERENCES)]  # the foundation model's runs: the paper's pool
    ok = ok[pd.to_numeric(ok[score], errors="coerce").notna()] if score in ok else ok.iloc[:0]
    rows = []
    for protocol, part in ok.groupby("protocol", sort=False):
        if not (part["method"] == "zero-shot").any():
            continue
        normalized = normalized_score(part, dataset_col="dataset", method_col="run",
                                      score_col=score, reference="zero-shot")
        arms = part.drop_duplicates("run")
        for run in arms[arms["method"] != "zero-shot"].to_dict("records"):
            improvements = normalized.loc[normalized["run"] == run["run"], "improvement"].dropna()
            gaps = pd.to_numeric(part.loc[part["run"] == run["run"]].get(
                "val_test_gap", pd.Series(dtype=float)), errors="coerce").dropna()
            rows.append({"protocol": protocol, **_arm_row(run, improvements.to_numpy(), gaps,
                                                            n_resamples, seed)})
    columns = ["protocol", "run", "method", "tables", "improvement median", "CI low", "CI high",
               "paper", "paper inside CI", "val-test gap median", "paper gap"]
    return pd.DataFrame(rows, columns=columns)

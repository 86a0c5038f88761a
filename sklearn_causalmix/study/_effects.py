"""The study's answer per arm: paired effects over tables with tests, and each arm's profile.

:func:`paired_effects_table` compares every run (a method at a ratio) with a baseline (plain
fine-tuning or zero-shot) on the same dataset and seed, one difference per table (seeds
averaged), and summarises the differences over tables: bootstrap intervals, Wilcoxon tests with
Holm's correction across the runs, the smallest detectable effect, wins / ties / losses.
:func:`arm_profile_table` gives what each run is besides its effect: the normalised improvement
over zero-shot with its spread, the chosen step and ratio, the fidelity of its synthetic rows and
how well validation tracked the test over its checkpoints.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sklearn_causalmix.study._methods import METHODS
from sklearn_causalmix.study._stats import holm_adjust, summarize_deltas, table_deltas
from sklearn_causalmix.study._tables import _blank, _check_test, _method_rank, _ok, _run_label

__all__ = ["DEFAULT_METRICS", "arm_profile_table", "paired_effects_table", "scored_runs"]

#: Metrics of :func:`paired_effects_table` by default: shifted ROC-AUC, log-loss, Brier score, and
#: ECE raw and after temperature scaling.
DEFAULT_METRICS = ("auc_shifted", "log_loss_shifted", "brier_shifted", "ece_shifted",
                   "ece_shifted_ts")
#: Per-table differences within ``±tie`` count as ties (by metric family).
_TIES = {"auc": 0.005, "log_loss": 0.005, "brier": 0.002, "ece": 0.005}


def _family(metric):
    return next((name for name in _TIES if metric.startswith(name)), "")


def scored_runs(results):
    """The runs that produced scores, labelled: no error, no not-applicable note; ``run`` column.

    A missing ``protocol`` column (results of a study with one protocol) becomes ``""``.
    """
    ok = _ok(results)
    if "note" in ok:
        ok = ok[_blank(ok["note"])]
    ok = ok.assign(run=[_run_label(m, r) for m, r in zip(ok["method"], ok["ratio"])])
    if "protocol" not in ok:
        ok = ok.assign(protocol="")
    return ok


def _runs(ok, baseline, methods):
    """The runs compared with ``baseline``, in the catalogue's order (no reference by default)."""
    def wanted(method):
        if methods is not None:
            return method in methods
        spec = METHODS.get(method)
        return method != baseline and (spec is None or spec.needs_model)

    runs = ok.loc[ok["method"].map(wanted), ["run", "method", "ratio"]].drop_duplicates("run")
    runs = runs.assign(_rank=runs["method"].map(_method_rank))
    return runs.sort_values(["_rank", "ratio"], na_position="first").drop(columns="_rank")


def paired_effects_table(results, baseline="finetune", *, metrics=DEFAULT_METRICS, methods=None,
                         n_resamples=10_000, seed=0):
    """Paired effect of every run against a baseline, summarised over tables, with tests.

    For each run (a method at a ratio) and metric: the per-table difference from ``baseline``
    (mean over the seeds both ran of ``metric(run) - metric(baseline)``, same dataset and seed),
    then over tables the mean with a bootstrap 95% interval (tables resampled), the median,
    wins / ties / losses (ties within 0.005, 0.002 for the Brier score), the two-sided Wilcoxon
    signed-rank p-value, that p-value adjusted by Holm's method across the runs of the table
    (per protocol and metric), and the smallest mean difference the design detects with 80%
    power at the 5% level. ``missing tables`` names the tables of the comparison where the run
    has no paired value: rows with different table sets are not compared on the same tables.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`; with a ``protocol`` column,
        every protocol is summarised on its own.
    baseline : str, default="finetune"
        Method compared against (``"finetune"`` or ``"zero-shot"``). A method with a ratio grid
        (``"causalmix"``) is compared at each run's own ratio: the controls against CausalMixFT
        with as many synthetic rows; runs at a ratio the baseline lacks are left out.
    metrics : sequence of str, default=DEFAULT_METRICS
        Numeric columns; ROC-AUC columns (``auc*``) are better higher, the others lower.
    methods : sequence of str, default=None
        Methods compared; None: every model-based method but the baseline (no reference).
    n_resamples : int, default=10_000
        Bootstrap resamples.
    seed : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    table : DataFrame
        One row per protocol, metric and run: ``protocol``, ``metric``, ``run``, ``method``,
        ``ratio``, ``tables``, ``Δ mean``, ``CI low``, ``CI high``, ``Δ median``, ``win``,
        ``tie``, ``loss``, ``Wilcoxon p``, ``Holm p``, ``detectable Δ``, ``missing tables``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import paired_effects_table
    >>> results = pd.DataFrame({
    ...     "dataset": list("aabbcc"), "seed": 0, "error": "", "ratio": [0.0, 0.5] * 3,
    ...     "method": ["finetune", "causalmix"] * 3, "auc_shifted": [.7, .72, .8, .83, .6, .603]})
    >>> table = paired_effects_table(results, metrics=["auc_shifted"], n_resamples=200)
    >>> table[["run", "tables", "Δ mean", "win", "tie"]].round(3).values.tolist()
    [['causalmix r=0.5', 3, 0.018, 2, 1]]
    """
    ok = scored_runs(results)
    base_labels = _baseline_labels(ok, baseline)
    runs = _runs(ok, baseline, methods)
    by_ratio = baseline in METHODS and METHODS[baseline].uses_ratio
    if by_ratio:  # a baseline with a ratio grid: each run against it at its own ratio
        runs = runs[runs["ratio"].isin(base_labels)]
    rows = []
    for protocol, part in ok.groupby("protocol", sort=False):
        tables = sorted(set(part.loc[part["method"] == baseline, "dataset"]))
        for metric in metrics:
            block = [_effect_row(part, metric, run, _base_label(base_labels, run.ratio, baseline, by_ratio),
                                 tables, n_resamples, seed)
                     for run in runs.itertuples(index=False)]
            adjusted = holm_adjust([row["Wilcoxon p"] for row in block])
            for row, p in zip(block, adjusted):
                rows.append({"protocol": protocol, "metric": metric, **row, "Holm p": p})
    columns = ["protocol", "metric", "run", "method", "ratio", "tables", "Δ mean", "CI low",
               "CI high", "Δ median", "win", "tie", "loss", "Wilcoxon p", "Holm p",
               "detectable Δ", "missing tables"]
    return pd.DataFrame(rows, columns=columns)


def _baseline_labels(ok, baseline):
    """The baseline's run labels by ratio (one entry for a method without a ratio grid)."""
    base = ok.loc[ok["method"] == baseline, ["run", "ratio"]].drop_duplicates("run")
    return dict(zip(base["ratio"], base["run"]))


def _base_label(labels, ratio, baseline, by_ratio):
    """The baseline run a run at ``ratio`` is compared with: the one at ``ratio``, or the only one."""
    if by_ratio:
        return labels[ratio]
    return next(iter(labels.values()), baseline)


def _effect_row(part, metric, run, base_label, tables, n_resamples, seed):
    deltas = table_deltas(part, metric, run.run, base_label, by="dataset", pair="seed",
                          arm="run")["delta"]
    summary = summarize_deltas(deltas, higher_is_better=metric.startswith("auc"),
                               tie=_TIES.get(_family(metric), 1e-3), n_resamples=n_resamples,
                               seed=seed)
    missing = [table for table in tables if table not in set(deltas.dropna().index)]
    return {"run": run.run, "method": run.method, "ratio": run.ratio,
            "tables": summary["tables"], "Δ mean": summary["mean"],
            "CI low": summary["mean_low"], "CI high": summary["mean_high"],
            "Δ median": summary["median"], "win": summary["wins"], "tie": summary["ties"],
            "loss": summary["losses"], "Wilcoxon p": summary["wilcoxon_p"],
            "detectable Δ": summary["detectable"], "missing tables": ", ".join(map(str, missing))}


def _fidelity_source(method):
    """The method whose rows measured ``method``'s augmenter (itself, or the one it shares)."""
    spec = METHODS.get(method)
    if spec is not None and getattr(spec, "reports_fidelity", True) is False:
        return spec.augmenter_name
    return method


#: Result column of the fidelity -> its column in :func:`arm_profile_table`.
_FIDELITY_LABELS = {"fidelity_detection_auc": "fidelity detection AUC",
                    "fidelity_tstr_auc": "TSTR AUC", "fidelity_trtr_auc": "TRTR AUC"}


def _fidelity_means(runs):
    """``(means, counts)`` per protocol and method over the (dataset, seed) pairs that measured fidelity.

    ``means`` maps each fidelity column to its means, ``counts`` gives the number of pairs. The
    fidelity is one measurement per dataset, seed and augmenter, whatever the ratio: a pair counts
    once however many of the method's ratios carry it (units cached before every ratio recorded it
    carry it at one ratio only).
    """
    columns = [column for column in _FIDELITY_LABELS if column in runs]
    if not columns:
        return {column: pd.Series(dtype=float) for column in _FIDELITY_LABELS}, pd.Series(dtype=int)
    values = runs[["protocol", "method", "dataset", "seed"]].assign(
        **{column: pd.to_numeric(runs[column], errors="coerce") for column in columns})
    pairs = values.groupby(["protocol", "method", "dataset", "seed"])[columns].first()
    by_method = pairs.dropna(how="all").groupby(level=["protocol", "method"])
    means = {column: by_method[column].mean() if column in columns else pd.Series(dtype=float)
             for column in _FIDELITY_LABELS}
    return means, by_method.size()


def _table_means(rows, column):
    """Per dataset, the mean over seeds of ``column`` (finite values only)."""
    values = pd.to_numeric(rows[column], errors="coerce") if column in rows else pd.Series(
        np.nan, index=rows.index)
    return values.groupby(rows["dataset"]).mean().dropna()


def _median(values):
    values = pd.Series(values, dtype=float).dropna()
    return float(values.median()) if len(values) else float("nan")


def arm_profile_table(results, *, test="shifted"):
    """What each run is besides its effect: gain over zero-shot with its spread, steps, fidelity.

    One row per protocol and run (a method at a ratio), over the tables it has scores on:

    - ``tables``: how many;
    - ``gain median`` / ``gain IQR`` / ``gain sd``: the paper's normalised improvement of the
      test's ROC-AUC over zero-shot, ``(score / zero-shot score - 1) x 100``, averaged over
      seeds within a table, then its median, interquartile range and standard deviation over
      tables;
    - ``chosen ratio``: the median ratio chosen by inner cross-validation (``causalmix-cv``);
    - ``best step`` and ``kept pretrained``: the median step whose weights were kept and the
      share of runs that kept the pretrained weights (step 0);
    - ``val-test ρ`` and ``ρ runs``: per run the Spearman correlation over the evaluated
      checkpoints of ``history_`` between the validation score and the monitored test's
      (``monitor_score``: the shifted test, the held-out fold under the i.i.d. protocol) score,
      i.e. ``1 - val_test_gap``; its median over the runs that have
      one (at least 3 checkpoints with varying scores), and their number;
    - ``ECE after T``: the test's median ECE after temperature scaling;
    - ``fidelity detection AUC``, ``TSTR AUC``, ``TRTR AUC`` and ``fidelity runs``: the fidelity
      of the method's augmenter, measured once per dataset, seed and augmenter (so
      ``causalmix-query``, ``causalmix-context`` and ``causalmix-cv`` show ``causalmix``'s, and
      every ratio of a method the same): means over the (dataset, seed) pairs that have it, and
      how many pairs that is (runs taken from an older cache may lack it: compare fidelity
      between arms only over equal counts).

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    test : {"shifted", "in_domain"}, default="shifted"
        The test of the gain and of ``ECE after T``: the shifted test (``normalized_improvement``,
        ``ece_shifted_ts``) or the in-domain test (``normalized_improvement_in_domain``,
        ``ece_in_domain_ts``), which is the held-out fold under the i.i.d. protocol.

    Returns
    -------
    table : DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import arm_profile_table
    >>> results = pd.DataFrame({
    ...     "dataset": list("aabb"), "seed": 0, "error": "", "ratio": [0.0, 0.5] * 2,
    ...     "method": ["finetune", "causalmix"] * 2, "normalized_improvement": [1, 3, 2, 6.0],
    ...     "val_test_gap": [0.2, 0.6, 0.4, 1.0], "best_step": [0, 10, 20, 30]})
    >>> arm_profile_table(results)[["run", "gain median", "val-test ρ", "kept pretrained"]]
                   run  gain median  val-test ρ  kept pretrained
    0         finetune          1.5         0.7              0.5
    1  causalmix r=0.5          4.5         0.2              0.0
    """
    main = _check_test(test)
    ok = scored_runs(results)
    fidelity, fidelity_runs = _fidelity_means(ok)
    rows = []
    for (protocol, run), group in ok.groupby(["protocol", "run"], sort=False):
        gains = _table_means(group, main.column("normalized_improvement"))
        steps = pd.to_numeric(group.get("best_step"), errors="coerce") if (
            "best_step" in group) else pd.Series(dtype=float)
        rho = 1 - pd.to_numeric(group["val_test_gap"], errors="coerce").dropna() if (
            "val_test_gap" in group) else pd.Series(dtype=float)
        method = group["method"].iloc[0]
        source = _fidelity_source(method)
        rows.append({
            "protocol": protocol, "run": run, "method": method, "ratio": group["ratio"].iloc[0],
            "tables": group["dataset"].nunique(), "gain median": _median(gains),
            "gain IQR": float(gains.quantile(0.75) - gains.quantile(0.25)) if len(gains) else
            float("nan"),
            "gain sd": float(gains.std(ddof=1)) if len(gains) > 1 else float("nan"),
            "chosen ratio": _median(group.get("chosen_ratio", pd.Series(dtype=float))),
            "best step": _median(steps),
            "kept pretrained": float((steps.dropna() == 0).mean()) if steps.notna().any() else
            float("nan"),
            "val-test ρ": _median(rho), "ρ runs": len(rho),
            "ECE after T": _median(group.get(main.column("ece_shifted_ts"),
                                             pd.Series(dtype=float))),
            **{label: fidelity[column].get((protocol, source), np.nan)
               for column, label in _FIDELITY_LABELS.items()},
            "fidelity runs": int(fidelity_runs.get((protocol, source), 0)),
        })
    table = pd.DataFrame(rows)
    if len(table):
        table = table.assign(_rank=table["method"].map(_method_rank)).sort_values(
            ["protocol", "_rank", "ratio"], na_position="first", kind="stable").drop(
            columns="_rank").reset_index(drop=True)
    return table

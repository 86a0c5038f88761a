"""Tables and the markdown report of the ratio study."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["summary_table", "per_dataset_table", "write_report"]

_ORDER = ("zero-shot", "finetune", "causalmix", "causalmix-cv", "noise", "smote", "copula",
          "ctgan", "logreg", "rf", "hgb")


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


_REFERENCES = ("logreg", "rf", "hgb")


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


def _format(value, digits):
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def markdown_table(frame, digits=3, index=False):
    """A pipe table of ``frame`` (floats rounded to ``digits``; NaN left empty)."""
    if index:
        frame = frame.reset_index()
    header = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(frame[c]) else "---"
                            for c in frame.columns)
             + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_format(v, digits) for v in row) + " |")
    return "\n".join(lines)


def write_report(results, path, *, figures=None, title="Ratio study", command=None, reading=None,
                 notes=None):
    """Write the study's markdown report: settings, median tables, per-dataset tables, figures.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    path : str or path
        Markdown file to write (its folder is created).
    figures : dict of str to path, default=None
        Caption to image file; linked relative to the report.
    title : str, default="Ratio study"
        First heading.
    command : str, default=None
        The command that produced the results, shown verbatim.
    reading : str, default=None
        Markdown placed after the settings (for an interpretation of the results).
    notes : list of str, default=None
        Extra lines for the settings section (e.g. skipped methods).

    Returns
    -------
    path : Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from sklearn_causalmix.study import write_report
    >>> results = pd.DataFrame({
    ...     "dataset": ["a"] * 2, "seed": 0, "error": "", "ratio": [0.0, 0.5],
    ...     "method": ["finetune", "causalmix"], "n_train": 64, "auc_shifted": [0.7, 0.8],
    ...     "auc_in_domain": 0.8, "ece_shifted": 0.1, "brier_shifted": 0.2,
    ...     "normalized_improvement": float("nan"), "val_test_gap": 0.5, "fit_time_s": 1.0,
    ...     "ece_in_domain": 0.1})
    >>> out = write_report(results, pathlib.Path(tempfile.mkdtemp()) / "report.md")
    >>> "causalmix r=0.5" in out.read_text()
    True
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = _ok(results)
    failed = results[results["error"].fillna("") != ""]
    ratios = sorted({float(r) for r in results["ratio"].dropna()})
    n_train = (int(np.nanmedian(results["n_train"])) if results["n_train"].notna().any()
               else "n/a")
    lines = [f"# {title}", ""]
    if command:
        lines += ["Command:", "", "```", command, "```", ""]
    lines += [
        "## Settings", "",
        f"- datasets ({results['dataset'].nunique()}): "
        f"{', '.join(dict.fromkeys(results['dataset']))}",
        f"- seeds: {', '.join(str(s) for s in sorted(results['seed'].unique()))}",
        f"- methods: {', '.join(dict.fromkeys(results['method']))}",
        f"- synthetic ratios: {', '.join(f'{r:g}' for r in ratios)} (r = 0 is plain fine-tuning)",
        f"- training rows per run (median): {n_train}",
        f"- runs: {len(results)} ({len(failed)} failed)",
    ]
    lines += [f"- {note}" for note in notes or []]
    lines.append("")
    if reading:
        lines += [reading.strip(), ""]
    lines += [
        "## Medians over datasets x seeds", "",
        "Δ columns are paired differences from plain fine-tuning on the same dataset and seed. "
        "'gain over zero-shot (%)' is `normalized_improvement` of the shifted ROC-AUC; "
        "'normalized-AUC gain' min-max normalises the shifted ROC-AUC over all methods within each "
        "dataset and seed (1 = best, 0 = worst) and subtracts the zero-shot value (the scale of "
        "the CausalMixFT paper's '+0.10 / +0.12'); 'TFM runs only' leaves the logreg / rf / hgb "
        "references out of the normalisation.", "",
        markdown_table(summary_table(results)), "",
    ]
    wins = win_loss_table(results)
    if len(wins):
        lines += ["## Where synthetic rows help or hurt (shifted ROC-AUC vs plain fine-tuning)", "",
                  "Datasets (means over seeds) where the run is better / within ±0.005 / worse "
                  "than plain fine-tuning.", "", markdown_table(wins), ""]
    wins_ece = win_loss_table(results, "ece_shifted", greater_is_better=False)
    if len(wins_ece):
        lines += ["## Calibration: shifted ECE vs plain fine-tuning", "",
                  "Better = lower ECE by more than 0.005.", "", markdown_table(wins_ece), ""]
    for metric, caption in (("auc_shifted", "Shifted-test ROC-AUC"),
                            ("ece_shifted", "Shifted-test ECE"),
                            ("auc_in_domain", "In-domain ROC-AUC"),
                            ("val_test_gap", "Validation-test gap (1 - Spearman)")):
        if metric in ok and ok[metric].notna().any():
            lines += [f"## {caption} per dataset (mean over seeds)", "",
                      markdown_table(per_dataset_table(results, metric), index=True), ""]
    if "chosen_ratio" in ok and ok["chosen_ratio"].notna().any():
        chosen = ok[ok["chosen_ratio"].notna()].groupby("dataset")["chosen_ratio"].apply(
            lambda s: ", ".join(f"{v:g}" for v in s))
        lines += ["## Ratio chosen by inner cross-validation (causalmix-cv, per seed)", "",
                  markdown_table(chosen.rename("chosen ratios").to_frame(), index=True), ""]
    if figures:
        lines += ["## Figures", ""]
        for caption, figure in figures.items():
            rel = os.path.relpath(Path(figure).resolve(), path.parent.resolve())
            lines += [f"### {caption}", "", f"![{caption}]({Path(rel).as_posix()})", ""]
    if len(failed):
        lines += ["## Failed runs", "",
                  markdown_table(failed[["dataset", "seed", "method", "ratio", "error"]]), ""]
    path.write_text("\n".join(lines))
    return path


def write_outputs(results, output_dir, *, predictions=None, reliability=None, command=None,
                  reading=None, notes=None, title="Ratio study"):
    """Write ``results.csv``, the figures and ``report.md`` into ``output_dir``.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`~sklearn_causalmix.study.ratio_study`.
    output_dir : str or path
        Folder (created).
    predictions : dict, default=None
        Second output of ``ratio_study(..., return_predictions=True)``; needed for the
        reliability diagrams.
    reliability : list of str, default=None
        Datasets to draw reliability diagrams for (each augmented method's ratios); None draws
        the first dataset.
    command : str, default=None
        The command that produced the results.
    reading : str, default=None
        Markdown interpretation placed in the report.
    notes : list of str, default=None
        Extra settings lines.
    title : str, default="Ratio study"
        Report title.

    Returns
    -------
    files : dict of str to Path
        ``"results"``, ``"report"`` and one entry per figure.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_causalmix.datasets import make_shifted_classification
    >>> from sklearn_causalmix.study import ratio_study, write_outputs
    >>> data = make_shifted_classification(n_samples=300, random_state=0)
    >>> results = ratio_study(data, seeds=[0], methods=["logreg", "hgb"], n_train=64, verbose=0)
    >>> files = write_outputs(results, tempfile.mkdtemp())
    >>> sorted(files)
    ['aggregate', 'auc_by_dataset', 'ece_by_dataset', 'improvement', 'report', 'results']
    """
    import matplotlib.pyplot as plt

    from sklearn_causalmix.study._plots import (
        plot_aggregate,
        plot_improvement,
        plot_metric_by_dataset,
        plot_reliability,
    )

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"results": out / "results.csv"}
    results.to_csv(files["results"], index=False)
    figures = {}

    def save(key, caption, fig):
        files[key] = out / f"{key}.png"
        fig.savefig(files[key], dpi=110)
        plt.close(fig)
        figures[caption] = files[key]

    save("auc_by_dataset", "Shifted ROC-AUC against the synthetic ratio, per dataset",
         plot_metric_by_dataset(results, "auc_shifted"))
    save("ece_by_dataset", "Shifted ECE against the synthetic ratio, per dataset",
         plot_metric_by_dataset(results, "ece_shifted"))
    save("aggregate", "ROC-AUC and ECE against the ratio, aggregated (bootstrap 95% CI)",
         plot_aggregate(results))
    save("improvement", "Gain of shifted ROC-AUC over zero-shot per method and ratio",
         plot_improvement(results))
    if predictions:
        datasets = reliability or [next(iter(dict.fromkeys(u.dataset for u in predictions)))]
        methods = [m for m in dict.fromkeys(u.method for u in predictions)
                   if next(u.ratio for u in predictions if u.method == m) is not None
                   and m != "finetune"]
        for dataset in datasets:
            for method in methods[:1] if "causalmix" not in methods else ["causalmix"]:
                safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in dataset)
                save(f"reliability_{safe}_{method}",
                     f"Reliability diagrams on the shifted test of {dataset} ({method} ratios)",
                     plot_reliability(predictions, dataset, method=method))
    files["report"] = write_report(results, out / "report.md", figures=figures, title=title,
                                   command=command, reading=reading, notes=notes)
    return files

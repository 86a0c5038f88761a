"""The markdown report of the ratio study and the files ``causalmix study`` writes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_causalmix.study._effects import (
    arm_profile_table,
    paired_effects_table,
    scored_runs,
)
from sklearn_causalmix.study._paper import paper_comparison_table
from sklearn_causalmix.study._tables import (
    _blank,
    _ok,
    main_test,
    per_dataset_table,
    summary_table,
    win_loss_table,
)

__all__ = ["write_report", "write_outputs", "markdown_table"]


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

    The report is about the shifted test; when every run is of the i.i.d. protocol (``protocol``
    is ``"iid"`` in every row) it is about that protocol's test, the held-out fold: its tables
    read the ``*_in_domain`` columns and ``normalized_improvement_in_domain``.

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
    main = main_test(results)
    lines = _settings_section(results, title, command, notes, main)
    if reading:
        lines += [reading.strip(), ""]
    lines += (_summary_sections(results, main) + _effects_sections(results, main)
              + _per_dataset_sections(results, main))
    if figures:
        lines += ["## Figures", ""]
        for caption, figure in figures.items():
            rel = os.path.relpath(Path(figure).resolve(), path.parent.resolve())
            lines += [f"### {caption}", "", f"![{caption}]({Path(rel).as_posix()})", ""]
        if main.suffix != "shifted":
            lines += ["The figure of validation against test scores of shift reports "
                      "(in-domain against shifted-test ROC-AUC) is not drawn: under the i.i.d. "
                      "protocol the held-out fold is the only test.", ""]
    failed = results[~_blank(results["error"])]
    if len(failed):
        lines += ["## Failed runs", "",
                  markdown_table(failed[["dataset", "seed", "method", "ratio", "error"]]), ""]
    lines += _not_applicable_section(results)
    path.write_text("\n".join(lines))
    return path


def _settings_section(results, title, command, notes, main):
    """Report lines: the title, the command and the settings the results were made with."""
    failed = results[~_blank(results["error"])]
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
    if main.description:
        lines.append(f"- test: {main.description}")
    lines += [f"- {note}" for note in notes or []]
    return lines + [""]


def _table_sets_note(results):
    """A sentence naming the runs whose datasets differ from the others' ("" when all agree)."""
    ok = scored_runs(results)
    if ok.empty:
        return ""
    sets = ok.groupby("run", sort=False)["dataset"].agg(lambda d: frozenset(d))
    union = frozenset().union(*sets)
    short = {run: sorted(union - tables) for run, tables in sets.items() if tables != union}
    if not short:
        return ""
    listed = "; ".join(f"{run}: without {', '.join(map(str, missing))}"
                       for run, missing in short.items())
    return (f"**Not all rows are over the same tables.** Of the {len(union)} datasets, {listed}. "
            "Medians of these rows are over fewer tables than the others'.")


def _summary_sections(results, main):
    """Report lines: medians over datasets x seeds, wins and losses against plain fine-tuning."""
    note = _table_sets_note(results)
    test = main.adjective
    lines = [
        "## Medians over datasets x seeds", "",
        *([note, ""] if note else []),
        "Δ columns are paired differences from plain fine-tuning on the same dataset and seed. "
        f"'gain over zero-shot (%)' is `{main.column('normalized_improvement')}` of the {test} "
        f"ROC-AUC; 'normalized-AUC gain' min-max normalises the {test} ROC-AUC over all methods "
        "within each dataset and seed (1 = best, 0 = worst) and subtracts the zero-shot value "
        "(the scale of the CausalMixFT paper's '+0.10 / +0.12'); 'TFM runs only' leaves the "
        "logreg / rf / hgb references out of the normalisation.", "",
        markdown_table(summary_table(results, test=main.suffix)), "",
    ]
    wins = win_loss_table(results, main.column("auc_shifted"))
    if len(wins):
        lines += [f"## Where synthetic rows help or hurt ({test} ROC-AUC vs plain fine-tuning)",
                  "",
                  "Datasets (means over seeds) where the run is better / within ±0.005 / worse "
                  "than plain fine-tuning.", "", markdown_table(wins), ""]
    wins_ece = win_loss_table(results, main.column("ece_shifted"), greater_is_better=False)
    if len(wins_ece):
        lines += [f"## Calibration: {test} ECE vs plain fine-tuning", "",
                  "Better = lower ECE by more than 0.005.", "", markdown_table(wins_ece), ""]
    return lines + _kept_pretrained_section(results)


def _kept_pretrained_section(results):
    """Report lines: fine-tuned runs that kept the pretrained weights, so their numbers equal zero-shot's."""
    if "best_step" not in results or "n_steps" not in results:
        return []
    tuned = results[(results["n_steps"].fillna(0) > 0) & _blank(results["error"])]
    if not len(tuned):
        return []
    kept = tuned[tuned["best_step"] == 0]
    label = tuned["method"] + np.where(tuned["ratio"].fillna(0) > 0, " r=" + tuned["ratio"].astype(str), "")
    table = pd.DataFrame({"run": label, "kept": tuned["best_step"] == 0, "dataset": tuned["dataset"]})
    per_run = table.groupby("run", sort=False).agg(
        runs=("kept", "size"), kept_pretrained=("kept", "sum"),
        on=("dataset", lambda d: ", ".join(sorted(set(d[table.loc[d.index, "kept"]])))))
    return [
        "## Fine-tuned runs that kept the pretrained weights", "",
        f"{len(kept)} of {len(tuned)} fine-tuned runs chose step 0: no fine-tuning step beat the pretrained weights "
        "on the validation rows, so those runs predict exactly as zero-shot does (their rows in the tables above "
        "equal zero-shot's for that reason).", "", markdown_table(per_run.reset_index()), "",
    ]


#: Metrics of the report's paired tables, by baseline (named by the shifted test's columns); against
#: causalmix, the runs of the other augmenters and controls at the same ratio (none: no section).
_EFFECT_METRICS = {"finetune": ("auc_shifted", "log_loss_shifted", "brier_shifted", "ece_shifted",
                                "ece_shifted_ts"),
                   "zero-shot": ("auc_shifted", "ece_shifted_ts"),
                   "causalmix": ("auc_shifted", "log_loss_shifted", "ece_shifted")}


def _effects_sections(results, main):
    """Report lines: paired effects over tables against each baseline, and the arms' profiles."""
    lines = []
    for baseline, metrics in _EFFECT_METRICS.items():
        metrics = [main.column(m) for m in metrics]
        metrics = [m for m in metrics if m in results and results[m].notna().any()]
        if not metrics or baseline not in set(results["method"]):
            continue
        table = paired_effects_table(results, baseline, metrics=metrics)
        if table.empty:
            continue
        if (table["protocol"] == "").all():
            table = table.drop(columns="protocol")
        differ = (table["missing tables"] != "").any()
        same_ratio = " at the run's own ratio" if baseline == "causalmix" else ""
        lines += [
            f"## Paired effects against {baseline} (over tables)", "",
            f"Per table, the mean over seeds of the paired difference run - {baseline}{same_ratio} (same "
            "dataset and seed); then over tables: the mean with a bootstrap 95% interval (tables "
            "resampled), the median, wins / ties / losses (ties within 0.005; 0.002 for the "
            "Brier score), the two-sided Wilcoxon signed-rank p-value and the same adjusted by "
            "Holm's method across the runs of each metric, and the smallest mean difference "
            "the design detects with 80% power at the 5% level. ROC-AUC: higher is better; "
            "log-loss, Brier and ECE: lower is better; `_ts`: after temperature scaling "
            f"({main.temperature}).", "",
            *(["**Rows differ in their tables**: 'missing tables' names, per row, the tables "
               "of the comparison it lacks; such rows are not over the same tables.", ""]
              if differ else []),
            markdown_table(table.drop(columns="method")), ""]
    profile = arm_profile_table(results, test=main.suffix)
    if len(profile):
        if (profile["protocol"] == "").all():
            profile = profile.drop(columns="protocol")
        lines += [
            "## The arms beside their effects", "",
            f"'gain': the normalised improvement of the {main.adjective} ROC-AUC over zero-shot, "
            "(score / zero-shot - 1) x 100, averaged over seeds per table; its median, IQR and "
            "sd over tables. 'val-test ρ': per run, the Spearman correlation between the "
            f"validation score and the {main.compound} score over the evaluated checkpoints "
            "(1 - val_test_gap); median over runs. Fidelity: of the method's augmenter, once "
            f"per dataset and seed, against {main.fidelity_rows} (detection AUC 0.5 = "
            "indistinguishable; TSTR: trained on synthetic rows, tested on real ones; TRTR: "
            "the same model cross-validated on the real rows); means over the 'fidelity runs' "
            "(dataset, seed) pairs that measured it: compare arms' fidelity over equal "
            "counts.", "",
            markdown_table(profile.drop(columns="method")), ""]
    return lines + _paper_section(results, main)


def _paper_section(results, main):
    """Report lines: the paper's two summary medians beside this study's, with intervals."""
    table = paper_comparison_table(results, test=main.suffix)
    if table.empty:
        return []
    if (table["protocol"] == "").all():
        table = table.drop(columns="protocol")
    return [
        "## Beside the CausalMixFT paper", "",
        "The paper's summary (Bühler, Purucker & Hutter 2026, arXiv:2601.04110, abstract; 33 "
        "TabArena tables, i.i.d. folds, a larger model): per table, each arm's ROC-AUC "
        f"({main.adjective} test) averaged over seeds, min-max normalised over the foundation "
        "model's arms of that table (no logreg / rf / hgb), minus zero-shot's; the median over "
        "tables with a bootstrap 95% interval. 'paper inside CI': whether the paper's median "
        "lies in this interval. 'val-test gap': 1 - Spearman correlation of the validation "
        "and test curves over one run's checkpoints, median over runs. The normalised scores "
        "depend on the arms compared: compare them only between reports with the same arms.",
        "", markdown_table(table.drop(columns="method")), ""]


def _not_applicable_section(results):
    """Report lines: runs that did not apply to their dataset, with the reason."""
    if "note" not in results:
        return []
    skipped = results[~_blank(results["note"])]
    if not len(skipped):
        return []
    reasons = skipped.groupby(["method", "note"], sort=False)["dataset"].agg(
        lambda d: ", ".join(sorted(set(map(str, d))))).reset_index()
    return ["## Runs that do not apply to their dataset", "",
            "These runs have NaN scores by design (not failures):", "",
            markdown_table(reasons.rename(columns={"dataset": "datasets"})), ""]


def _per_dataset_sections(results, main):
    """Report lines: per-dataset tables of the main metrics, and the ratios chosen by inner CV."""
    ok = _ok(results)
    lines = []
    test = main.compound[:1].upper() + main.compound[1:]
    captions = {main.column("auc_shifted"): f"{test} ROC-AUC",
                main.column("ece_shifted"): f"{test} ECE"}
    captions.setdefault("auc_in_domain", "In-domain ROC-AUC")  # once, when it is the test's
    captions["val_test_gap"] = "Validation-test gap (1 - Spearman)"
    for metric, caption in captions.items():
        if metric in ok and ok[metric].notna().any():
            lines += [f"## {caption} per dataset (mean over seeds)", "",
                      markdown_table(per_dataset_table(results, metric), index=True), ""]
    if "chosen_ratio" in ok and ok["chosen_ratio"].notna().any():
        chosen = ok[ok["chosen_ratio"].notna()].groupby("dataset")["chosen_ratio"].apply(
            lambda s: ", ".join(f"{v:g}" for v in s))
        lines += ["## Ratio chosen by inner cross-validation (causalmix-cv, per seed)", "",
                  markdown_table(chosen.rename("chosen ratios").to_frame(), index=True), ""]
    return lines


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
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"results": out / "results.csv"}
    results.to_csv(files["results"], index=False)
    figures = _write_figures(results, out, predictions, reliability)
    files.update({key: file for key, (_, file) in figures.items()})
    files["report"] = write_report(results, out / "report.md",
                                   figures=dict(figures.values()), title=title,
                                   command=command, reading=reading, notes=notes)
    return files


def _write_figures(results, out, predictions, reliability):
    """Save the study's figures as PNG files in ``out``: ``{key: (caption, path)}``."""
    import matplotlib.pyplot as plt

    from sklearn_causalmix.study._effect_plots import (
        plot_forest,
        plot_ratio_curves,
        plot_validation_test,
    )
    from sklearn_causalmix.study._plots import (
        plot_aggregate,
        plot_improvement,
        plot_metric_by_dataset,
        plot_reliability,
    )

    figures = {}

    def save(key, caption, fig):
        figures[key] = (caption, out / f"{key}.png")
        fig.savefig(figures[key][1], dpi=110)
        plt.close(fig)

    main = main_test(results)
    test = main.adjective
    auc, ece = main.column("auc_shifted"), main.column("ece_shifted")
    save("auc_by_dataset", f"{test.capitalize()} ROC-AUC against the synthetic ratio, per dataset",
         plot_metric_by_dataset(results, auc))
    save("ece_by_dataset", f"{test.capitalize()} ECE against the synthetic ratio, per dataset",
         plot_metric_by_dataset(results, ece))
    save("aggregate", "ROC-AUC and ECE against the ratio, aggregated (bootstrap 95% CI)",
         plot_aggregate(results, metrics=(auc, ece)))
    save("improvement", f"Gain of {test} ROC-AUC over zero-shot per method and ratio",
         plot_improvement(results, main.column("normalized_improvement")))
    ok = scored_runs(results)
    if "finetune" in set(ok["method"]) and (ok["ratio"] > 0).any():
        save("ratio_curves", f"Paired Δ {test} ROC-AUC vs plain fine-tuning against the ratio, "
             "per protocol (bootstrap 95% CI over tables)", plot_ratio_curves(results, auc))
        save("forest", f"Δ {test} ROC-AUC vs plain fine-tuning per table (95% interval over "
             "seeds)", plot_forest(results, metric=auc))
        # in-domain against shifted scores: the i.i.d. protocol has one test (write_report says so)
        if "auc_in_domain" in ok and main.suffix == "shifted":
            save("validation_test", "What a run can see against what it gets under shift",
                 plot_validation_test(results))
    if predictions:
        datasets = reliability or [next(iter(dict.fromkeys(u.dataset for u in predictions)))]
        methods = [m for m in dict.fromkeys(u.method for u in predictions)
                   if next(u.ratio for u in predictions if u.method == m) is not None
                   and m != "finetune"]
        for dataset in datasets:
            for method in methods[:1] if "causalmix" not in methods else ["causalmix"]:
                safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in dataset)
                save(f"reliability_{safe}_{method}",
                     f"Reliability diagrams on the {main.noun} of {dataset} ({method} ratios)",
                     plot_reliability(predictions, dataset, method=method))
    return figures

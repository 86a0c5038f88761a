"""Analysis and markdown report of the fine-tuning gain benchmark (from the cached unit records alone)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _finetune_gain_units import TEST_SETS
from _stats import bootstrap_ci, summarize_deltas, table_deltas
from scipy import stats

from sklearn_causalmix.study._report import markdown_table

#: (column, name, higher is better)
METRICS = (("auc", "ROC-AUC", True), ("log_loss", "log-loss", False), ("ece", "ECE", False),
           ("brier", "Brier", False))
BASELINE = "zero-shot"
TIE = 1e-3  # |per-table difference| at most this: a tie


def long_frame(records):
    """One row per (suite, table, seed, recipe, test set): the scores and the unit's fit facts."""
    rows = []
    for r in records:
        for test, scores in r["scores"].items():
            rows.append({"suite": r["suite"], "table": r["table"], "seed": r["seed"], "recipe": r["recipe"],
                         "test": test, **scores, "n_train": r["n_train"], "best_step": r["best_step"],
                         "n_steps": r["n_steps"], "fit_wall_s": r["fit_wall_s"], "fit_cpu_s": r["fit_cpu_s"],
                         "predict_wall_s": r["predict_wall_s"],
                         "code": r["code"]})
    return pd.DataFrame(rows)


def default_comparisons(recipes):
    """Every recipe against zero-shot, and "new" against "old" when both ran."""
    pairs = [(r, BASELINE) for r in recipes if r != BASELINE]
    if "new" in recipes and "old" in recipes:
        pairs.append(("new", "old"))
    return pairs


def _fmt(value, digits=4, sign=True):
    if value is None or not np.isfinite(value):
        return ""
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def summary_table(frame, comparisons):
    """One row per comparison and metric: the per-table differences summarised over tables."""
    rows = []
    for recipe, baseline in comparisons:
        for metric, name, higher in METRICS:
            deltas = table_deltas(frame, metric, recipe, baseline)["delta"]
            s = summarize_deltas(deltas, higher_is_better=higher, tie=TIE)
            rows.append({
                "comparison": f"{recipe} - {baseline}", "metric": f"Δ{name}", "tables": s["tables"],
                "mean [95% CI]": f"{_fmt(s['mean'])} [{_fmt(s['mean_low'])}, {_fmt(s['mean_high'])}]",
                "median [95% CI]": f"{_fmt(s['median'])} [{_fmt(s['median_low'])}, {_fmt(s['median_high'])}]",
                "win/tie/loss": f"{s['wins']}/{s['ties']}/{s['losses']}",
                "Wilcoxon p": _fmt(s["wilcoxon_p"], 3, sign=False),
                "detectable (80%)": _fmt(s["detectable"], 4, sign=False),
            })
    return pd.DataFrame(rows)


def per_table_table(frame, metric, comparisons):
    """Rows: tables. Columns: the baseline's score and the mean paired difference of each comparison."""
    base = frame[frame.recipe == BASELINE].groupby("table")[metric].mean()
    out = pd.DataFrame({"seeds": frame[frame.recipe == BASELINE].groupby("table").seed.nunique(),
                        BASELINE: base.map(lambda v: _fmt(v, 4, sign=False))})
    for recipe, baseline in comparisons:
        deltas = table_deltas(frame, metric, recipe, baseline)
        out[f"{recipe} - {baseline}"] = deltas["delta"].map(_fmt)
    return out.fillna("").rename_axis("table").reset_index()


def steps_table(frame):
    """Per recipe: units, fallbacks to the pretrained weights (chosen step 0), steps, fit time."""
    units = frame.drop_duplicates(["table", "seed", "recipe"])
    rows = []
    for recipe, group in units.groupby("recipe", sort=False):
        tuned = group.n_steps > 0
        rows.append({"recipe": recipe, "units": len(group),
                     "fell back to step 0": (f"{int((tuned & (group.best_step == 0)).sum())} of {int(tuned.sum())}"
                                             if tuned.any() else ""),
                     "mean chosen step": group.best_step.mean(), "mean steps run": group.n_steps.mean(),
                     "median fit wall s": group.fit_wall_s.median(), "median fit CPU s": group.fit_cpu_s.median(),
                     "median predict wall s": group.predict_wall_s.median(),
                     "total fit wall min": group.fit_wall_s.sum() / 60})
    return pd.DataFrame(rows)


def chosen_step_table(frame, recipes):
    """Per table and fine-tuned recipe: mean chosen step and how many seeds fell back to step 0."""
    units = frame.drop_duplicates(["table", "seed", "recipe"])
    out = {}
    for recipe in recipes:
        group = units[(units.recipe == recipe) & (units.n_steps > 0)].groupby("table")
        if group.ngroups:
            out[recipe] = group.apply(
                lambda g: f"{g.best_step.mean():.0f} ({int((g.best_step == 0).sum())}/{len(g)})", include_groups=False)
    return pd.DataFrame(out).fillna("").rename_axis("table").reset_index()


def sweep_table(frame, grid):
    """Median (over tables) ΔROC-AUC against zero-shot for every grid point: rows and columns are the grid's axes."""
    axes = list(next(iter(grid.values())))
    rows = []
    for name, point in grid.items():
        deltas = table_deltas(frame, "auc", name, BASELINE)["delta"]
        ll = table_deltas(frame, "log_loss", name, BASELINE)["delta"]
        rows.append({**{k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in point.items()}, "cell": f"{_fmt(np.median(deltas) if len(deltas) else np.nan)} "
                                      f"({_fmt(np.median(ll) if len(ll) else np.nan)})"})
    table = pd.DataFrame(rows)
    if len(axes) != 2:
        return table
    wide = table.pivot(index=axes[0], columns=axes[1], values="cell")
    wide = wide.loc[table[axes[0]].unique(), table[axes[1]].unique()]  # the grid's order, not the strings'
    return wide.rename(columns=lambda v: f"{axes[1]}={v}").reset_index()


def comparisons_in(frame, comparisons):
    """The comparisons whose two recipes both have units in ``frame``."""
    present = set(frame.recipe)
    return [(a, b) for a, b in comparisons if a in present and b in present]


def forest_plot(frame, comparisons, path, title):
    """Per table the mean ΔROC-AUC over seeds with a 95% t-interval over seeds; one panel per comparison.

    The dashed line and band: the median over tables and its bootstrap 95% interval (resampling tables).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comparisons = comparisons_in(frame, comparisons)
    tables = sorted(frame.table.unique())
    fig, axes = plt.subplots(1, len(comparisons), figsize=(4 * len(comparisons), 0.35 * len(tables) + 1.5),
                             sharey=True, squeeze=False)
    for ax, (recipe, baseline) in zip(axes[0], comparisons):
        d = table_deltas(frame, "auc", recipe, baseline).reindex(tables)
        half = d["sd"] / np.sqrt(d["n"]) * stats.t.ppf(0.975, np.maximum(d["n"] - 1, 1))
        y = np.arange(len(tables))
        ax.errorbar(d["delta"], y, xerr=half.fillna(0), fmt="o", color="C0", ecolor="0.6", capsize=2)
        ax.axvline(0, color="0.3", lw=0.8)
        low, high = bootstrap_ci(d["delta"], np.median)
        ax.axvspan(low, high, color="C3", alpha=0.12, lw=0)
        ax.axvline(d["delta"].median(), color="C3", lw=0.8, ls="--", label="median over tables (bootstrap 95%)")
        ax.set_title(f"{recipe} - {baseline}", fontsize=9)
        ax.set_xlabel("Δ ROC-AUC")
        ax.set_yticks(y, tables, fontsize=8)
    axes[0][0].invert_yaxis()
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def heading(suite, test):
    return f"{suite} suite" + ("" if test == "test" else f", {test.replace('_', '-')} test")


def suite_sections(frame, suite, test, comparisons, recipes, grid=None, figure=None):
    """The markdown sections of one suite and test set."""
    title = heading(suite, test)
    part = frame[(frame.suite == suite) & (frame.test == test)]
    comparisons = comparisons_in(part, comparisons)
    recipes = [r for r in recipes if r in set(part.recipe)]
    lines = [f"## {title}: summary over tables", "",
             (f"Per table the mean over seeds of the paired difference (recipe minus baseline, same split and "
             f"seed); then over the {part.table.nunique()} tables. For ROC-AUC higher is better, for log-loss, ECE "
             "and Brier lower is better; win/tie/loss counts tables where the first recipe is better / within "
             f"{TIE:g} / worse."), "", markdown_table(summary_table(part, comparisons)), ""]
    if figure:
        lines += [f"![ΔROC-AUC per table, {title}]({figure})", ""]
    for metric, name, _ in METRICS[:3]:
        lines += [f"### {title}: {name} per table ({BASELINE}) and its paired differences", "",
                  markdown_table(per_table_table(part, metric, comparisons)), ""]
    if test == TEST_SETS[suite][0]:
        lines += [(f"### {title}: chosen step per table (mean over seeds; in brackets seeds that kept the "
                  "pretrained weights)"), "", markdown_table(chosen_step_table(part, recipes)), "",
                  f"### {title}: steps and fit times per recipe", "", markdown_table(steps_table(part), digits=1), ""]
        grid = {name: point for name, point in (grid or {}).items() if name in set(part.recipe)}
        if grid:
            lines += [f"### {title}: sweep, median ΔROC-AUC against zero-shot (median Δlog-loss)", "",
                      markdown_table(sweep_table(part, grid)), ""]
    return lines


"""Does a longer context pay? Zero-shot quality against the number of context rows, beyond the pretraining length.

The embedded weights were pretrained on episodes of at most 1,024 rows (``BackboneLimits.max_context_rows``),
so ``InContextClassifier`` subsamples larger training sets to 1,024 context rows. The row model has no row
positions, so it runs on any number of rows; this script measures whether more rows than it was trained on
help or hurt, before a pretraining stage on longer episodes is paid for (issue 15).

On every i.i.d. table of the package with at least ``--min-rows`` rows: a stratified split of at most
``--max-train`` training rows (the rest, at most 2,000 rows, is the test), then
``InContextClassifier(max_context_rows=c, n_estimators=4)`` for every ``c`` of ``--contexts``: one stratified
subsample of ``c`` rows as the context, or every training row when there are fewer; a random forest (300 trees) on all the
training rows for scale. ROC-AUC (one-vs-rest macro), log-loss and predict time per table and seed, and the
paired differences against ``c = 1,024`` over tables (bootstrap intervals, wins / ties / losses).

Usage::

    python benchmarks/bench_context_length.py                       # contexts 512 1024 2048 4096, seeds 0 1 2

Writes ``benchmarks/results/context_length.md`` (a hand-written ``## Reading`` section is kept on a rerun).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import torch
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from sklearn_causalmix.backbones import InContextClassifier
from sklearn_causalmix.datasets import list_iid_datasets, load_iid_dataset
from sklearn_causalmix.evaluation import multiclass_roc_auc
from sklearn_causalmix.study._methods import make_reference
from sklearn_causalmix.study._report import markdown_table

from _results import write_keeping_reading  # benchmarks/ is the script's folder
from _stats import summarize_deltas, table_deltas

OUT = Path(__file__).parent / "results" / "context_length.md"
BASELINE = 1024  # the pretraining episode length of the shipped weights


def splits(names, seed, max_train):
    """``(table, X_train, y_train, X_test, y_test)`` of every table: at most ``max_train`` training rows."""
    for name in names:
        data = load_iid_dataset(name)
        n_train = min(max_train, int(0.75 * len(data.y)))
        n_test = min(2000, len(data.y) - n_train)
        X_tr, X_te, y_tr, y_te = train_test_split(data.X, data.y, train_size=n_train, test_size=n_test,
                                                  stratify=data.y, random_state=seed)
        yield name, X_tr, y_tr, X_te, y_te


def score(model, X_tr, y_tr, X_te, y_te):
    """ROC-AUC, log-loss, fit and predict seconds of one model."""
    start = time.perf_counter()
    model.fit(X_tr, y_tr)
    fitted = time.perf_counter()
    proba = model.predict_proba(X_te)
    done = time.perf_counter()
    return {"auc": multiclass_roc_auc(y_te, proba, labels=model.classes_),
            "log_loss": log_loss(y_te, proba, labels=model.classes_),
            "fit_s": fitted - start, "predict_s": done - fitted}


def run(names, seeds, contexts, max_train):
    rows = []
    for seed in seeds:
        for name, X_tr, y_tr, X_te, y_te in splits(names, seed, max_train):
            for c in contexts:
                model = InContextClassifier(max_context_rows=c, n_estimators=4, device="cpu", random_state=seed)
                rows.append({"table": name, "seed": seed, "recipe": f"context {c}",
                             "context": min(c, len(y_tr)),
                             "n_train": len(y_tr), **score(model, X_tr, y_tr, X_te, y_te)})
                print(f"{name:14s} seed {seed} context {c:5d}: AUC {rows[-1]['auc']:.4f} "
                      f"log-loss {rows[-1]['log_loss']:.4f} ({rows[-1]['predict_s']:.1f}s)", flush=True)
            rf = make_reference("rf", X_tr, seed)
            rows.append({"table": name, "seed": seed, "recipe": "rf", "context": len(y_tr),
                         "n_train": len(y_tr), **score(rf, X_tr, y_tr, X_te, y_te)})
    return pd.DataFrame(rows)


def effects(results, contexts):
    """Paired differences against the 1,024-row context over tables, for ROC-AUC and log-loss."""
    lines = []
    for c in contexts:
        if c == BASELINE:
            continue
        for metric, better in (("auc", True), ("log_loss", False)):
            deltas = table_deltas(results, metric, f"context {c}", f"context {BASELINE}")["delta"]
            s = summarize_deltas(deltas, higher_is_better=better)
            lines.append({"context": c, "metric": metric, "tables": s["tables"], "Δ mean": s["mean"],
                          "CI low": s["mean_low"], "CI high": s["mean_high"], "Δ median": s["median"],
                          "win": s["wins"], "tie": s["ties"], "loss": s["losses"],
                          "Wilcoxon p": s["wilcoxon_p"], "detectable Δ": s["detectable"]})
    return pd.DataFrame(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contexts", type=int, nargs="+", default=[512, 1024, 2048, 4096])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--min-rows", type=int, default=3000)
    parser.add_argument("--max-train", type=int, default=4096)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # the estimator says, for every fit, that it subsamples the context: that is what is measured here
    warnings.filterwarnings("ignore", message="Training sets larger than the prediction context")
    catalogue = list_iid_datasets()
    names = list(catalogue.loc[catalogue["n_rows"] >= args.min_rows, "name"])
    start = time.perf_counter()
    results = run(names, args.seeds, args.contexts, args.max_train)
    minutes = (time.perf_counter() - start) / 60
    per_table = results.pivot_table(index="table", columns="recipe", values="auc", aggfunc="mean")
    order = [f"context {c}" for c in args.contexts if f"context {c}" in per_table] + ["rf"]
    per_table = per_table[order].reset_index()
    sizes = results.groupby("table")["n_train"].first()
    per_table.insert(1, "training rows", per_table["table"].map(sizes))
    costs = results.groupby("recipe", sort=False)[["predict_s"]].median().reindex(order).reset_index()
    text = "\n".join([
        "# Context length: zero-shot quality beyond the pretraining episode length",
        "",
        f"Command: `python benchmarks/bench_context_length.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, 1 torch thread, torch {torch.__version__}; "
        f"load average {os.getloadavg()[0]:.1f} when written; {minutes:.0f} minutes in all.",
        f"Tables: the package's i.i.d. tables with at least {args.min_rows:,} rows ({len(names)}); stratified "
        f"splits of at most {args.max_train:,} training rows (75% of a smaller table), the rest (at most 2,000 "
        f"rows) the test; seeds {', '.join(map(str, args.seeds))}. Zero-shot = `InContextClassifier("
        "max_context_rows=c, n_estimators=4)` with the shipped weights (pretrained on episodes of at most "
        "1,024 rows): one stratified subsample of c training rows as the context, or every training row "
        "where there are fewer (the 'training rows' column); rf: a random forest (300 trees) on every "
        "training row.",
        "",
        "## ROC-AUC per table (mean over seeds)",
        "",
        markdown_table(per_table, digits=4),
        "",
        f"## Against a {BASELINE:,}-row context (paired by seed, then over tables)",
        "",
        "Δ = context c minus context 1,024; for log-loss lower is better (a win is a lower log-loss). "
        "Intervals: bootstrap 95% over tables.",
        "",
        markdown_table(effects(results, args.contexts), digits=4),
        "",
        "## Predict time (median seconds per table and seed, all test rows, 4 members)",
        "",
        markdown_table(costs, digits=2),
        "",
    ])
    write_keeping_reading(args.out, text)
    print(text)


if __name__ == "__main__":
    main()

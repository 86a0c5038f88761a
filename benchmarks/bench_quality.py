"""Quality under a natural domain shift: zero-shot vs fine-tuning at synthetic ratios 0, 0.25, 0.5, 0.75, 1.0.

For every table of ``sklearn_causalmix.datasets`` chosen and every seed: at most ``--source-rows`` rows of the
source domain (domain 0) train, at most ``--test-rows`` rows of the shifted domain (domain 1) test. Configurations:

- ``zero-shot``: ``CausalMixFTClassifier(max_steps=0)`` (the pretrained model, source rows as context);
- ``ratio 0``: plain fine-tuning (``synthetic_ratio=0``);
- ``ratio 0.25 / 0.5 / 0.75 / 1.0``: fine-tuning with that share of ``CausalSCMAugmenter`` rows (the augmenter is
  fitted once per table and seed: ``memory=`` caches the synthetic pool across the ratios).

Metrics on the shifted domain: ROC-AUC (one-vs-rest macro for several classes), top-label ECE
(``sklearn_causalmix.evaluation.expected_calibration_error``, 15 bins) and the normalized improvement over the
zero-shot score of the same seed (``normalized_improvement``; ECE: smaller is better). Per table the mean over
seeds; across tables the median.

Usage::

    python benchmarks/bench_quality.py --jobs 2                   # writes benchmarks/results/quality.md
    python benchmarks/bench_quality.py --tables penguins --seeds 0 --max-steps 4 --no-write   # smoke run

Runs are appended to a JSON-lines cache (``--cache``) as they finish; a rerun with the same settings resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _results import write_keeping_reading  # benchmarks/ is the script's folder

ROOT = Path(__file__).resolve().parents[1]
TABLES = ["anes96", "arrests", "credit_data", "doctor_visits", "fair_affairs", "penguins", "swiss_labor", "wage"]
RATIOS = [0.0, 0.25, 0.5, 0.75, 1.0]
CONFIGS = ["zero-shot"] + [f"ratio {r:g}" for r in RATIOS]
FINETUNE_ARGS = ("max_steps", "eval_every", "patience", "learning_rate")
DESCRIBED = ("episodes", "max_steps", "learning_rate", "warmup", "l2sp", "eval_every", "patience", "scoring",
             "validation_fraction", "context", "calibration")


def _split(bunch, seed, source_rows, test_rows):
    rng = np.random.default_rng(seed)
    y = np.asarray(bunch.y)
    src = np.flatnonzero(np.asarray(bunch.domain) == 0)
    tgt = np.flatnonzero(np.asarray(bunch.domain) == 1)
    src = np.sort(rng.choice(src, size=min(source_rows, len(src)), replace=False))
    # classes with a single source row cannot be validated on: drop them from the task
    values, counts = np.unique(y[src], return_counts=True)
    keep = values[counts >= 2]
    src = src[np.isin(y[src], keep)]
    tgt = tgt[np.isin(y[tgt], keep)]
    tgt = np.sort(rng.choice(tgt, size=min(test_rows, len(tgt)), replace=False))
    X_train, X_test = bunch.X.iloc[src], bunch.X.iloc[tgt].copy()
    # A category level that the training rows never show cannot be encoded: it becomes a missing value.
    n_unseen = 0
    for col in X_test.columns:
        dtype = X_test[col].dtype
        if isinstance(dtype, pd.CategoricalDtype) or dtype == object or pd.api.types.is_string_dtype(dtype):
            unseen = X_test[col].notna() & ~X_test[col].isin(set(X_train[col].dropna().tolist()))
            n_unseen += int(unseen.sum())
            X_test[col] = X_test[col].where(~unseen)
    return X_train, y[src], X_test, y[tgt], n_unseen


def _scores(clf, X_test, y_test):
    from sklearn_causalmix.evaluation import expected_calibration_error
    from sklearn_causalmix.finetune._evaluate import validation_score

    proba = clf.predict_proba(X_test)
    codes = np.searchsorted(clf.classes_, y_test)
    return {
        "auc": validation_score(codes, proba, "roc_auc"),
        "ece": float(expected_calibration_error(y_test, proba, labels=clf.classes_)),
    }


def run_task(table, seed, args, cache_dir):
    """All configurations for one (table, seed); returns one record per configuration."""
    import torch

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=UserWarning)
    from sklearn_causalmix import CausalMixFTClassifier, CausalSCMAugmenter
    from sklearn_causalmix.datasets import load_shifted_dataset

    bunch = load_shifted_dataset(table)
    X, y, X_test, y_test, n_unseen = _split(bunch, seed, args.source_rows, args.test_rows)
    records = []
    for config in CONFIGS:
        start = time.perf_counter()
        if config == "zero-shot":
            clf = CausalMixFTClassifier(max_steps=0, device="cpu", random_state=seed)
        else:
            clf = CausalMixFTClassifier(
                augmenter=CausalSCMAugmenter(n_bootstrap=args.n_bootstrap, n_graphs=args.n_graphs),
                synthetic_ratio=float(config.split()[1]),
                n_synthetic=args.n_synthetic,
                memory=cache_dir,
                **_finetune_overrides(args),
                device="cpu",
                random_state=seed,
            )
        clf.fit(X, y)
        fit_s = time.perf_counter() - start
        records.append(
            {
                "table": table, "seed": seed, "config": config, **_scores(clf, X_test, y_test),
                "best_step": clf.best_step_, "n_steps": clf.n_steps_, "val_best": clf.best_score_,
                "val_step0": clf.history_[0]["val_score"], "fit_s": fit_s,
                "n_train": len(y), "n_test": len(y_test), "n_classes": len(clf.classes_),
                "n_unseen_levels": n_unseen,
            }
        )
    return records


def _finetune_overrides(args):
    """The fine-tuning parameters given on the command line; the others stay at the package's defaults."""
    return {k: getattr(args, k) for k in FINETUNE_ARGS if getattr(args, k) is not None}


def _finetune_description(args):
    """The resolved fine-tuning parameters that the report names (defaults and overrides alike)."""
    from sklearn_causalmix import CausalMixFTClassifier

    params = CausalMixFTClassifier(**_finetune_overrides(args)).get_params()
    return ", ".join(f"`{k}={params[k]!r}`" for k in DESCRIBED if k in params)


def _settings_key(args):
    keys = ("source_rows", "test_rows", "max_steps", "eval_every", "patience", "learning_rate", "n_synthetic",
            "n_bootstrap", "n_graphs")
    return {k: getattr(args, k) for k in keys}


def _summarise(records, args, wall_s, command):
    import pandas as pd

    from sklearn_causalmix.evaluation import normalized_improvement

    frame = pd.DataFrame(records)
    zero = frame[frame.config == "zero-shot"].set_index(["table", "seed"])
    frame["ni_auc"] = [
        float(normalized_improvement(r.auc, zero.loc[(r.table, r.seed), "auc"])) for r in frame.itertuples()
    ]

    def ni_ece(r):
        base = zero.loc[(r.table, r.seed), "ece"]
        return float(normalized_improvement(r.ece, base, greater_is_better=False)) if base > 0 else np.nan

    frame["ni_ece"] = [ni_ece(r) for r in frame.itertuples()]
    per_table = frame.groupby(["table", "config"])[["auc", "ece", "ni_auc", "ni_ece", "best_step", "fit_s"]].mean()

    def pivot(metric, fmt):
        table = per_table[metric].unstack("config")[CONFIGS]
        lines = ["| table | " + " | ".join(CONFIGS) + " |", "|---" * (len(CONFIGS) + 1) + "|"]
        for name, row in table.iterrows():
            lines.append(f"| {name} | " + " | ".join(fmt.format(v) for v in row) + " |")
        lines.append("| **median** | " + " | ".join(fmt.format(v) for v in table.median()) + " |")
        return lines, table.median()

    auc_lines, auc_med = pivot("auc", "{:.3f}")
    ece_lines, ece_med = pivot("ece", "{:.3f}")
    ni_lines, ni_med = pivot("ni_auc", "{:+.1f}")
    nie_lines, nie_med = pivot("ni_ece", "{:+.1f}")
    step_lines, _ = pivot("best_step", "{:.1f}")
    n_tables = frame.table.nunique()
    seeds = sorted(frame.seed.unique().tolist())
    s = _settings_key(args)
    best_ft = max(CONFIGS[1:], key=lambda c: auc_med[c])
    lines = [
        "# Quality under natural domain shift (`benchmarks/bench_quality.py`)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other jobs), {args.jobs} worker "
        f"process(es) x {args.threads} torch thread(s); total wall time {wall_s / 60:.1f} min "
        f"(this run; cached runs are reused on a rerun); fit time of the reported runs "
        f"{frame.fit_s.sum() / 60:.1f} min.  ",
        f"Tables ({n_tables}): {', '.join(sorted(frame.table.unique()))}; seeds {seeds}.",
        "",
        "## Protocol and settings",
        "",
        f"- Train: at most {s['source_rows']} rows of the source domain (domain 0, random per seed); test: at most "
        f"{s['test_rows']} rows of the shifted domain (domain 1). Classes with fewer than 2 source rows are dropped; "
        "category levels of the test rows that the training rows never show become missing values.",
        "- `zero-shot`: `CausalMixFTClassifier(max_steps=0)` = the embedded pretrained model with the source rows "
        "as context (4-member ensemble).",
        f"- Fine-tuning (`ratio r`): {_finetune_description(args)} (the package's defaults unless the command "
        "sets them); the chosen step is 0 (the pretrained weights, predicting as zero-shot) when no step beats "
        "it on the validation rows; prediction with all real source rows as context.",
        f"- Augmenter: `CausalSCMAugmenter(n_bootstrap={s['n_bootstrap']}, n_graphs={s['n_graphs']})` "
        f"(cheaper than the defaults 10 / 5, to keep the run within the time budget), `n_synthetic={s['n_synthetic']}`, "
        "fitted on the real training part only, once per table and seed (cached across ratios with `memory=`).",
        "- The augmenter's settings are chosen so that the whole run fits within an hour on 2 cores; "
        "`benchmarks/results/ratio_study.md` asks the same question on all 17 shifted tables with the augmenter "
        "at its defaults.",
        "",
        "## Medians over tables (of per-table means over seeds)",
        "",
        "| | " + " | ".join(CONFIGS) + " |",
        "|---" * (len(CONFIGS) + 1) + "|",
        "| ROC-AUC | " + " | ".join(f"{auc_med[c]:.3f}" for c in CONFIGS) + " |",
        "| ECE | " + " | ".join(f"{ece_med[c]:.3f}" for c in CONFIGS) + " |",
        "| normalized improvement of ROC-AUC over zero-shot (%) | "
        + " | ".join(f"{ni_med[c]:+.1f}" for c in CONFIGS) + " |",
        "| normalized improvement of ECE over zero-shot (%) | " + " | ".join(f"{nie_med[c]:+.1f}" for c in CONFIGS) + " |",
        "",
        f"Best fine-tuning configuration by median ROC-AUC: **{best_ft}** ({auc_med[best_ft]:.3f} vs zero-shot "
        f"{auc_med['zero-shot']:.3f}). Plain fine-tuning (ratio 0) vs zero-shot at the median: "
        f"{auc_med['ratio 0'] - auc_med['zero-shot']:+.3f} ROC-AUC.",
        "",
        "## ROC-AUC on the shifted domain (mean over seeds)",
        "",
        *auc_lines,
        "",
        "## ECE on the shifted domain (mean over seeds; smaller is better)",
        "",
        *ece_lines,
        "",
        "## Normalized improvement of ROC-AUC over zero-shot (%, mean over seeds)",
        "",
        *ni_lines,
        "",
        "## Normalized improvement of ECE over zero-shot (%, positive = better calibrated)",
        "",
        *nie_lines,
        "",
        "## Step whose weights were kept (mean over seeds; 0 = the pretrained weights)",
        "",
        *step_lines,
        "",
    ]
    return "\n".join(lines), frame


def main(argv=None):
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--source-rows", type=int, default=512)
    parser.add_argument("--test-rows", type=int, default=600)
    parser.add_argument("--max-steps", type=int, default=None, help="default: the package's default")
    parser.add_argument("--eval-every", type=int, default=None, help="default: the package's default")
    parser.add_argument("--patience", type=int, default=None, help="default: the package's default")
    parser.add_argument("--learning-rate", type=float, default=None, help="default: the package's default")
    parser.add_argument("--n-synthetic", type=int, default=512)
    parser.add_argument("--n-bootstrap", type=int, default=4)
    parser.add_argument("--n-graphs", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", default=str(Path(os.environ.get("TMPDIR", "/tmp")) / "causalmix_quality.jsonl"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "quality.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    command = "python benchmarks/bench_quality.py " + " ".join(sys.argv[1:] if argv is None else argv)

    tables = args.tables.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    key = _settings_key(args)
    cache = Path(args.cache)
    done = {}
    if cache.exists():
        for line in cache.read_text().splitlines():
            entry = json.loads(line)
            if entry["settings"] == key:
                done[(entry["table"], entry["seed"])] = entry["records"]
    todo = [(t, s) for t in tables for s in seeds if (t, s) not in done]
    print(f"{len(done)} cached task(s), {len(todo)} to run", flush=True)
    import tempfile

    from joblib import Parallel, delayed

    cache_dir = tempfile.mkdtemp(prefix="causalmix-quality-")
    start = time.perf_counter()

    def finished(results):
        for (table, seed), records in results:
            done[(table, seed)] = records
            with cache.open("a") as f:
                f.write(json.dumps({"settings": key, "table": table, "seed": seed, "records": records}) + "\n")
            zs = next(r for r in records if r["config"] == "zero-shot")
            line = ", ".join(f"{r['config']} {r['auc']:.3f}" for r in records)
            print(f"[{time.perf_counter() - start:6.0f}s] {table} seed {seed}: {line} "
                  f"(zero-shot {zs['auc']:.3f})", flush=True)

    def task(table, seed):
        return (table, seed), run_task(table, seed, args, cache_dir)

    parallel = Parallel(n_jobs=args.jobs, return_as="generator_unordered")
    for result in parallel(delayed(task)(t, s) for t, s in todo):
        finished([result])
    wall_s = time.perf_counter() - start
    records = [r for t in tables for s in seeds for r in done[(t, s)]]
    text, _ = _summarise(records, args, wall_s, command)
    print(text)
    if not args.no_write:
        write_keeping_reading(args.out, text)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

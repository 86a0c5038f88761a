"""What one unit of the ratio study costs, per kind of arm: measured CPU-seconds and the cost of a full grid.

Usage::

    python benchmarks/bench_study_cost.py                      # credit_data and anes96, seed 0 (~5 CPU-min)
    python benchmarks/bench_study_cost.py --tables penguins wage

Times single units of ``ratio_study`` with the default model (``CausalMixFTClassifier(device="cpu")``, its
default fine-tuning) and the default augmenters, the default protocol sizes (512 training rows, tests of at most
2,000 rows), one torch and one BLAS thread (as on a Dask worker of ``scheduler="local:N"``), in this process:

* ``zero-shot``, ``finetune`` (plain fine-tuning, r = 0);
* ``causalmix`` at r = 0.25, 0.5, 0.75, 1 in that order, as a study runs them: the first fits the causal
  augmenter (its pool of synthetic rows is then cached for the further ratios); and the augmenter's fit and
  1,000-row draw alone, on 512 source rows;
* ``noise``, ``smote``, ``copula`` at r = 0.5 (their augmenters are cheap; their further ratios cost the same);
* the references ``logreg``, ``rf``, ``hgb``.

``causalmix-cv`` is not timed (it would take longer than the rest together); its cost is derived: ``cv`` folds x
the grid's ratios fine-tunes (at the mean cost of a cached-pool ``causalmix`` unit) plus a refit, and the augmenter
fitted once per fold.

CPU-seconds are the process's CPU time around the unit (data loading, split, fit and scoring), so they hardly
depend on the machine's load; wall-clock time does. The file written, ``benchmarks/results/study_cost.md``, gives
the measured units and the CPU-hours of the full default grid of each protocol (units = tables x seeds x the sum
over arms of their ratios), with the command, the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _results import write_keeping_reading  # noqa: E402

OUT = Path(__file__).parent / "results" / "study_cost.md"

#: (arm, method, ratio); per table one cache folder, empty at the start, so an augmenter's first unit fits it
UNITS = [
    ("zero-shot", "zero-shot", 0.0),
    ("finetune (r = 0)", "finetune", 0.0),
    ("causalmix r = 0.25 (first ratio: augmenter fitted)", "causalmix", 0.25),
    ("causalmix r = 0.5 (pool cached)", "causalmix", 0.5),
    ("causalmix r = 0.75 (pool cached)", "causalmix", 0.75),
    ("causalmix r = 1 (pool cached)", "causalmix", 1.0),
    ("noise", "noise", 0.5),
    ("smote", "smote", 0.5),
    ("copula", "copula", 0.5),
    ("logreg", "logreg", None),
    ("rf", "rf", None),
    ("hgb", "hgb", None),
]
AUGMENTER = "CausalSCMAugmenter fit + 1,000 rows (alone)"
#: The default grid: ratios 0, .25, .5, .75, 1 (r = 0 is finetune), causalmix-cv over them with 3 folds.
RATIOS = (0.0, 0.25, 0.5, 0.75, 1.0)
CV_FOLDS = 3
SEEDS = 3


def time_unit(table, method, ratio, cache_dir):
    """(CPU-seconds, wall-seconds, the result row) of one unit, seed 0, in this process."""
    from sklearn_causalmix.study import ratio_study

    ratios = [0.0] if ratio is None else [ratio]
    cpu, wall = time.process_time(), time.perf_counter()
    row = ratio_study([table], ratios, seeds=[0], methods=[method], device="cpu",
                      cache_dir=cache_dir, verbose=0).iloc[0]
    return time.process_time() - cpu, time.perf_counter() - wall, row


def time_augmenter(table):
    """CPU-seconds of CausalSCMAugmenter's fit and 1,000-row draw on 512 source rows (seed 0)."""
    from sklearn_causalmix.augment import CausalSCMAugmenter
    from sklearn_causalmix.datasets import load_shifted_dataset
    from sklearn_causalmix.evaluation import DomainShiftSplit, LowDataSubsampler

    data = load_shifted_dataset(table)
    split = LowDataSubsampler(DomainShiftSplit(domain=data.domain, source=0, target=1), n_train=512,
                              random_state=0)
    train, _ = next(split.split(data.X, data.y))
    cpu, wall = time.process_time(), time.perf_counter()
    CausalSCMAugmenter(random_state=0).fit(data.X.iloc[train], data.y.iloc[train]).sample(1000)
    return time.process_time() - cpu, time.perf_counter() - wall


def measure(tables):
    from sklearn_causalmix.study import ratio_study

    rows = []
    # warm-up: imports, the embedded weights, the tables' first read (not counted)
    for table in tables:
        ratio_study([table], [0.0], seeds=[99], methods=["zero-shot"], device="cpu", verbose=0)
    for table in tables:
        with tempfile.TemporaryDirectory() as cache:
            for arm, method, ratio in UNITS:
                cpu, wall, row = time_unit(table, method, ratio, cache)
                rows.append({"table": table, "arm": arm, "cpu_s": cpu, "wall_s": wall,
                             "n_train": int(row["n_train"]), "n_steps": row["n_steps"],
                             "load": os.getloadavg()[0], "error": row["error"]})
                print(f"{table:>14} {arm:<52} {cpu:7.1f} CPU-s {wall:7.1f} s  {row['error']}",
                      flush=True)
        cpu, wall = time_augmenter(table)
        rows.append({"table": table, "arm": AUGMENTER, "cpu_s": cpu, "wall_s": wall, "n_train": 512,
                     "n_steps": float("nan"), "load": os.getloadavg()[0], "error": ""})
        print(f"{table:>14} {AUGMENTER:<52} {cpu:7.1f} CPU-s {wall:7.1f} s", flush=True)
    return pd.DataFrame(rows)


def per_arm(measured):
    """Mean CPU-seconds per unit of each arm over the tables (and the range)."""
    table = measured.groupby("arm", sort=False)["cpu_s"].agg(["mean", "min", "max"])
    return table.rename(columns={"mean": "CPU-s per unit (mean)", "min": "min", "max": "max"})


def unit_costs(arms):
    """CPU-seconds of every unit of one (table, seed) of the default grid, by arm kind."""
    cost = arms["CPU-s per unit (mean)"]
    positive = [r for r in RATIOS if r > 0]
    causalmix = [arm for arm in cost.index if arm.startswith("causalmix r =")]
    cached = cost[[arm for arm in causalmix if "pool cached" in arm]].mean()
    cv = (CV_FOLDS * len(RATIOS) + 1) * cached + CV_FOLDS * cost[AUGMENTER]
    return [
        ("zero-shot", 1, cost["zero-shot"]),
        ("finetune", 1, cost["finetune (r = 0)"]),
        ("causalmix (4 ratios)", len(positive), cost[causalmix].sum()),
        ("causalmix-cv (derived)", 1, cv),
        *[(f"{m} (4 ratios)", len(positive), len(positive) * cost[m])
          for m in ("noise", "smote", "copula")],
        ("references logreg, rf, hgb", 3, cost["logreg"] + cost["rf"] + cost["hgb"]),
    ]


def grid_table(arms, n_tables):
    """The default grid of each protocol: units and CPU-hours."""
    lines = ["| protocol | tables | seeds | units per (table, seed) | units | CPU-hours |",
             "|---|---:|---:|---:|---:|---:|"]
    per_split = unit_costs(arms)
    n_units = sum(n for _, n, _ in per_split)
    seconds = sum(c for _, _, c in per_split)
    n_tables = {**n_tables, "both (shifted tables twice)": 2 * n_tables["shift"] + n_tables["iid"]}
    for protocol, tables in n_tables.items():
        lines.append(f"| {protocol} | {tables} | {SEEDS} | {n_units} | {tables * SEEDS * n_units} | "
                     f"{tables * SEEDS * seconds / 3600:.1f} |")
    return lines, per_split


def machine():
    load = os.getloadavg()
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, python "
            f"{platform.python_version()}; load average (1, 5, 15 min) {load[0]:.1f}, {load[1]:.1f}, "
            f"{load[2]:.1f}")


def render(measured, command, tables):
    from sklearn_causalmix.datasets import list_iid_datasets, list_shifted_datasets

    arms = per_arm(measured)
    n_tables = {"shift": len(list_shifted_datasets()), "iid": len(list_iid_datasets())}
    grid, per_split = grid_table(arms, n_tables)
    lines = [
        "# What a unit of the ratio study costs", "",
        f"Command: `{command}`; {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.", "",
        f"Machine: {machine()} when written; 1-min load average {measured['load'].min():.1f}-"
        f"{measured['load'].max():.1f} while measuring (other jobs share the CPUs). One torch thread and one "
        "BLAS thread (as on a Dask worker); CPU-seconds of this process around each unit (load, split, fit, "
        "score), seed 0, 512 training rows, the default `CausalMixFTClassifier(device='cpu')` and augmenters.",
        "", f"## Measured units ({', '.join(tables)})", "",
        "| table | arm | CPU-s | wall s | training rows | fine-tuning steps | CPU-s per step |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in measured.itertuples():
        steps = "" if pd.isna(r.n_steps) else int(r.n_steps)
        per_step = f"{r.cpu_s / r.n_steps:.2f}" if steps else ""
        lines.append(f"| {r.table} | {r.arm} | {r.cpu_s:.1f} | {r.wall_s:.1f} | {r.n_train} | {steps} | "
                     f"{per_step} |")
    lines += ["", "## CPU-seconds per unit, by arm (mean over the tables)", "",
              "| arm | mean | min | max |", "|---|---:|---:|---:|"]
    for arm, r in arms.iterrows():
        lines.append(f"| {arm} | {r.iloc[0]:.1f} | {r['min']:.1f} | {r['max']:.1f} |")
    lines += ["", "## The default grid", "",
              "Per (table, seed): ratios 0, .25, .5, .75, 1 (r = 0 is `finetune`), every default method. "
              "`causalmix-cv` is derived: (3 folds x 5 ratios + 1 refit) fine-tunes at the mean cost of a "
              "cached-pool `causalmix` unit, plus 3 augmenter fits. `noise`, `smote` and `copula` were timed "
              "at r = 0.5 only; their 4 ratios count 4 times that.", "",
              "| arm | units | CPU-s |", "|---|---:|---:|"]
    lines += [f"| {name} | {n} | {c:.0f} |" for name, n, c in per_split]
    lines += [f"| **total** | {sum(n for _, n, _ in per_split)} | {sum(c for _, _, c in per_split):.0f} |",
              "", "units = tables x seeds x (sum over arms of their ratios); CPU-hours = units x their "
              "CPU-seconds / 3600.", "", *grid, "",
              "`--protocol both` runs the shifted tables under both protocols (the i.i.d. one on their source "
              "domain) and the i.i.d. tables under the i.i.d. protocol. An estimate from two tables: the "
              "fine-tuned units cost what early stopping lets them run, and a table whose source domain has fewer "
              "than 512 training rows (anes96: 375) costs less per step; every i.i.d. table trains on 512 rows.",
              ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", nargs="+", default=["credit_data", "anes96"])
    parser.add_argument("--output", default=str(OUT))
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite the markdown from the measurements saved next to it (.csv)")
    args = parser.parse_args(argv)
    measurements = Path(args.output).with_suffix(".csv")
    command = "python benchmarks/bench_study_cost.py" + "".join(f" {a}" for a in (argv or sys.argv[1:]))
    if args.render_only:
        measured = pd.read_csv(measurements, keep_default_na=False, na_values=[""])
        write_keeping_reading(args.output, render(measured, command,
                                                  list(dict.fromkeys(measured["table"]))))
        return
    import torch
    from threadpoolctl import threadpool_limits

    from sklearn_causalmix.backbones import thread_policy

    torch.set_num_threads(1)
    with thread_policy(1), threadpool_limits(1):
        measured = measure(args.tables)
    measured.to_csv(measurements, index=False)
    write_keeping_reading(args.output, render(measured, command, args.tables))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

"""Fine-tuning that gains: paired ΔROC-AUC, Δlog-loss and ΔECE of fine-tuning recipes against zero-shot.

Recipes are named parameter sets of ``CausalMixFTClassifier`` (``RECIPES``, plus ``--recipe`` / ``--grid``); every
recipe runs plain fine-tuning (``synthetic_ratio=0.0`` unless it says otherwise) on ``--device`` (CPU), with
``random_state`` the seed. ``zero-shot`` is ``max_steps=0``: the pretrained model with the training rows as
context, the baseline of every comparison.

Suites (``--suite``, several with commas):

``iid``
    ``IID_TABLES`` of ``benchmarks/_finetune_tables.py`` (10 tables). Per table and seed one stratified holdout:
    ``min(--max-train, half the rows)`` training rows and ``min(--max-test, the rest)`` test rows.
``dev``
    ``DEV_TABLES`` (5 other tables), same protocol: for choosing the recipe's learning rate and steps (``--grid``).
``shifted``
    The 17 tables of ``sklearn_causalmix.datasets``, split by the ratio study's ``make_split``: training rows a
    stratified subsample of at most ``--max-train`` source-domain rows (domain 0), tests the shifted domain (at most
    ``--max-test`` rows, the headline) and an in-domain holdout (25% of the source rows, at most ``--max-test``).

Every unit (suite, table, seed, recipe) is cached as JSON under ``--cache``
(``<suite>/<table>/<seed>/<recipe>-<key>.json``, the test probabilities beside it as ``.npz``): an interrupted run
resumes, a new recipe runs only its own units, and ``--report-only`` rebuilds the report from the cache. See
``_finetune_gain_units.py`` for what the key covers. The analysis (``_finetune_gain_report.py``, ``_stats.py``):
per table the mean over seeds of the paired differences, then over tables the mean and median with bootstrap 95%
intervals (tables resampled), win/tie/loss, a Wilcoxon signed-rank p-value and the smallest detectable effect.

Usage::

    # 1. choose the learning rate and steps on the development suite (grid recipes run on the dev suite only)
    python benchmarks/bench_finetune_gain.py --suite dev --grid '{"learning_rate": [1e-5, 3e-5, 1e-4],
        "max_steps": [50, 100, 200]}'
    # 2. the measurement (zero-shot, old, new), then 3. the report of all three suites from the cache
    python benchmarks/bench_finetune_gain.py --suite iid,shifted --jobs 2
    python benchmarks/bench_finetune_gain.py --suite iid,shifted,dev --grid '...as in 1...' --report-only --plot

    # Cost measured with the old recipe (1 torch thread, load ~4): ~4 s per zero-shot unit and ~10-15 s per
    # fine-tuned unit (fit + predict) at up to 1,500 training rows: about 25 min for iid and 40 min for shifted with
    # 5 seeds and the 3 recipes on one core (recipes with more steps take longer).

    # one extra configuration, only its own units run
    python benchmarks/bench_finetune_gain.py --recipe 'lr3e-5={"learning_rate": 3e-5, "max_steps": 100}'

    # smoke run
    python benchmarks/bench_finetune_gain.py --tables spam7,wells --seeds 0,1 --max-train 300 --max-test 300 \\
        --recipes zero-shot,old --recipe 'tiny={"max_steps": 2, "eval_every": 1}' --out /tmp/smoke.md
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the benchmark's helper modules

#: CausalMixFTClassifier's defaults as they were before issue 12 (sklearn_causalmix 0.2.0.dev0, main at 55fa89b),
#: written out so that "old" stays the old recipe when the defaults change. A parameter the new recipe adds is
#: not here: give "old" its old value (the behaviour before the parameter existed) when that differs from its default.
OLD_RECIPE = {
    "backbone": "default", "augmenter": None, "n_synthetic": 1000, "max_steps": 50, "learning_rate": 1e-4,
    "weight_decay": 0.01, "episode_size": 96, "query_fraction": 0.25, "batch_size": 1, "validation_fraction": 0.2,
    "early_stopping": True, "patience": 3, "eval_every": 10, "scoring": "roc_auc", "n_estimators": 4,
    "max_context_rows": None, "handle_unknown": "missing",
    # parameters added with the whole-table recipe (issue 12), at the values that give the first recipe back
    "episodes": "sampled", "warmup": 0.0, "l2sp": 0.0, "cv": None, "calibration": None,
}

#: name -> parameters (on top of synthetic_ratio=0.0, device and random_state=seed; the rest at the defaults)
RECIPES = {
    "zero-shot": {"max_steps": 0},
    "old": OLD_RECIPE,
    "new": {},  # the current defaults
}


def parse_recipe(text):
    """``NAME=JSON`` -> (name, dict)."""
    name, sep, body = text.partition("=")
    try:
        params = json.loads(body) if sep else None
    except json.JSONDecodeError as exc:
        raise SystemExit(f"--recipe {text!r}: the part after '=' is not JSON ({exc}).") from None
    if not name or not isinstance(params, dict):
        raise SystemExit(f"--recipe {text!r}: expected NAME={{\"param\": value, ...}}.")
    return name, params


def grid_recipes(text, base):
    """``--grid`` JSON {param: [values]} -> ({name: params}, {name: grid point}), each point on top of ``base``."""
    grid = json.loads(text)
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise SystemExit(f"--grid {text!r}: expected {{\"param\": [value, ...], ...}}.")
    recipes, points = {}, {}
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values))
        name = ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in point.items())
        recipes[name], points[name] = {**base, **point}, point
    return recipes, points


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    return seeds


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--suite", default="iid", help="iid, dev, shifted, or several with commas (default: iid)")
    p.add_argument("--tables", help="restrict to these tables (commas); default: all tables of the suites")
    p.add_argument("--seeds", default="0-4", help="seeds, e.g. 0,1,2 or 0-4 (default: 0-4)")
    p.add_argument("--recipe", action="append", default=[], metavar="NAME=JSON",
                   help="add a recipe, e.g. 'lr3e-5={\"learning_rate\": 3e-5}' (repeatable)")
    p.add_argument("--grid", metavar="JSON", help="add one recipe per point of a grid, e.g. "
                   "'{\"learning_rate\": [1e-5, 1e-4], \"max_steps\": [50, 100]}', on top of --grid-base; "
                   "grid recipes run on the dev suite only")
    p.add_argument("--grid-base", default="new", help="recipe the grid points start from (default: new)")
    p.add_argument("--recipes", help="run and report only these recipes (commas; zero-shot is always included); "
                   "default: RECIPES and every added recipe")
    p.add_argument("--compare", action="append", default=[], metavar="A:B",
                   help="also compare recipe A against recipe B (repeatable); default comparisons: every recipe "
                   "against zero-shot, new against old")
    p.add_argument("--max-train", type=int, default=1500, help="largest training set (default: 1500)")
    p.add_argument("--max-test", type=int, default=2000, help="largest test set (default: 2000)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--jobs", type=int, default=1, help="units in parallel (joblib loky processes; default: 1)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per unit (default: 1)")
    p.add_argument("--nice", type=int, default=19, help="niceness of the run (default: 19)")
    p.add_argument("--max-minutes", type=float, help="start no unit after this many minutes (finished ones are cached)")
    p.add_argument("--reuse-stale", default="", metavar="RECIPES",
                   help="keep cached units of these recipes (commas, or 'all') made by other package code "
                   "(default: refit them)")
    p.add_argument("--cache", default=str(Path("~/.cache/causalmix/finetune_gain").expanduser()))
    p.add_argument("--report-only", action="store_true", help="fit nothing; report from the cache")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "finetune_gain.md"))
    p.add_argument("--no-write", action="store_true", help="print the report, write no file")
    p.add_argument("--plot", action="store_true", help="also a forest plot of ΔROC-AUC per suite (PNG beside --out)")
    return p


def select_recipes(args):
    """(recipes {name: params} to run, grid points {name: point})."""
    recipes = dict(RECIPES)
    added = dict(parse_recipe(text) for text in args.recipe)
    points = {}
    if args.grid:
        if args.grid_base not in {**recipes, **added}:
            raise SystemExit(f"--grid-base {args.grid_base!r} is not a recipe.")
        grid, points = grid_recipes(args.grid, {**recipes, **added}[args.grid_base])
        added.update(grid)
    recipes.update(added)
    if args.recipes:
        chosen = ["zero-shot"] + [r for r in args.recipes.split(",") if r != "zero-shot"] + list(added)
    else:
        chosen = list(recipes)
    unknown = [r for r in chosen if r not in recipes]
    if unknown:
        raise SystemExit(f"Unknown recipes {unknown}; known: {sorted(recipes)}.")
    chosen = list(dict.fromkeys(chosen))
    return {r: recipes[r] for r in chosen}, points


def plan(args, recipes, grid):
    """The units in run order (seed-major, so a partial run covers every table) with their params, keys, paths."""
    from _finetune_gain_units import (
        SUITES,
        Unit,
        code_fingerprint,
        estimator_params,
        protocol,
        resolved,
        suite_tables,
        unit_key,
        unit_path,
    )

    suites = args.suite.split(",")
    if bad := [s for s in suites if s not in SUITES]:
        raise SystemExit(f"Unknown suites {bad}; the suites are {list(SUITES)}.")
    tables = {s: suite_tables(s) for s in suites}
    if args.tables:
        wanted = args.tables.split(",")
        if unknown := sorted(set(wanted) - {t for ts in tables.values() for t in ts}):
            raise SystemExit(f"Tables {unknown} are in none of the suites {suites}: {tables}.")
        tables = {s: [t for t in ts if t in wanted] for s, ts in tables.items()}
    import torch

    from sklearn_causalmix import __version__

    code = code_fingerprint()
    units = []
    for suite in suites:
        proto = protocol(suite, args.max_train, args.max_test)
        suite_recipes = [r for r in recipes if suite == "dev" or r not in grid]  # the sweep is the dev suite's
        for seed, table, recipe in itertools.product(parse_seeds(args.seeds), tables[suite], suite_recipes):
            unit = Unit(suite, table, seed, recipe)
            params = estimator_params(recipes[recipe], seed, args.device)
            canonical, weights = resolved(params)
            key = unit_key(unit, canonical, weights, proto)
            meta = {"params": canonical, "code": code, "weights_sha256": weights, "version": __version__,
                    "torch": torch.__version__, "jobs": args.jobs, "nice": os.nice(0)}
            units.append((unit, params, key, proto, meta, unit_path(args.cache, unit, key)))
    return units


def run(todo, args):
    """Run the units (cached by the workers as they finish); returns their records."""
    from _finetune_gain_units import run_unit
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    deadline = time.monotonic() + 60 * args.max_minutes if args.max_minutes else float("inf")
    before_deadline = itertools.takewhile(lambda _: time.monotonic() < deadline, todo)
    jobs = (delayed(run_unit)(unit, params, key, proto, meta, args.cache, args.threads)
            for unit, params, key, proto, meta, _ in before_deadline)
    records = []
    with tqdm(total=len(todo), desc="units", unit="fit") as bar:
        for record in Parallel(n_jobs=args.jobs, return_as="generator_unordered")(jobs):
            records.append(record)
            if record["error"]:
                tqdm.write(f"FAILED {record['suite']}/{record['table']}/seed={record['seed']}/{record['recipe']}: "
                           f"{record['error']}\n{record['traceback']}", file=sys.stderr)
            else:
                main = record["scores"][next(iter(record["scores"]))]
                tqdm.write(f"{record['suite']}/{record['table']}/seed={record['seed']}/{record['recipe']}: "
                           f"AUC {main['auc']:.4f}, log-loss {main['log_loss']:.4f}, step {record['best_step']}"
                           f"/{record['n_steps']}, fit {record['fit_wall_s']:.1f} s")
            bar.update(1)
    if len(records) < len(todo):
        print(f"--max-minutes reached: {len(todo) - len(records)} unit(s) not started.", flush=True)
    return records


def protocol_lines(args, suites):
    lines = []
    if suites & {"iid", "dev"}:
        lines.append(f"- i.i.d. and development suites: per table and seed one stratified holdout, at most "
                     f"{args.max_train} training rows (and at most half the table) and at most {args.max_test} test "
                     "rows of the rest (`sklearn.model_selection.train_test_split`, `random_state=seed`).")
    if "shifted" in suites:
        lines.append(f"- Shifted suite: `sklearn_causalmix.study._data.make_split` (the ratio study's protocol): at "
                     f"most {args.max_train} stratified source-domain rows train; tests: at most {args.max_test} "
                     "target-domain rows (*shifted*, the headline) and a stratified 25% of the source rows held out "
                     f"(*in-domain*, at most {args.max_test}). Unseen categorical levels become missing values.")
    return lines


def header(args, command, load_start, counts, records, recipes):
    import numpy as np
    from _finetune_gain_units import code_fingerprint
    from _results import home_relative

    codes = sorted({r["code"] for r in records})
    weights = sorted({str(r["weights_sha256"]) for r in records})
    loads = [r["load_after"] for r in records]

    def values(key):  # as the reported units ran (not as this invocation runs)
        return "/".join(str(v) for v in sorted({r.get(key) for r in records}, key=str))
    stale = sum(r["code"] != code_fingerprint() for r in records)
    lines = [
        "# Fine-tuning gain over zero-shot (`benchmarks/bench_finetune_gain.py`)", "",
        f"- Command: `{command}`",
        (f"- Written: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {platform.platform()}, "
        f"{platform.machine()}, {os.cpu_count()} cores (shared); load average (1, 5, 15 min) at start "
        f"{', '.join(f'{v:.2f}' for v in load_start)}, at end {', '.join(f'{v:.2f}' for v in os.getloadavg())}"),
        (f"- torch {', '.join(sorted({r['torch'] for r in records}))}; torch threads per unit "
         f"{values('threads')}, units in parallel {values('jobs')}, nice {values('nice')}, device "
         f"{', '.join(sorted({r['params']['device'] for r in records}))}"),
        (f"- Load average (1 min) at the end of the reported units: median {np.median(loads):.2f} (range "
         f"{min(loads):.2f}-{max(loads):.2f}); fit times are wall and process CPU seconds on this shared machine"),
        f"- Weights sha256: {', '.join(weights) or 'n/a'}",
        f"- Package code fingerprint now: {code_fingerprint()}; of the reported units: {', '.join(codes) or 'n/a'}"
        + (f" (**{stale} of the reported units were made by other package code** than the current)" if stale else ""),
        (f"- Units: {counts['planned']} planned, {counts['ran']} fitted in this invocation, {counts['reported']} "
         f"reported, {counts['missing']} missing (not run yet), {counts['failed']} failed; cache "
         f"`{home_relative(args.cache)}`"),
        "",
        "## Protocol", "",
        *protocol_lines(args, {r["suite"] for r in records}),
        ("- Scores: ROC-AUC (`multiclass_roc_auc`, one-vs-rest macro for several classes), log-loss, Brier "
        "(`multiclass_brier_score`) and top-label ECE (15 bins), by `sklearn_causalmix.study._scores.score_proba`."),
        ("- Statistics: per table the mean over seeds of the paired difference; over tables the mean and the median "
        "with percentile bootstrap 95% intervals (10,000 resamples of the tables, numpy seed 0), win/tie/loss "
        "(tie: |Δ| <= 0.001), the two-sided Wilcoxon signed-rank p-value over tables (scipy; zero differences "
        "dropped), and the smallest mean difference detectable with 80% power at the 5% level, "
        "(z0.975 + z0.8) · sd(Δ over tables) / sqrt(tables) = 2.80 · sd / sqrt(n) (normal approximation; the "
        "t-based factor is ~12% larger for 10 tables)."),
        ("- A fine-tuned unit whose chosen step is 0 kept the pretrained weights (early stopping found no better "
        "validation score): it predicts as zero-shot does and counts as a fallback."),
        "",
        "## Recipes", "",
        ("Every recipe: `CausalMixFTClassifier(synthetic_ratio=0.0, device=..., random_state=seed, **recipe)`, other "
        "parameters at the defaults of the code that ran."), "",
        "| recipe | parameters |", "|---|---|",
        *[f"| {name} | `{json.dumps(params) if params else '{} (the defaults)'}` |" for name, params in recipes.items()],
        "",
    ]
    return lines + resolved_differences(records)


def resolved_differences(records):
    """The resolved parameters on which the recipes differ (from the units' records)."""
    import pandas as pd

    from sklearn_causalmix.study._report import markdown_table

    params = {}
    for r in records:
        params.setdefault(r["recipe"], {k: json.dumps(v) for k, v in r["params"].items()
                                        if k not in ("random_state", "memory", "verbose")})
    frame = pd.DataFrame(params)
    differ = frame[frame.nunique(axis=1, dropna=False) > 1]
    if differ.empty:
        return []
    return ["Resolved parameters on which the recipes differ:", "",
            markdown_table(differ.rename_axis("parameter").reset_index()), ""]


def main(argv=None):
    args = build_parser().parse_args(argv)
    command = "python benchmarks/bench_finetune_gain.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))  # before torch: loky workers inherit it
    os.nice(max(0, args.nice - os.nice(0)))
    load_start = os.getloadavg()
    recipes, grid = select_recipes(args)

    from _finetune_gain_units import TEST_SETS, read_unit

    units = plan(args, recipes, grid)
    reuse = set(recipes) if args.reuse_stale == "all" else set(filter(None, args.reuse_stale.split(",")))
    cached, todo, n_stale = {}, [], 0
    for entry in units:
        unit, *_, meta, path = entry
        record = read_unit(path)
        stale = record is not None and record["code"] != meta["code"]
        n_stale += stale
        if record is not None and (not stale or unit.recipe in reuse or args.report_only):
            cached[unit] = record  # a stale one only when asked: the header counts and flags it
        else:
            todo.append(entry)
    kept = args.report_only or reuse
    print(f"{len(units)} units: {len(cached)} cached, {len(todo)} to run"
          + (f"; {n_stale} cached file(s) made by other package code ({'kept' if kept else 'refitted'})"
             if n_stale else "") + (" (--report-only: none runs)" if args.report_only else ""), flush=True)
    fresh = [] if args.report_only or not todo else run(todo, args)
    by_unit = {(r["suite"], r["table"], r["seed"], r["recipe"]): r for r in fresh if not r["error"]}
    records = [cached.get(u) or by_unit.get((u.suite, u.table, u.seed, u.recipe)) for u, *_ in units]
    records = [r for r in records if r is not None]
    counts = {"planned": len(units), "ran": sum(not r["error"] for r in fresh), "reported": len(records),
              "missing": len(units) - len(records) - sum(bool(r["error"]) for r in fresh),
              "failed": sum(bool(r["error"]) for r in fresh)}
    if not records:
        print("Nothing to report yet.")
        return

    import _finetune_gain_report as report

    frame = report.long_frame(records)
    comparisons = report.default_comparisons(list(recipes))
    comparisons += [tuple(pair.split(":", 1)) for pair in args.compare]
    lines = header(args, command, load_start, counts, records, recipes)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for suite in dict.fromkeys(frame.suite):
        for test in TEST_SETS[suite]:
            figure = None
            if args.plot and not args.no_write:
                figure = f"{out.stem}_{suite}_{test}.png"
                part = frame[(frame.suite == suite) & (frame.test == test)]
                report.forest_plot(part, comparisons, out.parent / figure, report.heading(suite, test))
            lines += report.suite_sections(frame, suite, test, comparisons, list(recipes), grid, figure)
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        from _results import write_keeping_reading

        write_keeping_reading(out, text)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()

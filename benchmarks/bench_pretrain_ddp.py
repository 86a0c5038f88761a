"""Data-parallel pretraining, wide prior tasks and tables wider than the model, on the CPU, in a few minutes.

Usage::

    python benchmarks/bench_pretrain_ddp.py                       # every part; writes its section of the results
    python benchmarks/bench_pretrain_ddp.py --parts ddp width --no-write

Parts:

``ddp``
    The same pretraining run (the shipped row architecture, ``--micro-batches 2``, ``--steps`` steps) in one
    process (1 and 2 torch threads) and in two processes (``torchrun --nproc_per_node 2``, gloo, 1 thread each):
    tasks seen, loss curve, weights, wall and CPU time.
``width``
    CPU seconds of one training step of the row model (1 thread) on batches of 24 and 100 features, at equal
    cells and at equal rows, of drawing those batches from the prior, and of the real stream with and without a
    share of wide tasks (``PriorConfig.wide_fraction``).
``subsets``
    Zero-shot ROC-AUC of the shipped weights on the wide validation tables with 24, 50 and 100 features per
    feature subset (the model splits wider tables into subsets and averages their logits), and a random forest.
``latency``
    ``predict_proba`` of 1,000 rows against a 1,000 x 20 context (4 members, cached), wall and CPU time.

Writes the section "Data-parallel pretraining, wide tasks and wide tables" of
``benchmarks/results/pretrain_recipe.md`` (after the hand-written reading of the recipe comparison, which
``bench_pretrain_recipe.py`` keeps; the section is replaced on a rerun, the rest of the file is not touched).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import write_section  # benchmarks/ is the script's folder

RESULTS = Path(__file__).parent / "results" / "pretrain_recipe.md"
#: The measured numbers of every part, so that a rerun of some parts keeps the others' in the report.
NUMBERS = Path(__file__).parent / "results" / "pretrain_ddp.json"
HEADER = "## Data-parallel pretraining, wide tasks and wide tables (`benchmarks/bench_pretrain_ddp.py`)"
ROOT = Path(__file__).resolve().parents[1]
#: The pretraining run of the ``ddp`` part: the shipped architecture on short tasks, 2 micro-batches per step.
RUN = ["--min-rows", "128", "--max-rows", "512", "--max-features", "24", "--tokens", "16384", "--micro-batches",
       "2", "--validation", "none", "--device", "cpu", "--seed", "0", "--quiet"]


def _timed(command, env):
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def part_ddp(steps: int) -> dict:
    """One run three ways; everything compared against the one-process, one-thread run."""
    from sklearn_causalmix._training import load_checkpoint, local_torchrun

    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    cli = ["-m", "sklearn_causalmix._cli", "pretrain", *RUN, "--max-steps", str(steps)]
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "1 process x 1 thread": [sys.executable, *cli, "--threads", "1", "--out", f"{tmp}/a"],
            "1 process x 2 threads": [sys.executable, *cli, "--threads", "2", "--out", f"{tmp}/b"],
            "2 processes x 1 thread (torchrun, gloo)": local_torchrun(2, [*cli, "--threads", "1", "--out", f"{tmp}/c"]),
        }
        for (name, command), folder in zip(commands.items(), "abc"):
            wall = _timed(command, dict(env, OMP_NUM_THREADS="2" if "2 threads" in name else "1"))
            state = load_checkpoint(f"{tmp}/{folder}")
            manifest = json.loads(Path(f"{tmp}/{folder}/model.json").read_text())
            runs[name] = {"process_wall_s": wall, "run": state["run"], "model": state["model"], "manifest": manifest}
    reference = next(iter(runs.values()))
    ref_curve = [p["loss_ema"] for p in reference["run"]["loss_curve"]]
    table = {}
    for name, info in runs.items():
        diffs = [float(((info["model"][k] - v).abs() / (v.abs() + 1e-3)).max()) for k, v in reference["model"].items()
                 if not k.endswith("qkv.bias")]  # key biases have no gradient in exact arithmetic (see tests)
        curve = [(p["step"], p["loss_ema"]) for p in info["run"]["loss_curve"]]
        table[name] = {
            "tasks": info["run"]["tasks"], "loss_curve": curve, "max_rel_weight_diff": max(diffs),
            "max_loss_diff": max(abs(loss - ref) for (_, loss), ref in zip(curve, ref_curve)),
            "wall_s": info["manifest"]["wall_time_s"], "cpu_s": info["manifest"]["cpu_time_s"],
            "process_wall_s": info["process_wall_s"],
        }
    return table


def _step_cpu(model, optimizers, episode, repeats=2) -> float:
    from sklearn_causalmix._training import train_step

    train_step(model, optimizers, episode)  # warm-up
    costs = []
    for _ in range(repeats):
        start = time.process_time()
        train_step(model, optimizers, episode)
        costs.append(time.process_time() - start)
    return min(costs)


def _stream_cpu(model, optimizers, prior_config, steps) -> float:
    from sklearn_causalmix._training import train_step
    from sklearn_causalmix.prior import SCMPrior
    from sklearn_causalmix.prior._trainer import micro_seed

    start = time.process_time()
    for step in range(steps):
        train_step(model, optimizers, SCMPrior(prior_config, seed=micro_seed(0, step, 0)).sample().episode())
    return (time.process_time() - start) / steps


def part_width(stream_steps: int) -> dict:
    import torch

    from sklearn_causalmix._training import Optimizers
    from sklearn_causalmix.backbones import RowPFNConfig, build_model
    from sklearn_causalmix.prior import PriorConfig, SCMPrior

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model = build_model(RowPFNConfig()).train()
    optimizers = Optimizers(model, "adamw", grad_clip=2.0)
    out = {"steps": []}
    for label, rows, features in [("equal cells", 640, 24), ("equal cells", 160, 100), ("equal rows", 640, 100)]:
        prior = SCMPrior(PriorConfig(tokens_per_batch=2), seed=1)  # tokens 2: batches of 2 tasks
        start = time.process_time()
        batch = prior.sample(shape=(rows, features, 10))
        prior_s = time.process_time() - start
        cells = batch.X.shape[0] * rows * features
        step_s = _step_cpu(model, optimizers, batch.episode())
        out["steps"].append({"label": label, "shape": tuple(batch.X.shape), "cells": cells, "prior_s": prior_s,
                             "step_s": step_s, "us_per_cell": step_s / cells * 1e6})
    base = PriorConfig(min_rows=128, max_rows=1024, max_features=24, tokens_per_batch=32768)
    out["stream"] = {share: _stream_cpu(model, optimizers, dataclasses.replace(base, wide_fraction=share),
                                        stream_steps) for share in (0.0, 0.25)}
    torch.set_num_threads(threads)
    return out


def part_subsets() -> dict:
    from sklearn.ensemble import RandomForestClassifier

    from sklearn_causalmix.backbones import build_model, load_default_backbone
    from sklearn_causalmix.prior import ValidationSuite

    suite = ValidationSuite(groups="wide", seeds=(0, 1))
    shipped = load_default_backbone()
    widths = {s.table: s.X_train.shape[1] for s in suite.splits}
    scores = {}
    for width in (24, 50, 100):
        model = build_model(dataclasses.replace(shipped.config, max_features=width))
        model.load_state_dict(shipped.state_dict())
        start = time.process_time()
        scores[f"{width} per subset"] = dict(suite.score(model.eval())["tables"], cpu_s=time.process_time() - start)
    forest = RandomForestClassifier(300, random_state=0, n_jobs=1)
    scores["random forest (300 trees)"] = suite.reference(forest)["tables"]
    return {"widths": widths, "scores": scores}


def part_latency() -> dict:
    import numpy as np
    from sklearn.datasets import make_classification

    from sklearn_causalmix.backbones import InContextClassifier

    X, y = make_classification(2000, 20, n_informative=8, random_state=0)
    clf = InContextClassifier(random_state=0).fit(X[:1000], y[:1000])
    clf.predict_proba(X[1000:1010])  # warm-up
    walls, cpus = [], []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        clf.predict_proba(X[1000:])
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"wall_s": float(np.median(walls)), "cpu_s": float(np.median(cpus)), "members": clf.n_estimators}


def _ddp_lines(runs, steps) -> list:
    steps_shown = ", ".join(str(step) for step, _ in next(iter(runs.values()))["loss_curve"])
    lines = [
        "### One run, one or two processes",
        "",
        f"`causalmix pretrain {' '.join(RUN)} --max-steps {steps}` (the shipped architecture, 2.05 M parameters),",
        "with `--threads 1` and `--threads 2` in one process, and under `python -m torch.distributed.run "
        "--nproc_per_node 2` with `--threads 1`.",
        "Differences are against the first row (weights: the largest relative difference over the last iterate,",
        "the attention key biases aside, whose gradient is rounding noise). CPU time: the run's training CPU time,",
        "summed over the processes.",
        "",
        f"| run | tasks seen | loss EMA at steps {steps_shown} | largest loss difference | largest weight difference "
        "| training wall s | process wall s | CPU s |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, info in runs.items():
        curve = ", ".join(f"{loss:.5f}" for _, loss in info["loss_curve"])
        lines.append(f"| {name} | {info['tasks']} | {curve} | {info['max_loss_diff']:.1e} | "
                     f"{info['max_rel_weight_diff']:.1e} | {info['wall_s']:.1f} | {info['process_wall_s']:.1f} | "
                     f"{info['cpu_s']:.1f} |")
    return lines + [""]


def _width_lines(width) -> list:
    lines = ["### Cost of width (row model, 1 thread, AdamW step; batches of 2 tasks, 10 classes)", "",
             "| batch | tasks x rows x features | cells | prior draw CPU s | step CPU s | CPU us per cell |",
             "|---|---|---:|---:|---:|---:|"]
    for s in width["steps"]:
        lines.append(f"| {s['label']} | {' x '.join(map(str, s['shape']))} | {s['cells']:,} | {s['prior_s']:.3f} | "
                     f"{s['step_s']:.2f} | {s['us_per_cell']:.1f} |")
    stream = width["stream"]
    lines += ["", "The real stream (128-1,024 rows, up to 24 features, 32,768 cells per batch; mean CPU s per step "
              "including the prior draw): " + "; ".join(f"wide_fraction={k}: {v:.2f} s" for k, v in stream.items())
              + " (wide tasks: 25-100 features, rows capped so that 2 tasks fit the cell budget).", ""]
    return lines


def _subset_lines(subsets) -> list:
    tables = list(subsets["widths"])
    lines = ["### Tables wider than the model: features per subset (shipped weights, zero-shot, 2 splits per table)",
             "", "| features per subset | " + " | ".join(f"{t} ({subsets['widths'][t]})" for t in tables)
             + " | mean | scoring CPU s |", "|---|" + "---:|" * (len(tables) + 2)]
    for name, scores in subsets["scores"].items():
        values = [scores[t] for t in tables]
        cpu = f"{scores['cpu_s']:.1f}" if "cpu_s" in scores else ""
        lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values)
                     + f" | {sum(values) / len(values):.3f} | {cpu} |")
    return lines + [""]


def report(results) -> str:
    measured = "; ".join(f"{part}: {when}" for part, when in results.get("measured", {}).items())
    lines = [HEADER, "", f"Measured on {os.cpu_count()} CPU cores ({measured}). The machine was shared with other "
             "jobs: wall times are not those of an idle machine; CPU times are closer to it.", ""]
    if "ddp" in results:
        lines += _ddp_lines(results["ddp"], results["ddp_steps"])
    if "width" in results:
        lines += _width_lines(results["width"])
    if "subsets" in results:
        lines += _subset_lines(results["subsets"])
    if "latency" in results:
        lat = results["latency"]
        lines += ["### Prediction latency", "", f"`InContextClassifier()` ({lat['members']} members, cached context): "
                  f"`predict_proba` of 1,000 rows against a 1,000 x 20 context: {lat['wall_s']:.2f} s wall, "
                  f"{lat['cpu_s']:.2f} s CPU (median of 3, `--parts latency`; target <= 0.5 s wall on 2 idle "
                  "cores).", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="+", default=["ddp", "width", "subsets", "latency"],
                        choices=["ddp", "width", "subsets", "latency"])
    parser.add_argument("--steps", type=int, default=30, help="steps of the ddp part's runs")
    parser.add_argument("--stream-steps", type=int, default=6, help="steps of the width part's stream")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    results = json.loads(NUMBERS.read_text()) if NUMBERS.is_file() and not args.no_write else {}
    for part in args.parts:
        start = time.perf_counter()
        results[part] = {"ddp": lambda: part_ddp(args.steps), "width": lambda: part_width(args.stream_steps),
                         "subsets": part_subsets, "latency": part_latency}[part]()
        results.setdefault("measured", {})[part] = (f"{time.strftime('%Y-%m-%d %H:%M')}, load average "
                                                    f"{os.getloadavg()[0]:.1f} at the end")
        if part == "ddp":
            results["ddp_steps"] = args.steps
        print(f"{part}: {time.perf_counter() - start:.0f} s", flush=True)
    text = report(results)
    print(text)
    if not args.no_write:
        NUMBERS.write_text(json.dumps(results, indent=1) + "\n")
        write_section(RESULTS, HEADER, text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

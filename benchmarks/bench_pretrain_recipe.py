"""Pretraining recipes and priors side by side at equal CPU time: real-table AUC vs training CPU time.

Runs (or reads) one ``causalmix pretrain`` pilot per (recipe, prior) pair, all with the same task shapes, one
CPU thread and the same training-CPU budget, and compares the real-table validation curves that the runs
record (:class:`sklearn_causalmix.prior.ValidationSuite`, one split per table, scored on the LAWA average;
validation time is not counted as training time). Reference lines: the shipped weights, the weights given
with ``--candidate PATH`` (if any) and a random forest, on the same splits.

Usage::

    # run the two pilots (in parallel, one thread each) and write the report
    python benchmarks/bench_pretrain_recipe.py --run --cpu-minutes 18
    # only read pilots that ran (or are still running: their last checkpoint) and write the report
    python benchmarks/bench_pretrain_recipe.py

Writes ``benchmarks/results/pretrain_recipe.md`` and ``benchmarks/results/pretrain_recipe.png``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from _results import home_relative, write_keeping_reading  # benchmarks/ is the script's folder

PILOTS = [("row", "scm"), ("row", "tabicl")]  # the per-cell recipe v1 (an earlier pilot) was retired in 0.2
#: Task shapes of every pilot: episodes up to the 1,024-row contexts the model is used with. ``--max-steps`` fixes
#: the learning-rate schedule of a long run, so the winning pilot continues as that run (``--resume``).
SHAPES = ["--min-rows", "128", "--max-rows", "1024", "--max-features", "24", "--tokens", "32768",
          "--max-steps", "12000"]
RESULTS = Path(__file__).parent / "results"


def pilot_command(recipe, prior, out, cpu_minutes):
    return [
        sys.executable, "-m", "sklearn_causalmix._cli", "pretrain", "--out", str(out), "--recipe", recipe,
        "--prior", prior, "--device", "cpu", "--threads", "1", "--minutes", "600", "--cpu-minutes",
        str(cpu_minutes), "--validation", "quick", "--validate-minutes", "4", *SHAPES,
    ]


def run_pilots(root: Path, cpu_minutes: float) -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = []
    for recipe, prior in PILOTS:
        out = root / f"{recipe}-{prior}"
        out.mkdir(parents=True, exist_ok=True)
        resume = ["--resume"] if (out / "checkpoint.pt").exists() else []
        log = open(out / "log.txt", "a")
        procs.append(subprocess.Popen(pilot_command(recipe, prior, out, cpu_minutes) + resume, stdout=log,
                                      stderr=subprocess.STDOUT, env=env))
    for proc in procs:
        proc.wait()


def read_pilot(folder: Path) -> dict | None:
    from sklearn_causalmix._training import load_checkpoint

    if not (folder / "checkpoint.pt").exists():
        return None
    state = load_checkpoint(folder)
    run = state["run"]
    rss = [p["rss_mb"] for p in run["loss_curve"] if "rss_mb" in p]
    return {
        "settings": state["settings"], "steps": run["step"], "cpu_s": run["cpu_s"], "wall_s": run["wall_s"],
        "val_curve": run["val_curve"], "rss_first": rss[0] if rss else float("nan"),
        "rss_last": rss[-1] if rss else float("nan"), "loss": run["loss_curve"][-1]["loss_ema"] if rss else None,
        "n_params": sum(v.numel() for v in state["model"].values()),
    }


def references(suite, candidate: Path | None = None) -> dict:
    from sklearn.ensemble import RandomForestClassifier

    from sklearn_causalmix.backbones import load_default_backbone, load_weights

    shipped = load_default_backbone()
    refs = {"shipped weights": suite.score(shipped)["mean_auc"]}
    if candidate is not None and load_weights(candidate).manifest["sha256"] != shipped.manifest["sha256"]:
        refs[f"candidate weights ({candidate.name})"] = suite.score(load_weights(candidate))["mean_auc"]
    refs["random forest (300 trees)"] = suite.reference(
        RandomForestClassifier(300, random_state=0, n_jobs=1))["mean_auc"]
    return refs


def plot(pilots: dict, refs: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for name, info in pilots.items():
        curve = info["val_curve"]
        ax.plot([p["cpu_s"] / 60 for p in curve], [p["mean_auc"] for p in curve], marker="o", label=name)
    for (name, value), style in zip(refs.items(), [":", "--", "-."]):
        ax.axhline(value, color="grey", linestyle=style, linewidth=1, label=name)
    ax.set_xlabel("training CPU time (minutes, 1 thread)")
    ax.set_ylabel("mean zero-shot ROC-AUC (13 validation tables)")
    ax.set_title("Pretraining recipes at equal CPU time")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def step_costs(repeats: int = 2) -> dict:
    """CPU seconds of one training step (forward, backward, optimiser), 1 thread, per recipe change.

    One fixed prior batch (2 tasks x 512 rows x 11 features), so the numbers isolate the architecture and the
    optimiser from the task stream.
    """
    import time

    import torch

    from sklearn_causalmix.backbones import PFNConfig, RowPFNConfig, build_model
    from sklearn_causalmix._training import Optimizers, train_step
    from sklearn_causalmix.backbones import RECIPE_V2
    from sklearn_causalmix.prior import PriorConfig, SCMPrior

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    episode = SCMPrior(PriorConfig(tokens_per_batch=16384), seed=1).sample(shape=(512, 11, 2)).episode()
    variants = {
        "v1 (AdamW, LayerNorm, output projections, label decoder)": (PFNConfig(), "adamw"),
        "v2 (all changes, Muon)": (PFNConfig(**RECIPE_V2), "muon"),
        "v2 with AdamW instead of Muon": (PFNConfig(**RECIPE_V2), "adamw"),
        "v2 without thinking rows": (PFNConfig(**dict(RECIPE_V2, thinking_rows=0)), "muon"),
        "v2 without feature grouping": (PFNConfig(**dict(RECIPE_V2, feature_group=1)), "muon"),
        "row (row tokens, AdamW)": (RowPFNConfig(), "adamw"),
        "row with Muon": (RowPFNConfig(), "muon"),
    }
    costs: dict[str, list] = {}
    for _ in range(repeats):
        for name, (config, optimizer) in variants.items():
            model = build_model(config).train()
            optimizers = Optimizers(model, optimizer)
            start = time.process_time()
            for _ in range(2):
                train_step(model, optimizers, episode)
            costs.setdefault(name, []).append((time.process_time() - start) / 2)
    torch.set_num_threads(threads)
    return {name: min(values) for name, values in costs.items()}


def auc_at(curve, cpu_s) -> float:
    """Validation AUC of the last point at or before ``cpu_s`` of training CPU time (curves keep 0.1 s)."""
    points = [p["mean_auc"] for p in curve if p["cpu_s"] <= cpu_s + 0.5]
    return points[-1] if points else float("nan")


def report(root: Path, candidate: Path | None = None) -> str:
    from sklearn_causalmix.prior import ValidationSuite

    pilots = {}
    for recipe, prior in PILOTS:
        info = read_pilot(root / f"{recipe}-{prior}")
        if info is not None:
            pilots[f"recipe {recipe}, prior {prior}"] = info
    suite = ValidationSuite(seeds=(0,))
    refs = references(suite, candidate)
    common = min(info["cpu_s"] for info in pilots.values()) if pilots else 0.0
    lines = [
        "# Pretraining recipes at equal CPU time",
        "",
        f"Pilots in `{home_relative(root)}`; `python benchmarks/bench_pretrain_recipe.py --run --cpu-minutes N` reruns them.",
        "Each pilot: " + " ".join(pilot_command("RECIPE", "PRIOR", "DIR", "N")[2:]).replace(sys.executable, "python"),
        "",
        "Real-table validation: mean zero-shot ROC-AUC over the 13 tables of `ValidationSuite` (one split per",
        "table, <= 512 context rows, one ensemble member), scored on the LAWA average. Training CPU time excludes",
        "validation. The machine was shared with other jobs (load average "
        f"{os.getloadavg()[0]:.1f} when this report was written), so wall time is not comparable; CPU time is.",
        "",
        "| run | params | steps | training CPU min | AUC at start | AUC at "
        f"{common / 60:.1f} CPU min (common budget) | last AUC | RSS first -> last (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, info in pilots.items():
        curve = info["val_curve"]
        first = curve[0]["mean_auc"] if curve else float("nan")
        last = curve[-1]["mean_auc"] if curve else float("nan")
        lines.append(
            f"| {name} | {info['n_params']:,} | {info['steps']} | {info['cpu_s'] / 60:.1f} | {first:.3f} | "
            f"{auc_at(curve, common):.3f} | {last:.3f} | {info['rss_first']:.0f} -> {info['rss_last']:.0f} |"
        )
    lines += ["", "Reference models on the same splits (mean ROC-AUC):", ""]
    lines += [f"- {name}: {value:.3f}" for name, value in refs.items()]
    lines += ["", "Validation curves (training CPU minutes: mean AUC):", ""]
    for name, info in pilots.items():
        points = ", ".join(f"{p['cpu_s'] / 60:.1f}: {p['mean_auc']:.3f}" for p in info["val_curve"])
        lines.append(f"- {name}: {points}")
    lines += ["", "CPU cost of one training step (1 thread, a fixed batch of 2 tasks x 512 rows x 11 features):", "",
              "| model and optimiser | CPU s / step |", "|---|---:|"]
    lines += [f"| {name} | {cost:.2f} |" for name, cost in step_costs().items()]
    if pilots:
        plot(pilots, refs, RESULTS / "pretrain_recipe.png")
        lines += ["", "![AUC vs CPU time](pretrain_recipe.png)"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path.home() / ".cache" / "causalmix" / "pilots")
    parser.add_argument("--run", action="store_true", help="run (or resume) the pilots first")
    parser.add_argument("--cpu-minutes", type=float, default=18.0)
    parser.add_argument("--candidate", type=Path, default=None,
                        help="a weights manifest (JSON) to score beside the shipped weights, e.g. a continued run")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.run:
        start = time.perf_counter()
        run_pilots(args.root, args.cpu_minutes)
        print(f"pilots done in {(time.perf_counter() - start) / 60:.1f} wall minutes", flush=True)
    text = report(args.root, args.candidate)
    print(text)
    if not args.no_write:
        write_keeping_reading(RESULTS / "pretrain_recipe.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

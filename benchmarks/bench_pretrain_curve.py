"""The curve of one pretraining run: real-table validation ROC-AUC against training CPU-hours, per table group.

Reads the run's last checkpoint (``RUN/checkpoint.pt``; a running run's checkpoints are complete files) and its
validation points: the mean zero-shot ROC-AUC (LAWA average, one ensemble member) over the tables of every group
the run validated on (``causalmix pretrain --validation-groups``: ``default``, 13 tables of 2-30 features;
``wide``, 111-751 features; ``many_class``, 5-10 classes). A random forest (300 trees) is scored on the same
splits (:class:`sklearn_causalmix.prior.ValidationSuite` of those groups, ``--seeds`` as the run's
``--validation``: ``0`` for ``quick``, ``0 1`` for ``full``). A run continued from the shipped weights
(``--init``) starts at their score, so its first point is the weights it would replace.

Usage::

    python benchmarks/bench_pretrain_curve.py ~/.cache/causalmix/pilots/row-v3 --name "backbone v3"

Writes the section "Validation curve of a pretraining run" of ``benchmarks/results/pretrain_recipe.md`` (the
rest of the file is not touched) and ``benchmarks/results/pretrain_curve.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from _results import home_relative, write_section  # benchmarks/ is the script's folder

from sklearn_causalmix.study._report import markdown_table

RESULTS = Path(__file__).parent / "results"
HEADER = "## Validation curve of a pretraining run (`benchmarks/bench_pretrain_curve.py`)"


def read_run(folder: Path) -> dict:
    """Settings, commands, steps, CPU time and validation points of the run in ``folder``."""
    from sklearn_causalmix._training import load_checkpoint

    if not (folder / "checkpoint.pt").exists():
        raise SystemExit(f"{folder} has no checkpoint.pt: give the --out folder of a causalmix pretrain run.")
    state = load_checkpoint(folder)
    run = state["run"]
    if not run["val_curve"]:
        raise SystemExit(f"{folder}: the run recorded no validation point (it ran with --validation none).")
    return {"settings": state["settings"], "commands": run.get("commands", []), "steps": run["step"],
            "cpu_s": run["cpu_s"], "curve": run["val_curve"]}


def groups_of(curve) -> list[str]:
    """The table groups of the curve's points (``["default"]`` for a run validated on one group)."""
    return list(curve[-1].get("groups", {"default": None}))


def group_auc(point, group) -> float:
    return point["groups"][group] if "groups" in point else point["mean_auc"]


def forest(groups, seeds) -> dict:
    """Mean ROC-AUC of a random forest per group (and over all tables) on the run's validation splits."""
    from sklearn.ensemble import RandomForestClassifier

    from sklearn_causalmix.prior import ValidationSuite

    suite = ValidationSuite(groups=tuple(groups), seeds=tuple(seeds))
    scores = suite.reference(RandomForestClassifier(300, random_state=0, n_jobs=1))
    return {**{g: scores["groups"].get(g, scores["mean_auc"]) for g in groups}, "all": scores["mean_auc"]}


def table(run) -> str:
    import pandas as pd

    groups = groups_of(run["curve"])
    frame = pd.DataFrame([{"step": p["step"], "training CPU-hours": p["cpu_s"] / 3600, "mean AUC (all tables)":
                           p["mean_auc"], **{g: group_auc(p, g) for g in groups}} for p in run["curve"]])
    return markdown_table(frame, digits=4)


def plot(run, rf, path: Path, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    hours = [p["cpu_s"] / 3600 for p in run["curve"]]
    for group, color in zip(groups_of(run["curve"]), plt.rcParams["axes.prop_cycle"].by_key()["color"]):
        ax.plot(hours, [group_auc(p, group) for p in run["curve"]], marker="o", color=color, label=group)
        ax.axhline(rf[group], color=color, linestyle=":", linewidth=1, label=f"{group}: random forest")
    ax.set_xlabel("training CPU-hours (1 thread; validation not counted)")
    ax.set_ylabel("mean zero-shot ROC-AUC of the group's tables")
    ax.set_title(f"{name}: validation per table group", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def report(folder: Path, run, rf, name: str, png: str) -> str:
    last, first = run["curve"][-1], run["curve"][0]
    command = run["commands"][-1] if run["commands"] else "(not recorded)"
    lines = [
        HEADER, "",
        (f"Run {name}: `{home_relative(folder)}`, {run['steps']} steps, {run['cpu_s'] / 3600:.2f} training "
         f"CPU-hours (schedule of {run['settings']['max_steps']} steps). Its last command: `{command}`."),
        (f"Written {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores (load average "
         f"{os.getloadavg()[0]:.1f}). Each point: mean zero-shot ROC-AUC of the LAWA average over the tables of "
         "each group (`ValidationSuite`, one ensemble member); the forest is scored on the same splits."), "",
        table(run), "",
        "Random forest (300 trees) on the same splits: all tables " + f"{rf['all']:.4f}; "
        + ", ".join(f"{g} {rf[g]:.4f}" for g in groups_of(run["curve"])) + ".", "",
        f"From the first point to the last: mean {last['mean_auc'] - first['mean_auc']:+.4f}; "
        + ", ".join(f"{g} {group_auc(last, g) - group_auc(first, g):+.4f}" for g in groups_of(run["curve"]))
        + ".", "",
        f"![validation per group against CPU-hours]({png})", "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="the --out folder of a causalmix pretrain run")
    parser.add_argument("--name", default=None, help="the run's name in the report (default: the folder's)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="splits of the run's validation suite: 0 for --validation quick (default), 0 1 for full")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    folder = args.run.expanduser()
    run = read_run(folder)
    rf = forest(groups_of(run["curve"]), args.seeds)
    name = args.name or folder.name
    text = report(folder, run, rf, name, "pretrain_curve.png")
    print(text)
    if not args.no_write:
        plot(run, rf, RESULTS / "pretrain_curve.png", name)
        write_section(RESULTS / "pretrain_recipe.md", HEADER, text)
        (RESULTS / "pretrain_curve.json").write_text(json.dumps({"run": home_relative(folder), "forest": rf,
                                                                 "curve": run["curve"]}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

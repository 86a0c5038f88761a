"""Speed and memory of CausalMixFTClassifier: 100 fine-tuning steps, predict latency, and the augmenter cache.

Usage::

    python benchmarks/bench_finetune.py                      # CPU, full sizes, writes benchmarks/results/finetune.md
    python benchmarks/bench_finetune.py --device cuda --out $OUT/finetune_cuda.md --augmenter jitter
    python benchmarks/bench_finetune.py --tiny --no-write    # a quick dry run of every part

Parts (each in a fresh subprocess, so that its peak memory is its own):

``fit``
    ``fit`` with ``max_steps=100`` (early stopping on, ``patience`` large enough that all 100 steps run) on
    1,000 rows x 20 features, ``synthetic_ratio=0.5`` with a cheap jitter augmenter (so the time is the
    fine-tuning's); the estimator's other settings are the defaults. Reports the wall time of the whole ``fit``,
    of the 100 steps with their evaluations (from ``history_``), steps/s, and the peak memory (process RSS on
    the CPU; ``torch.cuda.max_memory_allocated`` on CUDA).
``predict``
    ``predict_proba`` latency of the fitted model for 1 row and for 1,000 rows (context: the 1,000 real rows,
    ``n_estimators=4``).
``cache``
    A ``GridSearchCV`` over ``synthetic_ratio`` in {0, 0.25, 0.5, 0.75, 1.0} with 5 folds, without and with
    ``memory=``: wall time and number of augmenter fits. The augmenter is ``CausalSCMAugmenter`` (default
    settings; CPU; ``--augmenter causal-auto``: with DoWhy's model selection, several times slower) or, with
    ``--augmenter jitter`` (for machines without causal-learn/DoWhy), a jitter augmenter
    that sleeps ``--jitter-cost`` seconds per fit to stand in for an expensive generator.

The GPU machine has no causal-learn, DoWhy or networkx: with ``--augmenter jitter`` nothing here imports them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RATIOS = [0.0, 0.25, 0.5, 0.75, 1.0]


class JitterAugmenter:
    """Resampled real rows plus Gaussian noise; ``cost`` seconds of sleep per fit stand in for a slow generator."""

    n_fits = 0

    def __init__(self, scale=0.1, cost=0.0, random_state=None):
        self.scale, self.cost, self.random_state = scale, cost, random_state

    def get_params(self, deep=True):
        return {"scale": self.scale, "cost": self.cost, "random_state": self.random_state}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, X, y):
        type(self).n_fits += 1
        time.sleep(self.cost)
        self.X_, self.y_ = np.asarray(X, dtype=float), np.asarray(y)
        return self

    def sample(self, n, random_state=None):
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        idx = rng.integers(0, len(self.y_), n)
        return self.X_[idx] + rng.normal(scale=self.scale, size=(n, self.X_.shape[1])), self.y_[idx]


def _data(n_rows, n_features, seed=0):
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=n_rows, n_features=n_features, n_informative=min(n_features, 8), random_state=seed
    )


def _peak_memory_mb(device):
    import resource

    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _sync(device):
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def part_fit(args):
    import torch

    from sklearn_causalmix import CausalMixFTClassifier

    X, y = _data(args.rows, args.features)
    X_test, _ = _data(1000, args.features, seed=1)
    clf = CausalMixFTClassifier(
        augmenter=JitterAugmenter(),
        synthetic_ratio=0.5,
        max_steps=args.steps,
        patience=args.steps,
        device=args.device,
        random_state=0,
    )
    if args.episode_size:
        clf.set_params(episode_size=args.episode_size)
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    # torch's thread count inside the package's calls (its thread policy may lower it on a busy machine)
    threads_seen = []
    hook = torch.nn.modules.module.register_module_forward_hook(
        lambda *a: threads_seen.append(torch.get_num_threads())
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    clf.fit(X, y)
    _sync(args.device)
    fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    hist = clf.history_
    loop_s = hist[-1]["elapsed"] - hist[0]["elapsed"]
    hook.remove()
    peak = _peak_memory_mb(args.device)
    lat = {}
    for n in (1, 1000):
        clf.predict_proba(X_test[:n])  # warm-up
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            clf.predict_proba(X_test[:n])
            _sync(args.device)
            times.append(time.perf_counter() - t)
        lat[n] = float(np.median(times))
    return {
        "fit_s": fit_s,
        "fit_cpu_s": fit_cpu_s,
        "loop_s": loop_s,
        "n_steps": clf.n_steps_,
        "n_evals": len(hist),
        "steps_per_s": clf.n_steps_ / loop_s,
        "episode_size": clf.episode_size_,
        "peak_mb": peak,
        "predict_1_s": lat[1],
        "predict_1000_s": lat[1000],
        "device": str(clf.device_),
        "torch_threads": f"{min(threads_seen)}-{max(threads_seen)}" if threads_seen else "?",
    }


def part_cache(args):
    import tempfile

    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from sklearn_causalmix import CausalMixFTClassifier

    X, y = _data(args.cache_rows, 10, seed=2)
    if args.augmenter in ("causal", "causal-auto"):
        from sklearn_causalmix import CausalSCMAugmenter

        original_fit = CausalSCMAugmenter.fit
        counter = {"n": 0}

        def counting_fit(self, X, y):
            counter["n"] += 1
            return original_fit(self, X, y)

        CausalSCMAugmenter.fit = counting_fit
        augmenter = CausalSCMAugmenter(mechanisms="auto" if args.augmenter == "causal-auto" else "fast")

        def n_fits():
            return counter["n"]
    else:
        augmenter = JitterAugmenter(cost=args.jitter_cost)

        def n_fits():
            return JitterAugmenter.n_fits

    results = {}
    for label, memory in (("no cache", None), ("memory=", tempfile.mkdtemp(prefix="causalmix-bench-"))):
        clf = CausalMixFTClassifier(
            augmenter=augmenter,
            n_synthetic=500,
            max_steps=args.cache_steps,
            eval_every=max(1, args.cache_steps // 2),
            n_estimators=1,
            memory=memory,
            device=args.device,
            random_state=0,
        )
        search = GridSearchCV(
            clf, {"synthetic_ratio": RATIOS}, cv=StratifiedKFold(args.folds, shuffle=True, random_state=0),
            scoring="roc_auc",
        )
        before = n_fits()
        start = time.perf_counter()
        search.fit(X, y)
        results[label] = {
            "wall_s": time.perf_counter() - start,
            "augmenter_fits": n_fits() - before,
            "best_ratio": search.best_params_["synthetic_ratio"],
            "scores": search.cv_results_["mean_test_score"].round(4).tolist(),
        }
    return results


def _run_part(part, args):
    cmd = [sys.executable, __file__, "--part", part, *args.passthrough]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"part {part} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _machine(device):
    import torch

    if device.startswith("cuda"):
        return torch.cuda.get_device_name(0)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average {load:.1f} at start"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--episode-size", type=int, default=0, help="0: the estimator's default")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch threads in the measured process; 0: torch's default")
    parser.add_argument("--augmenter", choices=["causal", "causal-auto", "jitter"], default="causal")
    parser.add_argument("--jitter-cost", type=float, default=3.0)
    parser.add_argument("--cache-rows", type=int, default=300)
    parser.add_argument("--cache-steps", type=int, default=4)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--parts", default="fit,cache")
    parser.add_argument("--tiny", action="store_true", help="small sizes: a dry run of every part")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "finetune.md"))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tiny:
        args.rows, args.steps, args.repeats, args.cache_rows, args.cache_steps, args.folds = 200, 4, 1, 80, 1, 2
        args.jitter_cost = min(args.jitter_cost, 0.2)
    if args.part:
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        result = {"fit": part_fit, "cache": part_cache}[args.part](args)
        print(json.dumps(result))
        return
    args.passthrough = [
        "--device", args.device, "--rows", str(args.rows), "--features", str(args.features),
        "--steps", str(args.steps), "--episode-size", str(args.episode_size), "--repeats", str(args.repeats),
        "--threads", str(args.threads),
        "--augmenter", args.augmenter, "--jitter-cost", str(args.jitter_cost), "--cache-rows", str(args.cache_rows),
        "--cache-steps", str(args.cache_steps), "--folds", str(args.folds),
    ]
    import torch

    lines = [
        f"## `{' '.join(['python benchmarks/bench_finetune.py', *(argv if argv is not None else sys.argv[1:])])}`",
        "",
        f"- device: {args.device} ({_machine(args.device)}); torch {torch.__version__}, "
        f"{args.threads or torch.get_num_threads()} thread(s), OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}; "
        f"python {platform.python_version()}",
        f"- date: {time.strftime('%Y-%m-%d %H:%M')}",
        "",
    ]
    parts = args.parts.split(",")
    if "fit" in parts:
        r = _run_part("fit", args)
        peak_kind = (
            "torch.cuda.max_memory_allocated" if args.device.startswith("cuda")
            else "the RSS of the process (Python, torch, data and model)"
        )
        lines += [
            f"### {r['n_steps']} fine-tuning steps on {args.rows} rows x {args.features} features "
            f"(synthetic_ratio=0.5, episode of {r['episode_size']} rows, {r['n_evals']} evaluations incl. step 0)",
            "",
            "| fit total (s) | fit CPU time (s) | steps + evaluations (s) | steps/s | peak memory (MiB) | "
            "predict 1 row (s) | predict 1,000 rows (s) |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {r['fit_s']:.1f} | {r['fit_cpu_s']:.1f} | {r['loop_s']:.1f} | {r['steps_per_s']:.2f} | "
            f"{r['peak_mb']:.0f} | {r['predict_1_s']:.3f} | {r['predict_1000_s']:.2f} |",
            "",
            f"Peak memory is {peak_kind}; "
            f"torch used {r['torch_threads']} thread(s) inside fit (the package's thread policy). CPU time is the process's (all threads); on a machine "
            "shared with other jobs it is a steadier measure than the wall time.",
            "",
        ]
        print("\n".join(lines[-8:]), flush=True)
    if "cache" in parts:
        r = _run_part("cache", args)
        aug = {
            "causal": "CausalSCMAugmenter()",
            "causal-auto": 'CausalSCMAugmenter(mechanisms="auto")',
        }.get(args.augmenter, f"JitterAugmenter(cost={args.jitter_cost}s)")
        no, yes = r["no cache"], r["memory="]
        lines += [
            f"### GridSearchCV: {len(RATIOS)} ratios x {args.folds} folds, {args.cache_rows} rows x 10 features, "
            f"augmenter {aug}, max_steps={args.cache_steps}",
            "",
            "| | wall time (s) | augmenter fits | best ratio |",
            "|---|---:|---:|---:|",
            f"| no cache | {no['wall_s']:.1f} | {no['augmenter_fits']} | {no['best_ratio']} |",
            f"| `memory=` | {yes['wall_s']:.1f} | {yes['augmenter_fits']} | {yes['best_ratio']} |",
            "",
            f"Saving: {no['wall_s'] - yes['wall_s']:.1f} s ({100 * (1 - yes['wall_s'] / no['wall_s']):.0f}%); "
            f"identical scores: {no['scores'] == yes['scores']} ({no['scores']}).",
            "",
        ]
        print("\n".join(lines[-9:]), flush=True)
    if not args.no_write:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        header = "" if out.exists() else "# Fine-tuning benchmark (`benchmarks/bench_finetune.py`)\n\n"
        with out.open("a") as f:
            f.write(header + "\n".join(lines) + "\n")
        print(f"appended to {out}")


if __name__ == "__main__":
    main()

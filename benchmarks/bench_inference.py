"""Inference speed and memory: the cached, batched ensemble against the uncached per-member path, in one run.

Usage::

    python benchmarks/bench_inference.py                     # 2 CPU cores: writes benchmarks/results/inference.md
    python benchmarks/bench_inference.py --contend           # the same while another process keeps the cores busy
    python benchmarks/bench_inference.py --policy none       # torch's own thread setting (no package policy)
    python benchmarks/bench_inference.py --tiny --no-write   # a quick dry run
    python benchmarks/bench_inference.py --weights path/to/model.json   # other weights (a manifest)

"before" is ``InContextClassifier(fit_mode="low_memory")``: nothing is kept after ``fit`` and every
``predict_proba`` runs the ensemble members one after another, each through the whole context (the path used
before the cache). "after" is ``fit_mode="fit_with_cache"``: ``fit`` encodes the context of all members in one
batch and a prediction only runs its own rows. Both give the same probabilities (checked here, and in
tests/backbones/test_inference.py). Every part runs in a fresh subprocess (its memory is its own):

``latency``
    ``fit`` on 1,000 rows x 20 features (4 ensemble members, the embedded backbone), then ``predict_proba`` of
    1 row (median of ``--repeats``) and of 1,000 rows (median of 3); the cache's size (``cache_nbytes_``) and
    the process's resident memory before and after ``fit``.
``forward``
    The backbone's forward pass on 1,000 context x 1,000 query rows x 20 features (one task, eval mode).
``cv``
    ``cross_val_score(InContextClassifier(fit_mode=...), X, y, cv=5)`` on a 1,000-row table.
``study``
    The README's main job, ``causalmix study --quick``, as a subprocess (wall time and its CPU time); with the
    shipped weights only. Not in the default parts: run ``--parts study`` (and again with ``--contend``).

``--contend`` starts a contender for the whole run: a process multiplying matrices on 2 torch threads, as
another user's job would. Times are wall clock and CPU time of the measuring process (all its threads).
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
MODES = {"before": "low_memory", "after": "fit_with_cache"}


def _data(n_rows, n_features, seed=0):
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=n_rows, n_features=n_features, n_informative=min(n_features - 2, 8), random_state=seed
    )


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _timed(fn, repeats=1):
    """Median wall and CPU seconds of ``repeats`` calls."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return float(np.median(walls)), float(np.median(cpus)), out


def _threads_used(fn):
    """The torch thread count inside a package call (read by a forward hook)."""
    import torch

    seen = []
    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda *a: seen.append(torch.get_num_threads())
    )
    try:
        fn()
    finally:
        handle.remove()
    return max(seen) if seen else torch.get_num_threads()


def _backbone(args):
    """``backbone=`` of the measured estimators: the shipped weights, or the manifest given by ``--weights``."""
    import functools

    from sklearn_causalmix.backbones import load_default_backbone

    return "default" if args.weights is None else functools.partial(load_default_backbone, args.weights)


def part_latency(args):
    from sklearn_causalmix.backbones import InContextClassifier

    X, y = _data(args.rows, args.features)
    X_test, _ = _data(args.queries, args.features, seed=1)
    out = {}
    probas = {}
    for label, mode in MODES.items():
        clf = InContextClassifier(_backbone(args), n_estimators=args.estimators, fit_mode=mode, device="cpu",
                                  max_context_rows=max(args.rows, 2),
                                  random_state=0)
        rss0 = _rss_mb()
        fit_s, fit_cpu, _ = _timed(lambda: clf.fit(X, y))
        rss1 = _rss_mb()
        clf.predict_proba(X_test[:1])  # warm-up
        repeats = args.repeats if label == "after" else min(args.repeats, 3)  # "before" takes seconds
        one_s, one_cpu, _ = _timed(lambda: clf.predict_proba(X_test[:1]), repeats)
        many_s, many_cpu, probas[label] = _timed(lambda: clf.predict_proba(X_test), 3)
        out[label] = {
            "fit_s": fit_s, "fit_cpu": fit_cpu, "one_s": one_s, "one_cpu": one_cpu, "many_s": many_s,
            "many_cpu": many_cpu, "cache_mb": clf.cache_nbytes_ / 2**20, "rss_fit_mb": rss1 - rss0,
            "threads": _threads_used(lambda: clf.predict_proba(X_test[:1])),
        }
        del clf
    out["max_diff"] = float(np.abs(probas["before"] - probas["after"]).max())
    return out


def part_forward(args):
    import torch

    from sklearn_causalmix.backbones import get_backbone
    from sklearn_causalmix._core import package_threads

    model = get_backbone(_backbone(args)).eval()
    X, y = _data(args.rows + args.queries, args.features)
    Xc = torch.as_tensor(X[None, : args.rows], dtype=torch.float32)
    yc = torch.as_tensor(y[None, : args.rows])
    Xq = torch.as_tensor(X[None, args.rows :], dtype=torch.float32)

    def forward():
        with torch.no_grad(), package_threads():
            return model(Xc, yc, Xq, n_classes=2)

    forward()
    wall, cpu, _ = _timed(forward, 3)
    return {"forward_s": wall, "forward_cpu": cpu, "threads": _threads_used(forward)}


def part_cv(args):
    from sklearn.model_selection import cross_val_score

    from sklearn_causalmix.backbones import InContextClassifier

    X, y = _data(args.rows, args.features, seed=2)
    out = {}
    for label, mode in MODES.items():
        clf = InContextClassifier(_backbone(args), n_estimators=args.estimators, fit_mode=mode, device="cpu",
                                  max_context_rows=max(args.rows, 2),
                                  random_state=0)
        wall, cpu, scores = _timed(lambda: cross_val_score(clf, X, y, cv=5, scoring="roc_auc"))
        out[label] = {"cv_s": wall, "cv_cpu": cpu, "auc": float(np.mean(scores))}
    return out


def part_study(args):
    import resource
    import tempfile

    if args.weights is not None:
        raise SystemExit("--parts study runs the shipped weights only (the README's command).")
    with tempfile.TemporaryDirectory() as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sklearn_causalmix._cli", "study", "--quick", "--output", out],
                       check=True, capture_output=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"study_s": wall, "study_cpu": cpu}


def _contender():
    """A process keeping 2 cores busy with torch matrix products (another user's job)."""
    code = (
        "import torch\ntorch.set_num_threads(2)\na = torch.randn(512, 512)\n"
        "while True:\n    a = torch.tanh(a @ a) \n"
    )
    return subprocess.Popen([sys.executable, "-c", code])


def _run_part(part, args):
    cmd = [sys.executable, __file__, "--part", part, *args.passthrough]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"part {part} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _weights_line(weights) -> str:
    from sklearn_causalmix.backbones import EMBEDDED_WEIGHTS

    manifest = json.loads(Path(weights or EMBEDDED_WEIGHTS).read_text())
    return (f"- weights: {'shipped' if weights is None else weights}: {manifest['format']}, "
            f"{manifest['n_parameters']:,} parameters, sha256 {manifest['sha256'][:12]}...")


def _load():
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000, help="context rows")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--estimators", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--policy", default="auto", help="package thread policy: auto, none or an int")
    parser.add_argument("--contend", action="store_true", help="run beside a process keeping 2 cores busy")
    parser.add_argument("--parts", default="latency,forward,cv")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--weights", default=None, help="a weights manifest to use instead of the shipped one")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "inference.md"))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tiny:
        args.rows, args.queries, args.features, args.repeats = 100, 50, 5, 2
    if args.part:
        from sklearn_causalmix.backbones import set_thread_policy

        set_thread_policy(None if args.policy == "none" else args.policy if args.policy == "auto" else int(args.policy))
        parts = {"latency": part_latency, "forward": part_forward, "cv": part_cv, "study": part_study}
        print(json.dumps(parts[args.part](args)))
        return
    args.passthrough = [
        "--rows", str(args.rows), "--queries", str(args.queries), "--features", str(args.features),
        "--estimators", str(args.estimators), "--repeats", str(args.repeats), "--policy", args.policy,
        *(["--weights", args.weights] if args.weights else []),
    ]
    import torch

    contender = _contender() if args.contend else None
    try:
        if contender is not None:
            time.sleep(3)
        start_load, start = _load(), time.strftime("%Y-%m-%d %H:%M")
        results = {part: _run_part(part, args) for part in args.parts.split(",")}
        end_load = _load()
    finally:
        if contender is not None:
            contender.kill()
            contender.wait()
    cmd = " ".join(["python benchmarks/bench_inference.py", *(argv if argv is not None else sys.argv[1:])])
    lines = [
        f"## `{cmd}`",
        "",
        f"- {start}; {platform.machine()}, {os.cpu_count()} cores; torch {torch.__version__} "
        f"({torch.get_num_threads()} threads by default), OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}; "
        f"package thread policy: {args.policy}",
        _weights_line(args.weights),
        f"- load average (1/5/15 min) at start {start_load}, at end {end_load}"
        + ("; **a contender process kept 2 cores busy** (torch matmuls on 2 threads)" if args.contend else ""),
        "",
        f"| {args.rows} x {args.features} context, {args.estimators} members | before: wall (s) | CPU (s) | "
        "after: wall (s) | CPU (s) | target |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lat, fwd, cv, study = (results.get(k) for k in ("latency", "forward", "cv", "study"))
    if lat:
        b, a = lat["before"], lat["after"]
        lines += [
            f"| `fit` | {b['fit_s']:.3f} | {b['fit_cpu']:.3f} | {a['fit_s']:.3f} | {a['fit_cpu']:.3f} | |",
            f"| `predict_proba`, 1 row (median of {min(args.repeats, 3)} / {args.repeats}) | {b['one_s']:.3f} | "
            f"{b['one_cpu']:.3f} | "
            f"{a['one_s']:.3f} | {a['one_cpu']:.3f} | <= 0.05 |",
            f"| `predict_proba`, {args.queries} rows (median of 3) | {b['many_s']:.2f} | {b['many_cpu']:.2f} | "
            f"{a['many_s']:.2f} | {a['many_cpu']:.2f} | <= 0.5 |",
        ]
    if fwd:
        lines.append(
            f"| backbone forward {args.rows} x {args.queries} x {args.features}, one task | | | "
            f"{fwd['forward_s']:.2f} | {fwd['forward_cpu']:.2f} | <= 1 |"
        )
    if cv:
        b, a = cv["before"], cv["after"]
        lines.append(
            f"| 5-fold `cross_val_score`, {args.rows} rows | {b['cv_s']:.1f} | {b['cv_cpu']:.1f} | "
            f"{a['cv_s']:.1f} | {a['cv_cpu']:.1f} | |"
        )
    if study:
        lines.append(f"| `causalmix study --quick` (subprocess) | | | {study['study_s']:.1f} | {study['study_cpu']:.1f} | |")
    lines.append("")
    if lat:
        b, a = lat["before"], lat["after"]
        lines.append(
            f"Cache (`cache_nbytes_`): {a['cache_mb']:.0f} MiB after, {b['cache_mb']:.0f} MiB before; resident "
            f"memory added by `fit`: {a['rss_fit_mb']:.0f} MiB after, {b['rss_fit_mb']:.0f} MiB before. "
            f"Largest difference between the two modes' probabilities: {lat['max_diff']:.1e}. torch threads "
            f"inside the calls: {a['threads']}."
        )
    if cv:
        lines.append(f"Mean ROC-AUC of the folds: {cv['before']['auc']:.4f} before, {cv['after']['auc']:.4f} after.")
    lines.append("")
    print("\n".join(lines), flush=True)
    if not args.no_write:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        header = "" if out.exists() else "# Inference benchmark (`benchmarks/bench_inference.py`)\n\n"
        with out.open("a") as f:
            f.write(header + "\n".join(lines) + "\n")
        print(f"appended to {out}")


if __name__ == "__main__":
    main()

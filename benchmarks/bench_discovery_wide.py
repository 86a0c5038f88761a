"""Discovery on wide discrete tables: caravan's cost, and the other shifted tables unchanged.

``dump OUT.pkl`` pickles ``edge_probabilities_`` of ``CausalSCMAugmenter(random_state=s)`` (the
defaults) for s = 0, 1, 2 on every shifted table but ``caravan``, each on 512 random source-domain
rows (fewer where the source is smaller), with whatever ``sklearn_causalmix`` is importable; the
fit stops right after discovery. ``compare A.pkl B.pkl`` says which table-seed pairs differ
bitwise. ``caravan [SEED ...]`` fits the defaults on caravan's 512 source rows and prints the
CPU seconds of discovery and of the whole fit, and the size of the graphs, as a table that it also
writes to ``benchmarks/results/discovery_wide.md`` (with the command, the machine and its load).

Run single-threaded, e.g.::

    export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
    PYTHONPATH=<old checkout> python benchmarks/bench_discovery_wide.py dump before.pkl
    PYTHONPATH=<new checkout> python benchmarks/bench_discovery_wide.py dump after.pkl
    python benchmarks/bench_discovery_wide.py compare before.pkl after.pkl
    PYTHONPATH=<new checkout> python benchmarks/bench_discovery_wide.py caravan 0
"""

from __future__ import annotations

import os
import pickle
import platform
import sys
import time
from pathlib import Path

import numpy as np


def _rows(name, seed, n_rows=512):
    from sklearn_causalmix.datasets import load_shifted_dataset

    bunch = load_shifted_dataset(name)
    X, y, domain = bunch["X"], np.asarray(bunch["y"]), np.asarray(bunch["domain"])
    source = np.flatnonzero(domain == 0)
    idx = np.random.RandomState(seed).choice(source, min(n_rows, len(source)), replace=False)
    return X.iloc[idx], y[idx]


class _Stop(Exception):
    pass


def dump(out):
    import sklearn_causalmix.augment._augmenter as augmenter
    from sklearn_causalmix import CausalSCMAugmenter
    from sklearn_causalmix.datasets import list_shifted_datasets

    original, captured, results = augmenter.edge_probabilities, {}, {}

    def stop_after_discovery(*args, **kwargs):
        captured["result"] = original(*args, **kwargs)
        raise _Stop

    augmenter.edge_probabilities = stop_after_discovery
    try:
        for name in list_shifted_datasets()["name"]:
            if name == "caravan":
                continue
            for seed in (0, 1, 2):
                X, y = _rows(name, seed)
                try:
                    CausalSCMAugmenter(random_state=seed).fit(X, y)
                except _Stop:
                    pass
                results[(name, seed)] = captured["result"]  # (probabilities, test)
                print(name, seed, captured["result"][1], flush=True)
    finally:
        augmenter.edge_probabilities = original
    with open(out, "wb") as f:
        pickle.dump(results, f)


def compare(a, b):
    with open(a, "rb") as f:
        before = pickle.load(f)
    with open(b, "rb") as f:
        after = pickle.load(f)
    assert before.keys() == after.keys()
    differ = [
        key
        for key in before
        if before[key][1] != after[key][1] or before[key][0].tobytes() != after[key][0].tobytes()
        or before[key][0].shape != after[key][0].shape
    ]
    print(f"{len(before)} table-seed pairs, {len({k[0] for k in before})} tables; "
          f"bitwise different: {differ or 'none'}")
    return not differ


def caravan(seeds):
    import sklearn_causalmix.augment._augmenter as augmenter
    from sklearn_causalmix import CausalSCMAugmenter

    original, spent, rows = augmenter.edge_probabilities, {}, []
    load_start = os.getloadavg()

    def timed(*args, **kwargs):
        start = time.process_time()
        result = original(*args, **kwargs)
        spent["discovery"] = time.process_time() - start
        return result

    augmenter.edge_probabilities = timed
    try:
        for seed in seeds:
            X, y = _rows("caravan", seed)
            start = time.process_time()
            aug = CausalSCMAugmenter(random_state=seed).fit(X, y)
            fit = time.process_time() - start
            P = aug.edge_probabilities_.to_numpy()
            edges = [g.number_of_edges() for g in aug.graphs_]
            parents = [np.mean([d for _, d in g.in_degree()]) for g in aug.graphs_]
            rows.append([seed, aug.indep_test_, f"{spent['discovery']:.0f}", f"{fit:.0f}",
                         len(aug.graphs_[0]), f"{P.sum():.1f}", int((P > 0.5).sum()),
                         " ".join(map(str, edges)), " ".join(f"{v:.1f}" for v in parents)])
            print("caravan seed {}: test {}, discovery {} CPU-s, fit {} CPU-s; {} nodes, sum of edge "
                  "probabilities {}, P > 0.5: {}; edges per graph {}, mean parents {}".format(*rows[-1]),
                  flush=True)
    finally:
        augmenter.edge_probabilities = original
    _write_caravan(rows, load_start)


def _write_caravan(rows, load_start):
    """``benchmarks/results/discovery_wide.md``: the caravan rows, with the command and the load."""
    import pandas as pd
    from _results import write_keeping_reading  # benchmarks/ is the script's folder

    import sklearn_causalmix
    from sklearn_causalmix.study._report import markdown_table

    header = ["seed", "test", "discovery CPU s", "fit CPU s", "nodes", "sum of edge probabilities",
              "edges with P > 0.5", "edges per graph", "mean parents per graph"]
    load_end = os.getloadavg()
    text = "\n".join([
        "# Discovery on a wide discrete table: `caravan` with the defaults", "",
        f"- Command: `python benchmarks/bench_discovery_wide.py {' '.join(sys.argv[1:])}`",
        f"- Machine: {platform.platform()}, {os.cpu_count()} cores; load average (1, 5, 15 min) at start "
        f"{', '.join(f'{v:.2f}' for v in load_start)}, at end {', '.join(f'{v:.2f}' for v in load_end)}; "
        f"sklearn_causalmix {sklearn_causalmix.__version__}; OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}",
        "- `CausalSCMAugmenter(random_state=seed).fit` on 512 random source-domain rows of `caravan` (85 "
        "discrete features and the label); CPU seconds of the process (process_time) of discovery "
        "(`edge_probabilities`: bootstrap PC/FCI with G² tests) and of the whole fit; `nodes`: the graph's "
        "nodes, label included: constant columns and one-to-one copies of another column in that "
        "sample are left out of the graph (`constant_features_`, `deterministic_features_`).", "",
        markdown_table(pd.DataFrame(rows, columns=header)), ""])
    write_keeping_reading(Path(__file__).parent / "results" / "discovery_wide.md", text)
    print(text)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "dump":
        dump(*args)
    elif command == "compare":
        sys.exit(0 if compare(*args) else 1)
    elif command == "caravan":
        caravan([int(s) for s in args] or [0])
    else:
        raise SystemExit(__doc__)

"""Discovery on wide discrete tables: caravan's cost, and the other shifted tables unchanged.

``dump OUT.pkl`` pickles ``edge_probabilities_`` of ``CausalSCMAugmenter(random_state=s)`` (the
defaults) for s = 0, 1, 2 on every shifted table but ``caravan``, each on 512 random source-domain
rows (fewer where the source is smaller), with whatever ``sklearn_causalmix`` is importable; the
fit stops right after discovery. ``compare A.pkl B.pkl`` says which table-seed pairs differ
bitwise. ``caravan [SEED ...]`` fits the defaults on caravan's 512 source rows and prints the
CPU seconds of discovery and of the whole fit, and the size of the graphs.

Run single-threaded, e.g.::

    export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
    PYTHONPATH=<old checkout> python benchmarks/bench_discovery_wide.py dump before.pkl
    PYTHONPATH=<new checkout> python benchmarks/bench_discovery_wide.py dump after.pkl
    python benchmarks/bench_discovery_wide.py compare before.pkl after.pkl
    PYTHONPATH=<new checkout> python benchmarks/bench_discovery_wide.py caravan 0
"""

from __future__ import annotations

import pickle
import sys
import time

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

    original, spent = augmenter.edge_probabilities, {}

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
            print(f"caravan seed {seed}: test {aug.indep_test_}, discovery "
                  f"{spent['discovery']:.0f} CPU-s, fit {fit:.0f} CPU-s; {len(aug.graphs_[0])} "
                  f"nodes, sum of edge probabilities {P.sum():.1f}, P > 0.5: {(P > 0.5).sum()}; "
                  f"edges per graph {edges}, mean parents {np.round(parents, 1).tolist()}",
                  flush=True)
    finally:
        augmenter.edge_probabilities = original


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

"""Peak memory and time of SMOTEAugmenter's own backend (fit + sample as many rows), by table size.

Each size runs in a fresh process, so the peak resident set size (RSS) belongs to that run alone;
the traced peak is what Python and numpy allocated during fit + sample (``tracemalloc``). The
target: 5,000 rows x 20 features in well under 1 GB (the earlier all-pairs distance array of
shape ``(n_class, n_class, n_features)`` alone needed about 1 GB there).

Usage::

    python benchmarks/bench_smote_memory.py    # prints a markdown table
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

SIZES = [(1000, 20), (5000, 20), (20000, 20)]

_CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy as np, pandas as pd
from sklearn_causalmix.augment import SMOTEAugmenter
n, p = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.RandomState(0)
X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"f{j}" for j in range(p)])
for j in range(0, p, 4):  # every fourth column categorical
    X[f"f{j}"] = np.where(X[f"f{j}"] > 0, "a", "b")
y = (rng.normal(size=n) > 0).astype(int)
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tracemalloc.start()
wall, cpu = time.perf_counter(), time.process_time()
X_syn, _ = SMOTEAugmenter(backend="own", random_state=0).fit(X, y).sample(n)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
traced = tracemalloc.get_traced_memory()[1] / 2**20
tracemalloc.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(
    {"traced": traced, "rss": rss, "rss_before": rss_before, "wall": wall, "cpu": cpu}
))
"""


def main():
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}")
    print("| rows | features | traced peak (MiB) | peak RSS (MiB) | RSS before fit (MiB) "
          "| wall (s) | CPU (s) |")
    print("|---|---|---|---|---|---|---|")
    for n, p in SIZES:
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(n), str(p)],
            capture_output=True, text=True, check=True, env=env,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"| {n} | {p} | {r['traced']:.1f} | {r['rss']:.0f} | {r['rss_before']:.0f} "
              f"| {r['wall']:.2f} | {r['cpu']:.2f} |")


if __name__ == "__main__":
    main()

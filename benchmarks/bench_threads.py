"""Which thread settings hold up on a busy machine: torch thread count and OpenMP waiting policy, measured.

Usage::

    python benchmarks/bench_threads.py            # prints a table (run it on an idle and on a busy machine)

Runs one fixed workload (20 one-row predictions against a cached 500-row context, 100 rows + a fresh
encoding, 10 fine-tuning steps of 96-row episodes; the embedded model, 4 ensemble members) in a fresh process per
setting, with the package's thread policy off (``set_thread_policy(None)``) so that only the setting acts:

* ``1 thread`` / ``2 threads``: ``torch.set_num_threads``;
* ``2 threads, PASSIVE before import``: ``OMP_WAIT_POLICY=PASSIVE`` in the environment before torch loads;
* ``2 threads, PASSIVE after import``: the same variables (and ``GOMP_SPINCOUNT=0``) set after ``import torch``
  — libgomp has read them already, so this shows whether a library can still change them.
"""

from __future__ import annotations

import os
import subprocess
import sys

WORKLOAD = r"""
import os, sys, time
n_threads, when = int(sys.argv[1]), sys.argv[2]
if when == "before":
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
import torch
if when == "after":
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    os.environ["GOMP_SPINCOUNT"] = "0"
torch.set_num_threads(n_threads)
import numpy as np
from sklearn_causalmix.backbones import get_backbone, set_thread_policy
from sklearn_causalmix.backbones._inference import InContextEnsemble
set_thread_policy(None)
m = get_backbone()
rng = np.random.default_rng(0)
X = rng.normal(size=(600, 20)).astype(np.float32); y = rng.integers(0, 2, 600)
ens = InContextEnsemble(m, X[:500], y[:500], n_classes=2, n_estimators=4).encode()
ens.predict_proba(X[500:501])
out = []
t, c = time.perf_counter(), time.process_time()
for _ in range(20):
    ens.predict_proba(X[500:501])
out += [time.perf_counter() - t, time.process_time() - c]
t, c = time.perf_counter(), time.process_time()
ens.predict_proba(X[500:]); InContextEnsemble(m, X[:500], y[:500], n_classes=2, n_estimators=4).encode()
out += [time.perf_counter() - t, time.process_time() - c]
m.train(); opt = torch.optim.SGD(m.parameters(), lr=1e-5)
Xc, yc = torch.as_tensor(X[None, :72]), torch.as_tensor(y[None, :72])
Xq, yq = torch.as_tensor(X[None, 72:96]), torch.as_tensor(y[None, 72:96])
t, c = time.perf_counter(), time.process_time()
for _ in range(10):
    opt.zero_grad()
    torch.nn.functional.cross_entropy(m(Xc, yc, Xq, n_classes=2)[0], yq[0]).backward()
    opt.step()
out += [time.perf_counter() - t, time.process_time() - c]
print(" ".join(f"{v:.2f}" for v in out))
"""

SETTINGS = [
    ("1 thread", "1", "none"),
    ("2 threads", "2", "none"),
    ("2 threads, PASSIVE before import", "2", "before"),
    ("2 threads, PASSIVE after import", "2", "after"),
]


def main():
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")}
    print(f"load average at start: {' / '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print("| setting | 20 x 1-row predict: wall (s) | CPU (s) | 100 rows + encode: wall | CPU | "
          "10 steps: wall | CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, n, when in SETTINGS:
        out = subprocess.run([sys.executable, "-c", WORKLOAD, n, when], capture_output=True, text=True, env=env)
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        print(f"| {label} | " + " | ".join(out.stdout.split()) + " |", flush=True)
    print(f"load average at end: {' / '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()

"""Running a command on 2 CPU processes with torchrun (gloo), for the data-parallel tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sklearn_causalmix._training import local_torchrun

ROOT = Path(__file__).resolve().parents[2]


def torchrun(args, *, nproc: int = 2, timeout: float = 600.0) -> subprocess.CompletedProcess:
    """``python -m torch.distributed.run --nproc_per_node nproc ARGS`` on a free local port; fails loudly."""
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    command = local_torchrun(nproc, args)
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    assert proc.returncode == 0, (f"{' '.join(command)}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n"
                                  f"{proc.stderr[-6000:]}")
    return proc

"""The small pieces a training loop is made of, each one idea (in the spirit of skorch's callbacks).

- :class:`Budget`: when a run stops (total steps, steps of this call, wall and CPU minutes) and how much of its
  time was training (validation excluded);
- :class:`StopRequests`: SIGINT / SIGTERM ask the run to stop after the current step;
- :class:`BestState`: the weights of the best validation score so far, and patience;
- :class:`WeightAverage`: LAWA, the average of the last weight snapshots;
- :func:`save_checkpoint` / :func:`load_checkpoint`: the resume state, written atomically and read without
  pickle; :func:`rss_mb` and :func:`release_freed_memory` keep a long run's memory in view and flat.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import signal
import threading
import time
from collections import deque
from pathlib import Path

import torch

__all__ = [
    "CHECKPOINT_NAME",
    "BestState",
    "Budget",
    "StopRequests",
    "WeightAverage",
    "load_checkpoint",
    "release_freed_memory",
    "rss_mb",
    "save_checkpoint",
    "snapshot",
]

CHECKPOINT_NAME = "checkpoint.pt"


class Budget:
    """When a run stops, and how long it has trained.

    Parameters
    ----------
    minutes : float, default=inf
        Wall time of this call.
    max_steps : int or None, default=None
        Steps of the whole run.
    steps : int or None, default=None
        Steps of this call.
    cpu_minutes : float or None, default=None
        Training CPU time of the whole run (all threads; time inside :meth:`excluded` does not count).
    first_step : int, default=0
        The run's step when this call starts.
    wall_s, cpu_s : float, default=0.0
        Training wall and CPU seconds of the run before this call.

    Attributes
    ----------
    others_cpu_s : float
        CPU seconds of the other processes of a data-parallel run in this call (set by the loop from their
        reports, see :class:`DataParallel`); counted in :attr:`cpu_s`, so the CPU budget is the sum over
        processes. 0 on one process.

    Examples
    --------
    >>> from sklearn_causalmix._training import Budget
    >>> budget = Budget(max_steps=10, steps=3, first_step=5)
    >>> [budget.exhausted(step) for step in (5, 7, 8)]
    [False, False, True]
    """

    def __init__(self, *, minutes=math.inf, max_steps=None, steps=None, cpu_minutes=None, first_step=0, wall_s=0.0,
                 cpu_s=0.0):
        self.minutes, self.max_steps, self.steps, self.cpu_minutes = minutes, max_steps, steps, cpu_minutes
        self.first_step = first_step
        self._wall0, self._cpu0 = wall_s, cpu_s
        self._start, self._cpu_start = time.perf_counter(), time.process_time()
        self.others_cpu_s = 0.0

    @property
    def call_s(self) -> float:
        """Wall seconds since this call started (validation included)."""
        return time.perf_counter() - self._start

    @property
    def wall_s(self) -> float:
        """Training wall seconds of the whole run."""
        return self._wall0 + self.call_s

    @property
    def call_cpu_s(self) -> float:
        """CPU seconds of this process since this call started (validation included)."""
        return time.process_time() - self._cpu_start

    @property
    def cpu_s(self) -> float:
        """Training CPU seconds of the whole run (with the other processes' of a data-parallel run)."""
        return self._cpu0 + self.call_cpu_s + self.others_cpu_s

    def exhausted(self, step: int) -> bool:
        """Whether the run should stop before taking step ``step``."""
        return (
            (self.max_steps is not None and step >= self.max_steps)
            or self.call_s >= self.minutes * 60.0
            or (self.cpu_minutes is not None and self.cpu_s >= self.cpu_minutes * 60.0)
            or (self.steps is not None and step >= self.first_step + self.steps)
        )

    def progress(self, step: int) -> float:
        """Share of the run done: ``step / max_steps``, or the elapsed share of ``minutes``."""
        return step / self.max_steps if self.max_steps else self.call_s / (self.minutes * 60.0)

    @contextlib.contextmanager
    def excluded(self):
        """A block (validation) whose time is not training time."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self._wall0 -= time.perf_counter() - wall
            self._cpu0 -= time.process_time() - cpu


class StopRequests:
    """SIGINT / SIGTERM during a run ask it to stop after the current step (a second one stops at once).

    Installed only in the main thread (elsewhere signals cannot be caught), restored on exit; the run then
    writes its checkpoint and weights as after a normal stop, so an interrupted run resumes exactly.

    Examples
    --------
    >>> from sklearn_causalmix._training import StopRequests
    >>> with StopRequests() as stop:
    ...     stop.requested
    False
    """

    def __init__(self):
        self.requested = False
        self._saved = {}

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
        return False


def snapshot(model) -> dict:
    """A detached copy of ``model``'s state dict (on its device).

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._training import snapshot
    >>> sorted(snapshot(torch.nn.Linear(2, 1)))
    ['bias', 'weight']
    """
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class BestState:
    """The weights of the best score so far, and how many evaluations have not improved on it.

    Ties keep the earlier step (so the starting weights win unless training strictly improves the score), and
    a NaN score never improves.

    Parameters
    ----------
    model : torch.nn.Module
    patience : int
        Evaluations without improvement after which :meth:`update` says stop.

    Attributes
    ----------
    step, score : int, float
        Step and score of the kept weights.

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._training import BestState
    >>> model = torch.nn.Linear(1, 1)
    >>> best = BestState(model, patience=2)
    >>> best.start(0.5)
    >>> best.update(10, 0.7), best.update(20, 0.6), best.update(30, 0.7)
    (False, False, True)
    >>> best.step, best.score
    (10, 0.7)
    """

    def __init__(self, model, patience: int):
        self.model, self.patience = model, patience
        self.step, self.score, self._since, self._state = 0, float("nan"), 0, None

    def start(self, score: float) -> None:
        """Take the current weights (step 0) with their score."""
        self.step, self.score, self._since, self._state = 0, score, 0, snapshot(self.model)

    def update(self, step: int, score: float) -> bool:
        """Keep the weights if ``score`` improves; whether patience has run out."""
        if score > self.score:
            self.step, self.score, self._since, self._state = step, score, 0, snapshot(self.model)
            return False
        self._since += 1
        return self._since >= self.patience

    def restore(self) -> None:
        """Load the kept weights into the model."""
        self.model.load_state_dict(self._state)


class WeightAverage:
    """LAWA: the average of the last ``size`` weight snapshots, taken every ``every`` steps.

    The shipped weights are this average rather than the last iterate (latest-weight averaging smooths the
    noise of the final steps at no training cost).

    Parameters
    ----------
    size : int, default=10
        Snapshots kept.
    every : int, default=50
        Steps between snapshots.

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._training import WeightAverage
    >>> avg = WeightAverage(size=2, every=1)
    >>> for value in (1.0, 2.0, 4.0):
    ...     avg.add({"w": torch.tensor([value])})
    >>> avg.average()["w"]
    tensor([3.])
    """

    def __init__(self, size: int = 10, every: int = 50):
        self.size, self.every = size, every
        self.snapshots: deque = deque(maxlen=size)

    def add(self, state_dict) -> None:
        """Keep a CPU copy of a state dict (the oldest snapshot drops out)."""
        self.snapshots.append({k: v.detach().to("cpu", copy=True) for k, v in state_dict.items()})

    def average(self) -> dict:
        """The element-wise mean of the kept snapshots (floating tensors; others from the newest)."""
        if not self.snapshots:
            raise ValueError("No snapshot to average yet.")
        newest = self.snapshots[-1]
        return {
            k: torch.stack([s[k] for s in self.snapshots]).mean(0) if v.is_floating_point() else v.clone()
            for k, v in newest.items()
        }

    def state_dict(self) -> dict:
        """Snapshots and settings, for resuming."""
        return {"size": self.size, "every": self.every, "snapshots": list(self.snapshots)}

    def load_state_dict(self, state) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.size, self.every = int(state["size"]), int(state["every"])
        self.snapshots = deque(state["snapshots"], maxlen=self.size)


def save_checkpoint(state: dict, folder) -> Path:
    """Write ``state`` to ``folder/checkpoint.pt`` atomically (a temporary file, then a rename).

    A run killed while writing leaves the previous checkpoint intact.

    Parameters
    ----------
    state : dict
        Tensors, numbers, strings, lists and dicts only (what ``torch.load(weights_only=True)`` reads back).
    folder : str or Path

    Returns
    -------
    path : Path

    Examples
    --------
    >>> import tempfile, torch
    >>> from sklearn_causalmix._training import load_checkpoint, save_checkpoint
    >>> folder = tempfile.mkdtemp()
    >>> _ = save_checkpoint({"step": 3, "w": torch.ones(2)}, folder)
    >>> load_checkpoint(folder)["step"]
    3
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CHECKPOINT_NAME
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_checkpoint(folder) -> dict:
    """Read ``folder/checkpoint.pt`` with ``torch.load(weights_only=True)`` (no arbitrary code).

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    state : dict

    Raises
    ------
    FileNotFoundError
        When the folder holds no checkpoint (with the path in the message).
    """
    path = Path(folder) / CHECKPOINT_NAME
    if not path.exists():
        raise FileNotFoundError(
            f"No pretraining checkpoint at {path}; start a run with `causalmix pretrain --out {folder}` first, "
            "or pass --init MANIFEST to continue from saved weights with a fresh optimiser."
        )
    return torch.load(path, map_location="cpu", weights_only=True)


def rss_mb() -> float:
    """Resident memory of this process in MiB (NaN where ``/proc`` is not available).

    Examples
    --------
    >>> from sklearn_causalmix._training import rss_mb
    >>> rss_mb() > 0 or rss_mb() != rss_mb()
    True
    """
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


def release_freed_memory() -> None:
    """Hand freed heap blocks back to the system (glibc's ``malloc_trim``; a no-op elsewhere).

    Episodes change shape every step and glibc keeps freed blocks of every size class; without this a long
    run's resident memory grows.

    Examples
    --------
    >>> from sklearn_causalmix._training import release_freed_memory
    >>> release_freed_memory()
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)

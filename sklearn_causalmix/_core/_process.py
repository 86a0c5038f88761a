"""The one guard of process-wide state: global random generators, ``sys.stdout`` and warnings.

Our own code draws only from generators passed down to it (:func:`spawn_seeds` turns a
``RandomState`` into the integer seeds that travel between stages). Two kinds of block need the
process-wide state itself, and both run under the **one** re-entrant lock of this module:

- :func:`fork_torch_rng`: our own torch code whose modules draw from torch's global generator
  (module initialisation, random feature identities in training mode) runs seeded, and the global
  state is restored afterwards;
- :func:`third_party_state`: a third-party call that cannot take a generator.

Some third-party calls cannot take one: DoWhy's ``gcm`` draws from numpy's global ``RandomState``, CTGAN from torch's and numpy's
global generators, and causal-learn's FCI prints to ``sys.stdout`` when given background
knowledge. :func:`third_party_state` runs such a call under one process-wide lock, sets exactly
what the call needs, and restores the previous objects and states exactly before releasing the
lock, so that

- the caller's global random streams, ``sys.stdout`` and warning filters are left as they were;
- "same ``random_state``, same numbers" holds also when several fits run in threads at once
  (each seeded block sees only its own seed, as no other of our blocks runs meanwhile; a torch
  block and a CTGAN block in two threads cannot interleave either, as they share the lock).

Other threads of the user's program that print or warn while a silenced block runs lose that
output; blocks are kept to the third-party call itself. A guarded block must not wait for other
threads that enter the guard (they would wait for it in turn): :func:`inside_guard` tells code
that would start such threads (a joblib ``Parallel`` on a thread backend) to run in the caller's
thread instead. How many torch threads the package's calls use is :mod:`._threads`.
"""

from __future__ import annotations

import contextlib
import io
import random
import sys
import threading
import warnings

import numpy as np

__all__ = ["fork_torch_rng", "inside_guard", "parallel_map", "spawn_seeds", "third_party_state"]

#: One lock for every block that touches process-wide state (re-entrant: blocks may nest).
_PROCESS_STATE_LOCK = threading.RLock()
_DEPTH = threading.local()  # how deep this thread is inside guarded blocks


@contextlib.contextmanager
def _guard():
    with _PROCESS_STATE_LOCK:
        _DEPTH.value = getattr(_DEPTH, "value", 0) + 1
        try:
            yield
        finally:
            _DEPTH.value -= 1


def inside_guard() -> bool:
    """Whether the calling thread runs inside a guarded block (and so holds the process-state lock).

    Returns
    -------
    inside : bool

    Examples
    --------
    >>> from sklearn_causalmix._core import inside_guard, third_party_state
    >>> inside_guard()
    False
    >>> with third_party_state():
    ...     inside_guard()
    True
    """
    return getattr(_DEPTH, "value", 0) > 0


@contextlib.contextmanager
def third_party_state(seed=None, *, torch_seed=False, silence=False):
    """Run a third-party call under a lock, with seeded global generators and no output.

    Parameters
    ----------
    seed : int or None, default=None
        When given, ``np.random`` and :mod:`random` are seeded with it inside the block (and,
        with ``torch_seed=True``, torch's global generators on every device).
    torch_seed : bool, default=False
        Also seed torch's global generators (for libraries such as CTGAN). Needs ``seed``.
    silence : bool, default=False
        Send ``sys.stdout`` to a buffer and ignore warnings inside the block.

    Examples
    --------
    >>> import sys
    >>> import numpy as np
    >>> from sklearn_causalmix._core import third_party_state
    >>> np.random.seed(1); before = np.random.rand()
    >>> np.random.seed(1); stdout = sys.stdout
    >>> with third_party_state(0, silence=True):
    ...     inside = np.random.rand()
    ...     print("swallowed")
    >>> np.random.rand() == before, sys.stdout is stdout
    (True, True)
    """
    with _guard(), contextlib.ExitStack() as stack:
        if seed is not None:
            np_state, py_state = np.random.get_state(), random.getstate()
            stack.callback(random.setstate, py_state)
            stack.callback(np.random.set_state, np_state)
            np.random.seed(int(seed) % (2**32))
            random.seed(int(seed))
            if torch_seed:
                import torch

                cuda = range(torch.cuda.device_count()) if torch.cuda.is_available() else []
                stack.enter_context(torch.random.fork_rng(devices=list(cuda)))
                torch.manual_seed(int(seed))
        if silence:
            stdout = sys.stdout
            stack.callback(setattr, sys, "stdout", stdout)
            sys.stdout = io.StringIO()
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
        yield


def spawn_seeds(rng, n):
    """Draw ``n`` independent 31-bit seeds from a ``RandomState``.

    Parameters
    ----------
    rng : numpy.random.RandomState
        Source of randomness.
    n : int
        Number of seeds.

    Returns
    -------
    seeds : list of int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix._core import spawn_seeds
    >>> len(spawn_seeds(np.random.RandomState(0), 3))
    3
    """
    return [int(s) for s in rng.randint(np.iinfo(np.int32).max, size=n)]


@contextlib.contextmanager
def fork_torch_rng(device, seed):
    """Seed torch (CPU and the fitting CUDA device) inside a guarded block that restores the global RNG.

    Seeded blocks of concurrent threads run one at a time (the guard's lock), so each sees exactly its own
    stream: same seed, same numbers, whatever else runs.

    Parameters
    ----------
    device : torch.device
    seed : int

    Returns
    -------
    context : context manager

    Examples
    --------
    >>> import torch
    >>> from sklearn_causalmix._core import fork_torch_rng
    >>> with fork_torch_rng(torch.device("cpu"), 0):
    ...     a = torch.rand(1)
    >>> with fork_torch_rng(torch.device("cpu"), 0):
    ...     b = torch.rand(1)
    >>> bool(a == b)
    True
    """
    import torch

    with _guard():
        devices = []
        if device.type == "cuda":
            devices = [device.index if device.index is not None else torch.cuda.current_device()]
        with torch.random.fork_rng(devices=devices):
            torch.random.default_generator.manual_seed(int(seed))
            if devices:
                with torch.cuda.device(devices[0]):
                    torch.cuda.manual_seed(int(seed))
            yield


def parallel_map(function, tasks, n_jobs=None):
    """``[function(*task) for task in tasks]``, spread over ``n_jobs`` joblib workers when that is safe.

    Runs in the calling thread when ``n_jobs`` is None or 1, or when the caller is inside a guarded block
    (:func:`inside_guard`): workers that are threads of this process would wait for the guard's lock, which
    the caller holds until they finish. The results are the same either way (each task carries its own seed).

    Parameters
    ----------
    function : callable
    tasks : iterable of tuple
        Positional arguments of each call.
    n_jobs : int or None, default=None
        As joblib's ``Parallel``; its active backend (``joblib.parallel_config``) applies.

    Returns
    -------
    results : list

    Examples
    --------
    >>> from sklearn_causalmix._core import parallel_map
    >>> parallel_map(pow, [(2, 3), (3, 2)], n_jobs=2)
    [8, 9]
    """
    if n_jobs is None or n_jobs == 1 or inside_guard():
        return [function(*task) for task in tasks]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs)(delayed(function)(*task) for task in tasks)

"""Scoped, thread-safe use of process-wide state that third-party libraries read or write.

Our own code draws only from generators passed down to it. Some third-party calls cannot take
one: DoWhy's ``gcm`` draws from numpy's global ``RandomState``, CTGAN from torch's and numpy's
global generators, and causal-learn's FCI prints to ``sys.stdout`` when given background
knowledge. :func:`third_party_state` runs such a call under one process-wide lock, sets exactly
what the call needs, and restores the previous objects and states exactly before releasing the
lock, so that

- the caller's global random streams, ``sys.stdout`` and warning filters are left as they were;
- "same ``random_state``, same numbers" holds also when several fits run in threads at once
  (each seeded block sees only its own seed, as no other of our blocks runs meanwhile).

Other threads of the user's program that print or warn while a silenced block runs lose that
output; blocks are kept to the third-party call itself.
"""

from __future__ import annotations

import contextlib
import io
import random
import sys
import threading
import warnings

import numpy as np

__all__ = ["spawn_seeds", "third_party_state"]

#: One lock for every block that touches process-wide state (re-entrant: blocks may nest).
_PROCESS_STATE_LOCK = threading.RLock()


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
    >>> from sklearn_causalmix.augment._global_state import third_party_state
    >>> np.random.seed(1); before = np.random.rand()
    >>> np.random.seed(1); stdout = sys.stdout
    >>> with third_party_state(0, silence=True):
    ...     inside = np.random.rand()
    ...     print("swallowed")
    >>> np.random.rand() == before, sys.stdout is stdout
    (True, True)
    """
    with _PROCESS_STATE_LOCK, contextlib.ExitStack() as stack:
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
    >>> from sklearn_causalmix.augment._global_state import spawn_seeds
    >>> len(spawn_seeds(np.random.RandomState(0), 3))
    3
    """
    return [int(s) for s in rng.randint(np.iinfo(np.int32).max, size=n)]

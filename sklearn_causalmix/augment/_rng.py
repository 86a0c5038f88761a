"""Isolation of numpy's global random state.

causal-learn and DoWhy's gcm draw from ``np.random`` (the legacy global ``RandomState``) and
Python's :mod:`random`. :func:`global_random_state` seeds both for the duration of a block and
restores the caller's state afterwards, so our results are reproducible and the user's global
random stream is left untouched.
"""

from __future__ import annotations

import contextlib
import random

import numpy as np

__all__ = ["global_random_state", "spawn_seeds"]


@contextlib.contextmanager
def global_random_state(seed):
    """Seed ``np.random`` and :mod:`random` inside the block; restore them on exit.

    Parameters
    ----------
    seed : int
        Seed for the block.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_causalmix.augment._rng import global_random_state
    >>> np.random.seed(1); before = np.random.rand()
    >>> np.random.seed(1)
    >>> with global_random_state(0):
    ...     inside = np.random.rand()
    >>> np.random.rand() == before
    True
    """
    np_state = np.random.get_state()
    py_state = random.getstate()
    np.random.seed(int(seed) % (2**32))
    random.seed(int(seed))
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


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
    >>> from sklearn_causalmix.augment._rng import spawn_seeds
    >>> len(spawn_seeds(np.random.RandomState(0), 3))
    3
    """
    return [int(s) for s in rng.randint(np.iinfo(np.int32).max, size=n)]

"""Shared fixtures for the augment tests."""

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _single_thread():
    # BLAS/OpenMP worker threads spin badly on a busy 2-core machine; the tests are small.
    with threadpool_limits(limits=1):
        yield


def _make_mixed(n=300, seed=0):
    """A small mixed-type table with a label that depends on two features."""
    rng = np.random.RandomState(seed)
    a = rng.normal(size=n)
    b = 0.8 * a + 0.6 * rng.normal(size=n)
    colour = np.where(b + 0.5 * rng.normal(size=n) > 0, "red", "blue")
    count = rng.poisson(2 + (a > 0), size=n)
    flag = rng.rand(n) < 0.3
    y = np.where(b + (colour == "red") + 0.5 * rng.normal(size=n) > 0.5, "yes", "no")
    X = pd.DataFrame(
        {
            "a": a,
            "b": b,
            "colour": pd.Series(colour, dtype=object),
            "count": count,
            "flag": flag,
        }
    )
    return X, pd.Series(y, name="outcome")


@pytest.fixture
def make_mixed():
    """Factory of mixed tables: ``make_mixed(n=300, seed=0) -> (X, y)``."""
    return _make_mixed


@pytest.fixture
def mixed():
    return _make_mixed()

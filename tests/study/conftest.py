"""Fixtures of the study tests; the stand-in estimator lives in ``study_doubles``."""

import pytest

from study_doubles import _CALLS, FAIL
from sklearn_causalmix.datasets import make_shifted_classification


@pytest.fixture
def crash_at():
    """Make TinyFineTuner.fit raise at a given ratio; reset afterwards."""
    def set_ratio(ratio):
        FAIL["ratio"] = ratio
    yield set_ratio
    FAIL["ratio"] = None


@pytest.fixture
def fit_counter():
    """Number of TinyFineTuner.fit calls made since the fixture was created (sequential runs)."""
    start = _CALLS["n"]
    return lambda: _CALLS["n"] - start


@pytest.fixture(scope="session")
def shifted_tasks():
    return {
        "cov": make_shifted_classification(n_samples=400, n_features=5, shift="covariate",
                                           random_state=0),
        "concept": make_shifted_classification(n_samples=400, n_features=5, shift="concept",
                                               random_state=1),
    }
